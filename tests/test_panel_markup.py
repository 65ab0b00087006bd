"""The markup the server draws is what static/annotate/workspace.js looks for.

The selectors, element ids and `data-*` attributes are read out of workspace.js itself,
so renaming a class in annotate/views/panel.py or the page without following it in the script
(or the other way round) fails here, not in an annotator's browser.
"""

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.urls import reverse
from lxml import html

from annotate import projects
from annotate.models import Project
from tests.factories import make_article, make_relation, make_unit

SCRIPT = (Path(settings.BASE_DIR) / "static" / "annotate" / "workspace.js").read_text()
TEXT = "Cities should ban cars. Streets are for people. Noise harms sleep."

# Not the server's markup: classes the script itself puts on elements (and takes off
# again), and the form fields in which keys are left to the browser.
OWN_CLASSES = ".is-selected, .is-linked, .is-related, .is-candidate"
FORM_FIELDS = "input, select, textarea"


def xpath(selector: str) -> str:
    """The XPath of a CSS selector of the kind the script uses: lists of descendant
    compounds made of a tag, `#id`, `.class`, `[attribute]` and `[attribute="value"]`."""
    return " | ".join(_xpath_of_one(part.strip()) for part in selector.split(","))


def _xpath_of_one(selector: str) -> str:
    steps = []
    for compound in selector.split():
        tag, rest = re.fullmatch(r"([a-z]*)(.*)", compound).groups()
        tests = []
        for token in re.findall(r"#[\w-]+|\.[\w-]+|\[[^\]]+\]", rest):
            if token[0] == "#":
                tests.append(f"@id='{token[1:]}'")
            elif token[0] == ".":
                tests.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {token[1:]} ')")
            else:
                name, _, value = token[1:-1].partition("=")
                tests.append(f"@{name}='{value.strip(chr(34))}'" if value else f"@{name}")
        steps.append((tag or "*") + "".join(f"[{test}]" for test in tests))
    return "//" + "//".join(steps)


def selectors_in_script() -> set[str]:
    calls = re.findall(r"(?:querySelectorAll|querySelector|closest)\(([\"`])(.+?)\1\)", SCRIPT)
    return {selector for _, selector in calls} - {OWN_CLASSES, FORM_FIELDS}


def ids_in_script() -> set[str]:
    return {found for _, found in re.findall(r"getElementById\(([\"`])(.+?)\1\)", SCRIPT)}


def dataset_names(owner: str) -> set[str]:
    """The `data-*` attributes the script reads as `owner.dataset.name`, spelled as in HTML."""
    names = re.findall(rf"\b{owner}\.dataset\.(\w+)", SCRIPT)
    return {"data-" + re.sub(r"[A-Z]", lambda capital: "-" + capital[0].lower(), name) for name in names}


@pytest.fixture
def drawn(client, annotator, manager, layer, scheme):
    """The workspace of a layer with units (one with a stance) and a relation, as the
    annotator's browser gets it: the page, the answer to Mark finished (which names
    units) and a refusal (a message)."""
    Project.objects.filter(pk=layer.article.project.pk).update(document_stance=True)
    layer.article.text = TEXT
    layer.article.save()
    claim = make_unit(
        layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"}, note="Unsure of the stance."
    )
    premise = make_unit(layer, scheme["Premise"], "Streets are for people")
    make_relation(layer, scheme["supports"], premise, claim)
    noise = make_unit(layer, scheme["Premise"], "Noise harms sleep")  # unlinked: Mark finished names it
    client.force_login(annotator)
    page_url = reverse("annotate:layer_detail", args=[layer.article.project.slug, layer.pk])
    page = client.get(page_url).content.decode()
    revision = re.search(r'id="layer-revision" name="revision" value="(\d+)"', page)[1]
    args = [layer.article.project.slug, layer.pk]
    finished = client.post(reverse("annotate:layer_finish", args=args), {"revision": revision}, HTTP_HX_REQUEST="true")
    refused = client.post(reverse("annotate:layer_undo", args=args), {"revision": "0"}, HTTP_HX_REQUEST="true")
    assert (finished.status_code, refused.status_code) == (200, 409)
    # And a layer with suggestions (ghosts in the text, rows in the panel).
    Project.objects.filter(pk=layer.article.project.pk).update(suggestions=True)
    suggesting = make_article(layer.article.project, text="We must act now because the climate is changing.")
    projects.assign(article=suggesting, annotators=[annotator], by=manager)
    ghosts = client.get(reverse("annotate:layer_detail", args=[layer.article.project.slug, suggesting.layers.get().pk]))
    documents = [
        html.fromstring(answer)
        for answer in (page, finished.content.decode(), refused.content.decode(), ghosts.content.decode())
    ]
    return {
        "page_url": page_url,
        "page": documents[0],
        "documents": documents,
        "claim": claim,
        "premise": premise,
        "noise": noise,
    }


def found(drawn, selector):
    return [element for document in drawn["documents"] for element in document.xpath(xpath(selector))]


