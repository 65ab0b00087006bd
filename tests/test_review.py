"""Review and adjudication: disagreements, adopting into gold, the review page and who may see it."""

import re

import lxml.html
import pytest
from django.urls import reverse

from annotate import datasets, history, projects, review, units
from annotate.formats.records import ArticleRecord, LayerRecord, SpanRecord, UnitRecord
from annotate.models import ArgumentUnit, Article, Change, Layer, Relation
from annotate.units import AnnotationError, LayerFinishedError
from annotate.views import curation
from tests.factories import make_article, make_relation, make_unit, make_user

MAJOR = "Cities should ban cars from their centres."
TRAFFIC = "Traffic kills thousands every year"
SHOPS = "Critics say shops will suffer"
FOOTFALL = "footfall rises where streets are calm"
TRIPS = "most trips in town are short"


@pytest.fixture
def ann_layer(article, annotator):
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


@pytest.fixture
def ben_layer(article, annotator2):
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator2)


def gold_state(article):
    """Gold's units as (label, quote, attributes) and relations as (source quote, type, target quote)."""
    text = article.text
    gold = Layer.objects.filter(article=article, annotator=None).first()
    if gold is None:
        return None
    quote = {
        unit.pk: " … ".join(text[s.start : s.end] for s in unit.spans.all())
        for unit in ArgumentUnit.objects.filter(layer=gold).prefetch_related("spans")
    }
    unit_rows = sorted(
        (unit.label.name, quote[unit.pk], unit.attributes)
        for unit in ArgumentUnit.objects.filter(layer=gold).select_related("label")
    )
    relation_rows = sorted(
        (quote[source], kind, quote[target])
        for source, kind, target in Relation.objects.filter(layer=gold).values_list("source", "type__name", "target")
    )
    return unit_rows, relation_rows


# Adopting units --------------------------------------------------------------------


def test_adopting_a_unit_copies_label_spans_and_attributes_into_a_new_gold_layer(article, ann_layer, scheme, curator):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})

    adoption = review.adopt_unit(unit=claim, user=curator)

    assert adoption.created is True
    assert gold_state(article) == ([("Claim", SHOPS, {"stance": "Against"})], [])
    gold = Layer.objects.get(article=article, annotator=None)
    assert gold.status == Layer.Status.IN_PROGRESS
    assert list(Change.objects.filter(layer=gold).order_by("id").values_list("action", "user")) == [
        ("layer.create", curator.pk),
        ("unit.create", curator.pk),
    ]


@pytest.mark.parametrize("first", ["claim", "premise"])
def test_a_relation_follows_into_gold_once_both_its_units_are_there(article, ann_layer, scheme, curator, first):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    premise = make_unit(ann_layer, scheme["Premise"], FOOTFALL)
    make_relation(ann_layer, scheme["attacks"], premise, claim)
    adopted = {"claim": claim, "premise": premise}
    second = {"claim": premise, "premise": claim}[first]

    first_adoption = review.adopt_unit(unit=adopted[first], user=curator)

    assert first_adoption.relations == []
    assert gold_state(article)[1] == []

    second_adoption = review.adopt_unit(unit=second, user=curator)

    assert len(second_adoption.relations) == 1
    assert gold_state(article) == (
        [("Claim", SHOPS, {}), ("Premise", FOOTFALL, {})],
        [(FOOTFALL, "attacks", SHOPS)],
    )


def test_adopting_a_unit_gold_already_has_reuses_it_and_still_brings_its_relations(
    article, ann_layer, ben_layer, scheme, curator
):
    ann_claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    ben_claim = make_unit(ben_layer, scheme["Claim"], SHOPS)
    ben_premise = make_unit(ben_layer, scheme["Premise"], FOOTFALL)
    make_relation(ben_layer, scheme["attacks"], ben_premise, ben_claim)
    review.adopt_unit(unit=ann_claim, user=curator)
    review.adopt_unit(unit=ben_premise, user=curator)  # ben's relation comes with his premise

    again = review.adopt_unit(unit=ann_claim, user=curator)
    same_from_ben = review.adopt_unit(unit=ben_claim, user=curator)

    assert (again.created, again.relations, same_from_ben.created, same_from_ben.relations) == (False, [], False, [])
    assert again.unit == same_from_ben.unit
    assert gold_state(article) == (
        [("Claim", SHOPS, {}), ("Premise", FOOTFALL, {})],
        [(FOOTFALL, "attacks", SHOPS)],
    )


def test_an_adoption_can_be_undone_in_the_gold_layer(article, ann_layer, scheme, curator):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    review.adopt_unit(unit=claim, user=curator)
    gold = Layer.objects.select_related("article__project").get(article=article, annotator=None)

    history.undo(layer=gold, user=curator)

    assert gold_state(article) == ([], [])


def test_a_gold_unit_cannot_be_adopted(article, ann_layer, scheme, curator):
    adopted = review.adopt_unit(unit=make_unit(ann_layer, scheme["Claim"], SHOPS), user=curator).unit

    with pytest.raises(AnnotationError):
        review.adopt_unit(unit=ArgumentUnit.objects.select_related("layer").get(pk=adopted.pk), user=curator)


# Adopting what a majority agrees on -------------------------------------------------


@pytest.fixture
def three_layers(project, article, annotator, annotator2, manager):
    third = make_user("cal_annotator")
    projects.set_member(project=project, user=third, role="annotator", by=None)
    projects.assign(article=article, annotators=[annotator, annotator2, third], by=manager)
    return list(
        Layer.objects.select_related("article__project", "annotator").filter(article=article, annotator__isnull=False)
    )


