"""A unit's note: written in the workspace's side panel as an ordinary change (undone
and redone like any other), read in the panel, marked on the unit in the text, carried
into gold by adoption and shown by the review."""

import json
import re

import lxml.html
import pytest
from django.urls import reverse

from annotate import layer_content, lifecycle, units
from annotate.models import NOTE_MAX_CHARS, ArgumentUnit, Change, Layer
from tests.factories import make_unit
from tests.test_workspace_views import open_page, post, url

HTMX = {"HX-Request": "true"}
CLAIM = "Cities should ban cars from their centres."
NOTE = "Unsure: a claim or the major claim?"


@pytest.fixture
def ann(client, annotator):
    client.force_login(annotator)
    return client


def made_unit(response) -> int:
    """The unit an answer names (its `layer-changed` event), as the page reads it."""
    return json.loads(response["HX-Trigger"])["layer-changed"]["unit"]


def doc(response):
    return lxml.html.fromstring(response.content.decode())


def panel_notes(client, layer) -> list[tuple[str, str]]:
    """The panel's units with a note, as (unit id, note), after a change: what the page
    asks for when `layer-changed` fires."""
    panel = doc(client.get(url("layer_panel", layer), headers=HTMX))
    return [
        (row.get("data-unit"), row.xpath('string(.//p[@class="unit-note"]/span[@class="note-text"])'))
        for row in panel.xpath('//li[contains(@class, "unit-row")]')
        if row.xpath('.//p[@class="unit-note"]')
    ]


def marks_with_notes(response) -> list[tuple[str, str, str]]:
    """The marks of units with a note in an answer's redrawn lines (or a page's text)."""
    return [
        (mark.get("data-unit"), mark.get("data-tag"), mark.get("title"))
        for mark in doc(response).xpath('//mark[contains(concat(" ", @class, " "), " has-note ")]')
    ]


def undo_button(response) -> str:
    (button,) = doc(response).xpath('//button[@data-action="undo"]')
    return button.text_content()


def make_claim(client, layer, scheme) -> int:
    start = layer.article.text.index(CLAIM)
    made = post(client, "unit_create", layer, label=scheme["Claim"].pk, start=start, end=start + len(CLAIM))
    assert made.status_code == 200
    return made_unit(made)


def test_a_note_is_saved_shown_in_the_panel_and_marked_on_the_unit_in_the_text(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)

    # A browser's form sends line ends as \r\n: the note keeps them as \n.
    saved = post(ann, "unit_note", layer, unit, note=f"  {NOTE}\r\nAsk the curator. ")

    note = f"{NOTE}\nAsk the curator."
    assert (saved.status_code, made_unit(saved)) == (200, unit)
    assert marks_with_notes(saved) == [(str(unit), "Claim", f"Note: {note}")]
    assert undo_button(saved) == f"Undo: Claim “{CLAIM[:39]}…” → note “{note[:29]}…”"
    assert panel_notes(ann, layer) == [(str(unit), note)]
    assert marks_with_notes(ann.get(url("layer_detail", layer))) == [(str(unit), "Claim", f"Note: {note}")]
    (change,) = Change.objects.filter(layer=layer, action="unit.update")
    assert (change.before["note"], change.after["note"]) == ("", note)


def test_saving_a_note_is_undone_and_redone_like_any_change(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)
    post(ann, "unit_note", layer, unit, note=NOTE)

    undone = post(ann, "layer_undo", layer)
    after_undo = (undone.status_code, marks_with_notes(undone), panel_notes(ann, layer))
    redone = post(ann, "layer_redo", layer)

    assert after_undo == (200, [], [])
    assert (redone.status_code, marks_with_notes(redone)) == (200, [(str(unit), "Claim", f"Note: {NOTE}")])
    assert panel_notes(ann, layer) == [(str(unit), NOTE)]


def test_an_empty_note_removes_the_note(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)
    post(ann, "unit_note", layer, unit, note=NOTE)

    cleared = post(ann, "unit_note", layer, unit, note="  ")

    assert (cleared.status_code, marks_with_notes(cleared)) == (200, [])
    assert undo_button(cleared) == f"Undo: Claim “{CLAIM[:39]}…” → note removed"
    assert panel_notes(ann, layer) == []


