"""Gold's suggestions in the review, over HTTP as the page sends them: a lane of their own
under gold's, each bar adopting its suggestion into gold (one step of gold's history, its
record naming the suggestion) or rejecting it, every answer the review as it is now.
Addresses come from the previous answer, never from the database."""

import lxml.html
import pytest
from django.urls import reverse

from annotate import projects
from annotate.models import Change, Layer
from tests.factories import make_article
from tests.test_workspace_views import open_page, post

TEXT = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work. "
    "Sweden has taxed carbon since 1991."
)
FIRST = [
    "Suggested Claim “We must act now” (from discourse markers); x rejects it",
    "Suggested Premise “the climate is changing” (from discourse markers); x rejects it",
    "Suggested Claim “governments should tax carbon” (from discourse markers); x rejects it",
    "Suggested Claim “taxes hurt the poor” (from discourse markers); x rejects it",
    "Suggested Premise “taxes are unpopular” (from discourse markers); x rejects it",
    "Suggested Claim “they work” (from discourse markers); x rejects it",
]


@pytest.fixture
def suggesting(project, annotator, manager, curator, client):
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=TEXT)
    projects.assign(article=article, annotators=[annotator], by=manager)
    client.force_login(curator)
    return article


def review_url(article, view=""):
    return reverse("annotate:review", args=[article.project.slug, article.pk]) + view


def page_of(response):
    return lxml.html.fromstring(response.content.decode())


def suggestion_bars(response) -> list[dict]:
    """The bars of the suggestions' lane, in text order: what the page reads of each."""
    bars = page_of(response).xpath("//div[contains(@class, 'lane-suggestions')]/button[contains(@class, 'lane-unit')]")
    return sorted(
        (
            {
                "name": "Suggested " + bar.text_content().removeprefix("Adopt suggested "),
                "accept": bar.get("hx-post"),
                "reject": bar.get("data-reject"),
                "start": int(bar.get("data-start")),
            }
            for bar in bars
        ),
        key=lambda bar: bar["start"],
    )


def names(response) -> list[str]:
    return [bar["name"] for bar in suggestion_bars(response)]


def gold_lane(response) -> list[str]:
    return [
        span.text_content()
        for span in page_of(response).xpath("//div[contains(@class, 'lane-gold')]/span[@data-first]/span")
    ]


def notice(response) -> str:
    return page_of(response).xpath("string(//div[@id='review-message']//p)")


def note(response) -> str:
    return page_of(response).xpath("string(//p[@class='suggestions-note'])")


def start_gold(client, article):
    """Start gold as the review's button does; the redirect names gold's workspace."""
    response = client.post(reverse("annotate:review_gold", args=[article.project.slug, article.pk]))
    assert response.status_code == 302
    return Layer.objects.select_related("article__project").get(article=article, annotator=None)


def hx_post(client, address):
    return client.post(address, HTTP_HX_REQUEST="true")


def test_before_gold_the_lane_says_suggestions_come_with_gold(client, suggesting):
    response = client.get(review_url(suggesting))

    assert response.status_code == 200
    assert suggestion_bars(response) == []
    assert note(response) == (
        "No suggestions yet: they are made for gold, which starts with the first unit adopted or in the workspace."
    )


def test_gold_suggestions_are_a_lane_of_their_own_under_gold(client, suggesting):
    start_gold(client, suggesting)

    response = client.get(review_url(suggesting))

    assert names(response) == FIRST
    lanes = page_of(response).xpath("//div[@data-start='0']/div[contains(@class, 'lane')]/@aria-label")
    assert lanes == ["Suggestions for gold"]  # gold has no unit on the line yet: no lane of its own
    order = page_of(response).xpath("string(//p[@class='lane-order'])")
    assert order.startswith("Lanes from the top: Gold, Suggestions (for gold, dashed), ")
    assert gold_lane(response) == []