def test_every_selector_in_the_script_finds_something_in_the_markup(drawn):
    units = [drawn["claim"].id, drawn["premise"].id]  # a relation's target and its source
    parts = {part.strip() for selector in selectors_in_script() for part in selector.split(",")}

    missing = sorted(
        part for part in parts if not any(found(drawn, part.replace("${id}", str(unit))) for unit in units)
    )

    assert missing == []
    assert len(parts) >= 15  # the pattern still finds the script's selectors


def test_every_element_id_in_the_script_is_on_the_page(drawn):
    ids = {name.replace("${id}", str(drawn["claim"].id)) for name in ids_in_script()}

    missing = sorted(name for name in ids if not found(drawn, f"#{name}"))

    assert (missing, len(ids) >= 5) == ([], True)


def test_the_workspace_carries_the_urls_and_state_the_script_reads(drawn, layer):
    root = drawn["page"].get_element_by_id("workspace")
    slug = layer.article.project.slug

    assert {name: root.get(name) for name in sorted(dataset_names("root"))} == {
        "data-editable": "true",
        "data-login-url": reverse("login"),
        "data-suggestions-url": reverse("annotate:layer_detail", args=[slug, layer.pk]) + "suggestions/",
        "data-redo-url": reverse("annotate:layer_redo", args=[slug, layer.pk]),
        "data-relations-url": reverse("annotate:relation_create", args=[slug, layer.pk]),
        "data-undo-url": reverse("annotate:layer_undo", args=[slug, layer.pk]),
        "data-units-url": reverse("annotate:unit_create", args=[slug, layer.pk]),
    }
    layer.refresh_from_db()
    revision = drawn["page"].get_element_by_id("layer-revision")
    assert dataset_names("layerState\\(\\)") == {"data-status"}
    assert (revision.get("name"), revision.get("value"), revision.get("data-status")) == (
        "revision",
        str(layer.revision),
        layer.status,
    )
    # Every change sent from the workspace carries that revision and waits its turn.
    assert (root.get("hx-include"), root.get("hx-sync"), root.get("hx-swap")) == (
        "#layer-revision",
        "this:queue all",
        "none",
    )


def test_the_legend_carries_keys_and_attributes_as_the_script_reads_them(drawn, scheme):
    labels = {
        button.text_content().split()[0]: {name: button.get(name) for name in ("data-label", "data-key")}
        | {name: button.get(name) for name in ("data-attribute-name", "data-attribute-values") if button.get(name)}
        for button in drawn["page"].xpath(xpath(".legend [data-label]"))
    }
    kinds = {
        kind.text_content().split()[0]: (kind.get("data-relation-type"), kind.get("data-key"))
        for kind in drawn["page"].xpath(xpath(".legend [data-relation-type]"))
    }

    assert dataset_names("b") == {"data-label", "data-key"}
    assert dataset_names("button") == {"data-attribute-name", "data-attribute-values"}
    assert labels == {
        "MajorClaim": {"data-label": str(scheme["MajorClaim"].pk), "data-key": scheme["MajorClaim"].key},
        "Claim": {
            "data-label": str(scheme["Claim"].pk),
            "data-key": scheme["Claim"].key,
            "data-attribute-name": "stance",
            "data-attribute-values": "For|Against",
        },
        "Premise": {"data-label": str(scheme["Premise"].pk), "data-key": scheme["Premise"].key},
    }
    assert kinds == {
        "supports": (str(scheme["supports"].pk), scheme["supports"].key),
        "attacks": (str(scheme["attacks"].pk), scheme["attacks"].key),
    }


def test_the_panel_buttons_post_to_the_unit_and_relation_urls(drawn, layer):
    claim, premise = drawn["claim"], drawn["premise"]
    relation = layer.relations.get()
    args = [layer.article.project.slug, layer.pk]
    buttons = drawn["page"].xpath("//*[@id='unit-panel']//button[@hx-post]")
    posts = [
        (
            action.get("data-action"),
            urljoin(drawn["page_url"], action.get("hx-post")),
            json.loads(action.get("hx-vals", "{}")),
        )
        for action in buttons
    ]
    stance = reverse("annotate:unit_attribute", args=[*args, claim.pk])

    assert posts == [
        ("attribute", stance, {"name": "stance", "value": ""}),
        ("attribute", stance, {"name": "stance", "value": "Against"}),
        ("delete-unit", reverse("annotate:unit_delete", args=[*args, claim.pk]), {}),
        ("delete-unit", reverse("annotate:unit_delete", args=[*args, premise.pk]), {}),
        ("delete-unit", reverse("annotate:unit_delete", args=[*args, drawn["noise"].pk]), {}),
        ("delete-relation", reverse("annotate:relation_delete", args=[*args, relation.pk]), {}),
    ]
    # The chosen unit's stance, as the 1 and 2 keys read it: the chip that is on.
    on = drawn["page"].xpath(xpath(f'#unit-panel .unit-row[data-unit="{claim.pk}"] [data-action="attribute"].on'))
    assert [chip.text_content() for chip in on] == ["For"]