def test_majority_adopts_the_units_and_relations_two_of_three_annotators_agree_on(
    article, three_layers, scheme, curator
):
    ann, ben, cal = three_layers
    for layer, stance in [(ann, "For"), (ben, "For"), (cal, "Against")]:
        claim = make_unit(layer, scheme["Claim"], SHOPS, attributes={"stance": stance})
        premise = make_unit(layer, scheme["Premise"], FOOTFALL)
        make_relation(layer, scheme["supports"] if layer is cal else scheme["attacks"], premise, claim)
    make_unit(ann, scheme["Premise"], TRAFFIC)  # one annotator only
    make_unit(ben, scheme["MajorClaim"], MAJOR)
    make_unit(cal, scheme["MajorClaim"], MAJOR)
    make_unit(cal, scheme["Premise"], TRAFFIC[:20])  # boundaries differ from ann's: no majority

    result = review.adopt_majority(article=article, user=curator, minimum=2)

    assert (result.units, result.relations) == (3, 1)
    assert gold_state(article) == (
        [("Claim", SHOPS, {"stance": "For"}), ("MajorClaim", MAJOR, {}), ("Premise", FOOTFALL, {})],
        [(FOOTFALL, "attacks", SHOPS)],
    )
    again = review.adopt_majority(article=article, user=curator, minimum=2)
    assert (again.units, again.relations) == (0, 0)


def test_majority_refuses_a_minimum_above_the_number_of_annotators(article, ann_layer, curator):
    with pytest.raises(AnnotationError):
        review.adopt_majority(article=article, user=curator, minimum=3)

    assert gold_state(article) is None


# Disagreements ---------------------------------------------------------------------


def rows(entry):
    return (
        [(unit.label.name, unit.quote, unit.badge, unit.in_gold) for unit in entry.units],
        [(r.source.quote, r.type.name, r.target.quote, r.badge) for r in entry.relations],
    )


def test_review_marks_each_kind_of_disagreement(article, ann_layer, ben_layer, scheme, curator):
    # Both annotators: the major claim and the footfall premise, linked with different types.
    ann_major, ben_major = (
        make_unit(ann_layer, scheme["MajorClaim"], MAJOR),
        make_unit(ben_layer, scheme["MajorClaim"], MAJOR),
    )
    ann_foot, ben_foot = (
        make_unit(ann_layer, scheme["Premise"], FOOTFALL),
        make_unit(ben_layer, scheme["Premise"], FOOTFALL),
    )
    make_relation(ann_layer, scheme["supports"], ann_foot, ann_major)
    make_relation(ben_layer, scheme["attacks"], ben_foot, ben_major)
    # The same span with another label; boundaries that differ.
    ann_traffic = make_unit(ann_layer, scheme["Premise"], TRAFFIC)
    make_unit(ben_layer, scheme["Claim"], TRAFFIC)
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Claim"], SHOPS, inner="shops will suffer")
    make_relation(ann_layer, scheme["supports"], ann_traffic, ann_major)  # ben has no such premise: its units differ
    # ann has both units but no such link (two units take one relation, so a third unit both marked).
    make_unit(ann_layer, scheme["Premise"], TRIPS)
    make_relation(ben_layer, scheme["attacks"], ben_major, make_unit(ben_layer, scheme["Premise"], TRIPS))
    review.adopt_unit(unit=ann_major, user=curator)

    data = review.load(article)
    ann, ben = data.annotators

    assert rows(ann) == (
        [
            ("MajorClaim", MAJOR, "agreed by all", True),
            ("Premise", TRAFFIC, "label differs", False),
            ("Premise", TRIPS, "agreed by all", False),
            ("Claim", SHOPS, "boundaries differ", False),
            ("Premise", FOOTFALL, "agreed by all", False),
        ],
        [(TRAFFIC, "supports", MAJOR, "units differ"), (FOOTFALL, "supports", MAJOR, "type differs")],
    )
    assert rows(ben) == (
        [
            ("MajorClaim", MAJOR, "agreed by all", True),
            ("Claim", TRAFFIC, "label differs", False),
            ("Premise", TRIPS, "agreed by all", False),
            ("Claim", "shops will suffer", "boundaries differ", False),
            ("Premise", FOOTFALL, "agreed by all", False),
        ],
        [(FOOTFALL, "attacks", MAJOR, "type differs"), (MAJOR, "attacks", TRIPS, "only here")],
    )
    assert [(u.label.name, u.badge) for u in data.gold.units] == [("MajorClaim", "2 of 2 annotators")]
    assert (ann.disagreements, ben.disagreements, data.majority) == (4, 4, 2)


def test_review_counts_partial_agreement_among_three_annotators(article, three_layers, scheme):
    ann, ben, cal = three_layers
    make_unit(ann, scheme["Claim"], SHOPS)
    make_unit(ben, scheme["Claim"], SHOPS)
    make_unit(cal, scheme["Claim"], FOOTFALL)

    data = review.load(article)

    assert [[unit.badge for unit in entry.units] for entry in data.annotators] == [
        ["agreed by 2 of 3"],
        ["agreed by 2 of 3"],
        ["only here"],
    ]
    assert data.majority == 2


# What is left to settle ----------------------------------------------------------------


def to_settle(article):
    return [(entry.layer.owner_name, entry.to_settle) for entry in review.load(article).annotators]


