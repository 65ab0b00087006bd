"""Suggestions in the workspace over HTTP, as the browser sends them: ghosts drawn in the
text and listed in the panel, accepted, rejected and accepted a paragraph at a time,
each answer carrying the revision the next change sends, and each undone by Undo."""

import html
import json
import re

import pytest

from annotate import projects
from annotate.models import Layer
from tests.factories import make_article
from tests.test_workspace_views import open_page, post, url

TEXT = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work. "
    "Sweden has taxed carbon since 1991."
)
GHOST = re.compile(r'<mark class="ghost label-\d+" data-suggestion="(\d+)" id="u-s\d+" [^>]*aria-label="([^"]*)">')
UNIT = re.compile(r'<mark class="u label-\d+ lane-\d" data-unit="(\d+)" id="u-\d+" data-tag="([^"]*)">([^<]*)')
UNDO = re.compile(r'data-action="undo" title="[^"]*" (?:disabled )?hx-post="undo/">([^<]*)<')


def ghosts(response) -> list[tuple[int, str]]:
    return [(int(pk), html.unescape(name)) for pk, name in GHOST.findall(response.content.decode())]


def drawn_units(response) -> list[tuple[str, str]]:
    return [(tag, quote) for _, tag, quote in UNIT.findall(response.content.decode())]


def undo_label(response) -> str:
    return html.unescape(UNDO.search(response.content.decode())[1])


@pytest.fixture
def suggesting(project, annotator, manager, client):
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=TEXT)
    projects.assign(article=article, annotators=[annotator], by=manager)
    client.force_login(annotator)
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


FIRST = [
    "Suggested Claim (from discourse markers): “We must act now”",
    "Suggested Premise (from discourse markers): “the climate is changing”",
    "Suggested Claim (from discourse markers): “governments should tax carbon”",
    "Suggested Claim (from discourse markers): “taxes hurt the poor”",
    "Suggested Premise (from discourse markers): “taxes are unpopular”",
    "Suggested Claim (from discourse markers): “they work”",
]


def test_the_page_draws_ghosts_apart_from_units_and_lists_them(client, suggesting):
    page = open_page(client, suggesting)
    body = page.content.decode()
    assert [name for _, name in ghosts(page)] == FIRST
    assert drawn_units(page) == []
    assert re.search(r'<h2>Units <span class="count">(\d+)</span></h2>', body)[1] == "0"
    assert re.search(r'Suggestions <span class="count">(\d+)</span>', body)[1] == "10"  # 6 units, 4 relations
    assert body.count('class="ghost-link-row') == 4
    assert body.count('class="suggestion-row') == 6


def test_suggestions_are_off_by_default(client, layer, annotator):
    client.force_login(annotator)
    page = open_page(client, layer)
    assert ghosts(page) == []
    assert "Suggestions <span" not in page.content.decode()


def test_accept_makes_a_unit_in_one_step_and_undo_brings_the_ghost_back(client, suggesting):
    page = open_page(client, suggesting)
    first = ghosts(page)[0][0]
    before = client.revisions[suggesting.pk]
    accepted = post(client, "suggestion_accept", suggesting, first)
    assert accepted.status_code == 200
    assert client.revisions[suggesting.pk] == before + 2  # the layer started, the unit made
    assert drawn_units(accepted) == [("Claim", "We must act now")]
    assert [name for _, name in ghosts(accepted)] == FIRST[1:3]  # the rest of its line
    assert undo_label(accepted) == "Undo: new Claim “We must act now”"
    assert json.loads(accepted["HX-Trigger"]) == {"layer-changed": {"unit": None}}
    undone = post(client, "layer_undo", suggesting)
    assert undone.status_code == 200
    assert client.revisions[suggesting.pk] == before + 3
    assert drawn_units(undone) == []
    assert [name for _, name in ghosts(undone)] == FIRST[:3]


def test_reject_hides_the_ghost_and_undo_brings_it_back(client, suggesting):
    page = open_page(client, suggesting)
    second = ghosts(page)[1][0]
    rejected = post(client, "suggestion_reject", suggesting, second)
    assert rejected.status_code == 200
    assert [name for _, name in ghosts(rejected)] == [FIRST[0], FIRST[2]]
    assert undo_label(rejected) == "Undo: reject suggestion Premise “the climate is changing”"
    again = post(client, "suggestion_reject", suggesting, second)
    assert again.status_code == 422
    assert "That suggestion was rejected already." in again.content.decode()
    undone = post(client, "layer_undo", suggesting)
    assert [name for _, name in ghosts(undone)] == FIRST[:3]
    redone = post(client, "layer_redo", suggesting)
    assert [name for _, name in ghosts(redone)] == [FIRST[0], FIRST[2]]


