"""Review and adjudication: disagreements, adopting into gold, the review page and who may see it."""

import re

import pytest
from django.urls import reverse

from annotate import history, projects, relations, review, units
from annotate.models import ArgumentUnit, Change, Layer, Relation
from annotate.units import AnnotationError
from tests.factories import make_article, make_user

MAJOR = "Cities should ban cars from their centres."
TRAFFIC = "Traffic kills thousands every year"
SHOPS = "Critics say shops will suffer"
FOOTFALL = "footfall rises where streets are calm"


@pytest.fixture
def scheme(project):
    return {label.name: label for label in project.labels.all()} | {
        kind.name: kind for kind in project.relation_types.all()
    }


@pytest.fixture
def ann_layer(article, annotator):
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


@pytest.fixture
def ben_layer(article, annotator2):
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator2)


def span(article, quote, *, inner=None):
    """The span of `quote` in the article text (of `inner`, within `quote`, when given)."""
    start = article.text.index(quote)
    if inner:
        start += quote.index(inner)
        quote = inner
    return (start, start + len(quote))


def mark(layer, label, quote, *, inner=None, **attributes):
    spans = [span(layer.article, quote, inner=inner)]
    return units.create_unit(layer=layer, label=label, spans=spans, user=layer.annotator, **attributes)


def link(layer, kind, source, target):
    return relations.create_relation(layer=layer, type=kind, source=source, target=target, user=layer.annotator)


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
    claim = mark(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})

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
    claim = mark(ann_layer, scheme["Claim"], SHOPS)
    premise = mark(ann_layer, scheme["Premise"], FOOTFALL)
    link(ann_layer, scheme["attacks"], premise, claim)
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
    ann_claim = mark(ann_layer, scheme["Claim"], SHOPS)
    ben_claim = mark(ben_layer, scheme["Claim"], SHOPS)
    ben_premise = mark(ben_layer, scheme["Premise"], FOOTFALL)
    link(ben_layer, scheme["attacks"], ben_premise, ben_claim)
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
    claim = mark(ann_layer, scheme["Claim"], SHOPS)
    review.adopt_unit(unit=claim, user=curator)
    gold = Layer.objects.select_related("article__project").get(article=article, annotator=None)

    history.undo(layer=gold, user=curator)

    assert gold_state(article) == ([], [])


def test_a_gold_unit_cannot_be_adopted(article, ann_layer, scheme, curator):
    adopted = review.adopt_unit(unit=mark(ann_layer, scheme["Claim"], SHOPS), user=curator).unit

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
        claim = mark(layer, scheme["Claim"], SHOPS, attributes={"stance": stance})
        premise = mark(layer, scheme["Premise"], FOOTFALL)
        link(layer, scheme["supports"] if layer is cal else scheme["attacks"], premise, claim)
    mark(ann, scheme["Premise"], TRAFFIC)  # one annotator only
    mark(ben, scheme["MajorClaim"], MAJOR)
    mark(cal, scheme["MajorClaim"], MAJOR)
    mark(cal, scheme["Premise"], TRAFFIC[:20])  # boundaries differ from ann's: no majority

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
    ann_major, ben_major = mark(ann_layer, scheme["MajorClaim"], MAJOR), mark(ben_layer, scheme["MajorClaim"], MAJOR)
    ann_foot, ben_foot = mark(ann_layer, scheme["Premise"], FOOTFALL), mark(ben_layer, scheme["Premise"], FOOTFALL)
    link(ann_layer, scheme["supports"], ann_foot, ann_major)
    link(ben_layer, scheme["attacks"], ben_foot, ben_major)
    # The same span with another label; boundaries that differ.
    ann_traffic = mark(ann_layer, scheme["Premise"], TRAFFIC)
    mark(ben_layer, scheme["Claim"], TRAFFIC)
    mark(ann_layer, scheme["Claim"], SHOPS)
    mark(ben_layer, scheme["Claim"], SHOPS, inner="shops will suffer")
    link(ann_layer, scheme["supports"], ann_traffic, ann_major)  # ben has no such premise: its units differ
    link(ben_layer, scheme["attacks"], ben_major, ben_foot)  # ann has both units but no such link
    review.adopt_unit(unit=ann_major, user=curator)

    data = review.load(article)
    ann, ben = data.annotators

    assert rows(ann) == (
        [
            ("MajorClaim", MAJOR, "agreed by all", True),
            ("Premise", TRAFFIC, "label differs", False),
            ("Claim", SHOPS, "boundaries differ", False),
            ("Premise", FOOTFALL, "agreed by all", False),
        ],
        [(TRAFFIC, "supports", MAJOR, "units differ"), (FOOTFALL, "supports", MAJOR, "type differs")],
    )
    assert rows(ben) == (
        [
            ("MajorClaim", MAJOR, "agreed by all", True),
            ("Claim", TRAFFIC, "label differs", False),
            ("Claim", "shops will suffer", "boundaries differ", False),
            ("Premise", FOOTFALL, "agreed by all", False),
        ],
        [(FOOTFALL, "attacks", MAJOR, "type differs"), (MAJOR, "attacks", FOOTFALL, "only here")],
    )
    assert [(u.label.name, u.badge) for u in data.gold.units] == [("MajorClaim", "2 of 2 annotators")]
    assert (ann.disagreements, ben.disagreements, data.majority) == (4, 4, 2)