def test_what_is_left_to_settle_goes_down_as_gold_settles_it(article, ann_layer, ben_layer, scheme, curator):
    ann_major = make_unit(ann_layer, scheme["MajorClaim"], MAJOR)
    make_unit(ben_layer, scheme["MajorClaim"], MAJOR)  # agreed by all: never to settle
    ann_traffic = make_unit(ann_layer, scheme["Premise"], TRAFFIC)
    make_unit(ben_layer, scheme["Claim"], TRAFFIC)  # the label differs
    ann_shops = make_unit(ann_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Claim"], SHOPS, inner="shops will suffer")  # the boundaries differ
    make_relation(ann_layer, scheme["supports"], ann_traffic, ann_major)  # its units differ
    make_unit(ben_layer, scheme["Premise"], FOOTFALL)  # only ben's
    before = to_settle(article)

    review.adopt_unit(unit=ann_traffic, user=curator)  # settles ben's Claim on the same text too
    after_traffic = to_settle(article)
    review.adopt_unit(unit=ann_shops, user=curator)  # settles ben's shorter Claim too
    review.adopt_unit(unit=ann_major, user=curator)  # brings ann's relation along

    assert (before, after_traffic, to_settle(article)) == (
        [("ann_annotator", 3), ("ben_annotator", 3)],
        [("ann_annotator", 2), ("ben_annotator", 2)],
        [("ann_annotator", 0), ("ben_annotator", 1)],  # gold has nothing for ben's footfall premise
    )


def test_a_relation_is_settled_when_gold_links_its_units_with_another_type(
    article, ann_layer, ben_layer, scheme, curator
):
    layers = {"ann": ann_layer, "ben": ben_layer}
    made = {
        name: (make_unit(layer, scheme["Claim"], SHOPS), make_unit(layer, scheme["Premise"], FOOTFALL))
        for name, layer in layers.items()
    }
    make_relation(ann_layer, scheme["supports"], made["ann"][1], made["ann"][0])
    make_relation(ben_layer, scheme["attacks"], made["ben"][1], made["ben"][0])
    before = to_settle(article)

    review.adopt_unit(unit=made["ben"][0], user=curator)
    review.adopt_unit(unit=made["ben"][1], user=curator)  # ben's attack follows into gold

    assert (before, to_settle(article)) == (
        [("ann_annotator", 1), ("ben_annotator", 1)],
        [("ann_annotator", 0), ("ben_annotator", 0)],
    )


def test_a_unit_gold_replaced_with_other_boundaries_is_settled_but_still_adoptable(
    client, article, ann_layer, ben_layer, scheme, curator
):
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Claim"], SHOPS, inner="shops will suffer")
    client.force_login(curator)
    page = html(client.get(review_url(article) + TABLE))

    answer = html(client.post(adopt_url(page, "Claim", SHOPS, "ann_annotator"), headers=HTMX))

    ben_row = answer.xpath('//ol[@aria-label="Units of ben_annotator"]/li')[0]
    assert counts(page) == ["1 unit · 0 relations · 1 to settle"] * 2
    assert counts(answer) == ["1 unit · 0 relations · 0 to settle"] * 2
    assert ben_row.xpath('.//span[contains(@class, "badge")]/text()') == ["boundaries differ", "gold differs"]
    assert ben_row.xpath(".//button/text()") == ["Adopt"]


# Finished curation ------------------------------------------------------------------


def test_adopting_into_finished_gold_is_refused_and_changes_nothing(article, ann_layer, ben_layer, scheme, curator):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Premise"], FOOTFALL)
    gold = review.finish_curation(article=article, user=curator)
    recorded = Change.objects.count()

    with pytest.raises(LayerFinishedError):
        review.adopt_unit(unit=claim, user=curator)
    with pytest.raises(LayerFinishedError):
        review.adopt_majority(article=article, user=curator, minimum=1)

    assert (Layer.objects.get(pk=gold.pk).status, gold_state(article), Change.objects.count()) == (
        Layer.Status.FINISHED,
        ([], []),
        recorded,
    )


def test_reopening_curation_lets_gold_be_adopted_into_again_and_is_recorded(article, ann_layer, scheme, curator):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    gold = review.finish_curation(article=article, user=curator)

    reopened = review.reopen_curation(article=article, user=curator)
    again = review.reopen_curation(article=article, user=curator)
    review.adopt_unit(unit=claim, user=curator)

    assert (reopened, again) == (True, False)
    assert gold_state(article) == ([("Claim", SHOPS, {})], [])
    assert list(
        Change.objects.filter(layer=gold, action="layer.status").order_by("id").values_list("after", flat=True)
    ) == [
        {"status": "finished"},
        {"status": "in_progress"},
    ]


def test_the_page_of_finished_curation_offers_reopen_instead_of_adoption(client, article, ann_layer, scheme, curator):
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)
    page = html(client.get(review_url(article) + TABLE))
    adopt = adopt_url(page, "Claim", SHOPS, "ann_annotator")

    finished = html(client.post(form_action(page, "Curation finished"), headers=HTMX))
    refused = client.post(adopt, headers=HTMX)
    reopened = html(client.post(form_action(finished, "Reopen curation"), headers=HTMX))

    assert [button.text for button in finished.xpath("//button")] == ["Reopen curation"]
    assert status_text(finished) == "Curation finished: the gold layer is marked finished."
    assert (refused.status_code, status_text(html(refused))) == (
        422,
        "Curation of this article is finished, so the gold layer is read-only. Reopen it to change it.",
    )
    assert gold_state(article) == ([], [])
    assert status_text(reopened) == "Curation reopened: gold can be changed again."
    assert [button.text for button in reopened.xpath("//button")] == ["Adopt", "Adopt majority", "Curation finished"]