def test_the_same_note_again_changes_nothing(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)
    post(ann, "unit_note", layer, unit, note=NOTE)
    revision = ann.revisions[layer.pk]

    again = post(ann, "unit_note", layer, unit, note=NOTE)

    assert (again.status_code, ann.revisions[layer.pk]) == (200, revision)
    assert Change.objects.filter(layer=layer, action="unit.update").count() == 1


def refused_text(response) -> str:
    """The message of a refusal, without its buttons and links."""
    (message,) = doc(response).xpath("//p")
    return message.text.strip()


def test_a_note_too_long_is_refused_with_a_message_and_changes_nothing(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)
    post(ann, "unit_note", layer, unit, note=NOTE)
    changes = Change.objects.filter(layer=layer).count()

    refused = post(ann, "unit_note", layer, unit, note="x" * (NOTE_MAX_CHARS + 1))

    assert (refused.status_code, refused_text(refused)) == (
        422,
        "A note may be at most 2,000 characters; this one has 2,001. Shorten it and save again.",
    )
    assert (ArgumentUnit.objects.get(pk=unit).note, Change.objects.filter(layer=layer).count()) == (NOTE, changes)
    # The longest note allowed is saved (its line ends counted once each).
    longest = "x" * (NOTE_MAX_CHARS - 2) + "\r\ny"
    assert post(ann, "unit_note", layer, unit, note=longest).status_code == 200


def test_a_note_from_a_stale_page_is_refused(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)
    stale = ann.revisions[layer.pk]
    post(ann, "unit_note", layer, unit, note=NOTE)  # another tab's change, say

    refused = ann.post(url("unit_note", layer, unit), {"revision": stale, "note": "Other"}, headers=HTMX)

    assert (refused.status_code, refused_text(refused)) == (
        409,
        "This layer has changed since this page was loaded (perhaps in another tab). "
        "Reload the page to see it as it is now; nothing was changed.",
    )
    assert ArgumentUnit.objects.get(pk=unit).note == NOTE


def test_a_note_on_a_finished_layer_is_refused(ann, layer, scheme):
    unit = make_claim(ann, layer, scheme)
    assert post(ann, "layer_finish", layer, confirmed="on").status_code == 200

    refused = post(ann, "unit_note", layer, unit, note=NOTE)

    assert (refused.status_code, refused_text(refused)) == (
        409,
        "This layer is marked finished, so it is read-only. Reopen it to change it.",
    )
    assert ArgumentUnit.objects.get(pk=unit).note == ""


def test_a_note_on_a_unit_of_another_layer_or_by_another_person_is_refused(
    client, ann, layer, scheme, annotator2, outsider
):
    unit = make_claim(ann, layer, scheme)
    ben_layer = Layer.objects.select_related("article__project").get(article=layer.article, annotator=annotator2)
    client.force_login(annotator2)
    client.revisions = {}

    other_layer = post(client, "unit_note", ben_layer, unit, note=NOTE)
    theirs = post(client, "unit_note", layer, unit, note=NOTE)
    client.force_login(outsider)
    outsiders = client.post(url("unit_note", layer, unit), {"revision": 9, "note": NOTE}, headers=HTMX)
    client.force_login(layer.annotator)
    got = client.get(url("unit_note", layer, unit))

    assert [other_layer.status_code, theirs.status_code, outsiders.status_code, got.status_code] == [404, 404, 404, 405]
    assert ArgumentUnit.objects.get(pk=unit).note == ""


def test_a_read_only_viewer_reads_notes_in_the_panel_but_gets_no_note_box(client, layer, scheme, curator):
    unit = make_unit(layer, scheme["Claim"], CLAIM, note=NOTE)
    client.force_login(curator)

    page = doc(client.get(url("layer_detail", layer)))

    assert [row.get("data-unit") for row in page.xpath('//p[@class="unit-note"]/..')] == [str(unit.pk)]
    assert page.xpath('//*[@id="note-form"]') == []


