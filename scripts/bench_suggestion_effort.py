"""Annotator effort with and without suggestions, in a scripted Chromium session
(docs/suggestions.md, "Effort with and without suggestions").

Builds, in a throwaway PostgreSQL database, two projects from the same split of a brat
corpus (by default the 120 generated essays of make_essay_corpus.py; the split of
bench_suggestions.py, 80 % training, 20 % test): in each the training essays as
finished gold and the same N test essays (default 6) as articles without gold,
assigned to one annotator. "by hand" has suggestions off; "suggested" has them on and a
model trained on the training essays' gold (`learning.train`).

Then Debian's Chromium (headless), driven by Playwright against Django's live server,
plays an annotator who knows the gold answer. On each test essay it makes the layer
equal to the gold layer (units: label and span; Claim stance; relations: type and
direction) and marks it finished:

- by hand: a mouse drag over each gold unit's text, its label key, the stance key
  (1 For, 2 Against); then each relation: choose the source, `l`, choose the target,
  its type key. A unit is chosen with ] and [ when that takes at most
  `MOST_STEPS` presses, otherwise by clicking it (the cheaper, by the KLM below);
- suggested: a click into the text, Tab to the first ghost, and on each ghost Enter
  (its span and label are a gold unit's), the gold label's key (the span is right, the
  label wrong: the key takes its words with that label), or x (anything else); the stance of
  accepted Claims (a click on the unit, its key); each suggested relation (drawn as a
  ghost arc) accepted or rejected with its panel button (there is no key for them);
  then the gold units and relations still missing, made by hand as above.

Each layer is checked against gold in the database at the end; a difference stops the
benchmark. It counts per essay key presses, pointer actions (drags and clicks), the
wall seconds of the scripted session (from opening the article to the finished answer;
machine time, --runs runs, medians), and estimates a person's time by the keystroke-level
model (Card, Moran & Newell 1980): K 0.28 s a key (an average typist), P 1.1 s a
pointing, B 0.1 s a button press or release, H 0.4 s moving a hand between mouse and
keyboard, M 1.35 s a mental decision, one per unit or relation decided (a ghost
accepted or rejected, a unit or relation made by hand). Scrolling, reading and
correcting mistakes are not counted: it is the lower bound of someone who already
knows the answer.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_suggestion_effort.py [--essays N] [--runs R] [--corpus DIR] [--seed S]

DATABASE_URL names the server only: the script works in a database of its own,
`test_annotate_bench_effort_<pid>`, dropped at the end.
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# The live server speaks plain HTTP: cookies that are not only for HTTPS.
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"
# Playwright's sync API runs an event loop in this thread; the Django calls made between
# browser steps (building, checking) are ordinary synchronous ones.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import code_version, require  # noqa: E402
from bench_arcs import CHROMIUM, start_server  # noqa: E402  (sets up Django)
from bench_suggestions import (  # noqa: E402
    Essay,
    corpus_folder,
    essays_of,
    folder_of,
    import_gold,
    new_project,
    split,
)
from bench_workspace import in_a_throwaway_database  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from annotate import projects  # noqa: E402
from annotate.layer_content import read  # noqa: E402
from annotate.models import ArgumentUnit, Article, Layer, Project, Role  # noqa: E402
from annotate.suggestions import learning  # noqa: E402

PASSWORD = "bench-pass-1"
STANCE = "stance"
# The keystroke-level model's operators, in seconds (Card, Moran & Newell 1980).
K, P, B, H, M = 0.28, 1.1, 0.1, 0.4, 1.35
# Choosing a unit with ] and [ costs a key a step; a click costs H + P + 2B and H back
# to the keyboard (2.1 s, 7.5 keys): up to this many steps the keys are cheaper.
MOST_STEPS = 7

# The text's [start, end) of an element of #article-text, as the workspace counts offsets.
OFFSETS = """(element) => {
  const text = document.getElementById("article-text");
  const before = document.createRange();
  before.setStart(text, 0);
  before.setEndBefore(element);
  const start = before.toString().length;
  return [start, start + element.textContent.length];
}"""

GHOSTS = f"""() => [...document.querySelectorAll("#article-text mark.ghost[id]")].map((mark) => ({{
  id: mark.dataset.suggestion,
  label: /\\blabel-(\\d+)\\b/.exec(mark.className)[1],
  span: ({OFFSETS})(mark),
  focused: document.activeElement === mark,
}}))"""

UNITS = f"""() => [...document.querySelectorAll("#article-text mark[data-unit][id]")].map((mark) => ({{
  id: mark.dataset.unit,
  span: ({OFFSETS})(mark),
}}))"""

# A point of an element's text where a click reaches it (not an arc drawn over it), the
# element brought to the middle of the window first.
CLICK_POINT = """(element) => {
  element.scrollIntoView({block: "center", behavior: "instant"});
  for (const box of element.getClientRects()) {
    for (const share of [0.5, 0.3, 0.7, 0.15, 0.85]) {
      const x = box.left + box.width * share, y = box.top + box.height / 2;
      const hit = document.elementFromPoint(x, y);
      if (hit && (hit === element || element.contains(hit))) return {x, y};
    }
  }
  return null;
}"""

# Ready for the next key: the change answered (the revision moved on), nothing on its
# way, nothing being swapped in or settling (the panel follows a change with a request).
QUIET = (
    """() => window.benchInFlight === 0 && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")"""
)
SETTLED = f"""(revision) => {{
  const now = Number(document.getElementById("layer-revision").dataset.revision);
  return now > revision && ({QUIET})();
}}"""