def test_the_page_of_finished_curation_counts_the_disagreements_left_unsettled(
    client, article, ann_layer, ben_layer, scheme, curator
):
    # Both marked the claim (agreed: nothing to settle, in gold or not); the premise is ann's alone.
    for layer in (ann_layer, ben_layer):
        make_unit(layer, scheme["Claim"], SHOPS)
    make_unit(ann_layer, scheme["Premise"], FOOTFALL)
    client.force_login(curator)
    page = html(client.get(review_url(article)))

    finished = html(client.post(form_action(page, "Curation finished"), headers=HTMX))

    assert counts(page) == ["2 units · 0 relations · 1 to settle", "1 unit · 0 relations · 0 to settle"]
    assert counts(finished) == ["2 units · 0 relations · 1 left unsettled", "1 unit · 0 relations · 0 left unsettled"]


# Overlapping units of one label ------------------------------------------------------

MAJOR_PART = "ban cars from their centres"


@pytest.fixture
def two_majors(article, ann_layer, ben_layer, scheme, curator):
    """ann's MajorClaim in gold with a premise supporting it; ben's overlapping one not."""
    ann_major = make_unit(ann_layer, scheme["MajorClaim"], MAJOR)
    premise = make_unit(ann_layer, scheme["Premise"], FOOTFALL)
    make_relation(ann_layer, scheme["supports"], premise, ann_major)
    review.adopt_unit(unit=ann_major, user=curator)
    review.adopt_unit(unit=premise, user=curator)
    return make_unit(ben_layer, scheme["MajorClaim"], MAJOR, inner=MAJOR_PART)


def test_adopting_a_unit_that_overlaps_a_gold_unit_of_its_label_asks_first(article, two_majors, curator):
    before = gold_state(article)

    with pytest.raises(review.OverlapError) as refused:
        review.adopt_unit(unit=two_majors, user=curator)

    assert (str(refused.value), refused.value.overlapping) == (
        f"Gold already has a MajorClaim that overlaps this one: “{MAJOR}”.",
        [MAJOR],
    )
    assert gold_state(article) == before


def test_adding_an_overlapping_unit_anyway_keeps_both(article, two_majors, curator):
    adoption = review.adopt_unit(unit=two_majors, user=curator, overlap="add")

    assert (adoption.created, adoption.replaced) == (True, [])
    assert gold_state(article) == (
        [("MajorClaim", MAJOR, {}), ("MajorClaim", MAJOR_PART, {}), ("Premise", FOOTFALL, {})],
        [(FOOTFALL, "supports", MAJOR)],
    )


def test_replacing_moves_the_gold_relations_onto_the_new_unit_and_can_be_undone(article, two_majors, curator):
    before = gold_state(article)

    adoption = review.adopt_unit(unit=two_majors, user=curator, overlap="replace")

    assert (adoption.replaced, adoption.carried, adoption.dropped) == ([MAJOR], 1, 0)
    assert gold_state(article) == (
        [("MajorClaim", MAJOR_PART, {}), ("Premise", FOOTFALL, {})],
        [(FOOTFALL, "supports", MAJOR_PART)],
    )
    gold = Layer.objects.select_related("article__project").get(article=article, annotator=None)
    assert [c.action for c in Change.objects.filter(layer=gold).order_by("-id")[:3]] == [
        "relation.create",
        "unit.delete",
        "unit.create",
    ]
    after = gold_state(article)
    history.undo(layer=gold, user=curator)  # one step, however many records it wrote
    assert gold_state(article) == before
    history.redo(layer=gold, user=curator)
    assert gold_state(article) == after
    history.undo(layer=gold, user=curator)
    assert gold_state(article) == before


def test_majority_leaves_out_a_unit_that_overlaps_a_gold_unit_of_its_label(
    article, ann_layer, ben_layer, scheme, curator
):
    make_unit(ann_layer, scheme["MajorClaim"], MAJOR)
    make_unit(ben_layer, scheme["MajorClaim"], MAJOR, inner=MAJOR_PART)
    make_unit(ben_layer, scheme["Premise"], FOOTFALL)

    result = review.adopt_majority(article=article, user=curator, minimum=1)

    assert (result.units, result.relations, result.left_out) == (2, 0, 1)
    assert gold_state(article) == ([("MajorClaim", MAJOR, {}), ("Premise", FOOTFALL, {})], [])


def test_the_page_asks_before_an_overlapping_adoption_and_replaces_when_told(client, article, two_majors, curator):
    client.force_login(curator)
    page = html(client.get(review_url(article)))

    asked = client.post(adopt_url(page, "MajorClaim", MAJOR_PART, "ben_annotator"), headers=HTMX)
    question = html(asked)
    (form,) = question.xpath('//div[@id="review-message"]//form')
    choices = [(b.get("name"), b.get("value"), b.text) for b in form.xpath(".//button")]
    replaced = client.post(form.get("hx-post"), {**dict(form.form_values()), "overlap": "replace"}, headers=HTMX)

    assert (asked.status_code, status_text(question)) == (
        422,
        f"Gold already has a MajorClaim that overlaps this one: “{MAJOR}”.",
    )
    assert choices == [
        ("overlap", "replace", "Replace it with ben_annotator’s"),
        ("overlap", "add", "Add anyway"),
    ]
    assert form.xpath(".//a/text()") == ["Keep gold as it is"]
    assert (replaced.status_code, status_text(html(replaced))) == (
        200,
        f"MajorClaim “{MAJOR_PART}” replaced “{MAJOR}” in gold, with 1 relation carried over.",
    )
    assert gold_state(article) == (
        [("MajorClaim", MAJOR_PART, {}), ("Premise", FOOTFALL, {})],
        [(FOOTFALL, "supports", MAJOR_PART)],
    )