def test_adopting_a_suggestion_puts_it_in_gold_as_one_step_that_names_it(client, suggesting):
    gold = start_gold(client, suggesting)
    first = suggestion_bars(client.get(review_url(suggesting)))[0]

    adopted = hx_post(client, first["accept"])

    assert adopted.status_code == 200
    assert notice(adopted) == "Suggested Claim “We must act now” adopted into gold."
    assert names(adopted) == FIRST[1:]
    assert gold_lane(adopted) == ["Claim “We must act now”: 0 of 1 annotators"]
    lanes = page_of(adopted).xpath("//div[@data-start='0']/div[contains(@class, 'lane')]/@aria-label")
    assert lanes == ["Gold units", "Suggestions for gold"]
    record = Change.objects.filter(layer=gold, action="unit.create").get()
    suggestion_id = int(first["accept"].rstrip("/").split("/")[-2])
    assert record.after["suggestion"] == {"id": suggestion_id, "source": "markers", "model": None}
    # One step of gold's history: one Undo in gold's workspace takes it back, and the
    # suggestion is back in the review's lane.
    open_page(client, gold)
    undone = post(client, "layer_undo", gold)
    assert undone.status_code == 200
    assert names(client.get(review_url(suggesting))) == FIRST


def test_rejecting_a_suggestion_takes_it_out_of_the_lane_and_undo_brings_it_back(client, suggesting):
    gold = start_gold(client, suggesting)
    second = suggestion_bars(client.get(review_url(suggesting)))[1]

    rejected = hx_post(client, second["reject"])

    assert rejected.status_code == 200
    assert notice(rejected) == "Suggested Premise “the climate is changing” rejected: it is not suggested again."
    assert names(rejected) == [FIRST[0], *FIRST[2:]]
    again = hx_post(client, second["reject"])
    assert (again.status_code, notice(again)) == (422, "That suggestion was rejected already.")
    assert names(again) == [FIRST[0], *FIRST[2:]]
    open_page(client, gold)
    assert post(client, "layer_undo", gold).status_code == 200
    assert names(client.get(review_url(suggesting))) == FIRST


def test_a_suggestion_adopted_in_another_tab_is_refused_and_the_answer_is_the_review_now(client, suggesting):
    start_gold(client, suggesting)
    first = suggestion_bars(client.get(review_url(suggesting)))[0]
    assert hx_post(client, first["accept"]).status_code == 200

    stale = hx_post(client, first["accept"])

    assert stale.status_code == 422
    assert notice(stale) == (
        "A unit already covers part of “We must act now”: this suggestion is out of date. Reload the page."
    )
    assert names(stale) == FIRST[1:]


def test_an_annotators_suggestion_is_not_gold_and_is_refused(client, suggesting, annotator, curator):
    start_gold(client, suggesting)
    address = suggestion_bars(client.get(review_url(suggesting)))[0]["accept"]
    own = Layer.objects.select_related("article__project").get(article=suggesting, annotator=annotator)
    client.force_login(annotator)
    open_page(client, own)  # the annotator's layer gets its own suggestions
    theirs = own.suggestions.order_by("pk").first().pk
    client.force_login(curator)
    before = Change.objects.count()

    refused = hx_post(client, address.replace(f"/{address.split('/')[-3]}/", f"/{theirs}/"))

    assert (refused.status_code, notice(refused)) == (422, "That suggestion is no longer there: reload the page.")
    assert Change.objects.count() == before


def test_finished_curation_shows_no_suggestions_and_refuses_them(client, suggesting):
    start_gold(client, suggesting)
    first = suggestion_bars(client.get(review_url(suggesting)))[0]

    finished = hx_post(client, reverse("annotate:review_finish", args=[suggesting.project.slug, suggesting.pk]))

    assert suggestion_bars(finished) == []
    assert note(finished) == "Curation is finished: no suggestions for gold until it is reopened."
    refused = hx_post(client, first["accept"])
    assert (refused.status_code, notice(refused)) == (
        422,
        "Curation of this article is finished, so the gold layer is read-only. Reopen it to change it.",
    )
    reopened = hx_post(client, reverse("annotate:review_reopen", args=[suggesting.project.slug, suggesting.pk]))
    assert names(reopened) == FIRST


def test_the_table_lists_gold_suggestions_with_adopt_and_reject(client, suggesting):
    start_gold(client, suggesting)
    table = client.get(review_url(suggesting, "?view=table"))
    rows = page_of(table).xpath("//ol[@aria-label='Suggestions for gold']/li")
    buttons = [row.xpath("./span/button/@aria-label") for row in rows]
    assert buttons[0] == [
        "Adopt suggested Claim “We must act now”",
        "Reject suggested Claim “We must act now”",
    ]
    assert len(rows) == 6
    adopt = rows[0].xpath("./span/button[@class='adopt']/@hx-post")[0]
    assert adopt.endswith("/accept/?view=table")

    adopted = hx_post(client, adopt)

    assert notice(adopted) == "Suggested Claim “We must act now” adopted into gold."
    assert len(page_of(adopted).xpath("//ol[@aria-label='Suggestions for gold']/li")) == 5


