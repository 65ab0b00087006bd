"""The workspace over HTTP: every action, its refusals (with a message and no change), and its query counts."""

import json
import re

import pytest
from django.urls import reverse

from annotate import lifecycle, projects, relations, units
from annotate.models import ArgumentUnit, Change, Layer, Relation
from tests.factories import make_article, make_project

EMOJI_TEXT = "Smile 🙂 and thumbs 👍🏽 up: cities should ban cars now."


@pytest.fixture
def ann(client, annotator):
    client.force_login(annotator)
    return client


def url(route, layer, *args):
    return reverse(f"annotate:{route}", args=[layer.article.project.slug, layer.pk, *args])


REVISION = re.compile(r'id="layer-revision" name="revision" value="(\d+)"')


def revision_in(response) -> int | None:
    found = REVISION.search(response.content.decode())
    return int(found.group(1)) if found else None


def open_page(client, layer):
    """Open the workspace as the browser does: the revision the next change carries is
    the page's, and then each answer's (never read from the database)."""
    response = client.get(url("layer_detail", layer))
    client.revisions = {**getattr(client, "revisions", {}), layer.pk: revision_in(response)}
    return response


def post(client, route, layer, *args, **data):
    """A change from the open page (opened first if need be), carrying the revision
    the page holds, which the answer then updates."""
    if layer.pk not in getattr(client, "revisions", {}):
        open_page(client, layer)
    data.setdefault("revision", client.revisions[layer.pk] or 0)  # 0 when the page was refused
    response = client.post(url(route, layer, *args), data, HTTP_HX_REQUEST="true")
    if (revision := revision_in(response)) is not None:
        client.revisions[layer.pk] = revision
    return response


def utf16(text, index):
    return len(text[:index].encode("utf-16-le")) // 2


def layer_state(layer):
    return (
        list(ArgumentUnit.objects.filter(layer=layer).values_list("id", "label__name", "attributes")),
        list(layer.relations.values_list("source", "target", "type__name")),
        Change.objects.filter(layer=layer).count(),
    )


# Opening --------------------------------------------------------------------------


def test_an_annotator_opening_an_article_lands_in_their_layer_and_opening_changes_nothing(ann, layer):
    response = ann.get(reverse("annotate:article_detail", args=[layer.article.project.slug, layer.article.pk]))

    assert response.status_code == 302
    assert response["Location"] == url("layer_detail", layer)
    response = ann.get(response["Location"])
    layer.refresh_from_db()
    assert (response.status_code, layer.status, layer.revision) == (200, Layer.Status.NOT_STARTED, 0)
    assert Change.objects.filter(layer=layer).count() == 0
    status = re.findall(r'<span id="layer-status" class="status (\w+)">([^<]*)</span>', response.content.decode())
    assert status == [("not_started", "Not started")]


def test_the_first_change_starts_the_layer_in_its_transaction_and_its_revision_counts_both(ann, layer, scheme):
    opened = open_page(ann, layer)

    made = post(ann, "unit_create", layer, label=scheme["Claim"].pk, start=0, end=6)
    relabelled = post(ann, "unit_label", layer, ArgumentUnit.objects.get().pk, label=scheme["Premise"].pk)

    assert [revision_in(answer) for answer in (opened, made, relabelled)] == [0, 2, 3]
    status = re.compile(r'<span id="layer-status" class="status (\w+)" hx-swap-oob="true">([^<]*)</span>')
    assert [status.findall(answer.content.decode()) for answer in (made, relabelled)] == [
        [("in_progress", "In progress")],
        [("in_progress", "In progress")],
    ]
    assert list(Change.objects.filter(layer=layer).order_by("id").values_list("action", flat=True)) == [
        "layer.status",
        "unit.create",
        "unit.update",
    ]


def test_a_refused_first_change_does_not_start_the_layer(ann, layer, scheme):
    refused = post(ann, "unit_create", layer, label=scheme["Claim"].pk, start=5, end=5)

    layer.refresh_from_db()
    assert (refused.status_code, layer.status, layer.revision) == (422, Layer.Status.NOT_STARTED, 0)
    assert Change.objects.filter(layer=layer).count() == 0


def test_the_page_renders_units_in_the_text_and_the_panel(ann, layer, scheme, annotator):
    text = layer.article.text
    unit = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator).unit

    response = ann.get(url("layer_detail", layer))

    html = response.content.decode()
    assert f'<mark class="u label-{scheme["Claim"].pk} lane-0" data-unit="{unit.pk}" id="u-{unit.pk}"' in html
    assert [(u.id, u.quote) for u in response.context["ws"].units] == [(unit.pk, text[0:6])]