def test_the_note_box_is_labelled_and_bounded(ann, layer):
    page = doc(open_page(ann, layer))

    (form,) = page.xpath('//form[@id="note-form"]')
    (label,) = form.xpath(".//label")
    (box,) = form.xpath(".//textarea")

    assert (label.text, label.get("for"), box.get("id"), box.get("name"), box.get("maxlength")) == (
        "Note on the chosen unit",
        "note-text",
        "note-text",
        "note",
        str(NOTE_MAX_CHARS),
    )
    assert [button.text for button in form.xpath(".//button")] == ["Save note"]


@pytest.mark.parametrize("n", [1, 20])
def test_notes_cost_the_panel_no_query_per_unit(ann, layer, scheme, annotator, django_assert_num_queries, n):
    text = layer.article.text
    starts = [found.start() for found in re.finditer(r"\b[A-Za-z]{2}", text)][:n]
    assert len(starts) == n
    lifecycle.start_layer(layer=layer, user=annotator)
    for start in starts:
        units.create_unit(
            layer=layer, label=scheme["Premise"], spans=[(start, start + 2)], user=annotator, note=f"note {start}"
        )

    with django_assert_num_queries(8):
        response = ann.get(url("layer_panel", layer), headers=HTMX)

    assert len(doc(response).xpath('//p[@class="unit-note"]')) == n


# Gold and the review ------------------------------------------------------------------


def review_page(client, article, view=""):
    return doc(client.get(reverse("annotate:review", args=[article.project.slug, article.pk]) + view))


def adopt_button(page, owner):
    (button,) = page.xpath(f'//button[@class="adopt"][substring-after(@aria-label, "” from ") = "{owner}"]')
    return button.get("hx-post")


def gold_notes(article) -> list[tuple[str, str]]:
    gold = Layer.objects.get(article=article, annotator=None)
    return [(row.label_id, row.note) for row in layer_content.read_one(gold).units]


def test_adopting_a_unit_carries_its_note_into_gold_and_the_review_shows_it(client, article, layer, scheme, curator):
    make_unit(layer, scheme["Claim"], CLAIM, note=NOTE)
    client.force_login(curator)

    adopted = client.post(adopt_button(review_page(client, article, "?view=table"), "ann_annotator"), headers=HTMX)

    assert adopted.status_code == 200
    assert gold_notes(article) == [(scheme["Claim"].pk, NOTE)]
    table = review_page(client, article, "?view=table")
    gold_rows = table.xpath('//ol[@aria-label="Gold units"]/li')
    assert [row.xpath('string(.//p[@class="unit-note"])') for row in gold_rows] == [f"Note: {NOTE}"]
    lanes = review_page(client, article)
    assert sorted(
        (unit.get("title"), unit.xpath('string(.//span[@class="visually-hidden"])').endswith(f", note: {NOTE}"))
        for unit in lanes.xpath('//*[contains(@class, "lane-unit") and contains(@class, "has-note")]')
    ) == [(f"Note: {NOTE}", True), (f"Note: {NOTE}", True)]


def test_replacing_a_gold_unit_carries_the_note_and_a_unit_without_one_keeps_golds(
    client, article, layer, scheme, curator, annotator2
):
    ben = Layer.objects.select_related("article__project").get(article=article, annotator=annotator2)
    make_unit(layer, scheme["Claim"], CLAIM)
    make_unit(ben, scheme["Claim"], CLAIM, inner="ban cars from their centres", note="Shorter: the claim proper.")
    client.force_login(curator)
    client.post(adopt_button(review_page(client, article, "?view=table"), "ann_annotator"), headers=HTMX)

    asked = client.post(adopt_button(review_page(client, article, "?view=table"), "ben_annotator"), headers=HTMX)
    (form,) = doc(asked).xpath('//div[@id="review-message"]//form')
    replaced = client.post(form.get("hx-post"), {**dict(form.form_values()), "overlap": "replace"}, headers=HTMX)

    assert (asked.status_code, replaced.status_code) == (422, 200)
    assert gold_notes(article) == [(scheme["Claim"].pk, "Shorter: the claim proper.")]
