"""The team figures: each annotator's progress, effort and quality, and the project's pace
(docs/team.md says what each figure is, exactly).

Computed by a worker (`kept_results`), from one snapshot, and kept as the `result` of a
`Job` of kind "team", which the team page reads in one query whatever the project's size.
Each refresh does only the work the changes since the last one need:

* active time (`annotate/effort.py`) is recomputed for the last few days only;
* the agreement figures come from the per-article sums the agreement page keeps
  (`agreement_store.refresh` with gold, which recomputes only the changed articles), so
  they are the agreement page's own figures;
* the figures of each annotator's week (agreement with the others and against gold over
  the articles they finished that week, and the confusion of their labels with gold's) are
  kept in the result with a digest of what they were computed from (those articles'
  sources), and only the weeks whose digest moved are computed again.

The result (JSON):

* ``annotators``: one row per annotator (`ANNOTATOR_COLUMNS`);
* ``weeks``: by annotator, by the Monday of a week, that week's figures and its digest;
* ``throughput``: ``[[day, layers finished], ...]`` for every day one was;
* ``project``: the layers needed, finished and remaining, the pace and the forecast;
* ``labels``: the label names in the scheme's order; ``refreshed_at``: when the job began
  (where the next refresh's active time starts again, `effort.first_day_to_recompute`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone
from django_tasks import task

from annotate import agreement_jobs, agreement_store, agreement_sums, effort, kept_results, project_agreement
from annotate.agreement import align_pairs
from annotate.models import AgreementArticle, ArgumentUnit, Article, Effort, Job, JobKind, JobStatus, Layer, Project
from annotate.project_agreement import GOLD, LayerData, _mean

# The pace is the layers finished per day over this many days up to today.
PACE_DAYS = 14
# What a row of `annotators` holds, in the order of the table and its CSV.
ANNOTATOR_COLUMNS = (
    "annotator",
    "assigned",
    "started",
    "finished",
    "changes",
    "active_seconds",
    "seconds_per_finished_article",
    "units",
    "units_per_hour",
    "span_f1_with_others",
    "span_f1_against_gold",
)
# Units an hour are given from this much active time on: below it, a few seconds between
# two quick changes would give an hour's rate no one works at.
RATE_AFTER_SECONDS = 60
# The confusion's row or column for "no unit there": a gold unit nobody matched (missed),
# or a unit gold has nothing for (extra).
NONE = None


@dataclass(frozen=True)
class TeamState:
    key: str  # the latest change, the scheme version and the day: a Job's input_key
    change: int


def team_state(project: Project) -> TeamState:
    """What the team figures are computed from, in one query: the project's latest change
    and scheme version (`kept_results.latest_change`), and the day (the pace and the
    forecast count from today)."""
    change, scheme_version = kept_results.latest_change(project)
    return TeamState(key=f"team:{change}:{scheme_version}:{timezone.localdate().isoformat()}", change=change)


@dataclass(frozen=True)
class KeptFigures:
    result: dict
    computed_at: datetime
    current: bool  # computed from the state asked about


def kept_figures(project: Project, state: TeamState) -> KeptFigures | None:
    """The figures computed for ``state``, else the newest, else None: one query."""
    job = _team_jobs(project).filter(status=JobStatus.DONE).order_by("-finished_at", "-id").first()
    if job is None:
        return None
    return KeptFigures(result=job.result, computed_at=job.finished_at, current=job.input_key == state.key)


def request_figures(project: Project, state: TeamState, *, user=None) -> Job:
    """The job that will bring the kept figures up to ``state`` (`kept_results.request`);
    with ``ANNOTATE_TEAM_INLINE`` a new one runs here and now."""
    return kept_results.request(
        project,
        kind=JobKind.TEAM,
        key=state.key,
        kept=_team_jobs(project),
        inline=getattr(settings, "ANNOTATE_TEAM_INLINE", False),
        run=run,
        task=compute_team_figures,
        user=user,
    )


@task()
def compute_team_figures(*, job_id: int) -> None:
    """The worker's side of `request_figures`."""
    job = Job.objects.select_related("project").get(pk=job_id)
    run(job)
    if job.status == JobStatus.FAILED:
        raise RuntimeError(job.message)


def run(job: Job) -> None:
    def compute(job: Job) -> tuple[str, dict]:
        project = job.project
        state = team_state(project)
        previous = _team_jobs(project).filter(status=JobStatus.DONE).order_by("-finished_at", "-id").first()
        return state.key, figures(project, previous=previous.result if previous else None, progress=job.report_progress)

    kept_results.run(job, kept=_team_jobs(job.project), compute=compute)


def _team_jobs(project: Project):
    return Job.objects.filter(project=project, kind=JobKind.TEAM)


