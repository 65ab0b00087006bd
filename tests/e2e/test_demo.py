from playwright.sync_api import expect

from annotate.models import Article
from annotate.seeding import DEMO_PASSWORD, load_seeds


def test_demo_annotator_logs_in_and_reads_the_cleaned_seed_article(page, log_in, transactional_db):
    load_seeds()
    article = Article.objects.get()

    log_in("alice", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
    page.get_by_role("link", name="Demo: op-ed arguments").click()
    page.get_by_role("link", name="Next article").click()

    expect(page.get_by_role("heading", name="Did Trump Flinch?")).to_be_visible()
    body = page.locator(".article-text")
    expect(body).to_contain_text("Trump’s sudden announcement of a ceasefire")
    # What the offsets count is the article's text to the character; on screen, each line
    # of it is a block of its own (its direction its own), so the rendered text has the
    # same lines, with the blank ones doubled.
    assert body.evaluate("element => element.textContent") == article.text
    shown = [line for line in body.inner_text().split("\n") if line.strip()]
    assert shown == [line for line in article.text.split("\n") if line.strip()]
    expect(page.get_by_text("1.1K views")).to_have_count(0)
    expect(page.get_by_text("This website uses cookies")).to_have_count(0)
