"""A lab-sized project, and every project page measured on it.

Two halves:

- `--build S|M|L|all` makes PostgreSQL databases `<prefix>s`, `<prefix>m`, `<prefix>l`
  (default prefix `lab_`) on the cluster DATABASE_URL points at (default: the Unix
  socket /tmp/mypg, user annotate), each migrated with the project's current schema
  and holding one project, "Lab" (slug `lab`), as a lab would after two months of
  work: op-ed articles from the generators in scripts/_bench.py, each assigned to three
  annotators, layers finished, in progress and not started, units on clause ranges,
  relations between them, a gold layer on one article in ten and the change record of
  all of it, shaped as annotate/units.py, relations.py, lifecycle.py, review.py and
  projects.py write it (`SIZES` gives the numbers). A database is built under a
  temporary name and renamed when it is complete; one that exists is left as it is
  (`--rebuild` drops it first). After `lab_l` is complete a line goes to /tmp/lab_ready.

- `--measure S|M|L|all` opens each page of `PAGES` in this process with Django's test
  client against the database (DEBUG off, production settings over plain HTTP), logged
  in as the role that sees it, 2 times to warm up and then `--requests` times, and
  prints per page: status, p50 and p95 (ms), response size and SQL queries per request,
  in a markdown table per size and, with several sizes, one with the ratio of the
  largest to the smallest. Rows over the goals (p95 ≥ 150 ms or ≥ 300 KB at L, ≥ 500 ms
  for the admin's changelists) are flagged. A page is time-boxed: every statement has
  60 s (statement_timeout), a page whose first request takes more than 5 s is asked
  fewer times (`slow_requests`), and an error answer or exception is reported, not fatal.

Who is who, password "demo" for all: manager, curator, annotator01…annotatorNN, and
admin (a superuser, for the admin's changelists).

Usage, from the repository root:

    .venv/bin/python scripts/bench_lab.py --build all [--database-prefix lab_] [--rebuild]
    .venv/bin/python scripts/bench_lab.py --measure all [--requests 30] [--output FILE.md]
        [--pages PATTERN] [--database-prefix lab_]

Other engineers copy a database with `createdb -T lab_l mine`: this script keeps no
connection to a lab database open longer than it works on it.
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SCRIPTS))

from _bench import (  # noqa: E402
    CLAUSES,
    PLAIN_HTTP_PRODUCTION,
    SUBJECTS,
    clause_ranges,
    code_version,
    make_text,
    require,
)
from _bench import setup_django as setup_django_with  # noqa: E402

PASSWORD = "demo"
SLUG = "lab"
SEED = 20261207
DEFAULT_URL = "postgres://annotate@/postgres?host=/tmp/mypg"
READY_FILE = Path("/tmp/lab_ready")


# --- The pages measured -----------------------------------------------------------------
#
# Every page of a project, with the role that sees it: (name, role, path). The path is
# formatted with the lab's `targets` (`{slug}`, `{project}`, the annotator's started
# `{layer}` of about 48 units, the `{review}` article with three started layers and a
# gold one, the newest import `{job}`); a role is "manager", "curator", "admin" (the
# superuser) or "annotator" (the owner of `{layer}`). Add a page here, e.g. a filter of
# the article list, and both the runner and tests/test_bench_lab.py take it up.
PAGES = [
    ("project list", "annotator", "/"),
    ("project home", "annotator", "/p/{slug}/"),
    ("project home", "manager", "/p/{slug}/"),
    ("article list", "manager", "/p/{slug}/articles/"),
    ("article list", "annotator", "/p/{slug}/articles/"),
    # Searched and filtered (the lab's titles say "bus lanes", "parking fees"…, its
    # articles' metadata have a "tag": transport, housing, health…).
    ("article list ?q=", "manager", "/p/{slug}/articles/?q=bus"),
    ("article list ?q= phrase", "manager", "/p/{slug}/articles/?q=%22parking+fees%22+-cyclists"),
    ("article list ?status=", "manager", "/p/{slug}/articles/?status=in_progress&sort=-title"),
    ("article list ?tag=", "manager", "/p/{slug}/articles/?tag=health&sort=length"),
    ("article list ?label=", "manager", "/p/{slug}/articles/?label={premise}"),
    ("article list ?annotator=&label=", "manager", "/p/{slug}/articles/?annotator={annotator_id}&label={claim}"),
    ("article list ?status=", "annotator", "/p/{slug}/articles/?status=unfinished"),
    ("article detail", "curator", "/p/{slug}/articles/{review}/"),
    ("assignment", "manager", "/p/{slug}/assignment/"),
    ("assignment ?status=", "manager", "/p/{slug}/assignment/?status=unassigned"),
    ("agreement", "curator", "/p/{slug}/agreement/"),
    ("team", "curator", "/p/{slug}/team/"),
    ("team", "annotator", "/p/{slug}/team/"),
    ("export page", "curator", "/p/{slug}/export/"),
    ("import page", "manager", "/p/{slug}/import/"),
    ("members", "manager", "/p/{slug}/members/"),
    ("scheme", "manager", "/p/{slug}/scheme/"),
    ("scheme.css", "annotator", "/p/{slug}/scheme.css"),
    ("settings", "manager", "/p/{slug}/settings/"),
    ("workspace layer", "annotator", "/p/{slug}/layers/{layer}/"),
    ("workspace panel", "annotator", "/p/{slug}/layers/{layer}/panel/"),
    ("workspace outline", "annotator", "/p/{slug}/layers/{layer}/outline/"),
    ("argument map", "annotator", "/p/{slug}/layers/{layer}/map/"),
    ("review (3 layers + gold)", "curator", "/p/{slug}/articles/{review}/review/"),
    ("job detail", "manager", "/p/{slug}/jobs/{job}/"),
    ("suggestion models", "curator", "/p/{slug}/suggestions/models/"),
    ("import predictions", "manager", "/p/{slug}/import/predictions/"),
    # The HTTP API's reads (a browser's session works as a token does).
    ("api: projects", "annotator", "/api/v1/projects"),
    ("api: articles", "manager", "/api/v1/projects/{slug}/articles"),
    ("api: articles ?status=", "manager", "/api/v1/projects/{slug}/articles?status=in_progress"),
    ("api: assignments", "manager", "/api/v1/projects/{slug}/assignments"),
    ("api: agreement", "curator", "/api/v1/projects/{slug}/agreement"),
    # The admin: each registered model's changelist (tests/test_bench_lab.py checks that
    # none is missing), and the change record's filtered, sorted and searched.
    ("admin: user", "admin", "/admin/auth/user/"),
    ("admin: group", "admin", "/admin/auth/group/"),
    ("admin: project", "admin", "/admin/annotate/project/"),
    ("admin: membership", "admin", "/admin/annotate/membership/"),
    ("admin: invite", "admin", "/admin/annotate/invite/"),
    ("admin: label", "admin", "/admin/annotate/label/"),
    ("admin: relation type", "admin", "/admin/annotate/relationtype/"),
    ("admin: article", "admin", "/admin/annotate/article/"),
    ("admin: article ?q=", "admin", "/admin/annotate/article/?q=bus"),
    ("admin: layer", "admin", "/admin/annotate/layer/"),
    ("admin: layer ?status=", "admin", "/admin/annotate/layer/?status__exact=in_progress"),
    ("admin: argument unit", "admin", "/admin/annotate/argumentunit/"),
    ("admin: span", "admin", "/admin/annotate/span/"),
    ("admin: relation", "admin", "/admin/annotate/relation/"),
    ("admin: change", "admin", "/admin/annotate/change/"),
    ("admin: change ?project=", "admin", "/admin/annotate/change/?project__id__exact={project}"),
    ("admin: change ?action=", "admin", "/admin/annotate/change/?action__exact=unit.delete"),
    ("admin: change oldest first", "admin", "/admin/annotate/change/?o=1"),
    ("admin: change by action", "admin", "/admin/annotate/change/?o=4"),
    ("admin: change ?q=", "admin", "/admin/annotate/change/?q=annotator01"),
    ("admin: job", "admin", "/admin/annotate/job/"),
    ("admin: api token", "admin", "/admin/annotate/apitoken/"),
    ("admin: task result", "admin", "/admin/django_tasks_database/dbtaskresult/"),
    ("admin: access attempt", "admin", "/admin/axes/accessattempt/"),
    ("admin: access log", "admin", "/admin/axes/accesslog/"),
    ("admin: access failure", "admin", "/admin/axes/accessfailurelog/"),
]
# The goals at L (the issue): a project page's p95 under 150 ms and its answer under
# 300 KB; an admin changelist's p95 under 500 ms.
GOAL_MS, GOAL_KB, GOAL_ADMIN_MS = 150, 300, 500


# --- What a lab holds -----------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """How big a lab is. The rest is in proportion: `per_article` annotators per article
    (at most the lab's), of their layers 60 % finished, 20 % in progress and 20 % not
    started; a started layer holds 36 to 60 units (48 on average) and 45 % as many
    relations; one article in ten (the first, the eleventh…) has a gold layer."""

    articles: int
    annotators: int
    per_article: int = 3


SIZES = {
    "XS": Size(articles=5, annotators=2),  # the test's (tests/test_bench_lab.py)
    "S": Size(articles=100, annotators=3),
    "M": Size(articles=2_000, annotators=5),
    "L": Size(articles=20_000, annotators=20),
}

DAYS = 60  # the change record spans this many days, ending at the build
SENTENCES_PER_ARTICLE = (33, 64)  # about 3,000 to 6,000 characters
UNITS_PER_LAYER = (36, 60)
RELATIONS_PER_UNIT = 0.45
GOLD_EVERY = 10  # articles
IMPORT_BATCH = 1_000  # articles per import job
TAGS = ["transport"] * 5 + ["housing"] * 3 + ["health"] * 2 + ["budget"] * 2 + ["schools", "environment"]
OUTLETS = ["The Daily Ledger", "City Herald", "The Evening Post", "Northern Courier", "The Citizen"]
AUTHORS = ["A. Writer", "B. Columnist", "C. Editor", "D. Reporter", "E. Critic", "F. Essayist", "G. Voice"]
TITLE_FORMS = [
    "Why {clause}",
    "The case that {clause}",
    "No, {clause}",
    "It is time to admit that {clause}",
    "{subject} are right: {clause}",
    "Let us be honest: {clause}",
]


def annotator_names(count: int) -> list[str]:
    return [f"annotator{number:02d}" for number in range(1, count + 1)]


@dataclass
class Tally:
    """What a build wrote, counted as it was written."""

    articles: int = 0
    layers: dict = field(default_factory=lambda: {"not_started": 0, "in_progress": 0, "finished": 0})
    gold: int = 0
    gold_finished: int = 0
    units: int = 0
    spans: int = 0
    relations: int = 0
    changes: int = 0
    actions: dict = field(default_factory=dict)
    jobs: int = 0

    def count(self, action: str) -> None:
        self.changes += 1
        self.actions[action] = self.actions.get(action, 0) + 1


# --- COPY text format -------------------------------------------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _field(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _escape(_json(value))
    return _escape(str(value))


def _json(value) -> str:
    # As psycopg sends a JSONField's value (json.dumps with its defaults).
    return json.dumps(value)


class Table:
    """Rows for one table in COPY's text format, kept in a temporary file until written."""

    def __init__(self, model, columns: list[str]) -> None:
        import tempfile

        self.model = model
        self.columns = columns
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", prefix=f"lab-{model._meta.db_table}-")
        self.rows = 0

    def add(self, *values) -> None:
        self.file.write("\t".join(map(_field, values)) + "\n")
        self.rows += 1

    def copy(self, cursor) -> None:
        """Write the rows with COPY on `cursor` (a psycopg cursor)."""
        table = self.model._meta.db_table
        columns = ", ".join(f'"{column}"' for column in self.columns)
        self.file.seek(0)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            while chunk := self.file.read(1 << 20):
                copy.write(chunk)
        self.file.close()


# --- The build ---------------------------------------------------------------------------


def article_title(rng: random.Random) -> str:
    clause = rng.choice(CLAUSES)
    subject = rng.choice(SUBJECTS)
    title = rng.choice(TITLE_FORMS).format(clause=clause, subject=subject)
    return title[0].upper() + title[1:]


@dataclass
class ArticlePlan:
    id: int
    clauses: list[tuple[int, int]]
    created_at: datetime


@dataclass
class LayerPlan:
    id: int
    article: ArticlePlan
    user_id: int | None  # None: gold
    status: str
    started_at: datetime | None
    assigned_at: datetime
    rng_seed: int


def next_ids(cursor, models) -> dict:
    """The first id free in each model's table (the sequences are set past what we write)."""
    first = {}
    for model in models:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        first[model] = cursor.fetchone()[0]
    return first


def build_lab(size: Size, *, seed: int = SEED, now: datetime | None = None, say=print) -> Tally:
    """Build the lab of `size` into the database Django is connected to (migrated, and
    without a project `lab`), in the caller's transaction if there is one. Returns what
    was written."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from annotate import projects
    from annotate.models import (
        ArgumentUnit,
        Article,
        Change,
        Job,
        JobKind,
        JobStatus,
        Label,
        Layer,
        Relation,
        RelationType,
        Role,
        Span,
        text_hash,
    )

    now = now or datetime.now(UTC).replace(microsecond=0)
    began = now - timedelta(days=DAYS)
    rng = random.Random(seed)
    tally = Tally()
    per_article = min(size.per_article, size.annotators)
    clock = time.monotonic()

    with transaction.atomic():
        # People and the project, through the app's own functions (one password hash,
        # shared: hashing 23 passwords one by one would take most of a small build).
        password = make_password(PASSWORD)
        names = ["manager", "curator", *annotator_names(size.annotators)]
        User.objects.bulk_create(User(username=name, password=password) for name in names)
        User.objects.create(username="admin", password=password, is_staff=True, is_superuser=True)
        users = {user.username: user for user in User.objects.filter(username__in=names)}
        manager, curator = users["manager"], users["curator"]
        annotators = [users[name] for name in annotator_names(size.annotators)]
        project = projects.create_project(
            name="Lab",
            slug=SLUG,
            manager=manager,
            description="A lab-sized project built by scripts/bench_lab.py.",
            annotators_per_article=per_article,
        )
        projects.set_member(project=project, user=curator, role=Role.CURATOR, by=manager)
        for user in annotators:
            projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=manager)
        # What the app wrote so far is dated at the start of the lab's two months.
        Change.objects.filter(project=project).update(created_at=began)
        project.created_at = began
        project.save(update_fields=["created_at"])
        tally.changes = Change.objects.filter(project=project).count()
        for action in Change.objects.filter(project=project).values_list("action", flat=True):
            tally.actions[action] = tally.actions.get(action, 0) + 1

        labels = {label.name: label for label in Label.objects.filter(project=project)}
        types = {kind.name: kind for kind in RelationType.objects.filter(project=project)}
        require({"MajorClaim", "Claim", "Premise"} <= labels.keys(), f"not the default scheme: {sorted(labels)}")
        require({"supports", "attacks"} <= types.keys(), f"not the default relation types: {sorted(types)}")
        major, claim, premise = labels["MajorClaim"], labels["Claim"], labels["Premise"]
        stances = claim.attributes.get("stance") or []

        connection.ensure_connection()
        raw = connection.connection  # psycopg's own, for COPY
        with raw.cursor() as cursor:
            first = next_ids(cursor, [Article, Layer, ArgumentUnit, Span, Relation, Change, Job])
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                # Every row is made consistent here (and checked below, `check_lab`): the
                # foreign keys' triggers would only check each row again, one by one.
                cursor.execute("SET LOCAL session_replication_role = replica")

        tables = {
            Article: Table(
                Article,
                ["id", "project_id", "title", "author", "outlet", "url", "published", "metadata", "text"]
                + ["text_hash", "created_at"],
            ),
            Layer: Table(
                Layer,
                ["id", "article_id", "annotator_id", "status", "document_stance", "assigned_at", "updated_at"]
                + ["finished_at", "revision"],
            ),
            ArgumentUnit: Table(ArgumentUnit, ["id", "layer_id", "label_id", "attributes", "note", "created_at"]),
            Span: Table(Span, ["id", "unit_id", "start", "end"]),
            Relation: Table(Relation, ["id", "layer_id", "type_id", "source_id", "target_id", "created_at"]),
            Change: Table(
                Change,
                ["id", "project_id", "layer_id", "user_id", "created_at", "action", "target", "before", "after"]
                + ["reverts_id", "undone"],
            ),
            Job: Table(
                Job,
                ["id", "project_id", "kind", "status", "created_by_id", "created_at", "started_at", "finished_at"]
                + ["heartbeat_at", "task_id", "phase", "done", "total", "message", "problems", "result"]
                + ["input_key", "file", "stored_bytes", "cancel_requested"],
            ),
        }
        ids = dict(first)

        def new_id(model) -> int:
            value = ids[model]
            ids[model] += 1
            return value

        def change(at, action, target, *, layer_id=None, user_id=None, before=None, after=None) -> None:
            tables[Change].add(
                new_id(Change), project.pk, layer_id, user_id, at, action, target, before, after, None, False
            )
            tally.count(action)

        # Articles, imported in batches of IMPORT_BATCH, each batch by a job of its own.
        plans: list[ArticlePlan] = []
        seen: set[str] = set()
        for number in range(size.articles):
            batch = number // IMPORT_BATCH
            imported = began + timedelta(hours=1 + 2 * batch, milliseconds=10 * (number % IMPORT_BATCH))
            text, sentences = make_text(rng, rng.randint(*SENTENCES_PER_ARTICLE))
            digest = text_hash(text)
            require(digest not in seen, "two articles with the same text")
            seen.add(digest)
            title = article_title(rng)
            outlet = rng.choice(OUTLETS)
            plan = ArticlePlan(new_id(Article), clause_ranges(text, sentences), imported)
            plans.append(plan)
            metadata = {"tag": rng.choice(TAGS), "section": "opinion", "words": len(text.split())}
            domain = outlet.lower().removeprefix("the ").replace(" ", "")
            tables[Article].add(
                plan.id,
                project.pk,
                title,
                rng.choice(AUTHORS),
                outlet,
                f"https://{domain}.example/opinion/{number + 1}",
                (began - timedelta(days=rng.randint(1, 365))).date(),
                metadata,
                text,
                digest,
                imported,
            )
            after = {"title": title, "text_hash": digest, "length": len(text)}
            change(imported, "article.import", f"article:{plan.id}", user_id=manager.pk, after=after)
            tally.articles += 1
        for batch in range(math.ceil(size.articles / IMPORT_BATCH)):
            count = min(IMPORT_BATCH, size.articles - batch * IMPORT_BATCH)
            queued = began + timedelta(hours=1 + 2 * batch, seconds=-30)
            done = queued + timedelta(seconds=30 + count // 50)
            articles = f"{count:,} new article{'s' if count != 1 else ''}"
            summary = f"{articles}, 0 already there, 0 layers, 0 units, 0 relations"
            counts = {"articles": count, "already there": 0, "layers": 0, "units": 0, "relations": 0}
            result = {
                "summary": summary,
                "counts": {**counts, "existing layers skipped": 0},
                "new_labels": [],
                "new_relation_types": [],
                "skipped": [],
                "skipped_layers": [],
            }
            tables[Job].add(
                new_id(Job), project.pk, JobKind.IMPORT, JobStatus.DONE, manager.pk, queued, queued, done, done,
                "", "", count, count, "", [], result, "", "", 0, False,
            )  # fmt: skip
            tally.jobs += 1
        say(f"  {size.articles:,} articles generated ({time.monotonic() - clock:.0f} s)")

        # Assignment: each article to `per_article` annotators, round robin, on day 2 (one
        # record per article, as the assignment grid's save writes them).
        statuses_left = _statuses(size.articles * per_article, rng)
        layers: list[LayerPlan] = []
        assigned = began + timedelta(days=2)
        for index, plan in enumerate(plans):
            at = assigned + timedelta(milliseconds=index)
            chosen = sorted(
                (annotators[(index * per_article + offset) % len(annotators)] for offset in range(per_article)),
                key=lambda user: user.username,
            )
            for user in chosen:
                status = statuses_left.pop()
                started = None
                if status != "not_started":
                    started = assigned + timedelta(seconds=rng.uniform(3600, (DAYS - 3) * 86400))
                layers.append(LayerPlan(new_id(Layer), plan, user.pk, status, started, at, rng.getrandbits(32)))
            after = {"annotators": sorted(user.pk for user in chosen)}
            before = {"annotators": []}
            change(at, "article.assign", f"article:{plan.id}", user_id=manager.pk, before=before, after=after)
        # Gold, made in the review of one article in ten, by the curator, after the annotators.
        for index in range(0, len(plans), GOLD_EVERY):
            plan = plans[index]
            started = assigned + timedelta(seconds=rng.uniform(7 * 86400, (DAYS - 3) * 86400))
            status = "finished" if (index // GOLD_EVERY) % 2 == 0 else "in_progress"
            layers.append(LayerPlan(0, plan, None, status, started, started, rng.getrandbits(32)))

        # Work, in the order it happened, so that ids grow with time as the app's do.
        annotator_layers = [layer for layer in layers if layer.user_id is not None]
        gold_layers = sorted((layer for layer in layers if layer.user_id is None), key=lambda layer: layer.started_at)
        for layer in gold_layers:
            layer.id = new_id(Layer)
        started = sorted((layer for layer in layers if layer.started_at), key=lambda layer: layer.started_at)
        for layer in annotator_layers:
            if layer.started_at is None:
                tally.layers["not_started"] += 1
                tables[Layer].add(layer.id, layer.article.id, layer.user_id, "not_started", "", layer.assigned_at,
                                  layer.assigned_at, None, 0)  # fmt: skip
        for layer in started:
            _work(layer, tables, new_id, change, tally, labels=(major, claim, premise), stances=stances,
                  types=(types["supports"], types["attacks"]), curator=curator.pk)  # fmt: skip
        say(f"  {len(layers):,} layers worked ({time.monotonic() - clock:.0f} s)")

        with raw.cursor() as cursor:
            for model in [Article, Layer, ArgumentUnit, Span, Relation, Change, Job]:
                rows = tables[model].rows
                moment = time.monotonic()
                # The layers go in with the database's own triggers on: they keep the
                # counters of layers on articles and memberships (migration 0010).
                cursor.execute("SHOW session_replication_role")
                role = cursor.fetchone()[0]
                if model is Layer:
                    cursor.execute("SET LOCAL session_replication_role = origin")
                tables[model].copy(cursor)
                cursor.execute(f"SET LOCAL session_replication_role = {role}")
                say(f"  COPY {model._meta.db_table}: {rows:,} rows ({time.monotonic() - moment:.0f} s)")
            for model in [Article, Layer, ArgumentUnit, Span, Relation, Change, Job]:
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute("SET LOCAL session_replication_role = origin")
        problems = check_lab(project.pk)
        require(not problems, "the lab is inconsistent: " + "; ".join(problems))
    return tally


def _statuses(count: int, rng: random.Random) -> list[str]:
    """`count` layer statuses, 60 % finished, 20 % in progress, the rest not started, shuffled."""
    finished, in_progress = round(count * 0.6), round(count * 0.2)
    statuses = ["finished"] * finished + ["in_progress"] * in_progress
    statuses += ["not_started"] * (count - len(statuses))
    rng.shuffle(statuses)
    return statuses


def _work(layer: LayerPlan, tables, new_id, change, tally: Tally, *, labels, stances, types, curator: int) -> None:
    """One started layer's work, as the app records it: started (the first change's
    status record, or the review's "layer.create" for gold), its units one by one on
    clause ranges, then the links between them, now and then a claim's stance changed
    or a unit made and deleted again, and for a finished layer the finish."""
    from annotate.models import ArgumentUnit, Layer, Relation, Span

    major, claim, premise = labels
    supports, attacks = types
    rng = random.Random(layer.rng_seed)
    user = layer.user_id if layer.user_id is not None else curator
    at = layer.started_at
    target = f"layer:{layer.id}"
    revision = 0

    def tick(low: float, high: float) -> datetime:
        nonlocal at
        at += timedelta(seconds=rng.uniform(low, high))
        return at

    def record(action, record_target, before=None, after=None) -> None:
        nonlocal revision
        change(at, action, record_target, layer_id=layer.id, user_id=user, before=before, after=after)
        revision += 1

    if layer.user_id is None:
        record("layer.create", target)
    else:
        record("layer.status", target, {"status": "not_started"}, {"status": "in_progress"})

    clauses = layer.article.clauses
    count = min(rng.randint(*UNITS_PER_LAYER), len(clauses) - 3)
    chosen = sorted(rng.sample(range(len(clauses) - 2), count))
    main_at = rng.choice([0, count - 1])
    units = []  # (id, label, spans, attributes, created_at)
    for position, clause in enumerate(chosen):
        if position:
            tick(10, 60)
        if position == main_at:
            label = major
        elif rng.random() < 0.25:
            label = claim
        else:
            label = premise
        spans = [clauses[clause]]
        if rng.random() < 0.05:  # a discontinuous unit: the clause and the one after the next
            spans.append(clauses[clause + 2])
        attributes = {"stance": rng.choice(stances)} if label is claim and stances else {}
        unit_id = new_id(ArgumentUnit)
        units.append((unit_id, label, spans, attributes, at))
        snapshot = _unit_snapshot(unit_id, label.pk, spans, attributes, at)
        record("unit.create", f"unit:{unit_id}", None, snapshot)

    # Links: a premise to the nearest claim before it (or the main conclusion), a claim
    # to the main conclusion; each unit is the source of at most one.
    main_id = units[main_at][0]
    candidates = []
    last_claim = main_id if main_at == 0 else None
    for unit_id, label, *_ in units:
        if label is claim:
            candidates.append((unit_id, main_id))
            last_claim = unit_id
        elif label is premise:
            candidates.append((unit_id, last_claim or main_id))
    wanted = min(len(candidates), round(count * RELATIONS_PER_UNIT))
    relations = []
    for source, target_id in sorted(rng.sample(candidates, wanted)):
        kind = supports if rng.random() < 0.8 else attacks
        relation_id = new_id(Relation)
        tick(8, 30)
        relations.append((relation_id, kind.pk, source, target_id, at))
        snapshot = {
            "id": relation_id,
            "type": kind.pk,
            "source": source,
            "target": target_id,
            "created_at": at.isoformat(),
        }
        record("relation.create", f"relation:{relation_id}", None, snapshot)

    shape = layer.rng_seed % 4
    claims = [index for index, unit in enumerate(units) if unit[1] is claim]
    if shape == 1 and claims and len(stances) > 1:  # a claim's stance changed
        index = rng.choice(claims)
        unit_id, label, spans, attributes, created = units[index]
        changed = {"stance": next(value for value in stances if value != attributes["stance"])}
        tick(10, 60)
        before = _unit_snapshot(unit_id, label.pk, spans, attributes, created)
        record("unit.update", f"unit:{unit_id}", before, _unit_snapshot(unit_id, label.pk, spans, changed, created))
        units[index] = (unit_id, label, spans, changed, created)
    elif shape == 2:  # a unit made by mistake and deleted
        unit_id = new_id(ArgumentUnit)
        spans = [clauses[len(clauses) - 1]]
        created = tick(10, 60)
        snapshot = _unit_snapshot(unit_id, premise.pk, spans, {}, created)
        record("unit.create", f"unit:{unit_id}", None, snapshot)
        tick(3, 20)
        record("unit.delete", f"unit:{unit_id}", snapshot, None)

    finished_at = None
    if layer.status == "finished":
        tick(30, 300)
        record("layer.status", target, {"status": "in_progress"}, {"status": "finished"})
        finished_at = at

    tables[Layer].add(
        layer.id, layer.article.id, layer.user_id, layer.status, "", layer.assigned_at, at, finished_at, revision
    )
    for unit_id, label, spans, attributes, created in units:
        tables[ArgumentUnit].add(unit_id, layer.id, label.pk, attributes, "", created)
        for start, end in spans:
            tables[Span].add(new_id(Span), unit_id, start, end)
            tally.spans += 1
    for relation_id, kind, source, target_id, created in relations:
        tables[Relation].add(relation_id, layer.id, kind, source, target_id, created)
    tally.units += len(units)
    tally.relations += len(relations)
    if layer.user_id is None:
        tally.gold += 1
        tally.gold_finished += layer.status == "finished"
    else:
        tally.layers[layer.status] += 1
    require(layer.status == Layer.Status.FINISHED or finished_at is None, "finished_at on an open layer")


def _unit_snapshot(unit_id, label_id, spans, attributes, created) -> dict:
    """units.snapshot's shape."""
    return {
        "id": unit_id,
        "label": label_id,
        "spans": [list(span) for span in spans],
        "attributes": attributes,
        "note": "",
        "created_at": created.isoformat(),
    }


def check_lab(project_id: int) -> list[str]:
    """What is wrong with the lab's rows, in set-wise SQL (cheap next to the foreign keys'
    row-by-row checks the build skips): every reference resolves, spans lie inside their
    article's text, a relation's ends are units of its layer, a layer's revision is its
    number of change records. Empty when all is well."""
    from django.db import connection

    checks = {
        "units without their layer": "SELECT COUNT(*) FROM annotate_argumentunit u "
        "LEFT JOIN annotate_layer l ON l.id = u.layer_id WHERE l.id IS NULL",
        "units with a label of another project": "SELECT COUNT(*) FROM annotate_argumentunit u "
        "JOIN annotate_layer l ON l.id = u.layer_id JOIN annotate_article a ON a.id = l.article_id "
        "JOIN annotate_label b ON b.id = u.label_id WHERE b.project_id <> a.project_id",
        "spans outside their text or without a unit": "SELECT COUNT(*) FROM annotate_span s "
        "LEFT JOIN annotate_argumentunit u ON u.id = s.unit_id LEFT JOIN annotate_layer l ON l.id = u.layer_id "
        'LEFT JOIN annotate_article a ON a.id = l.article_id WHERE a.id IS NULL OR s."end" > length(a.text)',
        "relations whose ends are not units of their layer": "SELECT COUNT(*) FROM annotate_relation r "
        "LEFT JOIN annotate_argumentunit s ON s.id = r.source_id LEFT JOIN annotate_argumentunit t "
        "ON t.id = r.target_id WHERE s.layer_id IS DISTINCT FROM r.layer_id OR t.layer_id IS DISTINCT FROM r.layer_id",
        "layers without their article or annotator": "SELECT COUNT(*) FROM annotate_layer l "
        "LEFT JOIN annotate_article a ON a.id = l.article_id LEFT JOIN auth_user u ON u.id = l.annotator_id "
        "WHERE a.id IS NULL OR (l.annotator_id IS NOT NULL AND u.id IS NULL)",
        "changes of a missing layer or user": "SELECT COUNT(*) FROM annotate_change c "
        "LEFT JOIN annotate_layer l ON l.id = c.layer_id LEFT JOIN auth_user u ON u.id = c.user_id "
        "WHERE (c.layer_id IS NOT NULL AND l.id IS NULL) OR (c.user_id IS NOT NULL AND u.id IS NULL)",
        "layers whose revision is not their number of changes": "SELECT COUNT(*) FROM annotate_layer l "
        "JOIN annotate_article a ON a.id = l.article_id LEFT JOIN (SELECT layer_id, COUNT(*) AS n "
        "FROM annotate_change WHERE project_id = %(project)s GROUP BY layer_id) c ON c.layer_id = l.id "
        "WHERE a.project_id = %(project)s AND l.revision <> COALESCE(c.n, 0)",
        "articles whose counters are not their layers'": "SELECT COUNT(*) FROM annotate_article a "
        "LEFT JOIN (SELECT article_id, COUNT(*) FILTER (WHERE annotator_id IS NOT NULL) AS n, "
        "COUNT(*) FILTER (WHERE annotator_id IS NOT NULL AND status = 'finished') AS f FROM annotate_layer "
        "GROUP BY article_id) l ON l.article_id = a.id WHERE a.project_id = %(project)s "
        "AND (a.layers_assigned <> COALESCE(l.n, 0) OR a.layers_finished <> COALESCE(l.f, 0))",
    }
    problems = []
    with connection.cursor() as cursor:
        for problem, query in checks.items():
            cursor.execute(query, {"project": project_id} if "%(" in query else None)
            if found := cursor.fetchone()[0]:
                problems.append(f"{found:,} {problem}")
    return problems


# --- Measuring ---------------------------------------------------------------------------


def is_admin(path: str) -> bool:
    return path.startswith("/admin/")


def find_targets(slug: str = SLUG) -> dict:
    """What the pages' paths name in this lab (`PAGES`): the annotator's layer is one in
    progress with the number of units nearest 48 (the mean), the review's article one with
    a gold layer and the most annotators' layers started (all three, at S, M and L), the
    job the newest import."""
    from django.db.models import Count, Exists, OuterRef, Q

    from annotate.models import Article, Job, JobKind, Layer, Project

    project = Project.objects.get(slug=slug)
    layers = (
        Layer.objects.filter(article__project=project, annotator__isnull=False, status=Layer.Status.IN_PROGRESS)
        .annotate(unit_count=Count("units"))
        .select_related("annotator")
    )
    layer = min(layers.order_by("id")[:200], key=lambda layer: (abs(layer.unit_count - 48), layer.pk))
    started = Q(layers__annotator__isnull=False) & ~Q(layers__status=Layer.Status.NOT_STARTED)
    gold = Layer.objects.filter(article=OuterRef("pk"), annotator__isnull=True)
    review = (
        Article.objects.filter(project=project)
        .annotate(started=Count("layers", filter=started))
        .filter(Exists(gold))
        .order_by("-started", "id")
        .values_list("id", flat=True)
        .first()
    )
    require(review is not None, "no article with a gold layer")
    job = Job.objects.filter(project=project, kind=JobKind.IMPORT).order_by("-id").values_list("id", flat=True)[0]
    labels = dict(project.labels.values_list("name", "pk"))
    return {
        "slug": slug,
        "project": project.pk,
        "layer": layer.pk,
        "annotator": layer.annotator.username,
        "annotator_id": layer.annotator_id,
        "premise": labels["Premise"],
        "claim": labels["Claim"],
        "review": review,
        "job": job,
    }


@dataclass
class Row:
    """One page's figures."""

    name: str
    role: str
    path: str
    status: str = ""
    times: list = field(default_factory=list)  # ms, the measured requests'
    size: int = 0  # bytes, of the last answer
    queries: int = 0  # of the last request
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def p95(self) -> float:
        if not self.times:
            return math.nan
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def over(self) -> list[str]:
        """The goals this page misses (`GOAL_MS`, `GOAL_KB`, `GOAL_ADMIN_MS`)."""
        missed = []
        if self.status != "200":
            missed.append(f"status {self.status}")
        limit = GOAL_ADMIN_MS if is_admin(self.path) else GOAL_MS
        if self.times and self.p95 >= limit:
            missed.append(f"p95 ≥ {limit} ms")
        if not is_admin(self.path) and self.size >= GOAL_KB * 1024:
            missed.append(f"≥ {GOAL_KB} KB")
        return missed


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def timed_request(client, path: str, seconds: float) -> tuple[str, float, int, int]:
    """GET `path`: (status, ms, bytes, queries), the whole answer read (a streamed one
    too). An exception or a request longer than `seconds` is reported as the status."""
    import signal

    from django.db import connection

    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    began = time.perf_counter()
    try:
        with connection.execute_wrapper(counter):
            response = client.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        status = str(response.status_code)
    except Timeout:
        status, body = f"timeout {seconds:.0f} s", b""
    except Exception as error:  # noqa: BLE001 — reported, and the run goes on
        status, body = f"error {type(error).__name__}: {str(error)[:80]}", b""
        connection.close()  # a statement cancelled mid-transaction leaves it unusable
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return status, (time.perf_counter() - began) * 1000, len(body), count[0]


def measure_pages(
    requests: int, *, pages=PAGES, only: str = "", warmups: int = 2, say=print, seconds: float = 120
) -> list[Row]:
    """Each page of `pages` (whose name contains `only`) in the lab Django is connected
    to: `warmups` requests, then `requests` timed ones, logged in as its role. A page
    whose first request takes more than 5 s is asked 3 times (more than 20 s: once)."""
    from django.contrib.auth.models import User
    from django.test import Client

    targets = find_targets()
    clients = {}

    def client_for(role: str):
        username = targets["annotator"] if role == "annotator" else role
        if username not in clients:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=username))
            clients[username] = client
        return clients[username]

    rows = []
    for name, role, template in pages:
        if only and only not in name:
            continue
        path = template.format(**targets)
        row = Row(name, role, path)
        client = client_for(role)
        first = timed_request(client, path, seconds)
        count, warm = requests, warmups - 1
        if first[1] > 20_000 or not first[0].isdigit():
            count, warm = min(requests, 1), 0
            row.note = f"first request {first[1] / 1000:.0f} s: 1 request"
        elif first[1] > 5_000:
            count, warm = min(requests, 3), 0
            row.note = f"first request {first[1] / 1000:.0f} s: 3 requests"
        for _ in range(warm):
            timed_request(client, path, seconds)
        statuses = set()
        for _ in range(count):
            status, ms, size, queries = timed_request(client, path, seconds)
            statuses.add(status)
            if status.isdigit():
                row.times.append(ms)
            row.size, row.queries = size, queries
        row.status = " / ".join(sorted(statuses)) if statuses else first[0]
        say(
            f"  {name} ({role}): {row.status}, p50 {row.p50:.0f} ms, p95 {row.p95:.0f} ms, "
            f"{row.size / 1024:.0f} KB, {row.queries} queries {row.note}".rstrip()
        )
        rows.append(row)
    return rows


