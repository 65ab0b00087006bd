"""Every page passes axe (axe-core, through axe-playwright-python) with no serious or
critical violation, on the seeded demo with units and relations on the text."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from annotate import relations, units
from annotate.models import Layer
from annotate.seeding import DEMO_PASSWORD, load_seeds

MAJOR = "Israel is now the undisputed regional power"
CLAIM = "So will the ceasefire hold"
PREMISE = "Iran is depleted and banged up"
# A premise in two pieces: the second span is a continuation of the first.
PREMISE_MORE = "they were not able to bring Israel to its knees"
COUNTER = "they were able to inflict damage on civilian areas in Israel"

# page → who looks at it, and its address ({layer} and {article} filled in).
PAGES = {
    "login": (None, "/accounts/login/"),
    "project list": ("manager", "/"),
    "project": ("manager", "/p/demo/"),
    "workspace": ("alice", "/p/demo/layers/{layer}/"),
    "outline": ("alice", "/p/demo/layers/{layer}/outline/"),
    "map": ("alice", "/p/demo/layers/{layer}/map/"),
    "agreement": ("manager", "/p/demo/agreement/"),
    "team": ("manager", "/p/demo/team/"),
    "team (annotator)": ("alice", "/p/demo/team/"),
    "review": ("curator", "/p/demo/articles/{article}/review/"),
    "import": ("manager", "/p/demo/import/"),
    "export": ("manager", "/p/demo/export/"),
    "members": ("manager", "/p/demo/members/"),
    "assignment": ("manager", "/p/demo/assignment/"),
    "labels": ("manager", "/p/demo/scheme/"),
    "settings": ("manager", "/p/demo/settings/"),
}


def span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return (start, start + len(quote))


def annotate_demo() -> Layer:
    """alice marks a major claim, a claim with its stance and a two-span premise, with a
    support and an attack; bob marks the claim. Returns alice's layer."""
    load_seeds()
    alice = Layer.objects.select_related("article__project", "annotator").get(annotator__username="alice")
    bob = Layer.objects.select_related("article__project", "annotator").get(annotator__username="bob")
    text, project = alice.article.text, alice.article.project
    label = {label.name: label for label in project.labels.all()}
    kind = {relation_type.name: relation_type for relation_type in project.relation_types.all()}

    def mark(layer, name, *quotes, attributes=None):
        spans = [span(text, quote) for quote in quotes]
        return units.create_unit(
            layer=layer, label=label[name], spans=spans, user=layer.annotator, attributes=attributes
        ).unit

    major = mark(alice, "MajorClaim", MAJOR)
    claim = mark(alice, "Claim", CLAIM, attributes={"stance": "For"})
    premise = mark(alice, "Premise", PREMISE, PREMISE_MORE)
    counter = mark(alice, "Premise", COUNTER)
    relations.create_relation(layer=alice, type=kind["supports"], source=premise, target=claim, user=alice.annotator)
    relations.create_relation(layer=alice, type=kind["attacks"], source=counter, target=claim, user=alice.annotator)
    assert major.pk
    mark(bob, "Claim", CLAIM, attributes={"stance": "For"})
    return alice


def serious_violations(page) -> list[str]:
    """axe's serious and critical violations, each as its rule and the elements it found."""
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {', '.join(str(node['target'][0]) for node in violation['nodes'])}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(name, page, log_in, transactional_db):
    layer = annotate_demo()
    username, address = PAGES[name]
    if username:
        log_in(username, DEMO_PASSWORD)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(address.format(layer=layer.pk, article=layer.article.pk))
    page.wait_for_load_state("networkidle")

    assert serious_violations(page) == []


def test_every_page_has_a_title_of_its_own(page, log_in, transactional_db):
    layer = annotate_demo()
    titles = {}
    for name, (username, address) in PAGES.items():
        if username:
            page.context.clear_cookies()
            log_in(username, DEMO_PASSWORD)
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto(address.format(layer=layer.pk, article=layer.article.pk))
        titles[name] = page.title()

    assert [title for title in titles.values() if not title.endswith(" · Argument annotator")] == []
    assert len(set(titles.values())) == len(titles), titles