REVISION = re.compile(r'id="layer-revision" name="revision" value="(\d+)"')


def test_one_undo_in_gold_takes_back_a_replace_made_on_the_page_and_one_redo_brings_it_again(
    client, article, two_majors, curator
):
    client.force_login(curator)
    before = gold_state(article)
    page = html(client.get(review_url(article)))
    asked = html(client.post(adopt_url(page, "MajorClaim", MAJOR_PART, "ben_annotator"), headers=HTMX))
    (form,) = asked.xpath('//div[@id="review-message"]//form')
    replaced = client.post(form.get("hx-post"), {**dict(form.form_values()), "overlap": "replace"}, headers=HTMX)
    assert replaced.status_code == 200
    after = gold_state(article)
    # To gold's workspace by the review page's link, then Ctrl+Z there, carrying its revision.
    (edit,) = html(client.get(review_url(article))).xpath('//a[text()="Edit gold in the workspace"]/@href')
    workspace = client.get(edit).content.decode()
    undo_text = re.search(r"<button[^>]*>Undo: ([^<]*)</button>", workspace)
    revision = REVISION.search(workspace).group(1)

    undone = client.post(edit + "undo/", {"revision": revision}, headers=HTMX)
    at_undo = gold_state(article)
    redone = client.post(edit + "redo/", {"revision": REVISION.search(undone.content.decode()).group(1)}, headers=HTMX)

    assert (undone.status_code, redone.status_code) == (200, 200)
    assert (at_undo, gold_state(article)) == (before, after)
    assert undo_text.group(1) == f"new MajorClaim “{MAJOR_PART}”"


def adopt_majority(client, article, *, minimum: int):
    """Adopt majority as the review page's form sends it, with the form's own fields."""
    page = html(client.get(review_url(article)))
    (form,) = page.xpath('//form[.//button[text()="Adopt majority"]]')
    return client.post(form.get("hx-post"), {**dict(form.form_values()), "minimum": str(minimum)}, headers=HTMX)


def test_the_majority_notice_says_how_many_units_it_left_out(client, article, ann_layer, ben_layer, scheme, curator):
    make_unit(ann_layer, scheme["MajorClaim"], MAJOR)
    make_unit(ben_layer, scheme["MajorClaim"], MAJOR, inner=MAJOR_PART)
    client.force_login(curator)

    response = adopt_majority(client, article, minimum=1)

    assert status_text(html(response)) == (
        "Adopted 1 unit and 0 relations that at least 1 annotator agreed on. "
        "Left out: 1 unit overlapping a gold unit of the same label (adopt one on its own)."
    )


def test_units_of_no_letter_or_digit_are_imported_as_they_are_but_gold_never_takes_them(
    client, project, annotator, annotator2, manager, curator
):
    """An import keeps the units its files hold, a stray "? " included (the file is the
    record of the work); gold takes only units with a letter or digit: adopting one
    alone is refused with the reason, and Adopt majority leaves it out and says so."""
    text = "Should cities ban cars? Yes."
    question = text.index("? ")
    layers = [
        LayerRecord(
            owner,
            units=[
                UnitRecord("T1", "Claim", [SpanRecord(0, question)]),
                UnitRecord("T2", "Premise", [SpanRecord(question, question + 2)]),
            ],
        )
        for owner in ("ann_annotator", "ben_annotator")
    ]
    report = datasets.import_records(project=project, records=[ArticleRecord("Q", text, layers=layers)], user=manager)
    article = Article.objects.get(title="Q")
    wordless = ArgumentUnit.objects.get(layer__annotator=annotator, label__name="Premise")

    assert (report.problems, report.written, units.spans_of(wordless)) == ([], True, [(question, question + 2)])
    with pytest.raises(AnnotationError, match="^A unit needs at least one letter or digit: “\\? ” holds none.$"):
        review.adopt_unit(unit=wordless, user=curator)
    client.force_login(curator)
    response = adopt_majority(client, article, minimum=2)
    assert status_text(html(response)) == (
        "Adopted 1 unit and 0 relations that at least 2 annotators agreed on. "
        "Left out: 1 unit with no letter or digit, which gold does not take."
    )
    assert gold_state(article) == ([("Claim", "Should cities ban cars", {})], [])


# The review page -------------------------------------------------------------------


def review_url(article, route="review", *args):
    return reverse(f"annotate:{route}", args=[article.project.slug, article.pk, *args])


TABLE = "?view=table"


HTMX = {"HX-Request": "true"}


def html(response):
    return lxml.html.fromstring(response.content.decode())


def adopt_url(page, label, quote, owner):
    """The URL the button adopting `owner`'s unit posts to: its Adopt button in the table,
    the unit itself in the lanes (whose name goes on with the verdict: “… from ann: only here”)."""
    (button,) = page.xpath(
        f'//button[@hx-post][starts-with(@aria-label, "Adopt {label} “{quote[:30]}")'
        f' and substring-after(@aria-label, "” from ") = "{owner}"'
        f' or starts-with(., "Adopt {label} “{quote[:30]}")'
        f' and starts-with(substring-after(., "” from "), "{owner}: ")]'
    )
    return button.get("hx-post")


def form_action(page, button_text):
    (form,) = page.xpath(f'//form[.//button[text()="{button_text}"]]')
    return form.get("hx-post")


def status_text(page):
    return " ".join(page.xpath('//div[@id="review-message"]//p/text()'))


