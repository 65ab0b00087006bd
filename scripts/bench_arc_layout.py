"""How much room the relation arcs take, whether their labels collide, and how long
drawing them takes: the arcs of `main` (before) and of the working tree (after), in one
run, in Chromium.

Two layers of the seed op-ed ("Did Trump Flinch?", `load_seeds`) in a throwaway
PostgreSQL database of its own:

- the demo: alice's layer with the five units and five relations of
  tests/e2e/test_arcs.py (on one row and across rows, two arcs into one unit);
- 40 relations: bob's layer with 30 units (one per sentence of the article's body,
  one MajorClaim, nine Claims, twenty Premises) and 40 relations drawn at random with a
  fixed seed (claims into the major claim, premises into a claim or premise near them,
  a few far).

Each is shown in Debian's Chromium (headless, 1,400 × 1,000 px) with arcs.js and
arcs.css as they are on the branch `main` (served in their place by Playwright's
request routing) and as they are in the working tree, and the page measures:

- extra height: the text's height with the arcs drawn minus with them left out
  (`?arcs=off`), and the same for the page's whole height;
- label collisions: pairs of arc labels whose boxes overlap (must be 0);
- labels per arc, and arc ends into one unit closer than 12 px to another;
- draw time: arcs.js's own "arcs-draw" measure over many drawings of every arc afresh
  (a resize event each time, a frame apart), p50 and p95.

A screenshot of each is written to --shots (default /tmp/arc-layout).

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_arc_layout.py [--draws N] [--before REF]
"""

import argparse
import os
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"

from _bench import code_version, require  # noqa: E402
from bench_arcs import CHROMIUM, DRAW_ALL, start_server  # noqa: E402  (sets up Django)
from bench_workspace import summary  # noqa: E402
from django.db import connection  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from annotate import relations, units  # noqa: E402
from annotate.models import Layer  # noqa: E402
from annotate.seeding import DEMO_PASSWORD, load_seeds  # noqa: E402

VERSIONS = os.environ.get("ARC_VERSIONS", "before after").split()
DEMO_UNITS = [
    ("MajorClaim", "Israel is now the undisputed regional power"),
    ("Claim", "they were not able to bring Israel to its knees"),
    ("Premise", "Iran is depleted and banged up"),
    ("Premise", "revealed to be far more vulnerable than most in the region thought"),
    ("Claim", "Trump was able to talk Netanyahu into only a light bombing"),
]
DEMO_RELATIONS = [("supports", 2, 1), ("supports", 3, 2), ("supports", 1, 0), ("attacks", 4, 1), ("supports", 2, 4)]

# What the page measures once the arcs are drawn.
MEASURE = """() => {
  const tags = [...document.querySelectorAll("svg.arcs .arc .arc-tag")].map((tag) => tag.getBoundingClientRect());
  let collisions = 0;
  for (let i = 0; i < tags.length; i++)
    for (let j = i + 1; j < tags.length; j++) {
      const a = tags[i], b = tags[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) collisions++;
    }
  const arcs = [...document.querySelectorAll("svg.arcs .arc")];
  const tips = new Map();
  for (const arc of arcs) {
    for (const line of arc.querySelectorAll(".arc-line")) {
      const end = line.getPointAtLength(line.getTotalLength()).matrixTransform(line.getScreenCTM());
      const start = line.getPointAtLength(0).matrixTransform(line.getScreenCTM());
      for (const [unit, point] of [[arc.dataset.target, end], [arc.dataset.source, start]]) {
        if (!tips.has(unit)) tips.set(unit, []);
        tips.get(unit).push(point.x);
      }
    }
  }
  let bunched = 0;
  for (const xs of tips.values())
    for (let i = 0; i < xs.length; i++)
      for (let j = i + 1; j < xs.length; j++) if (Math.abs(xs[i] - xs[j]) < 12) bunched++;
  return {
    arcs: arcs.length,
    labels: tags.length,
    collisions,
    bunched,
    text: document.getElementById("article-text").getBoundingClientRect().height,
    page: document.documentElement.scrollHeight,
  };
}"""


def build() -> dict[str, Layer]:
    load_seeds()
    demo = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text, project = demo.article.text, demo.article.project
    labels = {label.name: label for label in project.labels.all()}
    types = {kind.name: kind for kind in project.relation_types.all()}

    def unit(layer, label, start, end):
        return units.create_unit(layer=layer, label=labels[label], spans=[(start, end)], user=layer.annotator).unit

    def link(layer, name, source, target):
        relations.create_relation(layer=layer, type=types[name], source=source, target=target, user=layer.annotator)

    made = [unit(demo, label, text.index(quote), text.index(quote) + len(quote)) for label, quote in DEMO_UNITS]
    for name, source, target in DEMO_RELATIONS:
        link(demo, name, made[source], made[target])

    many = Layer.objects.get(article=demo.article, annotator__username="bob")
    sentences = [m for m in re.finditer(r"[A-Z][^.!?\n]{40,220}[.!?]", text)][:30]
    require(len(sentences) == 30, f"{len(sentences)} sentences")
    roles = ["MajorClaim"] + ["Claim"] * 9 + ["Premise"] * 20
    rng = random.Random(24)
    rng.shuffle(roles)
    made = [unit(many, role, m.start(), m.end()) for role, m in zip(roles, sentences, strict=True)]
    major = next(u for u, role in zip(made, roles, strict=True) if role == "MajorClaim")
    claims = [u for u, role in zip(made, roles, strict=True) if role == "Claim"]
    pairs = {(claim.pk, major.pk) for claim in claims}
    while len(pairs) < 40:
        i = rng.randrange(len(made))
        j = i + rng.choice([-3, -2, -1, 1, 2, 3]) if rng.random() < 0.8 else rng.randrange(len(made))
        if 0 <= j < len(made) and j != i and made[i] != major and (made[j].pk, made[i].pk) not in pairs:
            pairs.add((made[i].pk, made[j].pk))
    by_pk = {u.pk: u for u in made}
    for index, (source, target) in enumerate(sorted(pairs)):
        link(many, "attacks" if index % 5 == 4 else "supports", by_pk[source], by_pk[target])
    return {"demo": demo, "40 relations": many}