# Creating units ---------------------------------------------------------------------


def test_creating_a_unit_converts_utf16_offsets_after_astral_characters(client, project, annotator, manager, scheme):
    article = make_article(project, text=EMOJI_TEXT)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)
    start = EMOJI_TEXT.index("cities")
    end = EMOJI_TEXT.index(" now")

    response = post(
        client,
        "unit_create",
        layer,
        label=scheme["Claim"].pk,
        start=utf16(EMOJI_TEXT, start),
        end=utf16(EMOJI_TEXT, end),
    )

    assert response.status_code == 200
    unit = ArgumentUnit.objects.get()
    assert units.spans_of(unit) == [(start, end)]
    assert EMOJI_TEXT[start:end] == "cities should ban cars"
    assert json.loads(response["HX-Trigger"]) == {"layer-changed": {"unit": unit.pk}}


def test_a_selection_snaps_to_whole_words_and_trims_punctuation(ann, layer, scheme):
    text = layer.article.text  # "Cities should ban cars from their centres.\n\n..."

    post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=2, end=text.index("\n") + 1)

    assert units.spans_of(ArgumentUnit.objects.get()) == [(0, text.index("."))]


def test_without_snapping_the_selection_is_kept_as_it_is(ann, layer, scheme):
    layer.article.project.snapping = False
    layer.article.project.save()

    post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=2, end=9)

    assert units.spans_of(ArgumentUnit.objects.get()) == [(2, 9)]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"start": 5, "end": 100_000}, 422, "The offset 100000 lies outside the text."),
        ({"start": -1, "end": 5}, 422, "The offset -1 lies outside the text."),
        ({"start": 5, "end": 5}, 422, "The selection is empty: select some text first."),
        ({"start": 9, "end": 5}, 422, "The selection is empty: select some text first."),
        ({"start": "", "end": ""}, 422, "Select some text first."),
        ({"start": 0, "end": 5, "label": 999_999}, 422, "That label is not part of this project."),
        ({"start": 0, "end": 5, "revision": 999}, 409, "This layer has changed since this page was loaded"),
    ],
)
def test_bad_selections_are_refused_with_a_message_and_change_nothing(ann, layer, scheme, data, status, message):
    open_page(ann, layer)
    before = layer_state(layer)

    response = post(ann, "unit_create", layer, **{"label": scheme["Claim"].pk, **data})

    assert response.status_code == status
    assert response["HX-Retarget"] == "#workspace-message"
    assert message in response.content.decode()
    assert layer_state(layer) == before


@pytest.mark.parametrize(
    ("route", "data"),
    [("unit_create", {}), ("unit_create", {"start": "", "end": ""}), ("unit_spans", {"mode": "replace"})],
)
def test_a_label_key_with_nothing_selected_says_select_some_text_once(ann, layer, scheme, route, data):
    """A label key (or Set boundaries) with no selection sends neither end: both fields
    are missing, and their one message is shown once, not once for each."""
    unit = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=layer.annotator).unit
    args = [unit.pk] if route == "unit_spans" else []

    response = post(ann, route, layer, *args, **{"label": scheme["Claim"].pk, **data})

    assert response.status_code == 422
    shown = re.search(r'<p class="message error">(.*?)\n', response.content.decode()).group(1)
    assert shown == "Select some text first."


@pytest.mark.parametrize("snapping", [True, False])
def test_a_selection_of_a_question_mark_and_a_space_is_refused_with_a_message_and_nothing_written(
    client, project, annotator, manager, scheme, snapping
):
    project.snapping = snapping
    project.save()
    article = make_article(project, text="Should cities ban cars? Yes, they should.")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)
    client.force_login(annotator)
    unit = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator).unit
    start = article.text.index("? ")
    open_page(client, layer)
    before = layer_state(layer)

    made = post(client, "unit_create", layer, label=scheme["Claim"].pk, start=start, end=start + 2)
    moved = post(client, "unit_spans", layer, unit.pk, mode="replace", start=start, end=start + 2)

    for response in (made, moved):
        assert response.status_code == 422
        assert response["HX-Retarget"] == "#workspace-message"
        assert "A unit needs at least one letter or digit: “? ” holds none." in response.content.decode()
    assert layer_state(layer) == before
    assert units.spans_of(unit) == [(0, 6)]


