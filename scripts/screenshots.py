"""Refresh the screenshots in docs/: the workspace, the argument outline, the argument
map and the curator's review.

    .venv/bin/python scripts/screenshots.py

Builds the seeded demo in a throwaway SQLite database, annotates the seed op-ed as
alice (a major claim, claims for and against, premises and their relations, one
discontinuous and one overlapping unit) and as bob (some units as alice's, some
not), serves it, and photographs the pages in Debian's Chromium.
"""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def annotate_demo() -> int:
    """Alice's annotations of the seed article; returns her layer's id."""
    from annotate import lifecycle, relations, units
    from annotate.models import Layer
    from annotate.seeding import load_seeds

    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text, project, user = layer.article.text, layer.article.project, layer.annotator
    label = {entry.name: entry for entry in project.labels.all()}
    relation_type = {entry.name: entry for entry in project.relation_types.all()}
    lifecycle.start_layer(layer=layer, user=user)  # as the first change in the workspace does

    def unit(name, *quotes, **attributes):
        spans = [(text.index(quote), text.index(quote) + len(quote)) for quote in quotes]
        return units.create_unit(layer=layer, label=label[name], spans=spans, attributes=attributes, user=user).unit

    major = unit("MajorClaim", "Israel is now the undisputed regional power")
    claim = unit(
        "Claim",
        "Trump was able to talk Netanyahu into only a light bombing",
        stance="For",
    )
    doubt = unit("Claim", "they were not able to bring Israel to its knees", stance="For")
    premise = unit("Premise", "Iran is depleted and banged up")
    weaker = unit("Premise", "revealed to be far more vulnerable than most in the region thought")
    concession = unit(
        "Premise", "they were able to inflict damage on civilian areas in Israel", "killing four this morning"
    )
    relations.create_relation(layer=layer, type=relation_type["supports"], source=premise, target=doubt, user=user)
    relations.create_relation(layer=layer, type=relation_type["supports"], source=weaker, target=premise, user=user)
    relations.create_relation(layer=layer, type=relation_type["attacks"], source=concession, target=doubt, user=user)
    relations.create_relation(layer=layer, type=relation_type["supports"], source=doubt, target=major, user=user)
    unit("Premise", "Probably")
    # A premise inside the claim: overlapping units are drawn nested, each underlined.
    inner = unit("Premise", "only a light bombing")
    relations.create_relation(layer=layer, type=relation_type["supports"], source=inner, target=claim, user=user)
    return layer.pk


def annotate_bob() -> int:
    """Bob's annotations of the seed article, some as alice's, some not; returns the article's id."""
    from annotate import lifecycle, relations, units
    from annotate.models import Layer

    layer = Layer.objects.select_related("article__project").get(annotator__username="bob")
    text, project, user = layer.article.text, layer.article.project, layer.annotator
    label = {entry.name: entry for entry in project.labels.all()}
    lifecycle.start_layer(layer=layer, user=user)

    def unit(name, quote, **attributes):
        spans = [(text.index(quote), text.index(quote) + len(quote))]
        return units.create_unit(layer=layer, label=label[name], spans=spans, attributes=attributes, user=user).unit

    unit("MajorClaim", "Israel is now the undisputed regional power and has flipped what was the Shia Crescent")
    claim = unit("Claim", "Trump was able to talk Netanyahu into only a light bombing", stance="For")
    unit("Claim", "they were not able to bring Israel to its knees", stance="Against")
    premise = unit("Premise", "Iran is depleted and banged up")
    supports = project.relation_types.get(name="supports")
    relations.create_relation(layer=layer, type=supports, source=premise, target=claim, user=user)
    unit("Claim", "revealed to be far more vulnerable than most in the region thought", stance="For")
    unit("Premise", "Under no circumstance did the President want a regime change")
    return layer.article.pk


# The page's region holding every arc (and the text under them), with a margin.
ARCS_BOX = """() => {
  const boxes = [...document.querySelectorAll("svg.arcs .arc")].map((arc) => arc.getBoundingClientRect());
  const text = document.getElementById("article-text").getBoundingClientRect();
  const top = Math.min(...boxes.map((box) => box.top)) - 8;
  const bottom = Math.max(...boxes.map((box) => box.bottom)) + 30;
  return { x: text.left - 20, y: top + window.scrollY, width: text.width + 40, height: bottom - top };
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="annotate-shots-"))
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}"}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotate.settings")
    sys.path.insert(0, str(ROOT))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    layer_pk = annotate_demo()
    article_pk = annotate_bob()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/")
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Username").fill("alice")
            page.get_by_label("Password").fill("demo")
            page.get_by_role("button", name="Log in").click()
            page.goto(f"{base}/p/demo/layers/{layer_pk}/")
            page.keyboard.press("]")
            page.keyboard.press("]")
            page.keyboard.press("]")
            page.wait_for_timeout(600)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=ROOT / "docs" / "workspace.png")
            # The relations' arcs over the text, one of them hovered, in a narrower window.
            page.set_viewport_size({"width": 1000, "height": 1000})
            page.reload()
            page.locator("svg.arcs .arc-tag").first.hover()
            arcs = page.evaluate(ARCS_BOX)
            page.screenshot(path=ROOT / "docs" / "arcs.png", full_page=True, clip=arcs)
            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(f"{base}/p/demo/layers/{layer_pk}/outline/")
            page.screenshot(path=ROOT / "docs" / "outline.png", full_page=True)
            page.goto(f"{base}/p/demo/layers/{layer_pk}/map/")
            page.screenshot(path=ROOT / "docs" / "map.png", full_page=True)
            # The curator's review: alice's and bob's lanes under the text, two units adopted.
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Username").fill("curator")
            page.get_by_label("Password").fill("demo")
            page.get_by_role("button", name="Log in").click()
            page.goto(f"{base}/p/demo/articles/{article_pk}/review/")
            for key in ["]", "Enter", "]", "Enter", "]"]:
                page.keyboard.press(key)
                page.wait_for_timeout(400)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=ROOT / "docs" / "curation.png")
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print("Wrote docs/workspace.png, docs/arcs.png, docs/outline.png, docs/map.png and docs/curation.png")


if __name__ == "__main__":
    main()
