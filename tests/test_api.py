"""The HTTP API (/api/v1/), driven as a client drives it: a token made on the account
page, then ids and links carried from one answer to the next."""

import json
from datetime import timedelta

import lxml.html
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate import lifecycle
from annotate.api import tokens
from tests.factories import make_article, make_unit

TEXT = "Cities should ban cars. Traffic kills."


def make_token(client: Client, user, name: str = "pipeline") -> str:
    """Log in, make a token on the account page, read it off the answer, log out."""
    client.force_login(user)
    page = client.post(reverse("annotate:api_tokens"), {"name": name, "expires": ""})
    token = lxml.html.fromstring(page.content.decode()).xpath("string(//input[@id='shown-token']/@value)")
    client.logout()
    return token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post_json(client: Client, url: str, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **headers)


def test_a_token_made_on_the_account_page_reads_projects_articles_and_a_layer(
    client, project, article, manager, annotator, scheme
):
    layer = article.layers.select_related("article__project").get(annotator=annotator)
    lifecycle.start_layer(layer=layer, user=annotator)
    make_unit(layer, scheme["Claim"], "Cities should ban cars")
    token = make_token(client, manager)

    projects = client.get("/api/v1/projects", **bearer(token)).json()
    slug = projects["results"][0]["slug"]
    articles = client.get(f"/api/v1/projects/{slug}/articles", **bearer(token)).json()
    layer_url = next(entry["url"] for entry in articles["results"][0]["layers"] if entry["owner"] == "ann_annotator")
    record = client.get(layer_url, **bearer(token)).json()

    assert (projects["count"], projects["next"], projects["previous"]) == (1, None, None)
    assert projects["results"][0] == {
        "slug": "opeds",
        "name": project.name,
        "role": "manager",
        "description": "",
        "annotators_per_article": 2,
        "blind": True,
        "labels": [
            {"name": "MajorClaim", "key": "m", "colour": "#cc79a7", "role": "main", "attributes": {}},
            {
                "name": "Claim",
                "key": "c",
                "colour": "#0072b2",
                "role": "claim",
                "attributes": {"stance": ["For", "Against"]},
            },
            {"name": "Premise", "key": "p", "colour": "#e69f00", "role": "premise", "attributes": {}},
        ],
        "relation_types": [
            {"name": "supports", "key": "s", "colour": "#009e73"},
            {"name": "attacks", "key": "a", "colour": "#d55e00"},
        ],
    }
    assert [(a["id"], a["status"], [(x["owner"], x["status"]) for x in a["layers"]]) for a in articles["results"]] == [
        (article.pk, "in_progress", [("ann_annotator", "in_progress"), ("ben_annotator", "not_started")])
    ]
    assert layer_url == f"http://testserver/api/v1/projects/opeds/articles/{article.pk}/layers/ann_annotator"
    assert record["layers"] == [
        {
            "owner": "ann_annotator",
            "status": "in_progress",
            "document_stance": "",
            "units": [
                {
                    "id": "T1",
                    "label": "Claim",
                    "spans": [[0, 22]],
                    "text": ["Cities should ban cars"],
                    "attributes": {},
                    "note": "",
                }
            ],
            "relations": [],
        }
    ]
    assert record["text"] == article.text


def test_the_project_detail_answers_the_same_project_as_the_list(client, project, manager):
    token = make_token(client, manager)

    listed = client.get("/api/v1/projects", **bearer(token)).json()["results"][0]
    detail = client.get(f"/api/v1/projects/{listed['slug']}", **bearer(token)).json()

    assert detail == listed