def test_review_counts_partial_agreement_among_three_annotators(article, three_layers, scheme):
    ann, ben, cal = three_layers
    mark(ann, scheme["Claim"], SHOPS)
    mark(ben, scheme["Claim"], SHOPS)
    mark(cal, scheme["Claim"], FOOTFALL)

    data = review.load(article)

    assert [[unit.badge for unit in entry.units] for entry in data.annotators] == [
        ["agreed by 2 of 3"],
        ["agreed by 2 of 3"],
        ["only here"],
    ]
    assert data.majority == 2


# Finishing curation ----------------------------------------------------------------


def test_curation_finished_marks_gold_finished_and_a_later_adoption_reopens_it(article, ann_layer, scheme, curator):
    claim = mark(ann_layer, scheme["Claim"], SHOPS)

    gold = review.finish_curation(article=article, user=curator)

    assert Layer.objects.get(pk=gold.pk).status == Layer.Status.FINISHED
    review.adopt_unit(unit=claim, user=curator)
    assert Layer.objects.get(pk=gold.pk).status == Layer.Status.IN_PROGRESS


# The review page -------------------------------------------------------------------


def review_url(article, route="review", *args):
    return reverse(f"annotate:{route}", args=[article.project.slug, article.pk, *args])


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
    claim = mark(ann_layer, scheme["Claim"], SHOPS)
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
    assert content.count('<div class="article-text">') == 3


def test_adopt_view_answers_an_htmx_request_with_the_review_region(client, article, ann_layer, scheme, curator):
    claim = mark(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(curator)

    response = client.post(review_url(article, "review_adopt", claim.pk), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith('<div id="review" class="review">')
    assert f"Claim “{SHOPS}” adopted." in content
    assert gold_state(article) == ([("Claim", SHOPS, {})], [])


def test_adopt_view_refuses_a_unit_of_another_article(client, project, article, manager, annotator, scheme, curator):
    other = make_article(project)
    projects.assign(article=other, annotators=[annotator], by=manager)
    foreign = mark(Layer.objects.get(article=other), scheme["Claim"], SHOPS)
    client.force_login(curator)

    response = client.post(review_url(article, "review_adopt", foreign.pk))

    assert response.status_code == 404
    assert Layer.objects.filter(annotator=None).count() == 0


def test_majority_view_adopts_with_the_chosen_minimum(client, article, ann_layer, ben_layer, scheme, curator):
    mark(ann_layer, scheme["Claim"], SHOPS)
    mark(ben_layer, scheme["Claim"], SHOPS)
    mark(ben_layer, scheme["Premise"], FOOTFALL)
    client.force_login(curator)

    response = client.post(review_url(article, "review_majority"), {"minimum": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert gold_state(article) == ([("Claim", SHOPS, {}), ("Premise", FOOTFALL, {})], [])
    assert "Adopted 2 units and 0 relations that at least 1 annotator agreed on." in response.content.decode()


def test_majority_view_answers_a_minimum_above_the_annotators_with_422_and_changes_nothing(
    client, article, ann_layer, scheme, curator
):
    mark(ann_layer, scheme["Claim"], SHOPS)
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


@pytest.mark.parametrize(("annotators", "units_each"), [(1, 1), (3, 20)])
def test_review_page_runs_a_fixed_number_of_queries(
    client, project, article, manager, curator, scheme, django_assert_num_queries, annotators, units_each
):
    people = [make_user(f"coder{n}") for n in range(annotators)]
    for person in people:
        projects.set_member(project=project, user=person, role="annotator", by=None)
    projects.assign(article=article, annotators=people, by=manager)
    words = [word.span() for word in re.finditer(r"\w+", article.text)][:units_each]
    for layer in Layer.objects.select_related("article__project", "annotator").filter(article=article):
        made = [units.create_unit(layer=layer, label=scheme["Premise"], spans=[word], user=None) for word in words]
        for source, target in zip(made, made[1:], strict=False):
            link(layer, scheme["supports"], source, target)
    review.adopt_unit(unit=made[0], user=curator)
    client.force_login(curator)

    # Session, user, membership, article; labels, relation types, layers, spans, units, relations.
    with django_assert_num_queries(10):
        response = client.get(review_url(article))

    assert len(response.context["review"].annotators) == annotators


# Access ----------------------------------------------------------------------------

ROUTES = [("review", "get"), ("review_adopt", "post"), ("review_majority", "post"), ("review_finish", "post")]


def route_url(article, route, unit):
    return review_url(article, route, unit.pk) if route == "review_adopt" else review_url(article, route)


@pytest.mark.parametrize(("route", "method"), ROUTES)
@pytest.mark.parametrize(("persona", "status"), [("annotator", 404), ("outsider", 404)])
def test_annotators_and_outsiders_never_reach_the_review(
    client, request, article, ann_layer, scheme, route, method, persona, status
):
    unit = mark(ann_layer, scheme["Claim"], SHOPS)
    client.force_login(request.getfixturevalue(persona))

    response = getattr(client, method)(route_url(article, route, unit), {"minimum": "1"} if method == "post" else {})

    assert response.status_code == status
    assert Layer.objects.filter(annotator=None).count() == 0


@pytest.mark.parametrize("route", ["review_adopt", "review_majority", "review_finish"])
def test_review_actions_refuse_get(client, article, ann_layer, scheme, curator, route):
    unit = mark(ann_layer, scheme["Claim"], SHOPS)
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
