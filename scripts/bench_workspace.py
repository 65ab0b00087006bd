"""Server-time benchmark of the annotation workspace on PostgreSQL.

Builds, in a throwaway database of its own, one project (default preset), one
annotator and one article of exactly 20,000 characters holding 300 argument units and
150 relations, then times three workspace requests through Django's test client:

- open the article (GET layer_detail), as a browser navigation;
- create a unit (POST unit_create, form-encoded as HTMX sends it), each time on a
  fresh word range, the new unit deleted again after the timed request so the layer
  stays at 300 units;
- refresh the unit panel (GET layer_panel, as HTMX sends it after every change).

The requests of the three kinds are interleaved in rounds (see `timed_in_rounds`), so
that the machine's slow spells (it is shared) fall on all three alike, and so is a
fixed piece of pure-Python work (`reference_work`), which shows how fast the machine
ran meanwhile. It prints p50, p95, p99 and max server time per request (ms) and the
SQL queries one request of each kind runs.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_workspace.py [--requests N]

DATABASE_URL names the server and the credentials only: the script creates its own
database `test_annotate_bench_<pid>` next to it and drops it at the end, so the data
in DATABASE_URL's database is never read or written. Settings are production-like:
DEBUG off (whatever the environment says), no HTTPS redirect (the test client speaks
plain HTTP), static URLs without a collected manifest.
"""

import argparse
import gc
import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import (  # noqa: E402
    CLAUSES,
    SUBJECTS,
    VERBS,
    code_version,
    require,
    setup_django,  # noqa: E402
)

setup_django()

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate import projects, relations, units  # noqa: E402
from annotate.formats.records import ArticleRecord  # noqa: E402
from annotate.models import ArgumentUnit, Article, Label, Layer, Project, RelationType, Role  # noqa: E402

TEXT_LENGTH = 20_000
UNIT_COUNT = 300
WARM_UP = 5
ROUNDS = 10
SEED = 20261125


# --- The article: deterministic op-ed prose -------------------------------------------

OPENERS = [
    "In truth",
    "For years",
    "Above all",
    "Even so",
    "Put simply",
    "In practice",
    "By contrast",
    "Meanwhile",
    "Admittedly",
    "Worse still",
]
TAILS = [
    "",
    "",
    "",
    ", and the figures bear this out",
    ", whatever the polls suggest",
    ", at least in the short run",
    ", though few say so in public",
    ", as last winter made plain",
]
SHORT = [
    "That is the point.",
    "Nobody asked the shops.",
    "The numbers say otherwise.",
    "This is not a new idea.",
    "It worked in Ghent.",
    "Traffic is a choice.",
    "Streets are for people.",
    "The data are clear.",
    "Few will miss the fumes.",
    "Change is never free.",
    "Ask any bus driver.",
    "The costs are real.",
    "Some will object.",
    "That deserves an answer.",
    "The risk is small.",
    "Habits can change.",
    "Look at the map.",
    "Parking is not a right.",
    "We have been here before.",
    "The trial ended in May.",
]
# The closing sentence: "the council should act." with any of these phrases in it, in
# this order, stays grammatical; some choice of them gives every length from 31 to 109
# characters, so the article can end on exactly TEXT_LENGTH characters.
CLOSING = [
    "so, ",
    "above all, ",
    "the council should",
    " now",
    " act",
    " here",
    " quickly",
    " and boldly",
    " on traffic",
    " in the centre",
    " this year",
    ", before the next election",
    ", whatever the shops say",
]
CLOSING_REQUIRED = {"the council should", " act"}


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SHORT)
    body = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAUSES)}{rng.choice(TAILS)}"
    if rng.random() < 0.3:
        body = f"{rng.choice(OPENERS)}, {body}"
    return body[0].upper() + body[1:] + "."