def test_the_account_page_lists_a_token_and_revoking_it_refuses_it(client, project, manager):
    token = make_token(client, manager, name="scraper")
    assert client.get("/api/v1/projects", **bearer(token)).status_code == 200
    client.force_login(manager)
    page = lxml.html.fromstring(client.get(reverse("annotate:api_tokens")).content.decode())
    rows = [[cell.text_content().strip() for cell in row.xpath("td")][:5] for row in page.xpath("//tbody/tr")]
    revoke = page.xpath("//form[button[@aria-label='Revoke scraper']]/@action")[0]

    client.post(revoke)
    client.logout()
    response = client.get("/api/v1/projects", **bearer(token))

    assert [row[0] for row in rows] == ["scraper"]
    assert rows[0][4] == "Active"
    assert rows[0][2] != "Never"  # used once above
    assert (response.status_code, response.json()) == (
        401,
        {"code": "unauthorized", "message": "This API token was revoked. Make a new one on your account page."},
    )


def test_a_token_is_stored_only_as_its_hash(client, manager):
    token = make_token(client, manager)

    assert list(manager.api_tokens.values_list("token_hash", flat=True)) == [tokens.token_hash(token)]


def test_another_users_token_cannot_be_revoked(client, manager, curator):
    make_token(client, manager, name="mine")
    client.force_login(curator)

    response = client.post(reverse("annotate:api_token_revoke", args=[manager.api_tokens.get().pk]))

    assert response.status_code == 404