def test_accept_all_takes_the_chosen_suggestions_paragraph_in_one_step(client, suggesting):
    page = open_page(client, suggesting)
    in_second_paragraph = ghosts(page)[3][0]
    before = client.revisions[suggesting.pk]
    accepted = post(client, "suggestions_accept_all", suggesting, suggestion=in_second_paragraph)
    assert accepted.status_code == 200
    assert drawn_units(accepted) == [
        ("Claim", "taxes hurt the poor"),
        ("Premise", "taxes are unpopular"),
        ("Claim", "they work"),
    ]
    assert ghosts(accepted) == []
    # the layer started, three units and the relation between two of them
    assert client.revisions[suggesting.pk] == before + 5
    panel = client.get(url("layer_panel", suggesting), HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'<h2>Units <span class="count">(\d+)</span></h2>', panel)[1] == "3"
    assert re.search(r'<h2>Relations <span class="count">(\d+)</span></h2>', panel)[1] == "1"
    undone = post(client, "layer_undo", suggesting)
    assert drawn_units(undone) == []
    assert [name for _, name in ghosts(undone)] == FIRST[3:]


def test_refusals_say_why_and_change_nothing(client, suggesting):
    page = open_page(client, suggesting)
    first = ghosts(page)[0][0]
    revision = client.revisions[suggesting.pk]
    stale = client.post(url("suggestion_accept", suggesting, first), {"revision": revision + 5}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409
    missing = post(client, "suggestion_accept", suggesting, 999999)
    assert missing.status_code == 404
    assert "That suggestion is no longer there: reload the page." in missing.content.decode()
    unchosen = post(client, "suggestions_accept_all", suggesting)
    assert unchosen.status_code == 422
    assert "Choose a suggestion first (Tab goes to the next one)." in unchosen.content.decode()
    unknown = post(client, "suggestions_accept_all", suggesting, suggestion=999999)
    assert unknown.status_code == 404
    assert client.revisions[suggesting.pk] == revision
    assert [name for _, name in ghosts(open_page(client, suggesting))] == FIRST


def test_a_finished_layer_shows_no_ghosts_and_refuses_accepting(client, suggesting):
    page = open_page(client, suggesting)
    first = ghosts(page)[0][0]
    post(client, "suggestion_reject", suggesting, ghosts(page)[1][0])  # starts the layer
    finished = post(client, "layer_finish", suggesting, confirmed="on")
    assert finished.status_code == 200
    refused = post(client, "suggestion_accept", suggesting, first)
    assert refused.status_code == 409
    assert ghosts(open_page(client, suggesting)) == []


def test_the_method_is_post(client, suggesting):
    page = open_page(client, suggesting)
    assert client.get(url("suggestion_accept", suggesting, ghosts(page)[0][0])).status_code == 405


SWAPPED_LINE = re.compile(r'<span class="line" dir="auto" id="line-(\d+)" hx-swap-oob="true">')


def test_finish_and_reopen_redraw_the_lines_with_ghosts_so_the_page_stays_in_step(client, suggesting):
    page = open_page(client, suggesting)
    post(client, "suggestion_reject", suggesting, ghosts(page)[1][0])  # starts the layer

    finished = post(client, "layer_finish", suggesting, confirmed="on")

    assert finished.status_code == 200
    # The lines that held ghosts, from the first to the last, drawn again without them.
    assert SWAPPED_LINE.findall(finished.content.decode()) == ["0", "91", "92"]
    assert ghosts(finished) == []
    reopened = post(client, "layer_reopen", suggesting)
    assert reopened.status_code == 200
    assert SWAPPED_LINE.findall(reopened.content.decode()) == ["0", "91", "92"]
    assert [name for _, name in ghosts(reopened)] == [FIRST[0], *FIRST[2:]]
    assert [name for _, name in ghosts(open_page(client, suggesting))] == [FIRST[0], *FIRST[2:]]


def test_changing_the_op_ed_stance_redraws_no_line(client, suggesting):
    open_page(client, suggesting)
    suggesting.article.project.document_stance = True
    suggesting.article.project.save(update_fields=["document_stance"])

    answer = post(client, "layer_stance", suggesting, stance="For")

    assert (answer.status_code, SWAPPED_LINE.findall(answer.content.decode())) == (200, [])


def test_accepting_with_a_label_takes_the_words_with_that_label(client, suggesting):
    page = open_page(client, suggesting)
    second = ghosts(page)[1][0]  # a suggested Premise
    labels = {label.name: label.pk for label in suggesting.article.project.scheme_labels}
    refused = post(client, "suggestion_accept", suggesting, second, label=999999)
    assert refused.status_code == 422
    assert "That label is not part of this project." in refused.content.decode()
    taken = post(client, "suggestion_accept", suggesting, second, label=labels["Claim"])
    assert taken.status_code == 200
    assert drawn_units(taken) == [("Claim", "the climate is changing")]
    assert undo_label(taken) == "Undo: new Claim “the climate is changing”"
    relation = [pk for pk, _ in ghosts(taken)]
    assert second not in relation


@pytest.mark.parametrize("paragraphs", [1, 30])
def test_a_change_redraws_its_lines_ghosts_in_a_fixed_number_of_queries(
    client, project, annotator, manager, django_assert_num_queries, paragraphs
):
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text="\n\n".join([TEXT] * paragraphs))
    projects.assign(article=article, annotators=[annotator], by=manager)
    client.force_login(annotator)
    layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)
    page = open_page(client, layer)
    assert len(ghosts(page)) == 6 * paragraphs
    labels = {label.name: label.pk for label in project.scheme_labels}
    # The layer's first change (it starts the layer), and one query for the open
    # suggestions on the lines the answer redraws, however many the layer has.
    with django_assert_num_queries(10):
        answer = post(client, "unit_create", layer, label=labels["MajorClaim"], start=0, end=2)
    assert answer.status_code == 200