def figures(project: Project, *, previous: dict | None = None, progress=None, now: datetime | None = None) -> dict:
    """The team figures of ``project`` at ``now`` (the result a job keeps), computing again
    only what changed since ``previous`` (the last result)."""
    refreshed_at = now or timezone.now()
    today = timezone.localdate(refreshed_at)
    last = datetime.fromisoformat(previous["refreshed_at"]) if previous else None
    if progress:
        progress("reading the change log", 0, 0)
    effort.refresh(project, from_day=effort.first_day_to_recompute(last))
    state = agreement_jobs.agreement_state(project, against_gold=True)
    report, _ = agreement_store.refresh(
        project, against_gold=True, progress=progress, unchanged=agreement_jobs.unchanged_report(project, state)
    )
    labels = list(project.labels.values_list("name", flat=True))
    weeks = _weeks(project, labels, previous["weeks"] if previous else {}, progress)
    throughput = _throughput(project)
    return {
        "refreshed_at": refreshed_at.isoformat(),
        "labels": labels,
        "annotators": _annotators(project, report, weeks),
        "weeks": weeks,
        "throughput": [[day.isoformat(), n] for day, n in throughput],
        "project": _pace(project, throughput, today),
    }


def _annotators(project: Project, report: dict, weeks: dict) -> list[dict]:
    layers = Layer.objects.filter(article__project=project, annotator__isnull=False)
    counts = {
        row["annotator__username"]: row
        for row in layers.values("annotator__username").annotate(
            assigned=Count("pk"),
            started=Count("pk", filter=~Q(status=Layer.Status.NOT_STARTED)),
            finished=Count("pk", filter=Q(status=Layer.Status.FINISHED)),
        )
    }
    names = set(counts) | set(project.annotators().values_list("username", flat=True))
    spent = Effort.objects.filter(project=project, layer__annotator=F("user"))
    time = {
        row["user__username"]: row
        for row in spent.values("user__username").annotate(
            seconds=Sum("active_seconds"),
            changes=Sum("changes"),
            finished_seconds=Sum("active_seconds", filter=Q(layer__status=Layer.Status.FINISHED)),
        )
    }
    units = dict(
        ArgumentUnit.objects.filter(layer__in=layers)
        .values("layer__annotator__username")
        .annotate(n=Count("pk"))
        .values_list("layer__annotator__username", "n")
    )
    pairs = report["pairs"]
    rows = []
    for name in sorted(names):
        count = counts.get(name, {"assigned": 0, "started": 0, "finished": 0})
        spent_by = time.get(name, {"seconds": 0.0, "changes": 0, "finished_seconds": None})
        seconds = spent_by["seconds"] or 0.0
        with_others = [pair["span_f1_overlap"] for pair in pairs if _with(name, pair) not in (None, GOLD)]
        against_gold = [pair["span_f1_overlap"] for pair in pairs if _with(name, pair) == GOLD]
        rows.append(
            {
                "annotator": name,
                "assigned": count["assigned"],
                "started": count["started"],
                "finished": count["finished"],
                "changes": spent_by["changes"] or 0,
                "active_seconds": seconds,
                "seconds_per_finished_article": (spent_by["finished_seconds"] or 0.0) / count["finished"]
                if count["finished"]
                else None,
                "units": units.get(name, 0),
                "units_per_hour": units.get(name, 0) / (seconds / 3600) if seconds >= RATE_AFTER_SECONDS else None,
                "span_f1_with_others": _mean(with_others),
                "span_f1_against_gold": against_gold[0] if against_gold else None,
                "confusion": _added(week["confusion"] for week in weeks.get(name, {}).values()),
            }
        )
    return rows


def _with(name: str, pair: dict) -> str | None:
    """The other participant of a pair of the report's table, when ``name`` is one of the two."""
    one, other = pair["annotators"]
    return other if one == name else one if other == name else None


def _weeks(project: Project, labels: list[str], previous: dict, progress) -> dict:
    """Each annotator's figures per week (see the module docstring), reusing ``previous``
    weeks whose digest did not move."""
    code = agreement_store.options_code(include_in_progress=False, against_gold=True)
    sources = dict(AgreementArticle.objects.filter(project=project, options=code).values_list("article_id", "source"))
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    finished = Layer.objects.filter(
        article__project=project, annotator__isnull=False, status=Layer.Status.FINISHED, finished_at__isnull=False
    )
    for name, article_id, finished_at in finished.values_list("annotator__username", "article_id", "finished_at"):
        if article_id in sources:
            day = timezone.localdate(finished_at)
            groups[(name, (day - timedelta(days=day.weekday())).isoformat())].append(article_id)
    weeks: dict[str, dict] = defaultdict(dict)
    dirty = []
    for (name, monday), article_ids in sorted(groups.items()):
        article_ids.sort()
        digest = hashlib.sha256(json.dumps([labels, [(a, sources[a]) for a in article_ids]]).encode()).hexdigest()
        kept = previous.get(name, {}).get(monday)
        if kept is not None and kept["digest"] == digest:
            weeks[name][monday] = kept
        else:
            dirty.append((name, monday, article_ids, digest))
    label_names = dict(project.labels.values_list("pk", "name"))
    for done, (name, monday, article_ids, digest) in enumerate(dirty):
        if progress:
            progress("figures per week", done, len(dirty))
        stored = AgreementArticle.objects.filter(project=project, options=code, article_id__in=article_ids)
        pairs = agreement_sums.pairs_of(name, stored.order_by("article_id").values_list("sums", flat=True))
        weeks[name][monday] = {
            "digest": digest,
            "articles": len(article_ids),
            "span_f1_with_others": _mean(pair.span_f1_overlap for other, pair in pairs.items() if other != GOLD),
            "span_f1_against_gold": pairs[GOLD].span_f1_overlap if GOLD in pairs else None,
            "confusion": _confusion_with_gold(project, name, article_ids, label_names),
        }
    return dict(weeks)