def test_a_selection_inside_a_surrogate_pair_is_refused(client, project, annotator, manager, scheme):
    article = make_article(project, text=EMOJI_TEXT)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)
    inside_smile = utf16(EMOJI_TEXT, EMOJI_TEXT.index("🙂")) + 1

    response = post(client, "unit_create", layer, label=scheme["Claim"].pk, start=0, end=inside_smile)

    assert response.status_code == 422
    assert "falls inside a character" in response.content.decode()
    assert ArgumentUnit.objects.count() == 0


def test_a_label_of_another_project_is_refused(ann, layer):
    other = make_project().labels.get(name="Claim")

    response = post(ann, "unit_create", layer, label=other.pk, start=0, end=6)

    assert (response.status_code, ArgumentUnit.objects.count()) == (422, 0)
    assert "That label is not part of this project." in response.content.decode()


# Changing units ---------------------------------------------------------------------


def test_relabel_set_stance_change_boundaries_and_add_a_span(ann, layer, scheme, annotator):
    unit = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(0, 6)], user=annotator).unit
    text = layer.article.text

    assert post(ann, "unit_label", layer, unit.pk, label=scheme["Claim"].pk).status_code == 200
    assert post(ann, "unit_attribute", layer, unit.pk, name="stance", value="Against").status_code == 200
    assert post(ann, "unit_spans", layer, unit.pk, mode="replace", start=7, end=17).status_code == 200
    assert post(ann, "unit_spans", layer, unit.pk, mode="add", start=0, end=6).status_code == 200

    unit.refresh_from_db()
    assert (unit.label.name, unit.attributes, units.spans_of(unit)) == (
        "Claim",
        {"stance": "Against"},
        [(0, 6), (7, 17)],
    )
    assert text[7:17] == "should ban"


def test_a_stance_value_the_label_does_not_allow_is_refused(ann, layer, scheme, annotator):
    unit = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator).unit

    response = post(ann, "unit_attribute", layer, unit.pk, name="stance", value="Maybe")

    assert response.status_code == 422
    assert "Claim stance must be one of For, Against, not “Maybe”." in response.content.decode()


def test_a_unit_of_another_layer_cannot_be_changed_or_deleted(ann, article, annotator2, layer, scheme):
    other_layer = Layer.objects.get(article=article, annotator=annotator2)
    theirs = units.create_unit(layer=other_layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator2).unit

    relabel = post(ann, "unit_label", layer, theirs.pk, label=scheme["Premise"].pk)
    delete = post(ann, "unit_delete", layer, theirs.pk)

    assert (relabel.status_code, delete.status_code) == (404, 404)
    assert "That unit is not in this layer" in delete.content.decode()
    theirs.refresh_from_db()
    assert theirs.label.name == "Claim"


def test_another_annotators_layer_cannot_be_posted_to(ann, article, annotator2, scheme):
    other_layer = Layer.objects.get(article=article, annotator=annotator2)

    response = post(ann, "unit_create", other_layer, label=scheme["Claim"].pk, start=0, end=6)

    assert response.status_code == 404
    assert ArgumentUnit.objects.count() == 0


# Relations, delete, undo --------------------------------------------------------------


def test_link_delete_and_undo_through_the_workspace(ann, layer, scheme, annotator):
    claim = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 17)], user=annotator).unit

    response = post(ann, "relation_create", layer, source=premise.pk, target=claim.pk, type=scheme["supports"].pk)
    assert response.status_code == 200
    assert list(Relation.objects.values_list("source", "target")) == [(premise.pk, claim.pk)]

    assert post(ann, "unit_delete", layer, premise.pk).status_code == 200
    assert (ArgumentUnit.objects.count(), Relation.objects.count()) == (1, 0)

    assert post(ann, "layer_undo", layer).status_code == 200
    assert list(Relation.objects.values_list("source", "target")) == [(premise.pk, claim.pk)]
    assert post(ann, "layer_redo", layer).status_code == 200
    assert Relation.objects.count() == 0


LINE = re.compile(r'<span class="line" dir="auto" id="line-(\d+)" hx-swap-oob="true">')


