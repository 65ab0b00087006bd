"""Browser benchmark of the relation arcs over the workspace's text, in Chromium.

On the layer of scripts/bench_workspace.py (an article of exactly 20,000 characters,
300 argument units, 150 relations, built by its `build` in a throwaway PostgreSQL
database of its own), served by Django's live server thread, Debian's Chromium
(headless, 1,400 × 1,000 px) measures, with performance.now() inside the page:

- draw all: the time arcs.js takes to draw all 150 arcs (its "arcs-draw" measure),
  redrawn many times (a resize event each time);
- redraw after a change: the same measure for every drawing that follows a relabel
  made with the keyboard (the answer swaps the unit's lines, then the panel is
  refreshed: each is followed by one drawing). The browser's layout of what was
  swapped in is forced (and timed) as soon as it is swapped in, so it is not counted
  in the drawing; it is reported on its own, with the arcs drawn and without;
- key to highlight: from the label key's keydown to the frame that shows the unit's
  new label (the swapped line laid out, after the arcs' drawing in that frame), with
  the arcs drawn and with them left out (`?arcs=off`), in alternating blocks; and the
  part of it until the answer is swapped in (the server's, and the network's).

A fixed piece of JavaScript is timed in the page between the drawings, as
bench_workspace.py times a fixed Python loop: it shows how fast the shared machine
ran meanwhile.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_arcs.py [--draws N] [--changes N]

As bench_workspace.py, it creates its own database `test_annotate_bench_<pid>` on the
server DATABASE_URL names and drops it at the end.
"""

import argparse
import os
import platform
import random
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

# The live server speaks plain HTTP: cookies that are not only for HTTPS.
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"

import django  # noqa: E402
from _bench import code_version, require  # noqa: E402
from bench_workspace import SEED, build, summary  # noqa: E402  (sets up Django as it needs)
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BLOCKS = 6  # alternating blocks of changes, arcs on and off

# Redraw all arcs `count` times, one resize event a frame apart: the durations of
# arcs.js's own "arcs-draw" measure, and of a fixed piece of JavaScript (no DOM) timed
# in the same frames, which shows how fast the shared machine ran meanwhile.
DRAW_ALL = """async (count) => {
  performance.clearMeasures("arcs-draw");
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const reference = [];
  for (let i = 0; i < count; i++) {
    window.dispatchEvent(new Event("resize"));
    await frame();
    const began = performance.now();
    let sum = 0;
    for (let j = 0; j < 1e6; j++) sum += (j * j) % 7;
    reference.push(performance.now() - began + (sum < 0 ? 1 : 0));
  }
  return [performance.getEntriesByName("arcs-draw").map((entry) => entry.duration), reference];
}"""
# Armed before a label key: resolves, once the unit's mark carries the new tag, to the
# time from the keydown to that frame (its requestAnimationFrame callbacks, the arcs'
# first, then layout).
ARM = """([unit, tag]) => {
  performance.clearMeasures("arcs-draw");
  window.benchShown = new Promise((resolve) => {
    const text = document.getElementById("article-text");
    const watch = new MutationObserver(() => {
      const mark = document.getElementById(`u-${unit}`);
      if (!mark || !mark.dataset.tag.startsWith(tag)) return;
      watch.disconnect();
      const swapped = performance.now() - window.benchKeydown;
      requestAnimationFrame(() => {
        void text.offsetHeight;
        resolve([performance.now() - window.benchKeydown, swapped]);
      });
    });
    watch.observe(text, { childList: true });
  });
}"""
DRAWINGS = "performance.getEntriesByName('arcs-draw').map((entry) => entry.duration)"
# Installed once per page load: the keydown's time, and the layout of whatever an
# answer swaps in (lines of the text, the panel's rows), forced and timed as soon as it
# is swapped in, so that the arcs' drawing that follows is timed on its own.
WATCH = """() => {
  document.addEventListener("keydown", (event) => { window.benchKeydown = event.timeStamp; }, true);
  window.benchLayouts = [];
  const text = document.getElementById("article-text");
  const layOut = () => {
    const began = performance.now();
    void text.offsetHeight;
    window.benchLayouts.push(performance.now() - began);
  };
  const watch = new MutationObserver(layOut);
  watch.observe(text, { childList: true });
  watch.observe(document.getElementById("unit-panel"), { childList: true });
}"""
SETTLED = """([unit, name]) => new Promise((resolve) => {
  const check = () => {
    const row = document.querySelector(`#unit-panel .unit-row[data-unit="${unit}"] .unit-label`);
    if (row && row.textContent === name) requestAnimationFrame(() => requestAnimationFrame(resolve));
    else requestAnimationFrame(check);
  };
  check();
})"""