def test_suggestions_off_show_no_lane_and_no_note(client, project, annotator, manager, curator):
    article = make_article(project, text=TEXT)
    projects.assign(article=article, annotators=[annotator], by=manager)
    client.force_login(curator)
    start_gold(client, article)

    response = client.get(review_url(article))

    assert (suggestion_bars(response), note(response)) == ([], "")
    assert page_of(response).xpath("//*[contains(@class, 'suggestions-note')]") == []


def suggested_relations(response) -> list[tuple[str, str]]:
    """The suggested relations listed for gold: each one's Adopt button's name and address."""
    rows = page_of(response).xpath("//ul[@aria-label='Suggested relations for gold']/li/span/button[@class='adopt']")
    return [(button.get("aria-label"), button.get("hx-post")) for button in rows]


def test_a_suggested_relation_is_adopted_with_its_suggested_ends_in_one_step(client, suggesting):
    gold = start_gold(client, suggesting)
    page = client.get(review_url(suggesting))
    listed = suggested_relations(page)
    assert [name for name, _ in listed] == [
        "Adopt suggested relation supports from “the climate is changing” to “We must act now”",
        "Adopt suggested relation supports from “the climate is changing” to “governments should tax carbon”",
        "Adopt suggested relation attacks from “taxes hurt the poor” to “governments should tax carbon”",
        "Adopt suggested relation attacks from “taxes are unpopular” to “they work”",
    ]

    adopted = hx_post(client, listed[0][1])

    assert notice(adopted) == (
        "Suggested supports from “the climate is changing” to “We must act now” adopted into gold."
    )
    assert gold_lane(adopted) == [
        "Claim “We must act now”: 0 of 1 annotators",
        "Premise “the climate is changing”: 0 of 1 annotators",
    ]
    assert names(adopted) == FIRST[2:]
    assert page_of(adopted).xpath("string(//p[@class='gold-count'])") == "2 units · 1 relation in gold"
    open_page(client, gold)
    post(client, "layer_undo", gold)  # one step: units and relation
    assert suggested_relations(client.get(review_url(suggesting))) == listed


def test_with_a_model_in_use_the_review_opens_at_once_and_asks_again_for_gold_suggestions(
    client, project, curator, annotator, manager
):
    """The review does not wait for the model to tag the article for gold: it opens with
    a note, and asks for its region again as soon as it is shown; that answer has them."""
    from annotate.models import SuggestionRun
    from tests.suggestion_corpus import essay, model_in_use

    model_in_use(project, curator)
    article = make_article(project, text=essay(40)[0], title="Essay 40")
    projects.assign(article=article, annotators=[annotator], by=manager)
    client.force_login(curator)
    start = reverse("annotate:review_gold", args=[project.slug, article.pk])
    assert client.post(start).status_code == 302  # gold started (its workspace not opened)

    opened = page_of(client.get(review_url(article)))
    (ask,) = opened.xpath('//div[@id="review"]/span[@hidden][@hx-trigger="load"]')
    asked = (ask.get("hx-get"), ask.get("hx-target"), ask.get("hx-swap"))
    assert asked == (review_url(article), "#review", "outerHTML")
    assert opened.xpath('//p[@class="suggestions-note"]/text()') == ["Making suggestions for gold…"]
    assert (suggestion_bars_of(opened), SuggestionRun.objects.filter(layer__article=article).count()) == ([], 0)

    answer = client.get(ask.get("hx-get"), headers={"HX-Request": "true"})
    bars = suggestion_bars(answer)
    assert [bar["name"].split(" (from ")[1] for bar in bars] == ["model v1); x rejects it"] * 4
    assert page_of(answer).xpath('//span[@hidden][@hx-trigger="load"]') == []


def suggestion_bars_of(page) -> list:
    return page.xpath("//div[contains(@class, 'lane-suggestions')]/button[contains(@class, 'lane-unit')]")