COUNT_REQUESTS = """
window.benchInFlight = 0;
document.addEventListener("htmx:beforeRequest", () => { window.benchInFlight += 1; });
document.addEventListener("htmx:afterRequest", () => { window.benchInFlight -= 1; });
"""


# --- Effort -------------------------------------------------------------------------------


@dataclass
class Effort:
    """What one essay took: keys, pointer actions, the KLM estimate, the wall time."""

    keys: int = 0
    drags: int = 0
    clicks: int = 0
    decisions: int = 0
    missed: int = 0  # clicks on a unit that did not choose it (counted in clicks)
    klm: float = 0.0
    seconds: float = 0.0
    hand: str = "mouse"  # the article was opened with the mouse
    made: dict = field(default_factory=lambda: {"accepted": 0, "relabelled": 0, "rejected": 0, "by hand": 0})

    def key(self, count: int = 1) -> None:
        if self.hand == "mouse":
            self.klm += H
            self.hand = "keyboard"
        self.keys += count
        self.klm += K * count

    def point(self, *, drag: bool = False) -> None:
        if self.hand == "keyboard":
            self.klm += H
            self.hand = "mouse"
        if drag:
            self.drags += 1
            self.klm += 2 * P + 2 * B  # to the start, press, to the end, release
        else:
            self.clicks += 1
            self.klm += P + 2 * B

    def decide(self) -> None:
        self.decisions += 1
        self.klm += M


# --- The scripted annotator ---------------------------------------------------------------