def test_an_expired_token_gets_401(client, manager):
    _, token = tokens.create_token(user=manager, name="old", expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get("/api/v1/projects", **bearer(token))

    assert (response.status_code, response.json()) == (
        401,
        {"code": "unauthorized", "message": "This API token has expired. Make a new one on your account page."},
    )


def test_no_credentials_get_401_json(client, project):
    response = client.get("/api/v1/projects")

    assert (response.status_code, response.json(), response["WWW-Authenticate"]) == (
        401,
        {"code": "unauthorized", "message": "Send a personal API token (Authorization: Bearer …) or log in."},
        'Bearer realm="api"',
    )


def test_failed_tokens_are_throttled_per_address_like_logins(client, manager, settings):
    token = make_token(client, manager)
    answers = [client.get("/api/v1/projects", **bearer("ann_wrong")).status_code for _ in range(5)]

    refused = client.get("/api/v1/projects", **bearer(token))
    elsewhere = client.get("/api/v1/projects", REMOTE_ADDR="10.0.0.9", **bearer(token))

    assert answers == [401] * 5
    assert (refused.status_code, refused.json(), refused["Retry-After"]) == (
        429,
        {
            "code": "throttled",
            "message": "Too many requests with an API token that is not valid came from this address; "
            "try again in 15 minutes.",
        },
        "900",
    )
    assert elsewhere.status_code == 200


def test_a_good_token_clears_the_failures_before_the_limit(client, manager):
    token = make_token(client, manager)
    for _ in range(4):
        client.get("/api/v1/projects", **bearer("ann_wrong"))
    client.get("/api/v1/projects", **bearer(token))

    answers = [client.get("/api/v1/projects", **bearer("ann_wrong")).status_code for _ in range(4)]

    assert answers == [401] * 4


def test_a_token_needs_no_csrf_but_a_browser_session_does(project, manager):
    token = make_token(Client(), manager)
    browser = Client(enforce_csrf_checks=True)
    url = f"/api/v1/projects/{project.slug}/articles"

    with_token = post_json(browser, url, {"title": "One", "text": "One text."}, **bearer(token))
    browser.force_login(manager)
    read = browser.get(url)
    no_csrf = post_json(browser, url, {"title": "Two", "text": "Two text."})
    csrf = browser.get(reverse("annotate:api_tokens")).cookies["csrftoken"].value
    with_csrf = post_json(browser, url, {"title": "Two", "text": "Two text."}, HTTP_X_CSRFTOKEN=csrf)

    assert with_token.status_code == 201
    assert read.status_code == 200
    assert (no_csrf.status_code, no_csrf.json()["code"]) == (403, "forbidden")
    assert with_csrf.status_code == 201


def test_errors_under_the_api_are_json_never_html(client, project, article, manager, annotator):
    token = make_token(client, manager)
    annotator_token = make_token(client, annotator, name="ann")

    answers = {
        "unknown path": client.get("/api/v1/nothing/here", **bearer(token)),
        "unknown project": client.get("/api/v1/projects/nowhere", **bearer(token)),
        "method": client.delete("/api/v1/projects", **bearer(token)),
        "page size": client.get(f"/api/v1/projects/{project.slug}/articles?page_size=101", **bearer(token)),
        "status": client.get(f"/api/v1/projects/{project.slug}/articles?status=lost", **bearer(token)),
        "type": client.get(f"/api/v1/projects/{project.slug}/articles?annotator=x", **bearer(token)),
        "role": post_json(client, f"/api/v1/projects/{project.slug}/articles", {}, **bearer(annotator_token)),
        "layer": client.get(f"/api/v1/projects/{project.slug}/articles/{article.pk}/layers/nobody", **bearer(token)),
    }

    assert {name: (r.status_code, r["Content-Type"], r.json()) for name, r in answers.items()} == {
        "unknown path": (404, "application/json", {"code": "not_found", "message": "There is no such API route."}),
        "unknown project": (404, "application/json", {"code": "not_found", "message": "No such project."}),
        "method": (
            405,
            "application/json",
            {"code": "method_not_allowed", "message": "This API route does not take this method."},
        ),
        "page size": (
            422,
            "application/json",
            {"code": "invalid", "message": "page_size must be from 1 to 100, not 101."},
        ),
        "status": (
            422,
            "application/json",
            {"code": "invalid", "message": "Status: Select a valid choice. lost is not one of the available choices."},
        ),
        "type": (
            422,
            "application/json",
            {
                "code": "invalid",
                "message": "annotator: Input should be a valid integer, unable to parse string as an integer",
            },
        ),
        "role": (
            403,
            "application/json",
            {"code": "forbidden", "message": "Your role in this project (annotator) does not allow this page."},
        ),
        "layer": (404, "application/json", {"code": "not_found", "message": "No such layer."}),
    }


def test_an_annotator_in_a_blind_project_cannot_read_another_annotators_layer(client, project, article, annotator):
    token = make_token(client, annotator)
    articles = client.get(f"/api/v1/projects/{project.slug}/articles", **bearer(token)).json()

    other = client.get(f"/api/v1/projects/{project.slug}/articles/{article.pk}/layers/ben_annotator", **bearer(token))

    assert [x["owner"] for x in articles["results"][0]["layers"]] == ["ann_annotator"]
    assert other.status_code == 404


def test_article_pages_link_to_each_other_with_absolute_addresses(client, project, manager):
    for _ in range(3):
        make_article(project)
    token = make_token(client, manager)

    first = client.get(f"/api/v1/projects/{project.slug}/articles?page_size=2&sort=-added", **bearer(token)).json()
    second = client.get(first["next"], **bearer(token)).json()
    back = client.get(second["previous"], **bearer(token)).json()

    assert first["next"].startswith(f"http://testserver/api/v1/projects/{project.slug}/articles?")
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert (len(second["results"]), second["next"]) == (1, None)
    assert [a["id"] for a in back["results"]] == [a["id"] for a in first["results"]]
    assert [a["id"] for a in first["results"] + second["results"]] == sorted(
        (a["id"] for a in first["results"] + second["results"]), reverse=True
    )


def test_a_read_answers_304_to_the_etag_it_gave_until_something_changes(client, project, article, manager):
    token = make_token(client, manager)
    url = f"/api/v1/projects/{project.slug}/articles"
    first = client.get(url, **bearer(token))

    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **bearer(token))
    post_json(client, url, {"title": "New", "text": "A new article."}, **bearer(token))
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **bearer(token))

    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert (changed.status_code, changed.json()["count"]) == (200, 2)


