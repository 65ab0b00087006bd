"""The workspace speaks the project's scheme: its keys help and its structure checks."""

import re

import pytest
from django.urls import reverse

from annotate import projects
from annotate.models import Layer
from tests.factories import make_article, make_user


def keys_help(html: str) -> list[str]:
    """The keys help beside the text, one "keys: what they do" line per entry, tags dropped."""
    section = re.search(r'<details class="keys".*?</details>', html, re.S).group(0)
    entries = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section, re.S)
    plain = [(re.sub(r"<[^>]+>", "", dt), re.sub(r"<[^>]+>", "", dd)) for dt, dd in entries]
    return [" ".join(f"{keys.strip()}: {what.strip()}".split()) for keys, what in plain]


@pytest.fixture
def workspace_of(client, db):
    def open_with(preset: str) -> list[str]:
        manager = make_user()
        project = projects.create_project(name=preset, slug=f"p-{preset}", manager=manager, preset=preset)
        annotator = make_user()
        projects.set_member(project=project, user=annotator, role="annotator", by=manager)
        article = make_article(project)
        projects.assign(article=article, annotators=[annotator], by=manager)
        layer = Layer.objects.get(article=article, annotator=annotator)
        client.force_login(annotator)
        response = client.get(reverse("annotate:layer_detail", args=[project.slug, layer.pk]))
        return keys_help(response.content.decode())

    return open_with


def test_the_keys_help_lists_the_default_schemes_labels_stance_and_relation_keys(workspace_of):
    assert workspace_of("aae") == [
        "m c p: make the selection a unit of that label, or relabel the chosen unit",
        "] [: choose the next / previous unit",
        "1…2: set the chosen Claim’s stance (1 For, 2 Against)",
        "l: link the chosen unit: pick the target (the arc follows the pointer), then the relation key "
        "(s supports, a attacks)",
        "e: set the chosen unit’s boundaries to the selection",
        "+: add the selection as another span of the chosen unit",
        "← → ↑ ↓: in the text (Tab to it): move the caret by character or line; with Ctrl, to the start of a word",
        "Home End: move the caret to the start / end of the line",
        "Shift+ those keys: select from the caret (Ctrl+Shift+→: to the end of a word); outside the text, Shift+→ ← "
        "select by word after the chosen unit",
        "click an arc: choose its relation (hover an arc or a unit to see which units a relation links)",
        "Shift+N: write the chosen unit’s note (Ctrl+Enter saves it, Esc goes back to the text)",
        "Delete: delete the chosen unit (its relations go with it), or the chosen relation",
        "Ctrl+Z: undo (an accepted or rejected suggestion too); with Shift, redo",
        "Esc: cancel, and clear a message",
    ]


def test_a_scheme_without_relation_types_or_attributes_shows_no_link_or_stance_keys(workspace_of):
    assert workspace_of("webis") == [
        "a n t s g o: make the selection a unit of that label, or relabel the chosen unit",
        "] [: choose the next / previous unit",
        "e: set the chosen unit’s boundaries to the selection",
        "+: add the selection as another span of the chosen unit",
        "← → ↑ ↓: in the text (Tab to it): move the caret by character or line; with Ctrl, to the start of a word",
        "Home End: move the caret to the start / end of the line",
        "Shift+ those keys: select from the caret (Ctrl+Shift+→: to the end of a word); outside the text, Shift+→ ← "
        "select by word after the chosen unit",
        "Shift+N: write the chosen unit’s note (Ctrl+Enter saves it, Esc goes back to the text)",
        "Delete: delete the chosen unit",
        "Ctrl+Z: undo (an accepted or rejected suggestion too); with Shift, redo",
        "Esc: cancel, and clear a message",
    ]


def test_a_scheme_without_relation_types_shows_no_relations_in_the_legend_or_the_panel(client, db):
    manager, annotator = make_user(), make_user()
    project = projects.create_project(name="Webis", slug="webis-panel", manager=manager, preset="webis")
    projects.set_member(project=project, user=annotator, role="annotator", by=manager)
    article = make_article(project)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)

    html = client.get(reverse("annotate:layer_detail", args=[project.slug, layer.pk])).content.decode()

    assert re.findall(r"<h2>([A-Za-z]+)", html) == ["Labels", "Units"]