class Annotator:
    """One essay's layer in the workspace, driven as a person would, every action counted."""

    def __init__(self, page, essay: Essay, labels: dict[str, dict], types: dict[str, str]):
        self.page, self.essay, self.labels, self.types = page, essay, labels, types
        self.effort = Effort()
        self.unit_at: dict[tuple[int, int], str] = {}  # span → unit id, as the page shows them

    # Actions, each counted, each waiting until the page has settled after it.

    def revision(self) -> int:
        return int(self.page.locator("#layer-revision").get_attribute("data-revision"))

    def press(self, key: str, *, changes: bool = True) -> None:
        before = self.revision()
        self.page.keyboard.press(key)
        self.effort.key()
        if changes:
            self.page.wait_for_function(SETTLED, arg=before)

    def click(self, locator, *, changes: bool = False) -> None:
        before = self.revision()
        self.effort.point()
        point = locator.evaluate(CLICK_POINT)
        require(point is not None, f"nothing of {locator} to click")
        self.page.mouse.click(point["x"], point["y"])
        if changes:
            self.page.wait_for_function(SETTLED, arg=before)

    def drag(self, start: int, end: int) -> None:
        """Select text[start:end] with the mouse (tests/e2e/test_workspace.py's drag)."""
        self.effort.point(drag=True)
        self.page.evaluate("() => document.fonts.ready")
        first = self.page.evaluate(CHARACTER_BOX, [start, "left"])
        last = self.page.evaluate(CHARACTER_BOX, [end - 1, "right"])
        self.page.mouse.move(first["x"], first["y"])
        self.page.mouse.down()
        self.page.mouse.move((first["x"] + last["x"]) / 2, last["y"], steps=3)
        self.page.mouse.move(last["x"], last["y"], steps=3)
        self.page.mouse.up()
        selected = self.page.evaluate("() => getSelection().toString()")
        require(selected == self.essay.text[start:end], f"dragged {selected!r}, meant {self.essay.text[start:end]!r}")

    # What the page shows.

    def read_units(self) -> None:
        self.unit_at = {tuple(unit["span"]): unit["id"] for unit in self.page.evaluate(UNITS)}

    def click_unit(self, span: tuple[int, int]) -> None:
        """Choose a unit by clicking it; again if the click missed. It misses when a
        ghost had focus: the hint above the text is shortened as the mouse goes down,
        the text moves up a line under it, and the click lands on the line."""
        mark = self.page.locator(f"#u-{self.unit_at[span]}")
        for _ in range(3):
            self.click(mark)
            self.page.wait_for_function(QUIET)
            if "is-selected" in (mark.get_attribute("class") or "").split():
                return
            self.effort.missed += 1
        raise AssertionError(f"clicking {span} does not choose it")

    def chosen_unit(self) -> str | None:
        self.page.wait_for_function(QUIET)
        mark = self.page.locator("#article-text mark[data-unit][id].is-selected")
        return mark.get_attribute("data-unit") if mark.count() else None

    def unit_order(self) -> list[str]:
        return self.page.locator("#unit-panel .unit-row").evaluate_all("(rows) => rows.map((row) => row.dataset.unit)")

    # The gold answer.

    def gold_units(self) -> dict[tuple[int, int], str]:
        return {span: label for label, span in self.essay.units}

    def stance(self, span: tuple[int, int]) -> str | None:
        return self.essay.stances.get(span)

    def gold_relations(self) -> dict[tuple[tuple[int, int], tuple[int, int]], str]:
        units = self.essay.units
        return {(units[source][1], units[target][1]): kind for source, target, kind in self.essay.relations}

    # Making units and relations by hand.

    def make_unit(self, span: tuple[int, int], label: str) -> None:
        self.effort.decide()
        self.drag(*span)
        self.press(self.labels[label]["key"])
        self.effort.made["by hand"] += 1
        self.read_units()
        self.set_stance(span, chosen=True)

    def set_stance(self, span: tuple[int, int], *, chosen: bool) -> None:
        value = self.stance(span)
        if value is None:
            return
        if not chosen:
            self.click_unit(span)
        self.press(str(self.labels["Claim"]["stances"].index(value) + 1))

    @staticmethod
    def steps(order: list[str], start: str | None, goal: str, *, source: str | None = None) -> tuple[str, int]:
        """The cheaper way with ] or [ from `start` to `goal` in `order`, as the
        workspace steps (round the ends; choosing a target, over the `source`): the key
        and how many presses."""

        def step(delta: int, at: str | None) -> str:
            if at not in order:
                return order[0] if delta > 0 else order[-1]
            return order[(order.index(at) + delta) % len(order)]

        ways = []
        for key, delta in (("]", 1), ("[", -1)):
            at, count = start, 0
            while at != goal:
                at = step(delta, at)
                if at == source:
                    at = step(delta, at)
                count += 1
            ways.append((count, key))
        count, key = min(ways)
        return key, count

    def choose(self, unit: str, *, target: bool = False) -> None:
        order = self.unit_order()
        current = self.source if target else self.chosen_unit()  # a target's steps start at the source
        key, count = self.steps(order, current, unit, source=self.source if target else None)
        if count <= MOST_STEPS:
            for _ in range(count):
                self.press(key, changes=False)
            if target:
                self.page.wait_for_selector(f'#article-text mark[data-unit="{unit}"].is-candidate')
                self.press("Enter", changes=False)
            else:
                self.page.wait_for_selector(f"#u-{unit}.is-selected")
        else:
            self.click(self.page.locator(f"#u-{unit}"))
        if target:
            self.page.wait_for_function(
                "() => /press s supports/.test(document.getElementById('mode-hint').textContent)"
            )

    def make_relation(self, source: tuple[int, int], target: tuple[int, int], kind: str) -> None:
        self.effort.decide()
        self.source = None
        self.choose(self.unit_at[source])
        self.source = self.unit_at[source]
        self.press("l", changes=False)
        self.choose(self.unit_at[target], target=True)
        self.press(self.types[kind])
        self.effort.made["by hand"] += 1

    def make_missing(self, done: set) -> None:
        """The gold units and relations the layer lacks, by hand, in text order."""
        self.read_units()
        for span, label in sorted(self.gold_units().items()):
            if span not in self.unit_at:
                self.make_unit(span, label)
        self.read_units()
        self.page.wait_for_function(
            "(count) => document.querySelectorAll('#unit-panel .unit-row').length === count", arg=len(self.unit_at)
        )
        for (source, target), kind in self.gold_relations().items():
            if (source, target) not in done:
                self.make_relation(source, target, kind)

    def finish(self) -> None:
        self.click(self.page.get_by_role("button", name="Mark finished"))
        anyway = self.page.get_by_role("button", name="Mark finished anyway")
        self.page.wait_for_function(
            "() => document.getElementById('layer-revision').dataset.status === 'finished'"
            " || document.querySelector('#layer-bar .findings')"
        )
        if anyway.count():
            self.click(anyway)
        self.page.wait_for_function("() => document.getElementById('layer-revision').dataset.status === 'finished'")

    # By hand, and with suggestions.

    def by_hand(self) -> None:
        self.make_missing(set())
        self.finish()

    def suggested(self) -> None:
        gold = self.gold_units()
        names = {str(label["id"]): name for name, label in self.labels.items()}
        self.effort.point()  # a click into the text
        self.page.locator("#article-text").focus()
        while ghosts := self.page.evaluate(GHOSTS):
            ghost = next((each for each in ghosts if each["focused"]), None)
            if ghost is None:
                if self.page.evaluate(
                    "() => !document.getElementById('article-text').contains(document.activeElement)"
                ):
                    self.effort.point()
                    self.page.locator("#article-text").focus()
                self.press("Tab", changes=False)
                continue
            span, label = tuple(ghost["span"]), names[ghost["label"]]
            self.effort.decide()
            if span in gold:
                if gold[span] != label:  # the right words with the wrong label: its label key takes them
                    self.press(self.labels[gold[span]]["key"])
                    self.effort.made["relabelled"] += 1
                else:
                    self.press("Enter")
                    self.effort.made["accepted"] += 1
                self.read_units()
                self.set_stance(span, chosen=False)
            else:
                self.press("x")
                self.effort.made["rejected"] += 1
        self.read_units()
        spans = {unit: span for span, unit in self.unit_at.items()}
        wanted = self.gold_relations()
        done = set()
        while (rows := self.page.locator("#unit-panel .ghost-link-row")).count():
            row = rows.first
            ends = [row.get_attribute(f"data-{end}") for end in ("source", "target")]
            require(all(end.startswith("unit:") for end in ends), f"a suggested relation to a ghost left: {ends}")
            pair = tuple(spans[end.removeprefix("unit:")] for end in ends)
            kind = row.locator(".relation-name").inner_text().strip()
            self.effort.decide()
            if wanted.get(pair) == kind:
                self.click(row.get_by_role("button", name="Accept", exact=False).first, changes=True)
                self.effort.made["accepted"] += 1
                done.add(pair)
            else:
                self.click(row.get_by_role("button", name="Reject", exact=False).first, changes=True)
                self.effort.made["rejected"] += 1
        self.make_missing(done)
        self.finish()