def counts(page):
    return [" ".join(span.text_content().split()) for span in page.xpath('//header/span[@class="count"]')]


def test_a_curator_starts_gold_from_scratch_and_lands_in_its_workspace(client, article, ann_layer, curator):
    client.force_login(curator)
    start = review_url(article, "review_gold")
    assert f'action="{start}"' in client.get(review_url(article)).content.decode()

    response = client.post(start)
    again = client.post(start)

    gold = Layer.objects.get(article=article, annotator=None)
    workspace = reverse("annotate:layer_detail", args=[article.project.slug, gold.pk])
    assert [(r.status_code, r["Location"]) for r in (response, again)] == [(302, workspace), (302, workspace)]
    assert (gold.status, gold.units.count()) == (Layer.Status.IN_PROGRESS, 0)
    assert list(Change.objects.filter(layer=gold).values_list("action", "user")) == [("layer.create", curator.pk)]
    page = client.get(review_url(article)).content.decode()
    assert (f'action="{start}"' in page, f'href="{workspace}"' in page) == (False, True)
    assert client.get(workspace).context["editable"] is True


def test_review_page_shows_every_annotator_layer_and_the_gold_layer(client, article, ann_layer, scheme, curator):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    review.adopt_unit(unit=claim, user=curator)
    gold = Layer.objects.get(article=article, annotator=None)
    client.force_login(curator)

    response = client.get(review_url(article))

    assert response.status_code == 200
    data = response.context["review"]
    assert [entry.layer.owner_name for entry in data.annotators] == ["ann_annotator", "ben_annotator"]
    assert data.gold.layer == gold
    assert response.context["form"]["minimum"].initial == 2
    content = response.content.decode()
    assert f'href="{reverse("annotate:layer_detail", args=[article.project.slug, gold.pk])}"' in content
    # The text once, with a lane for gold and one for ann on the line her claim is on (ben has no units).
    assert content.count("Traffic kills thousands every year") == 1
    assert html(response).xpath('//div[@role="group"]/@aria-label') == ["Gold units", "ann_annotator’s units"]