def test_the_answer_to_a_change_redraws_only_the_lines_it_touched(ann, layer, scheme, annotator):
    text = layer.article.text  # line 0: "Cities … centres.\n", line 43: "\n", line 44: "Traffic … calm."
    claim = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator).unit
    start = text.index("Traffic")

    made = post(ann, "unit_create", layer, label=scheme["Premise"].pk, start=start, end=start + 13)
    premise = ArgumentUnit.objects.get(label=scheme["Premise"])
    linked = post(ann, "relation_create", layer, source=premise.pk, target=claim.pk, type=scheme["supports"].pk)
    relabelled = post(ann, "unit_label", layer, claim.pk, label=scheme["MajorClaim"].pk)

    revision = Layer.objects.get(pk=layer.pk).revision
    assert [LINE.findall(r.content.decode()) for r in (made, linked, relabelled)] == [["44"], [], ["0"]]
    answer = relabelled.content.decode()
    assert answer.startswith(
        f'<input type="hidden" id="layer-revision" name="revision" value="{revision}" data-revision="{revision}" '
        'data-status="in_progress" hx-swap-oob="true">'
    )
    assert '<span class="line" dir="auto" id="line-0" hx-swap-oob="true"><mark class="u label-' in answer
    assert 'data-tag="MajorClaim">Cities</mark>' in relabelled.content.decode()


def drawn_line(html: str, start: int) -> str:
    match = re.search(
        rf'<span class="line" dir="auto" id="line-{start}"(?: hx-swap-oob="true")?>(.*?)</span>', html, re.S
    )
    assert match, f"line {start} not drawn"
    return match.group(1)


def test_the_lines_an_answer_redraws_are_the_lines_of_the_page_drawn_afresh(ann, layer, scheme, annotator):
    text = layer.article.text
    start = text.index("Traffic")  # line 44
    # A discontinuous unit that starts on line 0 and goes on in line 44: its piece on
    # line 44 is not its first, so it carries neither its id nor its tag there.
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6), (start, start + 7)], user=annotator)
    units.create_unit(layer=layer, label=scheme["Premise"], spans=[(start + 8, start + 20)], user=annotator)

    made = post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=start, end=start + 13)
    assert made.status_code == 200
    page = ann.get(reverse("annotate:layer_detail", args=[layer.article.project.slug, layer.pk]))

    assert LINE.findall(made.content.decode()) == [str(start)]
    assert drawn_line(made.content.decode(), start) == drawn_line(page.content.decode(), start)
    assert drawn_line(page.content.decode(), start).count(" id=") == 2  # the two units that start on this line


def test_a_unit_made_twice_on_the_same_text_is_refused_from_the_page_and_changes_nothing(ann, layer, scheme, annotator):
    text = layer.article.text
    start = text.index("Traffic")  # line 44
    # On the same line: a Claim on the selection and on the text's first word, and a
    # Premise on exactly the selection; neither is the unit made next.
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(start, start + 7), (0, 6)], user=annotator)
    units.create_unit(layer=layer, label=scheme["Premise"], spans=[(start, start + 7)], user=annotator)

    made = post(ann, "unit_create", layer, label=scheme["Claim"].pk, start=start, end=start + 7)
    records = Change.objects.count()
    again = post(ann, "unit_create", layer, label=scheme["Claim"].pk, start=start, end=start + 7)

    assert made.status_code == 200
    assert (again.status_code, again["HX-Retarget"]) == (422, "#workspace-message")
    assert "There is already a Claim on exactly this text." in again.content.decode()
    assert (ArgumentUnit.objects.filter(layer=layer).count(), Change.objects.count()) == (3, records)


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({}, "The page sent no revision: reload it."),
        ({"revision": ""}, "The page sent no revision: reload it."),
        ({"revision": "two"}, "Enter a whole number."),
        ({"revision": "-1"}, "Ensure this value is greater than or equal to 0."),
    ],
)
@pytest.mark.parametrize("route", ["unit_create", "layer_finish"])
def test_a_change_without_a_good_revision_is_refused_and_changes_nothing(ann, layer, scheme, sent, message, route):
    open_page(ann, layer)
    records = Change.objects.count()
    data = {"label": scheme["Claim"].pk, "start": 0, "end": 6, **sent}

    refused = ann.post(url(route, layer), data, HTTP_HX_REQUEST="true")

    assert (refused.status_code, refused["HX-Retarget"]) == (422, "#workspace-message")
    assert message in refused.content.decode()
    assert (ArgumentUnit.objects.filter(layer=layer).count(), Change.objects.count()) == (0, records)
    assert Layer.objects.get(pk=layer.pk).status == Layer.Status.NOT_STARTED


