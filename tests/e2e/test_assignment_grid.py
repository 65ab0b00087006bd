"""The assignment of a project of 600 articles × 2 annotators in a real browser (the size
at which the whole-grid form could not be saved at all): ticks saved page by page, the
unsaved count, the pages kept after a save, and a bulk assignment over a filter."""

import pytest
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Article, Layer, Role, text_hash
from tests.factories import make_project, make_user

ARTICLES = 600


@pytest.fixture
def lab(transactional_db):
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="lab")
    for name in ("alice", "bob"):
        projects.set_member(project=project, user=make_user(name), role=Role.ANNOTATOR, by=manager)
    Article.objects.bulk_create(
        Article(project=project, title=f"Op-ed {n:03d}", text=f"Text {n}.", text_hash=text_hash(f"Text {n}."))
        for n in range(ARTICLES)
    )
    return project


def test_a_manager_assigns_600_articles_page_by_page_and_then_by_a_filter(page, log_in, lab):
    log_in("mia_manager", "secret-pass-1")
    page.goto("/p/lab/assignment/")
    expect(page.locator("#assignment-count")).to_have_text("600 articles.")
    expect(page.locator("table.assignment tbody tr")).to_have_count(50)

    page.get_by_label("Assign “Op-ed 000” to alice").check()
    page.get_by_label("Assign “Op-ed 001” to alice").check()
    page.get_by_label("Assign “Op-ed 001” to bob").check()
    page.get_by_label("Assign “Op-ed 002” to bob").check()
    expect(page.locator("#unsaved")).to_have_text("4 changes not saved yet.")
    page.get_by_role("button", name="Save this page").click()
    expect(page.get_by_role("status")).to_have_text("Saved: 4 assignments added, 0 removed.")
    expect(page.locator("#unsaved")).to_have_text("")
    expect(page.get_by_label("Assign “Op-ed 001” to bob")).to_be_checked()

    # The next page; a save there answers with the same page.
    page.get_by_role("link", name="Next 50 →").click()
    expect(page.locator("table.assignment tbody tr th").first).to_have_text("Op-ed 050")
    page.get_by_label("Assign “Op-ed 077” to bob").check()
    page.get_by_role("button", name="Save this page").click()
    expect(page.get_by_role("status")).to_have_text("Saved: 1 assignment added, 0 removed.")
    expect(page.locator("table.assignment tbody tr th").first).to_have_text("Op-ed 050")

    # Every unassigned article at once, two annotators each.
    page.get_by_label("Status").select_option(label="Unassigned")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#assignment-count")).to_have_text("596 articles match the filter.")
    page.get_by_label("Annotators per article").fill("2")
    page.get_by_role("button", name="Assign, least loaded first").click()
    expect(page.get_by_role("status")).to_have_text("1192 assignments added to the articles matching the filter.")
    expect(page.locator("#assignment-count")).to_have_text("0 articles match the filter.")

    assert Layer.objects.filter(article__project=lab).count() == 5 + 1192