def closing_sentence(length: int) -> str:
    """A sentence of exactly `length` characters (31 to 109), with as few of the
    optional phrases as will do."""
    optional = [i for i, phrase in enumerate(CLOSING) if phrase not in CLOSING_REQUIRED]
    choices = []
    for mask in range(2 ** len(optional)):
        picked = {optional[bit] for bit in range(len(optional)) if mask >> bit & 1}
        text = "".join(p for i, p in enumerate(CLOSING) if i in picked or p in CLOSING_REQUIRED).strip() + "."
        if len(text) == length:
            choices.append((0 in picked, len(picked), text))
    require(bool(choices), f"no closing sentence of {length} characters")
    text = min(choices)[2]
    return text[0].upper() + text[1:]


def make_text(rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    """Paragraphs of 3 to 7 sentences, exactly TEXT_LENGTH characters; returns the text
    and the `[start, end)` of every sentence."""
    paragraphs: list[list[str]] = []
    size = 0
    while True:
        count = rng.randint(3, 7)
        paragraph = [sentence(rng) for _ in range(count)]
        added = sum(len(s) for s in paragraph) + count - 1 + (2 if paragraphs else 0)
        if size + added > TEXT_LENGTH - 2 - 90:
            break
        paragraphs.append(paragraph)
        size += added
    # The last paragraph: sentences while they leave room for a closing sentence of 40
    # characters or more, then the closing sentence that ends the text exactly.
    last: list[str] = []
    room = TEXT_LENGTH - size - 2

    def fits(item: str) -> bool:
        return item not in last and room - (len(item) + bool(last)) - 1 >= 40

    while True:
        item = sentence(rng)
        if not fits(item):
            shorter = [short for short in SHORT if fits(short)]
            if not shorter:
                break
            item = rng.choice(shorter)
        room -= len(item) + bool(last)  # a space before every sentence but the first
        last.append(item)
    last.append(closing_sentence(room - bool(last)))
    paragraphs.append(last)
    text, spans = "", []
    for number, paragraph in enumerate(paragraphs):
        if number:
            text += "\n\n"
        for index, item in enumerate(paragraph):
            if index:
                text += " "
            spans.append((len(text), len(text) + len(item)))
            text += item
    require(len(text) == TEXT_LENGTH, f"text of {len(text)} characters")
    require(text.isascii(), "text not ASCII")  # so code points and UTF-16 code units agree
    return text, spans


WORD = re.compile(r"\w+(?:['-]\w+)*")


def word_ranges(text: str, sentences: list[tuple[int, int]], rng: random.Random) -> list[tuple[int, int]]:
    """Ranges of 2 to 5 whole words inside the given sentences, shuffled."""
    ranges = []
    for start, end in sentences:
        words = [match.span() for match in WORD.finditer(text, start, end)]  # offsets into `text`
        for first in range(len(words)):
            for count in range(2, 6):
                if first + count <= len(words):
                    ranges.append((words[first][0], words[first + count - 1][1]))
    rng.shuffle(ranges)
    return ranges


# --- The data --------------------------------------------------------------------------


def build(rng: random.Random) -> tuple[Project, User, Layer, list[tuple[int, int]]]:
    """The project, the annotator, their layer (300 units, 150 relations) and the word
    ranges the timed unit creations use (in sentences that hold no unit)."""
    manager = User.objects.create_user(username="bench_manager", password="bench-pass-1")
    annotator = User.objects.create_user(username="bench_annotator", password="bench-pass-1")
    project = projects.create_project(name="Benchmark", slug="bench", manager=manager)
    projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=manager)

    text, sentences = make_text(rng)
    record = ArticleRecord(title="Cars, streets and the city centre", author="A. Writer", text=text)
    article, _ = projects.add_article(project=project, record=record, user=manager)
    article = Article.objects.get(pk=article.pk)
    require(article.text == text, "the stored text differs from the generated one")

    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)

    # One unit per sentence for 300 sentences spread evenly over the text; the others
    # stay free for the timed creations.
    require(len(sentences) > UNIT_COUNT + 20, f"only {len(sentences)} sentences")
    chosen = sorted({round(i * (len(sentences) - 1) / (UNIT_COUNT - 1)) for i in range(UNIT_COUNT)})
    require(len(chosen) == UNIT_COUNT, f"{len(chosen)} sentences chosen")
    free = [s for i, s in enumerate(sentences) if i not in set(chosen)]

    labels = list(Label.objects.filter(project=project).order_by("order"))
    made = []
    for number, index in enumerate(chosen):
        start, end = sentences[index]
        label = labels[number % len(labels)]
        attributes = {"stance": "For"} if "stance" in label.attributes else None
        unit = units.create_unit(
            layer=layer, label=label, spans=[(start, end - 1)], user=annotator, attributes=attributes
        ).unit
        made.append(unit)

    # 150 relations: in each run of (MajorClaim, Claim, Premise) the premise supports
    # (every fourth: attacks) the claim, and in every other run the claim supports the
    # major claim.
    supports = RelationType.objects.get(project=project, name="supports")
    attacks = RelationType.objects.get(project=project, name="attacks")
    count = 0
    for run in range(UNIT_COUNT // 3):
        major, claim, premise = made[3 * run : 3 * run + 3]
        kind = attacks if run % 4 == 3 else supports
        relations.create_relation(layer=layer, type=kind, source=premise, target=claim, user=annotator)
        count += 1
        if run % 2 == 0:
            relations.create_relation(layer=layer, type=supports, source=claim, target=major, user=annotator)
            count += 1
    require(ArgumentUnit.objects.filter(layer=layer).count() == UNIT_COUNT, "wrong number of units")
    require(count == 150, f"{count} relations")
    return project, annotator, layer, word_ranges(text, free, rng)


# --- Timing ----------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1],
    }