@pytest.mark.parametrize("case", ["self", "duplicate", "reverse", "other-layer", "foreign-type"])
def test_bad_relations_are_refused_and_change_nothing(ann, layer, scheme, annotator, annotator2, article, case):
    claim = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 17)], user=annotator).unit
    relations.create_relation(layer=layer, type=scheme["supports"], source=premise, target=claim, user=annotator)
    other_layer = Layer.objects.get(article=article, annotator=annotator2)
    theirs = units.create_unit(layer=other_layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator2).unit
    data, status, message = {
        "self": ((claim, claim, scheme["supports"].pk), 422, "A unit cannot be linked to itself."),
        "duplicate": ((premise, claim, scheme["attacks"].pk), 422, "These two units are already linked:"),
        "reverse": ((claim, premise, scheme["attacks"].pk), 422, "These two units are already linked:"),
        "other-layer": ((premise, theirs, scheme["supports"].pk), 404, "That unit is not in this layer"),
        "foreign-type": (
            (claim, premise, make_project().relation_types.first().pk),
            422,
            "That relation type is not part of this project.",
        ),
    }[case]
    open_page(ann, layer)
    before = layer_state(layer)

    response = post(ann, "relation_create", layer, source=data[0].pk, target=data[1].pk, type=data[2])

    assert response.status_code == status
    assert message in response.content.decode()
    assert layer_state(layer) == before


MESSAGE = re.compile(r'<p class="message error">(.*?)\n', re.S)


def test_a_link_back_between_two_linked_units_is_refused_naming_the_relation_there(ann, layer, scheme):
    text = layer.article.text
    made = [
        post(ann, "unit_create", layer, label=scheme[name].pk, start=start, end=end)
        for name, start, end in [("Claim", 0, 6), ("Premise", 7, 17)]
    ]
    # The answer names the unit it made, as the page reads it to choose that unit.
    claim, premise = (json.loads(answer["HX-Trigger"])["layer-changed"]["unit"] for answer in made)
    linked = post(ann, "relation_create", layer, source=premise, target=claim, type=scheme["supports"].pk)
    assert linked.status_code == 200
    before = layer_state(layer)

    answers = [
        post(ann, "relation_create", layer, source=source, target=target, type=scheme[kind].pk)
        for source, target, kind in [
            (claim, premise, "attacks"),
            (claim, premise, "supports"),
            (premise, claim, "attacks"),
        ]
    ]

    expected = (
        f"These two units are already linked: Premise “{text[7:17]}” supports Claim “{text[0:6]}”. "
        "Two units take one relation: to link them another way, delete that one first (choose it, then Delete)."
    )
    assert [(answer.status_code, answer["HX-Retarget"]) for answer in answers] == [(422, "#workspace-message")] * 3
    assert [MESSAGE.findall(answer.content.decode()) for answer in answers] == [[expected]] * 3
    assert layer_state(layer) == before
    assert post(ann, "layer_undo", layer).status_code == 200  # the revision carried still holds
    assert list(layer.relations.values_list("source", "target")) == []


def test_undo_with_nothing_to_undo_says_so(ann, layer):
    response = post(ann, "layer_undo", layer)

    assert (response.status_code, response["HX-Retarget"]) == (422, "#workspace-message")
    assert "Nothing to undo." in response.content.decode()


def test_a_relation_of_another_layer_cannot_be_deleted(ann, layer, article, annotator2, scheme):
    other_layer = Layer.objects.get(article=article, annotator=annotator2)
    a = units.create_unit(layer=other_layer, label=scheme["Claim"], spans=[(0, 6)], user=annotator2).unit
    b = units.create_unit(layer=other_layer, label=scheme["Premise"], spans=[(7, 17)], user=annotator2).unit
    theirs = relations.create_relation(
        layer=other_layer, type=scheme["supports"], source=b, target=a, user=annotator2
    ).relation

    response = post(ann, "relation_delete", layer, theirs.pk)

    assert response.status_code == 404
    assert Relation.objects.filter(pk=theirs.pk).exists()


# Finishing, stance, outline -----------------------------------------------------------


def test_mark_finished_shows_the_findings_first_then_finishes_when_confirmed(ann, layer, scheme, annotator):
    units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 17)], user=annotator)

    response = post(ann, "layer_finish", layer)
    layer.refresh_from_db()
    assert layer.status != Layer.Status.FINISHED
    findings = re.findall(r"<li>(.*?)(?: <a|</li>)", response.content.decode())
    assert findings == [
        "There should be exactly one MajorClaim; there are 0.",
        "1 Premise not linked to any other unit.",
    ]
    assert "Mark finished anyway" in response.content.decode()

    finished = post(ann, "layer_finish", layer, confirmed="on")
    layer.refresh_from_db()
    assert layer.status == Layer.Status.FINISHED
    assert "Marked finished with 2 structure findings overridden." in finished.content.decode()