CHARACTER_BOX = """([offset, edge]) => {
  const text = document.getElementById("article-text");
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
  let node, seen = 0;
  while ((node = walker.nextNode())) {
    if (offset < seen + node.length) break;
    seen += node.length;
  }
  const range = document.createRange();
  range.setStart(node, offset - seen);
  range.setEnd(node, offset - seen + 1);
  let box = range.getClientRects()[0];
  if (edge === "left") {
    window.scrollBy({top: box.top - window.innerHeight / 2, behavior: "instant"});
    box = range.getClientRects()[0];
  }
  return {x: edge === "left" ? box.left + 1 : box.right - 1, y: box.top + box.height / 2};
}"""


# --- Building -----------------------------------------------------------------------------


def stances_of(project: Project) -> dict[str, dict[tuple[int, int], str]]:
    """Each gold Claim's stance, by essay title and span."""
    found: dict[str, dict] = {}
    for unit in ArgumentUnit.objects.filter(layer__article__project=project, layer__annotator__isnull=True).values(
        "layer__article__title", "attributes", "spans__start", "spans__end"
    ):
        if unit["attributes"].get(STANCE):
            found.setdefault(unit["layer__article__title"], {})[(unit["spans__start"], unit["spans__end"])] = unit[
                "attributes"
            ][STANCE]
    return found