def prepare_agreement(say=print) -> None:
    """Compute the agreement figures the page shows (as a worker would have, once), so the
    page is measured as it is most of the time: stored and current."""
    from django.conf import settings
    from django.contrib.auth.models import User

    from annotate import agreement_jobs
    from annotate.models import Project

    project = Project.objects.get(slug=SLUG)
    inline = getattr(settings, "ANNOTATE_AGREEMENT_INLINE", False)
    settings.ANNOTATE_AGREEMENT_INLINE = True
    began = time.monotonic()
    try:
        state = agreement_jobs.agreement_state(project)
        if (stored := agreement_jobs.stored_agreement(project, state)) is None or not stored.current:
            job = agreement_jobs.request_agreement(project, state, user=User.objects.get(username="curator"))
            say(f"  agreement computed inline: {job.status} in {time.monotonic() - began:.1f} s")
    finally:
        settings.ANNOTATE_AGREEMENT_INLINE = inline


def prepare_team(say=print) -> None:
    """Compute the team figures the page shows, as a worker would: once from nothing
    (every day of the change log, every week), then again after one more change (the
    incremental refresh a worker does most of the time), saying how long each took."""
    from django.conf import settings
    from django.contrib.auth.models import User

    from annotate import team
    from annotate.models import Change, Project

    project = Project.objects.get(slug=SLUG)
    curator = User.objects.get(username="curator")
    inline = getattr(settings, "ANNOTATE_TEAM_INLINE", False)
    settings.ANNOTATE_TEAM_INLINE = True
    try:
        for run in ("from nothing", "after one change"):
            if run == "after one change":
                latest = Change.objects.filter(project=project, layer__isnull=False).order_by("-id").first()
                Change.objects.create(project=project, layer_id=latest.layer_id, user_id=latest.user_id, action="bench")
            began = time.monotonic()
            job = team.request_figures(project, team.team_state(project), user=curator)
            say(f"  team figures {run}: {job.status} in {time.monotonic() - began:.1f} s")
    finally:
        settings.ANNOTATE_TEAM_INLINE = inline