def test_blocking_structure_checks_refuse_to_finish_even_when_confirmed(ann, layer, scheme, annotator):
    project = layer.article.project
    project.structure_checks_block = True
    project.save()

    response = post(ann, "layer_finish", layer, confirmed="on")

    layer.refresh_from_db()
    assert layer.status != Layer.Status.FINISHED
    assert "asks for them to be fixed" in response.content.decode()


def test_a_layer_without_findings_is_finished_at_once_and_can_be_reopened(ann, layer, scheme, annotator):
    units.create_unit(layer=layer, label=scheme["MajorClaim"], spans=[(0, 6)], user=annotator)

    post(ann, "layer_finish", layer)
    layer.refresh_from_db()
    assert (layer.status, layer.finished_at is not None) == (Layer.Status.FINISHED, True)

    post(ann, "layer_reopen", layer)
    layer.refresh_from_db()
    assert (layer.status, layer.finished_at) == (Layer.Status.IN_PROGRESS, None)


def test_document_stance_is_set_when_the_project_asks_for_it(ann, layer):
    project = layer.article.project
    project.document_stance = True
    project.save()

    assert post(ann, "layer_stance", layer, stance="Against").status_code == 200
    response = post(ann, "layer_stance", layer, stance="Sideways")

    layer.refresh_from_db()
    assert (response.status_code, layer.document_stance) == (422, "Against")


def test_document_stance_is_refused_when_the_project_does_not_use_it(ann, layer):
    response = post(ann, "layer_stance", layer, stance="For")

    layer.refresh_from_db()
    assert (response.status_code, layer.document_stance) == (422, "")


def test_the_outline_lists_the_tree_and_the_loose_units(ann, layer, scheme, annotator):
    major = units.create_unit(layer=layer, label=scheme["MajorClaim"], spans=[(0, 6)], user=annotator).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 17)], user=annotator).unit
    loose = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(18, 21)], user=annotator).unit
    relations.create_relation(layer=layer, type=scheme["supports"], source=premise, target=major, user=annotator)

    response = ann.get(url("layer_outline", layer))

    outline = response.context["ws"].outline
    assert [(node.unit.id, [child.unit.id for child in node.children]) for node in outline.roots] == [
        (major.pk, [premise.pk])
    ]
    assert [unit.id for unit in outline.loose] == [loose.pk]
    assert f'href="{url("layer_detail", layer)}#u-{premise.pk}"' in response.content.decode()


# Blind annotation -----------------------------------------------------------------------


@pytest.mark.parametrize("route", ["layer_detail", "layer_panel", "layer_outline"])
def test_in_a_blind_project_another_annotators_layer_is_not_found(client, article, annotator, annotator2, route):
    theirs = Layer.objects.get(article=article, annotator=annotator2)
    client.force_login(annotator)

    assert client.get(url(route, theirs)).status_code == 404


def test_in_an_open_project_another_annotators_layer_is_read_only(client, project, article, annotator, annotator2):
    project.blind = False
    project.save()
    theirs = Layer.objects.get(article=article, annotator=annotator2)
    client.force_login(annotator)

    response = client.get(url("layer_detail", theirs))

    theirs.refresh_from_db()
    assert (response.status_code, response.context["editable"], theirs.status) == (200, False, "not_started")
    assert 'data-editable="false"' in response.content.decode()


# Who may change a layer ---------------------------------------------------------------


@pytest.mark.parametrize("blind", [True, False])
def test_a_layer_is_changed_only_by_its_annotator_and_gold_only_by_curators(
    client, project, article, scheme, manager, curator, annotator, annotator2, outsider, blind
):
    project.blind = blind
    project.save()
    own = Layer.objects.get(article=article, annotator=annotator)
    gold = Layer.objects.create(article=article, annotator=None)
    people = {"manager": manager, "curator": curator, "annotator": annotator, "annotator2": annotator2}
    people["outsider"] = outsider
    answers = {}
    for index, (name, user) in enumerate(people.items()):
        client.force_login(user)
        client.revisions = {}  # each person opens the pages afresh
        for layer in (own, gold):
            start = index * 7  # a unit of their own each: an exact duplicate would be refused
            response = post(client, "unit_create", layer, label=scheme["Claim"].pk, start=start, end=start + 6)
            answers[name, "own" if layer == own else "gold"] = response.status_code

    assert answers == {
        ("manager", "own"): 404,
        ("manager", "gold"): 200,
        ("curator", "own"): 404,
        ("curator", "gold"): 200,
        ("annotator", "own"): 200,
        ("annotator", "gold"): 404,
        ("annotator2", "own"): 404,
        ("annotator2", "gold"): 404,
        ("outsider", "own"): 404,
        ("outsider", "gold"): 404,
    }
    assert list(ArgumentUnit.objects.values_list("layer", flat=True).order_by("layer")) == sorted(
        [own.pk, gold.pk, gold.pk]
    )


