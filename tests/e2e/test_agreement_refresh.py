"""The agreement page in a real browser on a site with a worker: the curator never waits for
the figures; the page says they are being computed, and the poll swaps them in, without a
reload, once the worker ran; after a layer is reopened it shows the last figures with how
many layers changed since, until the new ones arrive."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from annotate.lifecycle import reopen_layer
from annotate.models import Article, Layer, Project
from annotate.project_agreement import project_agreement
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.test_journey_curator import annotate_the_op_ed, shown


@pytest.fixture
def worker_mode(settings):
    settings.ANNOTATE_AGREEMENT_INLINE = False


def test_the_figures_arrive_without_a_reload_once_the_worker_ran(page, log_in, transactional_db, worker_mode):
    load_seeds()
    project = Project.objects.get(slug="demo")
    annotate_the_op_ed(project, Article.objects.get(project=project))
    report = project_agreement(project)
    log_in("curator", DEMO_PASSWORD)
    state = page.locator(".agreement-state")

    def alpha():
        term = page.get_by_role("term").filter(has_text=re.compile("^αU$"))
        return page.locator(".figure").filter(has=term).get_by_role("definition").first

    page.goto("/p/demo/agreement/")
    expect(state).to_have_text("Computing agreement…")
    expect(alpha()).to_have_count(0)
    page.evaluate("window.sameDocument = true")

    call_command("run_worker", "--batch", "--no-startup-delay")

    expect(state).to_have_text("Computed just now.")
    expect(alpha()).to_have_text(shown(report.alpha_u.alpha))
    assert page.evaluate("window.sameDocument") is True

    bob = Layer.objects.select_related("annotator").get(article__project=project, annotator__username="bob")
    reopen_layer(layer=bob, user=bob.annotator)
    page.reload()

    expect(state).to_have_text("Computed just now; 1 layer changed since — recomputing…")
    expect(alpha()).to_have_text(shown(report.alpha_u.alpha))

    call_command("run_worker", "--batch", "--no-startup-delay")

    after = project_agreement(project)
    expect(state).to_have_text("Computed just now.")
    expect(alpha()).to_have_text(shown(after.alpha_u.alpha))
    assert after != report