def start_server() -> LiveServerThread:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    server = LiveServerThread("localhost", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server


def relabel_round(page, units: list[str], *, samples: dict, arcs: bool) -> None:
    """Relabel each unit Premise → Claim → Premise with its keys, timing each key."""
    for unit in units:
        page.locator(f'#unit-panel .unit-row[data-unit="{unit}"] .unit-pick').click()
        for key, tag, name in (("c", "Claim", "Claim"), ("p", "Premise", "Premise")):
            page.evaluate(ARM, [unit, tag])
            page.keyboard.press(key)
            shown, swapped = page.evaluate("window.benchShown")
            samples["key_on" if arcs else "key_off"].append(shown)
            samples["swap_on" if arcs else "swap_off"].append(swapped)
            page.evaluate(SETTLED, [unit, name])
            samples["layout_on" if arcs else "layout_off"].extend(page.evaluate("window.benchLayouts.splice(0)"))
            if arcs:
                samples["redraw"].extend(page.evaluate(DRAWINGS))


def run(draws: int, changes: int) -> None:
    _, annotator, layer, _ = build(random.Random(SEED))
    server = start_server()
    base = f"http://localhost:{server.port}"
    url = f"{base}/p/{layer.article.project.slug}/layers/{layer.pk}/"
    measures = ("draw", "reference", "redraw", "key_on", "key_off", "swap_on", "swap_off", "layout_on", "layout_off")
    samples = {measure: [] for measure in measures}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
            page = context.new_page()
            page.on("pageerror", lambda error: print("page error:", error, file=sys.stderr))
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Username").fill(annotator.username)
            page.get_by_label("Password").fill("bench-pass-1")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda address: "/accounts/login/" not in address)

            page.goto(url)
            page.wait_for_function("document.querySelectorAll('svg.arcs .arc').length === 150")
            page.evaluate(DRAW_ALL, 10)  # warm up
            samples["draw"], samples["reference"] = page.evaluate(DRAW_ALL, draws)
            require(len(samples["draw"]) >= draws, f"{len(samples['draw'])} drawings for {draws} resizes")

            premises = page.locator("#unit-panel .unit-row").evaluate_all(
                "rows => rows.filter((row) => row.querySelector('.unit-label').textContent === 'Premise')"
                ".map((row) => row.dataset.unit)"
            )
            require(len(premises) == 100, f"{len(premises)} premises")
            per_block = max(1, changes // BLOCKS)
            for block in range(2 * BLOCKS):
                arcs = block % 2 == 0
                page.goto(url if arcs else f"{url}?arcs=off")
                page.evaluate(WATCH)
                page.wait_for_function(f"document.querySelectorAll('svg.arcs .arc').length === {150 if arcs else 0}")
                chosen = premises[(block // 2) * per_block : (block // 2 + 1) * per_block]
                relabel_round(page, chosen, samples=samples, arcs=arcs)
            chromium = browser.version
            browser.close()
    finally:
        server.terminate()
    report(samples, chromium)


def report(samples: dict, chromium: str) -> None:
    server = connection.cursor().connection.info.server_version
    print()
    print(f"Relation arcs, {date.today().isoformat()}, code {code_version()}")
    print(
        f"Chromium {chromium} (headless, 1400 × 1000), Python {platform.python_version()}, "
        f"Django {django.get_version()}, PostgreSQL {server // 10000}.{server % 10000}, {os.cpu_count()} CPUs"
    )
    print("Article: 20000 characters, 300 units, 150 relations (scripts/bench_workspace.py's layer).")
    print()
    header = f"{'measure':<52} {'n':>5} {'min':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
    print(header)
    print("-" * len(header))
    rows = [
        ("draw all 150 arcs (arcs-draw, a resize each)", samples["draw"]),
        ("redraw after a relabel (arcs-draw, text and panel)", samples["redraw"]),
        ("layout of what an answer swaps in, arcs drawn", samples["layout_on"]),
        ("layout of what an answer swaps in, arcs off", samples["layout_off"]),
        ("key to the answer swapped in, arcs drawn", samples["swap_on"]),
        ("key to the answer swapped in, arcs off", samples["swap_off"]),
        ("key to highlight, arcs drawn", samples["key_on"]),
        ("key to highlight, arcs off (?arcs=off)", samples["key_off"]),
        ("reference: a fixed JavaScript loop, no DOM", samples["reference"]),
    ]
    for name, times in rows:
        figures = summary(times)
        print(
            f"{name:<52} {len(times):>5} {min(times):>7.1f} {figures['p50']:>7.1f} {figures['p95']:>7.1f} "
            f"{figures['p99']:>7.1f} {figures['max']:>7.1f}"
        )
    print("(ms, performance.now() in the page; key to highlight includes the server's answer)")
    print(f"load average at the end: {', '.join(f'{load:.1f}' for load in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=300, help="full drawings timed (default 300)")
    parser.add_argument(
        "--changes", type=int, default=60, help="units relabelled each way, arcs on and off (default 60)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")
    if not Path(CHROMIUM).exists():
        sys.exit(f"Debian's Chromium is missing ({CHROMIUM}); scripts/test installs it.")
    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False)
    try:
        run(args.draws, args.changes)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