def test_review_page_is_never_served_from_cache(client, article, curator):
    # Back from the gold workspace reloads the review instead of showing it as first loaded.
    client.force_login(curator)

    response = client.get(review_url(article))

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_adopt_view_answers_an_htmx_request_with_the_review_region(client, article, ann_layer, scheme, curator):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)

    response = client.post(review_url(article, "review_adopt", claim.pk), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith('<div id="review" class="review review-lanes">')
    assert f"Claim “{SHOPS}” adopted." in content
    assert gold_state(article) == ([("Claim", SHOPS, {})], [])


def test_the_adoption_notice_cuts_a_long_quote_with_an_ellipsis(client, article, ann_layer, scheme, curator):
    long_quote = "Traffic kills thousands every year, and most trips in town are short."
    claim = make_unit(ann_layer, scheme["Claim"], long_quote)
    client.force_login(curator)

    response = client.post(review_url(article, "review_adopt", claim.pk), HTTP_HX_REQUEST="true")

    notice = lxml.html.fromstring(response.content.decode()).get_element_by_id("review-message").text_content().strip()
    assert notice == f"Claim “{long_quote[:59]}…” adopted."


def test_adopt_view_refuses_a_unit_of_another_article(client, project, article, manager, annotator, scheme, curator):
    other = make_article(project)
    projects.assign(article=other, annotators=[annotator], by=manager)
    foreign = make_unit(Layer.objects.get(article=other), scheme["Claim"], SHOPS)
    client.force_login(curator)

    response = client.post(review_url(article, "review_adopt", foreign.pk))

    assert response.status_code == 404
    assert Layer.objects.filter(annotator=None).count() == 0


def test_majority_view_adopts_with_the_chosen_minimum(client, article, ann_layer, ben_layer, scheme, curator):
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Premise"], FOOTFALL)
    client.force_login(curator)

    response = client.post(review_url(article, "review_majority"), {"minimum": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert gold_state(article) == ([("Claim", SHOPS, {}), ("Premise", FOOTFALL, {})], [])
    assert "Adopted 2 units and 0 relations that at least 1 annotator agreed on." in response.content.decode()


def test_majority_view_answers_a_minimum_above_the_annotators_with_422_and_changes_nothing(
    client, article, ann_layer, scheme, curator
):
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)

    response = client.post(review_url(article, "review_majority"), {"minimum": "3"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert '<p class="error">Ensure this value is less than or equal to 2.</p>' in response.content.decode()
    assert gold_state(article) is None


def test_finish_view_marks_curation_finished(client, article, curator):
    client.force_login(curator)

    response = client.post(review_url(article, "review_finish"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert list(Layer.objects.filter(article=article, annotator=None).values_list("status", flat=True)) == ["finished"]
    assert "Curation finished" in response.content.decode()


@pytest.mark.parametrize("view", ["", TABLE])
@pytest.mark.parametrize(("annotators", "units_each"), [(1, 1), (3, 20)])
def test_review_page_runs_a_fixed_number_of_queries(
    client, project, article, manager, curator, scheme, django_assert_num_queries, annotators, units_each, view
):
    people = [make_user(f"coder{n}") for n in range(annotators)]
    for person in people:
        projects.set_member(project=project, user=person, role="annotator", by=None)
    projects.assign(article=article, annotators=people, by=manager)
    words = [word.span() for word in re.finditer(r"\w+", article.text)][:units_each]
    layers = Layer.objects.select_related("article__project", "annotator").filter(article=article).order_by("pk")
    for index, layer in enumerate(layers):
        # Claims alike but for their stance from the second annotator on: stance differs.
        stance = {"stance": "For" if index % 2 == 0 else "Against"}
        made = [
            units.create_unit(layer=layer, label=scheme["Claim"], spans=[word], user=None, attributes=stance).unit
            for word in words
        ]
        for source, target in zip(made, made[1:], strict=False):
            make_relation(layer, scheme["supports"], source, target)
    review.adopt_unit(unit=made[0], user=curator)
    client.force_login(curator)

    # Session, user, membership, article; labels, relation types, layers, units with their spans, relations.
    with django_assert_num_queries(9):
        response = client.get(review_url(article) + view)

    verdicts = {unit.verdict for entry in response.context["review"].annotators for unit in entry.units}
    assert (len(response.context["review"].annotators), verdicts) == (
        annotators,
        {review.ATTRIBUTE} if annotators > 1 else {review.ONLY},
    )


# Curation on one text: the lanes ------------------------------------------------------


def covered(line, pieces):
    """The words of `line` that UTF-16 `pieces` cover, as the browser finds them."""
    encoded = line.text.encode("utf-16-le")
    return " | ".join(encoded[2 * start : 2 * end].decode("utf-16-le") for start, end in pieces)


def lanes_of(article):
    """Every line that has lanes: its text, and each lane's units as
    (label, the words under which it is drawn, verdict, lane, depth in the lane, does it begin here)."""
    return [
        (
            line.text,
            [
                (
                    lane.name,
                    [
                        (
                            item.unit.label.name,
                            covered(line, item.pieces),
                            item.unit.verdict,
                            item.row,
                            item.depth,
                            item.first,
                        )
                        for item in lane.units
                    ],
                )
                for lane in line.lanes
            ],
        )
        for line in curation.lines(review.load(article))
        if line.lanes
    ]


def test_lanes_put_each_layers_units_under_the_words_they_cover_gold_on_top(
    article, ann_layer, ben_layer, scheme, curator
):
    ann_major = make_unit(ann_layer, scheme["MajorClaim"], MAJOR)
    make_unit(ben_layer, scheme["MajorClaim"], MAJOR)
    make_unit(ann_layer, scheme["Premise"], TRAFFIC)
    make_unit(ben_layer, scheme["Claim"], TRAFFIC)
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    make_unit(ben_layer, scheme["Claim"], SHOPS, inner="shops will suffer")
    make_unit(ben_layer, scheme["Premise"], FOOTFALL)
    review.adopt_unit(unit=ann_major, user=curator)
    third_line = article.text.split("\n")[2]

    assert lanes_of(article) == [
        (
            MAJOR,
            [
                ("Gold", [("MajorClaim", MAJOR, "gold", 0, 0, True)]),
                ("ann_annotator", [("MajorClaim", MAJOR, "agreed", 1, 0, True)]),
                ("ben_annotator", [("MajorClaim", MAJOR, "agreed", 2, 0, True)]),
            ],
        ),
        (
            third_line,
            [
                ("Gold", []),
                (
                    "ann_annotator",
                    [("Premise", TRAFFIC, "label", 1, 0, True), ("Claim", SHOPS, "boundaries", 1, 0, True)],
                ),
                (
                    "ben_annotator",
                    [
                        ("Claim", TRAFFIC, "label", 2, 0, True),
                        ("Claim", "shops will suffer", "boundaries", 2, 0, True),
                        ("Premise", FOOTFALL, "only", 2, 0, True),
                    ],
                ),
            ],
        ),
    ]


def test_a_lane_nests_overlapping_units_at_depths_of_their_own_and_continues_a_unit_over_a_line_break(
    project, manager, annotator, annotator2, scheme
):
    text = "Ban 🙂 cars now.\nShops 👍🏽 will suffer, critics say.\n"
    article = make_article(project, text=text)
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    ann, ben = Layer.objects.select_related("article__project", "annotator").filter(article=article)
    make_unit(ann, scheme["Claim"], "cars now.\nShops 👍🏽 will suffer")
    make_unit(ann, scheme["Premise"], "👍🏽 will")
    make_unit(ben, scheme["Premise"], "👍🏽 will")
    make_unit(ben, scheme["Claim"], "🙂 cars")

    lines = [line for line in curation.lines(review.load(article)) if line.lanes]

    assert lanes_of(article) == [
        (
            "Ban 🙂 cars now.",
            [
                ("ann_annotator", [("Claim", "cars now.", "boundaries", 0, 0, True)]),
                ("ben_annotator", [("Claim", "🙂 cars", "boundaries", 1, 0, True)]),
            ],
        ),
        (
            "Shops 👍🏽 will suffer, critics say.",
            [
                (
                    "ann_annotator",
                    [
                        ("Claim", "Shops 👍🏽 will suffer", "boundaries", 0, 0, False),
                        ("Premise", "👍🏽 will", "agreed", 0, 1, True),
                    ],
                ),
                ("ben_annotator", [("Premise", "👍🏽 will", "agreed", 1, 0, True)]),
            ],
        ),
    ]
    # UTF-16 code units from the line's start: 🙂 counts two, 👍🏽 four.
    assert [[item.pieces for lane in line.lanes for item in lane.units] for line in lines] == [
        [[(7, 16)], [(4, 11)]],
        [[(0, 22)], [(6, 15)], [(6, 15)]],
    ]
    # A lane per layer under every line, whatever the depth of ann's nested premise.
    assert [line.rows for line in lines] == [2, 2]


def test_the_lanes_adopt_a_unit_with_a_click_on_it_and_name_it_with_its_verdict(
    client, article, ann_layer, ben_layer, scheme, curator
):
    ann_claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    ben_claim = make_unit(ben_layer, scheme["Claim"], SHOPS)
    ann_premise = make_unit(ann_layer, scheme["Premise"], FOOTFALL)
    client.force_login(curator)
    page = html(client.get(review_url(article)))

    def units_in_lanes(page):
        return [
            (button.getparent().get("aria-label"), button.text_content(), button.get("hx-post"))
            for button in page.xpath('//div[@role="group"]/button')
        ]

    answer = html(client.post(units_in_lanes(page)[0][2], headers=HTMX))

    assert units_in_lanes(page) == [
        (
            "ann_annotator’s units",
            f"Adopt Claim “{SHOPS}” from ann_annotator: agreed by all",
            review_url(article, "review_adopt", ann_claim.pk),
        ),
        (
            "ann_annotator’s units",
            f"Adopt Premise “{FOOTFALL}” from ann_annotator: only here",
            review_url(article, "review_adopt", ann_premise.pk),
        ),
        (
            "ben_annotator’s units",
            f"Adopt Claim “{SHOPS}” from ben_annotator: agreed by all",
            review_url(article, "review_adopt", ben_claim.pk),
        ),
    ]
    assert status_text(answer) == f"Claim “{SHOPS}” adopted."
    assert [name for _, name, _ in units_in_lanes(answer)] == [
        f"Adopt Claim “{SHOPS}” from ann_annotator: agreed by all, in gold",
        f"Adopt Premise “{FOOTFALL}” from ann_annotator: only here",
        f"Adopt Claim “{SHOPS}” from ben_annotator: agreed by all, in gold",
    ]
    gold_lane = answer.xpath('//div[@aria-label="Gold units"]')[0]
    assert [span.text_content() for span in gold_lane.xpath("span")] == ["Gold", f"Claim “{SHOPS}”: 2 of 2 annotators"]


def test_the_lanes_of_finished_curation_have_nothing_to_click(client, article, ann_layer, scheme, curator):
    make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)
    page = html(client.get(review_url(article)))

    finished = html(client.post(form_action(page, "Curation finished"), headers=HTMX))

    assert [b.text for b in finished.xpath("//button")] == ["Reopen curation"]
    # The lane's name, then its unit: a span, with nothing to adopt.
    assert [span.text_content() for span in finished.xpath('//div[@role="group"]/span')] == [
        "ann_annotator",
        f"Claim “{SHOPS}”: only here",
    ]


def test_the_review_offers_the_lanes_and_the_table_and_answers_in_the_view_it_was_asked_from(
    client, article, ann_layer, scheme, curator
):
    claim = make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)

    lanes, table = html(client.get(review_url(article))), html(client.get(review_url(article) + TABLE))
    answer = html(client.post(adopt_url(table, "Claim", SHOPS, "ann_annotator"), headers=HTMX))

    def views(page):
        return [(a.text, a.get("aria-current")) for a in page.xpath('//nav[@aria-label="Views of the review"]/a')]

    assert views(lanes) == [("Text with lanes", "page"), ("Table of units", None)]
    assert views(table) == [("Text with lanes", None), ("Table of units", "page")]
    assert adopt_url(table, "Claim", SHOPS, "ann_annotator") == review_url(article, "review_adopt", claim.pk) + TABLE
    assert (answer.get("class"), answer.xpath("//li[@data-unit]//span[@class='in-gold']/text()")) == (
        "review review-table",
        ["in gold"],
    )


# Access ----------------------------------------------------------------------------

ROUTES = [
    ("review", "get"),
    ("review_adopt", "post"),
    ("review_majority", "post"),
    ("review_finish", "post"),
    ("review_reopen", "post"),
]


def route_url(article, route, unit):
    return review_url(article, route, unit.pk) if route == "review_adopt" else review_url(article, route)


@pytest.mark.parametrize(("route", "method"), ROUTES)
@pytest.mark.parametrize(("persona", "status"), [("annotator", 403), ("outsider", 404)])
def test_annotators_and_outsiders_never_reach_the_review(
    client, request, article, ann_layer, scheme, route, method, persona, status
):
    unit = make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(request.getfixturevalue(persona))

    response = getattr(client, method)(route_url(article, route, unit), {"minimum": "1"} if method == "post" else {})

    assert response.status_code == status
    assert Layer.objects.filter(annotator=None).count() == 0


@pytest.mark.parametrize("route", ["review_adopt", "review_majority", "review_finish", "review_reopen"])
def test_review_actions_refuse_get(client, article, ann_layer, scheme, curator, route):
    unit = make_unit(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)

    response = client.get(route_url(article, route, unit))

    assert response.status_code == 405
    assert Layer.objects.filter(annotator=None).count() == 0


def test_article_page_links_curators_to_the_review(client, article, curator):
    client.force_login(curator)

    response = client.get(reverse("annotate:article_detail", args=[article.project.slug, article.pk]))

    assert f'href="{review_url(article)}"' in response.content.decode()


def test_the_workspace_links_curators_to_the_review_of_its_article(client, article, ann_layer, curator, annotator):
    review_link = f'href="{review_url(article)}"'
    workspace = reverse("annotate:layer_detail", args=[article.project.slug, ann_layer.pk])
    pages = {}
    for user in (curator, annotator):
        client.force_login(user)
        pages[user.username] = review_link in client.get(workspace).content.decode()

    assert pages == {"cory_curator": True, "ann_annotator": False}
