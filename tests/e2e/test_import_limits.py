"""An upload too large for the server, in a real browser: refused from its declared size,
before the server reads it, and the manager is told the limit on the Import page."""

import re

from django.test import override_settings
from playwright.sync_api import expect

from annotate.models import Article
from tests.factories import make_project, make_user

TOO_LARGE = (
    "The files of one import may add up to 1,000 bytes (the limit, ANNOTATE_MAX_UPLOAD_BYTES); "
    "these are larger. Import them in parts."
)


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000)
def test_a_file_too_large_to_receive_gets_the_limit_named_on_the_import_page(page, log_in, transactional_db):
    manager = make_user("mia_manager")
    make_project(manager=manager, slug="opeds")
    log_in("mia_manager", "secret-pass-1")
    page.goto("/p/opeds/import/")
    # Over the limit and the form's 1 MB allowance: the request is refused unread.
    text = b"Calm streets\n\n" + b"Cities should ban cars. " * 50_000
    page.get_by_label(re.compile(r"^Files")).set_input_files(
        files=[{"name": "long.txt", "mimeType": "text/plain", "buffer": text}]
    )

    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator("#messages .message.error")).to_have_text([TOO_LARGE])
    expect(page.get_by_role("heading", name="Import articles and annotations")).to_be_visible()
    page.screenshot(path="/tmp/import-too-large.png", full_page=True)
    assert Article.objects.count() == 0
