"""Suggestions from a manager's first click to an annotator's accepted unit, in a real
browser: the manager turns them on in the settings, adds a marker of the lab's own on the
scheme page, asks for a model and is told there is too little gold for one; the
annotator then finds a ghost the new marker made, accepts it with the keyboard, and takes
it back with Ctrl+Z."""

from django.contrib.auth.models import User
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Layer, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.factories import make_article
from tests.test_import_tasks import run_worker

TEXT = "Schools should start later, as research on teenage sleep makes plain.\n\nNobody asked the parents."


def test_a_manager_sets_suggestions_up_and_an_annotator_accepts_one(page, log_in, transactional_db):
    load_seeds()
    project = Project.objects.get(slug="demo")
    article = make_article(project, text=TEXT, title="School hours")
    alice, manager = (User.objects.get(username=name) for name in ("alice", "manager"))
    projects.assign(article=article, annotators=[alice], by=manager)
    layer = Layer.objects.get(article=article, annotator=alice)

    log_in("manager", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/p/demo/settings/")
    page.get_by_label("Suggest units and relations").check()
    expect(page.get_by_text("the model learns from curated gold alone")).to_be_visible()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_label("Suggest units and relations")).to_be_checked()

    page.goto("/p/demo/scheme/")
    premise_markers = page.get_by_label("Before a premise")
    expect(premise_markers).to_have_value(premise_markers.input_value())
    assert "because" in premise_markers.input_value().split("\n")
    premise_markers.fill(premise_markers.input_value() + "\nas research on")
    page.get_by_role("button", name="Save markers").click()
    expect(page.get_by_text("Markers saved.")).to_be_visible()
    assert page.get_by_label("Before a premise").input_value().split("\n")[-1] == "as research on"

    page.goto("/p/demo/suggestions/models/")
    page.get_by_role("button", name="Train now").click()
    expect(page.get_by_text("A training is waiting for a worker")).to_be_visible()
    run_worker()
    page.reload()
    expect(page.get_by_text("at least 10 are needed before suggestions come from a model")).to_be_visible()

    page.context.clear_cookies()
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    ghost = page.locator("#article-text mark.ghost", has_text="teenage sleep makes plain")
    expect(ghost).to_have_count(1)
    page.locator("#article-text").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(ghost).to_be_focused()
    page.keyboard.press("Enter")
    accepted = page.locator("#article-text mark[data-unit]", has_text="teenage sleep makes plain")
    expect(accepted).to_have_attribute("data-tag", "Premise")
    expect(page.locator("#unit-panel .unit-row")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(accepted).to_have_count(0)
    expect(ghost).to_have_count(1)