def build_project(name: str, source: Path, train: list[str], test: list[str], manager: User, *, suggest: bool):
    """A project with the training essays as finished gold and the test essays as
    articles without gold (their gold layers emptied), suggestions on or off."""
    project = new_project(name, manager)
    import_gold(project, folder_of(train, source))
    call_command(
        "import_articles", "--project", project.slug, "--owner", "gold", str(folder_of(test, source)), verbosity=0
    )
    tested = Article.objects.filter(project=project, title__in=test)
    ArgumentUnit.objects.filter(layer__article__in=tested).delete()
    require(tested.count() == len(test), f"{tested.count()} test articles imported of {len(test)}")
    if suggest:
        model = learning.train(project)
        require(model.status == model.Status.READY, f"training: {model.message}")
        print(
            f"model v{model.version}: held-out span F1 exact {model.span_f1_exact:.3f}, "
            f"relation F1 {model.relation_f1:.3f}"
        )
    Project.objects.filter(pk=project.pk).update(suggestions=suggest)
    project.refresh_from_db()
    return project


def assigned(project: Project, annotator: User, manager: User, test: list[str]) -> dict[str, Layer]:
    projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=manager)
    for article in Article.objects.filter(project=project, title__in=test):
        earlier = [layer.annotator for layer in article.layers.filter(annotator__isnull=False)]  # earlier runs'
        projects.assign(article=article, annotators=[*earlier, annotator], by=manager)
    return {
        layer.article.title: layer
        for layer in Layer.objects.filter(annotator=annotator, article__project=project).select_related("article")
    }


def scheme(project: Project) -> tuple[dict, dict]:
    labels = {
        label.name: {"id": label.pk, "key": label.key, "stances": (label.attributes or {}).get(STANCE, [])}
        for label in project.labels.all()
    }
    return labels, {kind.name: kind.key for kind in project.relation_types.all()}


def check(layer: Layer, essay: Essay) -> None:
    """The layer is finished and equal to gold: units (label, span, stance) and relations."""
    layer.refresh_from_db()
    require(layer.status == Layer.Status.FINISHED, f"{essay.name}: layer {layer.status}")
    project = layer.article.project
    labels = {label.pk: label.name for label in project.labels.all()}
    types = {kind.pk: kind.name for kind in project.relation_types.all()}
    content = read([layer.pk])[layer.pk]
    spans = {unit.id: unit.spans for unit in content.units}
    made = sorted((labels[u.label_id], u.spans, u.attributes.get(STANCE)) for u in content.units)
    wanted = sorted((label, (span,), essay.stances.get(span)) for label, span in essay.units)
    require(made == wanted, f"{essay.name}: units differ from gold:\n made {made}\n gold {wanted}")
    made_links = sorted((spans[r.source_id], spans[r.target_id], types[r.type_id]) for r in content.relations)
    gold_links = sorted((((essay.units[s][1]),), ((essay.units[t][1]),), kind) for s, t, kind in essay.relations)
    require(
        made_links == gold_links, f"{essay.name}: relations differ from gold:\n made {made_links}\n gold {gold_links}"
    )


# --- Running ------------------------------------------------------------------------------