@dataclass
class Endpoint:
    name: str
    prepare: Callable[[int], tuple]  # request number → arguments of `send`; not timed
    send: Callable[..., object]  # the timed request
    after: Callable[[object], None]  # checks (and undoes) the response; not timed
    times: list[float] = field(default_factory=list)  # ms
    sent: int = 0

    def run(self, count: int, *, timed: bool) -> None:
        for _ in range(count):
            args = self.prepare(self.sent)
            began = time.perf_counter()
            response = self.send(*args)
            elapsed = time.perf_counter() - began
            self.after(response)
            self.sent += 1
            if timed:
                self.times.append(elapsed * 1000)


REFERENCE = "reference: a fixed Python loop, no request"


def reference_work() -> int:
    """A fixed piece of pure-Python work, timed in the same rounds as the requests: the
    machine is shared, and its speed varies over minutes; this shows how fast it ran
    during this run (about 5 ms at the machine's best)."""
    return sum(i * i for i in range(100_000))


def timed_in_rounds(endpoints: list[Endpoint], requests: int) -> None:
    """Time `requests` requests of every endpoint, in ROUNDS rounds that take each
    endpoint in turn, after WARM_UP untimed requests of each: a slow spell of the
    machine then falls on every endpoint alike rather than on whichever ran during it."""
    for endpoint in endpoints:
        endpoint.run(WARM_UP, timed=False)
    gc.collect()
    for number in range(ROUNDS):
        for endpoint in endpoints:
            endpoint.run(requests * (number + 1) // ROUNDS - requests * number // ROUNDS, timed=True)


def queries_of(send: Callable, args: tuple, after: Callable[[object], None]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = send(*args)
    after(response)
    return len(captured.captured_queries)


def run(requests: int) -> None:
    rng = random.Random(SEED)
    project, annotator, layer, ranges = build(rng)
    labels = list(Label.objects.filter(project=project).order_by("order"))
    client = Client()
    client.force_login(annotator)

    page_url = reverse("annotate:layer_detail", args=[project.slug, layer.pk])
    panel_url = reverse("annotate:layer_panel", args=[project.slug, layer.pk])
    create_url = reverse("annotate:unit_create", args=[project.slug, layer.pk])
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{page_url}"}

    def get_page():
        return client.get(page_url)

    def get_panel():
        return client.get(panel_url, **htmx)

    def check_page(response, needle: str) -> None:
        require(response.status_code == 200, f"status {response.status_code}")
        require(needle in response.content.decode(), f"{needle!r} missing from the response")

    # The unit creations: a fresh word range each time, the current revision re-read.
    def prepare_create(i: int) -> tuple:
        layer.refresh_from_db()
        start, end = ranges[i % len(ranges)]
        label = labels[i % len(labels)]
        return ({"label": label.pk, "start": start, "end": end, "revision": layer.revision},)

    def post_create(data: dict):
        # Form-encoded, as htmx.ajax sends it (the test client's default is multipart).
        return client.post(create_url, urlencode(data), content_type="application/x-www-form-urlencoded", **htmx)

    def undo_create(response) -> None:
        require(response.status_code == 200, f"status {response.status_code}: {response.content[:300]!r}")
        unit_id = json.loads(response["HX-Trigger"])["layer-changed"]["unit"]
        unit = ArgumentUnit.objects.select_related("layer__article__project").get(pk=unit_id)
        units.delete_unit(unit=unit, user=annotator)
        left = ArgumentUnit.objects.filter(layer=layer).count()
        require(left == UNIT_COUNT, f"the layer holds {left} units, not {UNIT_COUNT}")

    endpoints = [
        Endpoint(
            "open the article (GET layer_detail)",
            lambda i: (),
            get_page,
            lambda r: check_page(r, 'id="unit-panel"'),
        ),
        Endpoint("create a unit (POST unit_create)", prepare_create, post_create, undo_create),
        Endpoint(
            "refresh the unit panel (GET layer_panel)",
            lambda i: (),
            get_panel,
            lambda r: check_page(r, "unit-list"),
        ),
        # No request: the speed of the machine itself while the requests ran.
        Endpoint(REFERENCE, lambda i: (), reference_work, lambda r: None),
    ]
    timed_in_rounds(endpoints, requests)
    results = [
        (
            endpoint.name,
            endpoint.times,
            "-"
            if endpoint.send is reference_work
            else queries_of(endpoint.send, endpoint.prepare(endpoint.sent), endpoint.after),
        )
        for endpoint in endpoints
    ]

    sizes = {
        "page": len(get_page().content),
        "panel": len(get_panel().content),
    }
    report(results, requests, sizes)


def print_table(results: list[tuple[str, list[float], int | str]]) -> None:
    """Each endpoint's timings (p50, p95, p99, max in ms) and its queries, one line each."""
    header = f"{'endpoint':<42} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for name, times, queries in results:
        figures = summary(times)
        print(
            f"{name:<42} {len(times):>5} {figures['p50']:>8.1f} {figures['p95']:>8.1f} "
            f"{figures['p99']:>8.1f} {figures['max']:>8.1f} {queries:>8}"
        )
    print("(times in ms of server time through django.test.Client; queries: one request, counted)")


def report(results: list[tuple[str, list[float], int | str]], requests: int, sizes: dict[str, int]) -> None:
    server = connection.cursor().connection.info.server_version
    print()
    print(f"Annotation workspace, {date.today().isoformat()}, code {code_version()}")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {server // 10000}.{server % 10000}, {os.cpu_count()} CPUs, "
        f"DEBUG={settings.DEBUG}"
    )
    print(
        f"Article: {TEXT_LENGTH} characters, {UNIT_COUNT} units, 150 relations; "
        f"page {sizes['page'] // 1024} KiB, panel {sizes['panel'] // 1024} KiB; "
        f"{requests} timed requests each, in {ROUNDS} interleaved rounds, after {WARM_UP} warm-up requests."
    )
    print()
    print_table(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=250, help="timed requests per endpoint (default 250)")
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    in_a_throwaway_database(lambda: run(args.requests), name="test_annotate_bench")


def in_a_throwaway_database(work, *, name: str) -> None:
    """Run `work()` in a database of its own beside DATABASE_URL's (`<name>_<pid>`,
    PostgreSQL only), made for it and dropped at the end, with the test client's host."""
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")

    # Django's test client talks to the host "testserver". Instrumented template
    # rendering (django.test.utils.setup_test_environment) is left off on purpose: it
    # copies every template context for the test client and would inflate the figures.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    connection.settings_dict["TEST"]["NAME"] = f"{name}_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False)
    try:
        work()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