def table(rows: list[Row], *, goals: bool) -> list[str]:
    lines = [
        "| page | role | status | p50 ms | p95 ms | KB | queries | over the goals |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        over = ", ".join(row.over()) if goals else ""
        note = f" ({row.note})" if row.note else ""
        lines.append(
            f"| {row.name} | {row.role} | {row.status} | {row.p50:.0f} | {row.p95:.0f} | {row.size / 1024:.1f} "
            f"| {row.queries} | {'**' + over + '**' if over else ''}{note} |"
        )
    return lines


def ratio_table(by_size: dict[str, list[Row]]) -> list[str]:
    """p95, KB and queries side by side, with the largest size's over the smallest's."""
    names = list(by_size)
    small, large = names[0], names[-1]
    head = " | ".join(f"p95 {name}" for name in names)
    lines = [
        f"| page | role | {head} | p95 {large}/{small} | KB {small} | KB {large} | queries {small} | queries {large} |",
        "|---|---|" + "---:|" * (len(names) + 5),
    ]
    index = {name: {(row.name, row.role): row for row in rows} for name, rows in by_size.items()}
    for row in by_size[small]:
        key = (row.name, row.role)
        others = [index[name].get(key) for name in names]
        p95s = " | ".join(f"{other.p95:.0f}" if other else "–" for other in others)
        last = others[-1]
        ratio = f"{last.p95 / row.p95:.1f}×" if last and row.p95 and last.times else "–"
        lines.append(
            f"| {row.name} | {row.role} | {p95s} | {ratio} | {row.size / 1024:.1f} | "
            f"{last.size / 1024 if last else math.nan:.1f} | {row.queries} | {last.queries if last else '–'} |"
        )
    return lines


def use_database(name: str) -> None:
    """Point Django's connection at database `name` (and forget what it cached)."""
    from django.core.cache import cache
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    cache.clear()


def copy_database(source: str, copy: str, say=print) -> None:
    """CREATE DATABASE `copy` TEMPLATE `source`, waiting while someone else is connected
    to `source` (PostgreSQL refuses to copy a database in use)."""
    import psycopg

    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        for attempt in range(60):
            try:
                admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 0:
                    say(f"  {source} is in use: waiting to copy it")
                time.sleep(5)
    raise RuntimeError(f"{source} stayed in use for 5 minutes: could not copy it")


def measure_main(size_names: list[str], args) -> None:
    """Measure each size's lab on a copy of its database (so the lab stays as it was built
    and others can go on copying it), then drop the copy."""
    os.environ["DATABASE_URL"] = url_for("postgres")  # the cluster's; `use_database` names the copy
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.db.backends.signals import connection_created

    def timeout(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '60s'")

    connection_created.connect(timeout)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    by_size: dict[str, list[Row]] = {}
    facts: dict[str, str] = {}
    load = os.getloadavg()[0]
    for size_name in size_names:
        source = database_name(args.database_prefix, size_name)
        copy = f"{source}_measure_{os.getpid()}"
        print(f"{size_name}: {source}, measured on a copy ({copy})", flush=True)
        copy_database(source, copy)
        try:
            use_database(copy)
            migrate_copy()
            facts[size_name] = lab_facts()
            print(f"  {facts[size_name]}", flush=True)
            prepare_agreement()
            prepare_team()
            by_size[size_name] = measure_pages(args.requests, only=args.pages)
        finally:
            connection.close()
            with admin_connection() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    report = report_lines(by_size, facts, args.requests, load)
    print("\n".join(report))
    if args.output:
        args.output.write_text("\n".join(report) + "\n")


def migrate_copy() -> None:
    """Bring the copy to the code's schema (a lab is built once and kept; the code may
    have migrations since), then VACUUM ANALYZE it as autovacuum would in a while."""
    from django.core.management import call_command
    from django.db import connection

    moment = time.monotonic()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"  migrated and analysed ({time.monotonic() - moment:.0f} s)", flush=True)


def lab_facts() -> str:
    """The lab's counts in one line (and its database's size)."""
    from django.db import connection

    from annotate.models import ArgumentUnit, Article, Change, Layer, Relation, Span

    counts = [
        ("articles", Article),
        ("layers", Layer),
        ("units", ArgumentUnit),
        ("spans", Span),
        ("relations", Relation),
        ("changes", Change),
    ]
    words = []
    with connection.cursor() as cursor:
        for word, model in counts:
            cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")
            words.append(f"{cursor.fetchone()[0]:,} {word}")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        words.append(f"database {cursor.fetchone()[0]}")
    return ", ".join(words)


def machine(load: float | None = None) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        "unknown CPU",
    )
    load = os.getloadavg()[0] if load is None else load
    return f"{os.cpu_count()} cores ({cpu}), load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"