def session(base: str, browser, username: str, layers: dict[str, Layer], essays: dict, labels, types, mode: str):
    """One annotator's pass over the test essays in one project: each essay's Effort."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
    context.add_init_script(COUNT_REQUESTS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda address: "/accounts/login/" not in address)
    found = {}
    for name, layer in layers.items():
        annotator = Annotator(page, essays[name], labels, types)
        started = time.perf_counter()
        page.goto(f"{base}/p/{layer.article.project.slug}/layers/{layer.pk}/")
        page.wait_for_function(QUIET)
        try:
            annotator.by_hand() if mode == "by hand" else annotator.suggested()
        except Exception:
            page.screenshot(path="/tmp/effort-failed.png")
            print("hint:", page.locator("#mode-hint").inner_text(), file=sys.stderr)
            raise
        annotator.effort.seconds = time.perf_counter() - started
        require(not errors, f"{mode}, {name}: the browser reported {errors}")
        check(layer, essays[name])
        found[name] = annotator.effort
    context.close()
    return found


def run(args) -> None:
    print(f"code {code_version()}")
    manager = User.objects.create_user("bench-manager", password=PASSWORD)
    source = corpus_folder(args.corpus, args.seed)
    whole = new_project("corpus", manager)
    import_gold(whole, source)
    essays = essays_of(whole)
    for name, stances in stances_of(whole).items():
        essays[name].stances = stances
    for essay in essays.values():
        essay.stances = getattr(essay, "stances", {})
    train, test = split(list(essays), args.seed)
    test = sorted(test[: args.essays])
    print(
        f"corpus: {len(essays)} essays; training {len(train)}; test essays annotated: {len(test)} ({', '.join(test)})"
    )
    built = {
        "by hand": build_project("by-hand", source, train, test, manager, suggest=False),
        "suggested": build_project("suggested", source, train, test, manager, suggest=True),
    }
    results = {mode: [] for mode in built}  # one {essay: Effort} per run
    server = start_server()
    base = f"http://localhost:{server.port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for number in range(args.runs):
                annotator = User.objects.create_user(f"annotator-{number}", password=PASSWORD)
                # Alternate which goes first, so the machine's slow spells fall on both alike.
                modes = list(built) if number % 2 == 0 else list(reversed(built))
                for mode in modes:
                    labels, types = scheme(built[mode])
                    layers = assigned(built[mode], annotator, manager, test)
                    results[mode].append(
                        session(base, browser, annotator.username, layers, essays, labels, types, mode)
                    )
                print(f"run {number + 1} of {args.runs} done")
            browser.close()
    finally:
        server.terminate()
        server.join()
        # A request thread of the live server may still hold a connection: the database
        # is dropped next.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    report(results, test, essays)


def report(results: dict, test: list[str], essays: dict) -> None:
    for mode, runs in results.items():
        for name in test:  # the counts do not depend on the run
            counts = {(e.keys, e.drags, e.clicks, e.decisions) for e in (each[name] for each in runs)}
            require(len(counts) == 1, f"{mode}, {name}: counts differ between runs: {counts}")
    print()
    print(
        f"{'essay':10} {'units':>5} {'rels':>4}  {'mode':9} {'keys':>5} {'drags':>5} {'clicks':>6} "
        f"{'missed':>6} {'decided':>7} {'KLM s':>7} {'wall s':>7}   accepted/relabelled/rejected/by hand"
    )
    totals = {
        mode: {"keys": 0, "drags": 0, "clicks": 0, "missed": 0, "decisions": 0, "klm": 0.0, "seconds": 0.0}
        for mode in results
    }
    for name in test:
        essay = essays[name]
        for mode, runs in results.items():
            first = runs[0][name]
            seconds = statistics.median(each[name].seconds for each in runs)
            for key in ("keys", "drags", "clicks", "missed", "decisions", "klm"):
                totals[mode][key] += getattr(first, key)
            totals[mode]["seconds"] += seconds
            made = "/".join(str(value) for value in first.made.values())
            print(
                f"{name:10} {len(essay.units):5} {len(essay.relations):4}  {mode:9} {first.keys:5} {first.drags:5} "
                f"{first.clicks:6} {first.missed:6} {first.decisions:7} {first.klm:7.1f} {seconds:7.1f}   {made}"
            )
    print()
    units = sum(len(essays[name].units) for name in test)
    links = sum(len(essays[name].relations) for name in test)
    print(
        f"total over {len(test)} essays ({units} units, {links} relations); wall seconds: median of each essay's runs"
    )
    for mode, total in totals.items():
        print(
            f"  {mode:9} keys {total['keys']:5}  drags {total['drags']:4}  clicks {total['clicks']:4}  "
            f"pointer actions {total['drags'] + total['clicks']:4} (missed {total['missed']})  "
            f"decisions {total['decisions']:4}  "
            f"KLM {total['klm']:7.1f} s  wall {total['seconds']:6.1f} s"
        )
    hand, suggested = totals["by hand"], totals["suggested"]
    print("  suggested / by hand:")
    for key, name in (("keys", "keys"), ("pointer", "pointer actions"), ("klm", "KLM time"), ("seconds", "wall time")):
        if key == "pointer":
            ratio = (suggested["drags"] + suggested["clicks"]) / (hand["drags"] + hand["clicks"])
        else:
            ratio = suggested[key] / hand[key]
        print(f"    {name:16} {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--essays", type=int, default=6, help="test essays annotated in each project (default 6)")
    parser.add_argument("--runs", type=int, default=3, help="sessions of each kind, for the wall times (default 3)")
    parser.add_argument("--corpus", help="a brat corpus folder (default: generate 120 essays)")
    parser.add_argument("--seed", type=int, default=1, help="the split's (and the generated corpus's) seed")
    args = parser.parse_args()
    in_a_throwaway_database(lambda: run(args), name="test_annotate_bench_effort")


if __name__ == "__main__":
    main()