# Query counts -------------------------------------------------------------------------


def fill(layer, n, scheme, user):
    """`n` units in `layer`, linked in a chain, as its annotator would have made them
    (their first change started the layer), each starting at a letter (a unit needs one)."""
    lifecycle.start_layer(layer=layer, user=user)
    text = layer.article.text
    step = len(text) // n
    starts = [next(at for at in range(i * step, len(text)) if text[at].isalnum()) for i in range(n)]
    created = [
        units.create_unit(layer=layer, label=scheme["Premise"], spans=[(start, start + 2)], user=user).unit
        for start in starts
    ]
    for source, target in zip(created[1:], created, strict=False):
        relations.create_relation(layer=layer, type=scheme["supports"], source=source, target=target, user=user)


@pytest.fixture
def long_layer(project, annotator, manager):
    article = make_article(project, text="Cars should go. " * 1250)  # 20,000 characters
    projects.assign(article=article, annotators=[annotator], by=manager)
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


@pytest.mark.parametrize("n", [2, 300])
def test_opening_a_layer_runs_a_fixed_number_of_queries(
    ann, long_layer, scheme, annotator, django_assert_num_queries, n
):
    fill(long_layer, n, scheme, annotator)

    # Session, user, membership, layer; what Undo and Redo would do (one, and the spans
    # of the units the last change linked); labels, span rows, relation types, relations.
    with django_assert_num_queries(10):
        response = ann.get(url("layer_detail", long_layer))

    assert len(response.context["ws"].units) == n


@pytest.mark.parametrize("n", [1, 300])
def test_creating_a_unit_runs_a_fixed_number_of_queries(
    ann, long_layer, scheme, annotator, django_assert_num_queries, n
):
    fill(long_layer, n, scheme, annotator)
    open_page(ann, long_layer)  # which reads the labels of this scheme version into the cache

    # Session, user; BEGIN, the membership and the layer locked (one statement; the
    # project's labels are the cache's), the units on the new unit's line (where the
    # duplicate check looks, and what the answer redraws with the new unit), the unit with
    # its span, its change record and the revision counted (one statement), COMMIT. (What
    # Undo would do now is the change just made.)
    with django_assert_num_queries(7):
        response = post(ann, "unit_create", long_layer, label=scheme["Claim"].pk, start=3, end=13)

    assert response.status_code == 200
    assert ArgumentUnit.objects.filter(layer=long_layer).count() == n + 1


@pytest.mark.parametrize("n", [1, 300])
def test_the_unit_panel_runs_a_fixed_number_of_queries(
    ann, long_layer, scheme, annotator, django_assert_num_queries, n
):
    fill(long_layer, n, scheme, annotator)

    with django_assert_num_queries(8):
        response = ann.get(url("layer_panel", long_layer), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert (html.count('<li class="unit-row'), html.count('<li class="relation-row')) == (n, n - 1)


@pytest.mark.parametrize("n", [3, 300])  # with 2, the chain links the first and last already
def test_linking_two_units_runs_a_fixed_number_of_queries(
    ann, long_layer, scheme, annotator, django_assert_num_queries, n
):
    fill(long_layer, n, scheme, annotator)
    first, last = ArgumentUnit.objects.filter(layer=long_layer).order_by("id")[:: n - 1]
    open_page(ann, long_layer)  # which reads this scheme version's labels and relation types into the cache

    # Session, user; BEGIN, the membership and the layer locked, the two units (their
    # labels and the relation types are the cache's), the check for a link between them,
    # the relation, the change record with the revision counted (one statement), COMMIT;
    # to say what Undo would do now, its units' spans. No text: a relation redraws none.
    with django_assert_num_queries(11):
        response = post(ann, "relation_create", long_layer, source=first.pk, target=last.pk, type=scheme["attacks"].pk)

    assert response.status_code == 200
    assert Relation.objects.filter(layer=long_layer).count() == n


# The page in step: each answer carries the revision the next change sends ---------------


def test_finish_reopen_and_stance_answer_with_the_revision_the_next_change_needs(ann, layer, scheme):
    project = layer.article.project
    project.document_stance = True
    project.save()
    post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=0, end=6)

    answers = [
        post(ann, "layer_finish", layer),
        post(ann, "layer_reopen", layer),
        post(ann, "layer_stance", layer, stance="For"),
        post(ann, "unit_create", layer, label=scheme["Premise"].pk, start=7, end=17),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert [revision_in(answer) for answer in answers] == [3, 4, 5, 6]
    assert Layer.objects.get(pk=layer.pk).revision == 6


def test_a_finished_layer_refuses_a_change_with_a_reopen_button_and_changes_nothing(ann, layer, scheme):
    post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=0, end=6)
    post(ann, "layer_finish", layer)
    before = layer_state(layer)

    refused = post(ann, "unit_create", layer, label=scheme["Premise"].pk, start=7, end=17)

    html = refused.content.decode()
    assert (refused.status_code, refused["HX-Retarget"]) == (409, "#workspace-message")
    assert "This layer is marked finished, so it is read-only. Reopen it to change it." in html
    assert f'hx-post="{url("layer_reopen", layer)}"' in html
    assert layer_state(layer) == before