def report_lines(
    by_size: dict[str, list[Row]], facts: dict[str, str], requests: int, load: float | None = None
) -> list[str]:
    from django.db import connection

    lines = [
        f"Code measured: {code_version()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine(load)}; "
        f"PostgreSQL {connection.pg_version // 10000}; {requests} requests per page after 2 warm-ups "
        "(fewer where a first request took over 5 s: see the notes); times in ms, in this process with "
        "Django's test client, DEBUG off.",
        "",
    ]
    largest = list(by_size)[-1] if by_size else None
    for size_name, rows in by_size.items():
        lines += [f"#### {size_name}: {facts[size_name]}", ""]
        lines += table(rows, goals=size_name == largest)
        lines.append("")
    if len(by_size) > 1:
        lines += [f"#### p95 side by side, {list(by_size)[-1]} over {list(by_size)[0]}", ""]
        lines += ratio_table(by_size)
        lines.append("")
    if largest:
        missed = [row for row in by_size[largest] if row.over()]
        lines.append(
            f"Over the goals at {largest} (p95 ≥ {GOAL_MS} ms or ≥ {GOAL_KB} KB; admin p95 ≥ {GOAL_ADMIN_MS} ms): "
            + (", ".join(f"{row.name} ({row.role}): {', '.join(row.over())}" for row in missed) or "none")
            + "."
        )
    return lines