def _confusion_with_gold(project: Project, name: str, article_ids: list[int], labels: dict[int, str]) -> list:
    """How ``name``'s units on the articles ``article_ids`` match gold's, label for label:
    ``[[gold's label or None, their label or None, n], ...]``, sorted (see `confusion`)."""
    counted = project_agreement.counted_layers(project, against_gold=True).filter(
        Q(annotator__isnull=True) | Q(annotator__username=name), article_id__in=article_ids
    )
    by_article: dict[int, dict[str, LayerData]] = defaultdict(dict)
    for layer in project_agreement.layer_data(counted, labels):
        by_article[layer.article_id][layer.annotator] = layer
    found = Counter()
    for layers_of in by_article.values():
        if GOLD in layers_of and name in layers_of:
            found.update(confusion(layers_of[GOLD], layers_of[name]))
    return _rows(found)


def confusion(gold: LayerData, theirs: LayerData) -> Counter:
    """Gold's units against an annotator's on one article, whatever their labels: units are
    paired as span F1 (overlap) pairs them (more than half of the longer one shared, one to
    one), but across labels, and each pair counts as ``(gold's label, their label)``; a gold
    unit left unpaired counts as ``(label, None)`` (missed), one of theirs as ``(None,
    label)`` (extra)."""
    blind = {
        side: {unit: ("", spans) for unit, (_, spans) in layer.units.items()}
        for side, layer in (("gold", gold), ("theirs", theirs))
    }
    paired = align_pairs(blind, criteria=("overlap",))["overlap"][("gold", "theirs")]
    found = Counter((gold.units[a][0], theirs.units[b][0]) for a, b in paired)
    found.update((gold.units[a][0], NONE) for a in set(gold.units) - {a for a, _ in paired})
    found.update((NONE, theirs.units[b][0]) for b in set(theirs.units) - {b for _, b in paired})
    return found


def _rows(found: Counter) -> list:
    return sorted(([a, b, n] for (a, b), n in found.items()), key=lambda row: (row[0] or "", row[1] or ""))


def _added(confusions) -> list:
    total = Counter()
    for rows in confusions:
        total.update({(a, b): n for a, b, n in rows})
    return _rows(total)


def _throughput(project: Project) -> list[tuple[date, int]]:
    """Annotator layers finished per day (of those finished now), in day order."""
    finished = Layer.objects.filter(
        article__project=project, annotator__isnull=False, status=Layer.Status.FINISHED, finished_at__isnull=False
    )
    days = Counter()
    for day, n in (
        finished.annotate(day=TruncDate("finished_at")).values("day").annotate(n=Count("pk")).values_list("day", "n")
    ):
        days[day] += n
    return sorted(days.items())


def _pace(project: Project, throughput: list[tuple[date, int]], today: date) -> dict:
    """The layers the project needs (each article's `annotators_per_article`, or more
    where more are assigned), how many are finished and remain, the pace (layers finished
    a day over the last PACE_DAYS days, today included) and the day the remaining ones
    are finished at that pace (None without a pace; today when none remain)."""
    totals = Article.objects.filter(project=project).aggregate(
        articles=Count("pk"),
        needed=Sum(Greatest(Value(project.annotators_per_article), F("layers_assigned"), output_field=IntegerField())),
        finished=Sum("layers_finished"),
    )
    needed, finished = totals["needed"] or 0, totals["finished"] or 0
    remaining = max(needed - finished, 0)
    recent = sum(n for day, n in throughput if today - timedelta(days=PACE_DAYS) < day <= today)
    pace = recent / PACE_DAYS
    if remaining == 0:
        forecast = today
    elif pace:
        forecast = today + timedelta(days=math.ceil(remaining / pace))
    else:
        forecast = None
    return {
        "articles": totals["articles"],
        "needed": needed,
        "finished": finished,
        "remaining": remaining,
        "pace": pace,
        "pace_days": PACE_DAYS,
        "forecast": forecast.isoformat() if forecast else None,
    }
