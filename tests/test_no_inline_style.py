"""No page carries an inline style, which the Content-Security-Policy refuses
(annotate/settings.py): each main page, and the answers htmx swaps in from the
workspace and the review, parsed with lxml, has no style attribute, no <style> element
and no inline script, and no page's htmx-config lets htmx add one. What the browser
makes of them, swapped in, is checked by the browser tests
(tests/e2e/test_clean_console.py)."""

import json

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotate.models import Layer, Project
from tests.e2e.test_accessibility import CLAIM, MAJOR, PAGES, annotate_demo
from tests.factories import make_unit, scheme_of
from tests.test_workspace_views import post, utf16

# Pages beyond the main ones (tests/e2e/test_accessibility.py) that share their templates' parts.
MORE_PAGES = {
    "articles": ("manager", "/p/demo/articles/"),
    "article": ("manager", "/p/demo/articles/{article}/"),
    "review as a table": ("curator", "/p/demo/articles/{article}/review/?view=table"),
    "new label": ("manager", "/p/demo/scheme/label/new/"),
    "password": ("alice", "/accounts/password/"),
    "refused": ("alice", "/p/demo/members/"),
    "not found": ("alice", "/p/no-such-project/"),
}


def inline_styles(html: str) -> list[str]:
    """Each element of `html` with a style attribute, each <style> element and each
    inline script, as the start of its markup."""
    tree = lxml.html.fromstring(html)
    found = tree.xpath("//*[@style] | //style | //script[not(@src)]")
    return [lxml.html.tostring(element, encoding="unicode")[:120] for element in found]


@pytest.fixture
def demo(db):
    """The demo with alice's and bob's units (tests/e2e/test_accessibility.py); alice's layer."""
    return annotate_demo()


def as_user(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize("name", [*PAGES, *MORE_PAGES])
def test_no_page_carries_an_inline_style(client, demo, name):
    username, address = {**PAGES, **MORE_PAGES}[name]
    if username:
        as_user(client, username)
    response = client.get(address.format(layer=demo.pk, article=demo.article.pk))

    assert response.status_code == {"refused": 403, "not found": 404}.get(name, 200)
    assert response["Content-Type"].startswith("text/html")
    assert inline_styles(response.content.decode()) == []
    # Nor does htmx add one: no indicator <style>, no style attribute settled by setAttribute.
    tree = lxml.html.fromstring(response.content.decode())
    if tree.xpath('//script[contains(@src, "htmx")]'):
        (config,) = tree.xpath('//meta[@name="htmx-config"]/@content')
        config = json.loads(config)
        assert (config["includeIndicatorStyles"], "style" in config["attributesToSettle"]) == (False, False)


def test_no_answer_the_workspace_swaps_in_carries_an_inline_style(client, demo):
    layer, text = demo, demo.article.text
    Project.objects.filter(pk=layer.article.project_id).update(document_stance=True)  # asked for
    as_user(client, "alice")
    labels = {label.name: label.pk for label in layer.article.project.labels.all()}
    claim = layer.units.get(spans__start=text.index(CLAIM))
    start = text.index("Iran is no Cuba")
    answers = {
        "new unit": post(
            client, "unit_create", layer, label=labels["Premise"], start=utf16(text, start), end=utf16(text, start + 15)
        ),
        "attribute": post(client, "unit_attribute", layer, claim.pk, name="stance", value="Against"),
        "undo": post(client, "layer_undo", layer),
        "redo": post(client, "layer_redo", layer),
        "op-ed stance": post(client, "layer_stance", layer, stance="Against"),
        "finish": post(client, "layer_finish", layer),
        "finish anyway": post(client, "layer_finish", layer, confirmed="on"),
        "refused (finished)": post(client, "unit_create", layer, label=labels["Claim"], start=0, end=5),
        "reopen": post(client, "layer_reopen", layer),
        "stale": post(client, "layer_undo", layer, revision=0),
        "panel": client.get(reverse("annotate:layer_panel", args=["demo", layer.pk]), HTTP_HX_REQUEST="true"),
    }

    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        **{name: 200 for name in answers},
        "refused (finished)": 409,
        "stale": 409,
    }
    assert {name: inline_styles(answer.content.decode()) for name, answer in answers.items()} == {
        name: [] for name in answers
    }


def test_no_answer_the_review_swaps_in_carries_an_inline_style(client, demo):
    article = demo.article
    as_user(client, "curator")
    alice, bob = (Layer.objects.get(article=article, annotator__username=name) for name in ("alice", "bob"))

    def review(route, *args, **data):
        address = reverse(f"annotate:{route}", args=["demo", article.pk, *args])
        return client.post(address, data, HTTP_HX_REQUEST="true")

    major = alice.units.get(spans__start=article.text.index(MAJOR))
    overlapping = make_unit(bob, scheme_of(article.project)["MajorClaim"], MAJOR[:20])  # part of alice's
    answers = {
        "adopt": review("review_adopt", major.pk),
        "question": review("review_adopt", overlapping.pk),
        "keep as it is": client.get(reverse("annotate:review", args=["demo", article.pk]), HTTP_HX_REQUEST="true"),
        "add anyway": review("review_adopt", overlapping.pk, overlap="add"),
        "majority": review("review_majority", minimum=1),
        "finish": review("review_finish"),
        "reopen": review("review_reopen"),
    }

    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {**{name: 200 for name in answers}, "question": 422}
    assert "overlaps this one" in answers["question"].content.decode()
    assert {name: inline_styles(answer.content.decode()) for name, answer in answers.items()} == {
        name: [] for name in answers
    }


def test_the_check_finds_a_style_attribute_a_style_element_and_an_inline_script():
    html = '<div><p style="color: red">a</p><style>p {}</style><script>1</script><script src="x.js"></script></div>'
    assert [found.split(">")[0] + ">" for found in inline_styles(html)] == [
        '<p style="color: red">',
        "<style>",
        "<script>",
    ]