def serve(body: bytes, kind: str):
    """A route handler that answers with `body` (Playwright passes a handler of two
    parameters the request too)."""

    def handler(route):
        route.fulfill(body=body, content_type=kind)

    return handler


def run(draws: int, before: str, shots: Path) -> None:
    layers = {
        name: (layer.annotator.username, f"/p/{layer.article.project.slug}/layers/{layer.pk}/", layer.relations.count())
        for name, layer in build().items()
    }
    old = {
        name: subprocess.check_output(["git", "show", f"{before}:static/annotate/{name}"], cwd=ROOT)
        for name in ("arcs.js", "arcs.css")
    }
    before_commit = subprocess.check_output(["git", "rev-parse", "--short", before], cwd=ROOT, text=True).strip()
    server = start_server()
    base = f"http://localhost:{server.port}"
    shots.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for version in VERSIONS:
                for name, (username, path, count) in layers.items():
                    context = browser.new_context(viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
                    if version == "before":
                        for file, body in old.items():
                            kind = "text/javascript" if file.endswith(".js") else "text/css"
                            context.route(f"**/static/annotate/{file}*", serve(body, kind))
                    page = context.new_page()
                    page.on("pageerror", lambda error: print("page error:", error, file=sys.stderr))
                    page.goto(f"{base}/accounts/login/")
                    page.get_by_label("Username").fill(username)
                    page.get_by_label("Password").fill(DEMO_PASSWORD)
                    page.get_by_role("button", name="Log in").click()
                    page.wait_for_url(lambda address: "/accounts/login/" not in address)
                    url = f"{base}{path}"
                    page.goto(f"{url}?arcs=off")
                    page.wait_for_function("document.fonts.status === 'loaded'")
                    bare = page.evaluate(MEASURE)
                    page.goto(url)
                    page.wait_for_function(f"document.querySelectorAll('svg.arcs .arc').length === {count}")
                    page.evaluate(DRAW_ALL, 5)
                    drawn = page.evaluate(MEASURE)
                    times, _ = page.evaluate(DRAW_ALL, draws)
                    shot = shots / f"{version}-{name.replace(' ', '-')}"
                    page.screenshot(path=f"{shot}.png", full_page=True)
                    for top in (150, 850):  # two pieces at full size
                        clip = {"x": 40, "y": top, "width": 940, "height": 700}
                        page.screenshot(path=f"{shot}-{top}.png", full_page=True, clip=clip)
                    context.close()
                    results.append((version, name, bare, drawn, times))
            browser.close()
    finally:
        server.terminate()
    print()
    print(f"Arc layout: before = {before} ({before_commit}), after = working tree ({code_version()})")
    print("Chromium (headless, 1400 × 1000), the seed op-ed; times in ms (arcs-draw, a resize each)")
    header = (
        f"{'article':<14}{'code':<8}{'arcs':>5}{'labels':>7}{'collide':>8}{'bunched':>8}"
        f"{'text +px':>9}{'page +px':>9}{'n':>5}{'p50':>7}{'p95':>7}"
    )
    print(header)
    print("-" * len(header))
    for version, name, bare, drawn, times in results:
        figures = summary(times)
        print(
            f"{name:<14}{version:<8}{drawn['arcs']:>5}{drawn['labels']:>7}{drawn['collisions']:>8}"
            f"{drawn['bunched']:>8}{drawn['text'] - bare['text']:>9.0f}{drawn['page'] - bare['page']:>9.0f}"
            f"{len(times):>5}{figures['p50']:>7.1f}{figures['p95']:>7.1f}"
        )
    print(f"bare text height: {results[0][2]['text']:.0f} px; screenshots in {shots}")
    print(f"load average at the end: {', '.join(f'{load:.1f}' for load in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=300, help="full drawings timed per page (default 300)")
    parser.add_argument("--before", default="main", help="the git ref whose arcs are 'before' (default main)")
    parser.add_argument("--shots", type=Path, default=Path("/tmp/arc-layout"), help="where the screenshots go")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")
    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False)
    try:
        run(args.draws, args.before, args.shots)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