def test_posting_articles_creates_them_and_counts_those_already_there(client, project, manager):
    token = make_token(client, manager)
    url = f"/api/v1/projects/{project.slug}/articles"

    one = post_json(client, url, {"title": "Ban cars", "text": TEXT, "author": "A. Writer"}, **bearer(token)).json()
    batch = post_json(
        client,
        url,
        [{"title": "Ban cars", "text": TEXT}, {"title": "Bikes", "text": "Bikes are fine."}],
        **bearer(token),
    ).json()
    listed = client.get(f"{url}?sort=added", **bearer(token)).json()

    assert one == {
        "created": [one["created"][0]],
        "already_there": [],
        "summary": "1 new article, 0 already there, 0 layers, 0 units, 0 relations",
    }
    assert batch == {
        "created": [batch["created"][0]],
        "already_there": one["created"],
        "summary": "1 new article, 1 already there, 0 layers, 0 units, 0 relations",
    }
    assert [(a["id"], a["title"], a["author"]) for a in listed["results"]] == [
        (one["created"][0], "Ban cars", "A. Writer"),
        (batch["created"][0], "Bikes", ""),
    ]


GOOD = {"title": "Ban cars", "text": TEXT}
# (what is posted, the message the import page gives for the same articles as a file)
HOSTILE = [
    (
        "{not json",
        "articles.jsonl line 1: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
    ),
    ([GOOD, {"title": 7, "text": "Seven."}], "articles.jsonl line 2: article: “title” must be a string"),
    ({"title": "Empty", "text": ""}, "articles.jsonl line 1: article: “text” must not be empty"),
    ({"title": "Blank", "text": "  \n "}, "Article 1 (“Blank”) has no text."),
    ({"title": "x" * 501, "text": "Long title."}, None),
    (
        [GOOD, {"title": "Again", "text": TEXT}],
        "Article 2 (“Again”) repeats the text of an earlier article in this file.",
    ),
    ({"title": "Odd", "text": "Odd.", "colour": "red"}, "articles.jsonl line 1: the line: unknown field “colour”"),
    ([], "articles.jsonl: the file holds no articles"),
    ("[1, 2]", "articles.jsonl line 1: the line must be a JSON object"),
]


def as_file(body) -> bytes:
    if isinstance(body, str):
        return body.encode()
    items = body if isinstance(body, list) else [body]
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


@pytest.mark.parametrize(("body", "expected"), HOSTILE)
def test_hostile_articles_get_the_import_pages_message_and_nothing_is_written(client, project, manager, body, expected):
    token = make_token(client, manager)
    url = f"/api/v1/projects/{project.slug}/articles"
    client.force_login(manager)
    upload = SimpleUploadedFile("articles.jsonl", as_file(body))
    page = client.post(
        reverse("annotate:dataset_import", args=[project.slug]),
        {"files": [upload], "unknown": "fail", "existing": "fail", "action": "import"},
    )
    page_problems = [li.text_content() for li in lxml.html.fromstring(page.content.decode()).xpath("//main//ul/li")]
    client.logout()

    response = post_json(client, url, body, **bearer(token))
    listed = client.get(url, **bearer(token)).json()

    assert page.status_code == 422
    assert (response.status_code, response.json()) == (
        422,
        {"code": "invalid", "message": "\n".join(page_problems), "problems": page_problems},
    )
    if expected is not None:
        assert page_problems == [expected]
    assert listed["count"] == 0


# Each list endpoint's queries, whatever the number of articles: the token's checks
# (failures, token, last use), then the page.
LISTS = [("/api/v1/projects", 7), ("/api/v1/projects/opeds/articles", 9)]


@pytest.mark.parametrize("size", [2, 30])
def test_list_endpoints_run_the_same_number_of_queries_at_two_sizes(
    client, project, manager, annotator, annotator2, scheme, size
):
    from annotate import projects as project_domain
    from tests.factories import make_project

    for number in range(size):
        article = make_article(project)
        project_domain.assign(article=article, annotators=[annotator, annotator2], by=manager)
        make_project(manager=manager, slug=f"more-{number}")
    token = make_token(client, manager)
    counted = []
    for url, _ in LISTS:
        assert client.get(url, **bearer(token)).status_code == 200
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **bearer(token))
        assert response.status_code == 200
        counted.append((url, len(queries)))

    assert counted == LISTS