def test_with_a_model_in_use_the_page_opens_at_once_and_asks_for_the_ghosts_it_then_draws(
    client, project, curator, annotator, manager
):
    """Tagging a long article takes tens of milliseconds: the page does not wait for it.
    It opens without the model's suggestions and asks for them as soon as it is shown;
    that answer makes them, lists them in the panel and redraws the lines holding them."""
    from annotate.models import SuggestionRun
    from tests.suggestion_corpus import essay, model_in_use

    model_in_use(project, curator)
    article = make_article(project, text=essay(40)[0], title="Essay 40")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)

    page = open_page(client, layer)
    asks = re.findall(r'<span hidden hx-get="([^"]*\?ghosts=1)" hx-trigger="load"', page.content.decode())
    assert (ghosts(page), len(asks), SuggestionRun.objects.filter(layer=layer).count()) == ([], 1, 0)

    answer = client.get(html.unescape(asks[0]), headers={"HX-Request": "true"})
    drawn = ghosts(answer)
    assert answer.status_code == 200
    assert [re.search(r" \(from (.*?)\): “", name)[1] for _, name in drawn] == ["model v1"] * 4
    assert 'hx-swap-oob="true"' in answer.content.decode()  # the lines, swapped in by their ids
    # The panel lists them: a row for each ghost drawn, and for each suggested relation.
    body = answer.content.decode()
    rows = re.findall(r'<li class="suggestion-row label-\d+" data-suggestion="(\d+)"', body)
    links = re.findall(r'<li class="ghost-link-row ', body)
    assert sorted(int(pk) for pk in rows) == sorted(pk for pk, _ in drawn)
    assert re.search(r'<span class="count">(\d+)</span>', body)[1] == str(len(rows) + len(links))
    again = open_page(client, layer)
    assert (ghosts(again), "?ghosts=1" in again.content.decode()) == (drawn, False)


@pytest.mark.parametrize("copies", [1, 12])
def test_the_first_opening_and_its_ghosts_request_run_a_fixed_number_of_queries(
    client, project, curator, annotator, manager, django_assert_num_queries, copies
):
    from tests.suggestion_corpus import essay, model_in_use

    model_in_use(project, curator)
    article = make_article(project, text="\n\n".join([essay(40)[0]] * copies), title="Essay 40")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)
    with django_assert_num_queries(12):
        page = client.get(url("layer_detail", layer))
    (ask,) = re.findall(r'<span hidden hx-get="([^"]*\?ghosts=1)" hx-trigger="load"', page.content.decode())
    # It tags the article and writes what it suggests, then draws the panel and the lines.
    with django_assert_num_queries(23):
        answer = client.get(html.unescape(ask), headers={"HX-Request": "true"})
    assert len(ghosts(answer)) == 4 * copies