def test_the_workspace_is_never_kept_in_the_browsers_cache(ann, layer):
    response = ann.get(url("layer_detail", layer))

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_a_snapped_selection_is_reported_with_what_the_unit_covers(ann, layer, scheme):
    text = layer.article.text  # "Cities should ban cars …"

    snapped = post(ann, "unit_create", layer, label=scheme["Claim"].pk, start=2, end=9)
    exact = post(ann, "unit_create", layer, label=scheme["Premise"].pk, start=14, end=17)

    assert f"Snapped to whole words: the unit covers “{text[0:13]}”." in snapped.content.decode()
    assert "Snapped" not in exact.content.decode()


def test_the_undo_button_follows_each_answer(ann, layer, scheme):
    text = layer.article.text
    made = post(ann, "unit_create", layer, label=scheme["Claim"].pk, start=0, end=6)
    unit = ArgumentUnit.objects.get(layer=layer)

    stance = post(ann, "unit_attribute", layer, unit.pk, name="stance", value="For")
    undone = post(ann, "layer_undo", layer)

    button = re.compile(r'data-action="(?:undo|redo)"[^>]*>([^<]*)</button>')
    buttons = [button.findall(answer.content.decode()) for answer in (made, stance, undone)]
    assert buttons == [
        [f"Undo: new Claim “{text[0:6]}”", "Redo"],
        [f"Undo: Claim “{text[0:6]}” → stance For", "Redo"],
        [f"Undo: new Claim “{text[0:6]}”", f"Redo: Claim “{text[0:6]}” → stance For"],
    ]


def test_undo_and_redo_of_the_op_ed_stance_answer_with_the_stance_they_put_back(ann, layer):
    project = layer.article.project
    project.document_stance = True
    project.save()
    post(ann, "layer_stance", layer, stance="Against")

    answers = [post(ann, "layer_undo", layer), post(ann, "layer_redo", layer)]

    shown = re.compile(r'<form id="document-stance"[^>]* hx-swap-oob="true">.*?<option value="([^"]*)" selected>', re.S)
    assert [shown.findall(answer.content.decode()) for answer in answers] == [[""], ["Against"]]


def test_undo_and_redo_are_offered_only_while_the_layer_is_open(ann, layer, scheme):
    post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=0, end=6)

    answers = [post(ann, "layer_finish", layer), open_page(ann, layer), post(ann, "layer_reopen", layer)]

    undo = re.compile(r'<button type="button" data-action="undo" title="([^"]*)"( disabled)?')
    assert [undo.findall(answer.content.decode()) for answer in answers] == [
        [("Reopen the layer to undo", " disabled")],
        [("Reopen the layer to undo", " disabled")],
        [(f"Undo: new MajorClaim “{layer.article.text[0:6]}” (Ctrl+Z)", "")],
    ]


def test_the_panel_of_a_finished_layer_offers_no_changes_until_it_is_reopened(ann, layer, scheme):
    post(ann, "unit_create", layer, label=scheme["MajorClaim"].pk, start=0, end=6)
    panel = url("layer_panel", layer)

    post(ann, "layer_finish", layer)
    finished = ann.get(panel, HTTP_HX_REQUEST="true").content.decode()
    post(ann, "layer_reopen", layer)
    reopened = ann.get(panel, HTTP_HX_REQUEST="true").content.decode()

    assert (finished.count('data-action="delete-unit"'), reopened.count('data-action="delete-unit"')) == (0, 1)
