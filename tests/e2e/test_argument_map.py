"""The argument map in a real browser: a box opens its unit in the text, and the map
downloads as a file."""

import re

from playwright.sync_api import expect

from annotate import relations, units
from annotate.models import ArgumentUnit, Layer
from annotate.seeding import DEMO_PASSWORD, load_seeds

MAJOR = "Israel is now the undisputed regional power"
CLAIM = "they were not able to bring Israel to its knees"
PREMISE = "Iran is depleted and banged up"


def alices_map() -> tuple[Layer, dict[str, int]]:
    """alice's layer of the seed op-ed: a major claim, a claim and a premise that supports it."""
    load_seeds()
    layer = Layer.objects.select_related("article__project", "annotator").get(annotator__username="alice")
    text, project, user = layer.article.text, layer.article.project, layer.annotator
    label = {entry.name: entry for entry in project.labels.all()}

    def mark(name, quote, **attributes):
        span = (text.index(quote), text.index(quote) + len(quote))
        return units.create_unit(layer=layer, label=label[name], spans=[span], attributes=attributes, user=user).unit

    made = {"major": mark("MajorClaim", MAJOR), "claim": mark("Claim", CLAIM, stance="For")}
    made["premise"] = mark("Premise", PREMISE)
    supports = project.relation_types.get(name="supports")
    relations.create_relation(layer=layer, type=supports, source=made["premise"], target=made["claim"], user=user)
    return layer, {name: unit.pk for name, unit in made.items()}


def test_clicking_a_box_opens_the_workspace_at_its_unit(page, log_in, transactional_db):
    layer, made = alices_map()
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page.get_by_role("heading", name="Argument map")).to_be_visible()

    page.get_by_role("link", name=re.compile(f"Premise: {PREMISE}")).click()

    expect(page).to_have_url(re.compile(rf"/p/demo/layers/{layer.pk}/#u-{made['premise']}$"))
    expect(page.locator(f"#u-{made['premise']}")).to_have_class(re.compile("is-selected"))


def test_a_box_is_reached_and_opened_from_the_keyboard(page, log_in, transactional_db):
    layer, made = alices_map()
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/demo/layers/{layer.pk}/map/")

    claim = page.get_by_role("link", name=re.compile(f"Claim · For: {CLAIM}"))
    claim.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/p/demo/layers/{layer.pk}/#u-{made['claim']}$"))
    expect(page.locator(f"#u-{made['claim']}")).to_have_class(re.compile("is-selected"))


def test_the_map_downloads_as_an_svg_file(page, log_in, transactional_db):
    layer, made = alices_map()
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/demo/layers/{layer.pk}/map/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download SVG").click()

    assert download.value.suggested_filename == "did-trump-flinch-alice-map.svg"
    content = open(download.value.path(), encoding="utf-8").read()
    assert [f'data-unit="{pk}"' in content for pk in made.values()] == [True, True, True]


def test_a_map_wider_than_the_window_opens_at_the_main_conclusion(page, log_in, transactional_db):
    layer, made = alices_map()
    text, user = layer.article.text, layer.annotator
    premise = layer.article.project.labels.get(name="Premise")
    supports = layer.article.project.relation_types.get(name="supports")
    major = ArgumentUnit.objects.get(pk=made["major"])
    words = [match.span() for match in re.finditer(r"\w{6,}", text)][:30]
    for span in words:  # thirty premises side by side under the major claim
        unit = units.create_unit(layer=layer, label=premise, spans=[span], user=user).unit
        relations.create_relation(layer=layer, type=supports, source=unit, target=major, user=user)
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"/p/demo/layers/{layer.pk}/map/")

    frame = page.locator(".map-frame").bounding_box()
    box = page.get_by_role("link", name=re.compile(f"MajorClaim: {MAJOR}")).bounding_box()
    assert page.locator(".map-frame").evaluate("frame => frame.scrollWidth > 3 * frame.clientWidth")
    assert frame["x"] < box["x"] < box["x"] + box["width"] < frame["x"] + frame["width"]