# --- Databases ---------------------------------------------------------------------------


def cluster_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def url_for(database: str) -> str:
    """DATABASE_URL's cluster, with `database` as its database."""
    parts = urllib.parse.urlsplit(cluster_url())
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def admin_connection():
    """An autocommit connection to the cluster's `postgres` database (to create, rename
    and drop databases), closed by the caller."""
    import psycopg

    return psycopg.connect(url_for("postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with admin_connection() as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def database_name(prefix: str, size: str) -> str:
    return f"{prefix}{size.lower()}"


def build_database(size_name: str, prefix: str, rebuild: bool) -> None:
    """Build the lab of `size_name` into a fresh database of its own, in a child process
    (each with its own Django set up for that database), under a temporary name renamed
    when the build is complete."""
    name = database_name(prefix, size_name)
    if database_exists(name):
        if not rebuild:
            print(f"{name}: exists, left as it is (--rebuild to build it again)")
            return
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    building = f"{name}_building"
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{building}"')
    began = time.monotonic()
    environment = {**os.environ, "DATABASE_URL": url_for(building), "CONN_MAX_AGE": "0"}
    command = [sys.executable, __file__, "--build-into-this-database", size_name]
    result = subprocess.run(command, cwd=ROOT, env=environment)
    require(result.returncode == 0, f"{name}: the build failed ({result.returncode}); {building} is left to look at")
    with admin_connection() as admin:
        admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        size = admin.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()[0]
    print(f"{name}: built in {time.monotonic() - began:.0f} s, {size}")
    if size_name == "L":
        with READY_FILE.open("a") as ready:
            ready.write(f"{name} ready {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC (scripts/bench_lab.py)\n")


def setup_django() -> None:
    setup_django_with(PLAIN_HTTP_PRODUCTION)


def build_into_this_database(size_name: str) -> None:
    """The child's half of `build_database`: migrate DATABASE_URL's database, build the
    lab, VACUUM ANALYZE it (as autovacuum would have, in two months), print the counts."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    began = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"  migrated ({time.monotonic() - began:.0f} s)")
    tally = build_lab(SIZES[size_name], say=lambda line: print(line, flush=True))
    moment = time.monotonic()
    connection.close()
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        raw.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM (ANALYZE) ({time.monotonic() - moment:.0f} s)")
    print(f"  {json.dumps(tally.__dict__)}")
    print(f"  build {time.monotonic() - began:.0f} s in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", choices=[*SIZES, "all"])
    parser.add_argument("--rebuild", action="store_true", help="Drop a lab database that exists and build it again.")
    parser.add_argument("--build-into-this-database", choices=SIZES, help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=[*SIZES, "all"])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--pages", default="", help="Only the pages whose name contains this.")
    parser.add_argument("--output", type=Path, help="Also write the tables to this markdown file.")
    parser.add_argument("--database-prefix", default="lab_")
    args = parser.parse_args()
    if args.build_into_this_database:
        build_into_this_database(args.build_into_this_database)
        return
    require(args.build or args.measure, "say --build or --measure (or both)")
    sizes = lambda choice: ["S", "M", "L"] if choice == "all" else [choice]  # noqa: E731
    if args.build:
        for size_name in sizes(args.build):
            build_database(size_name, args.database_prefix, args.rebuild)
    if args.measure:
        measure_main(sizes(args.measure), args)


if __name__ == "__main__":
    main()
