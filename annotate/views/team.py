"""The team page: each annotator's progress, effort and quality, and the project's pace,
from the figures a worker keeps (`annotate/team.py`), with a CSV of every table.

Curators and managers see every annotator and the project's pace; an annotator sees
their own row, weeks and confusion only (and nobody else's name)."""

import csv
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from annotate import access, team
from annotate.models import Job, JobStatus, Membership
from annotate.views.agreement import ago, bar_chart

DAYS_CHARTED = 30
TABLES = ("annotators", "weeks", "confusion", "throughput")


@require_GET
@login_required
def team_figures(request: HttpRequest, slug: str) -> HttpResponse:
    """The kept figures; while a worker brings them up to date, an HTMX poll swaps the new
    ones in. ``annotator`` chooses whose weeks and confusion a curator sees."""
    membership = access.membership_or_404(request.user, slug)
    project = membership.project
    kept, job = _kept(request, project)
    idle_minutes = f"{settings.ANNOTATE_IDLE_SECONDS / 60:g}"
    context = {"membership": membership, "project": project, "kept": kept, "job": job, "idle_minutes": idle_minutes}
    if kept is not None:
        context |= _figures(request, membership, kept)
    template = "annotate/team.html#team-result" if request.htmx else "annotate/team.html"
    return render(request, template, context)


def _kept(request: HttpRequest, project) -> tuple[team.KeptFigures | None, Job | None]:
    """The newest kept figures, and the job that brings them up to date when they are not."""
    state = team.team_state(project)
    kept = team.kept_figures(project, state)
    job = None
    if kept is None or not kept.current:
        job = team.request_figures(project, state, user=request.user)
        if job.status == JobStatus.DONE:  # computed in the request (ANNOTATE_TEAM_INLINE)
            kept = team.kept_figures(project, state)
    return kept, job


def _figures(request: HttpRequest, membership: Membership, kept: team.KeptFigures) -> dict:
    result = kept.result
    rows = [
        row | {"active": hours(row["active_seconds"]), "per_article": hours(row["seconds_per_finished_article"])}
        for row in _visible(membership, result["annotators"])
    ]
    names = [row["annotator"] for row in rows]
    chosen = request.GET.get("annotator") if membership.can_curate else membership.user.username
    if chosen not in names:
        chosen = names[0] if names else None
    row = next((row for row in rows if row["annotator"] == chosen), None)
    weeks = _week_rows(result, chosen) if chosen else []
    today = timezone.localdate()
    return {
        "computed_ago": ago(kept.computed_at),
        "rows": rows,
        "names": names,
        "chosen": chosen,
        "weeks": weeks,
        "week_chart": week_chart(weeks),
        "confusion": confusion_table(result["labels"], row["confusion"] if row else []),
        "gold_chart": bar_chart([(row["annotator"], row["span_f1_against_gold"]) for row in rows])
        if membership.can_curate and any(row["span_f1_against_gold"] is not None for row in rows)
        else None,
        "pace": result["project"] if membership.can_curate else None,
        "throughput": day_chart(result["throughput"], today) if membership.can_curate else None,
    }


def _visible(membership: Membership, rows: list[dict]) -> list[dict]:
    """The annotator rows ``membership`` may see: all for curators, their own otherwise."""
    if membership.can_curate:
        return rows
    return [row for row in rows if row["annotator"] == membership.user.username]


def _week_rows(result: dict, name: str) -> list[dict]:
    return [{"week": monday, **figures} for monday, figures in sorted(result["weeks"].get(name, {}).items())]


def confusion_table(labels: list[str], rows: list) -> dict:
    """Gold's labels down, the annotator's across, each with a last "none" line for what
    the other side has nothing for: a cell counts units; the diagonal is agreement."""
    found = {(gold, theirs): n for gold, theirs, n in rows}
    order = labels + sorted({label for row in rows for label in row[:2] if label and label not in labels})
    return {
        "labels": order,
        "rows": [
            {
                "gold": gold,
                "cells": [
                    {
                        # Nothing against nothing is never counted: no cell there.
                        "n": None if gold is None and theirs is None else found.get((gold, theirs), 0),
                        "agree": gold == theirs and gold is not None,
                    }
                    for theirs in [*order, None]
                ],
            }
            for gold in [*order, None]
        ],
        "total": sum(found.values()),
    }


def day_chart(throughput: list, today: date, *, days: int = DAYS_CHARTED) -> dict:
    """Geometry of a column chart of the layers finished on each of the last ``days`` days."""
    per_day = {date.fromisoformat(day): n for day, n in throughput}
    shown = [
        (today - timedelta(days=back), per_day.get(today - timedelta(days=back), 0)) for back in range(days - 1, -1, -1)
    ]
    top = max([n for _, n in shown] + [1])
    width, height, left, bottom = 16, 120, 36, 20  # a column's, the plot's, the margins
    columns = []
    for index, (day, n) in enumerate(shown):
        bar = round(n / top * height, 1)
        columns.append(
            {
                "day": day,
                "n": n,
                "x": left + index * width + 2,
                "y": round(height - bar + 4, 1),
                "height": bar,
                "label": day.day == 1 or index == 0 or index == days - 1,
            }
        )
    return {
        "columns": columns,
        "width": left + days * width + 40,
        "height": height + bottom + 8,
        "axis_y": height + 4,
        "top": top,
        "bar_width": width - 4,
        "left": left,
        "total": sum(n for _, n in shown),
    }


def week_chart(weeks: list[dict]) -> dict | None:
    """Geometry of a line chart of span F1 (overlap) with the others and against gold, one
    point per week (an undefined week breaks the line)."""
    if not weeks:
        return None
    step, left, top, height = 56, 40, 10, 120
    width = max(left + max(len(weeks) - 1, 1) * step + 40, 320)

    def series(key: str) -> dict:
        points, paths, current = [], [], []
        for index, week in enumerate(weeks):
            value = week[key]
            if value is None:
                current and paths.append(current)
                current = []
                continue
            point = {
                "x": left + index * step,
                "y": round(top + (1 - value) * height, 1),
                "value": value,
                "week": week["week"],
            }
            points.append(point)
            current.append(point)
        current and paths.append(current)
        return {"points": points, "paths": [" ".join(f"{p['x']},{p['y']}" for p in path) for path in paths]}

    return {
        "width": width,
        "height": top + height + 28,
        "others": series("span_f1_with_others"),
        "gold": series("span_f1_against_gold"),
        "ticks": [{"y": round(top + (1 - value) * height, 1), "value": value} for value in (0.0, 0.5, 1.0)],
        "weeks": [{"x": left + index * step, "week": week["week"]} for index, week in enumerate(weeks)],
        "left": left,
        "axis_y": top + height,
        "right": width - 10,
    }


@require_GET
@login_required
def team_csv(request: HttpRequest, slug: str, table: str) -> HttpResponse:
    """One table of the kept figures as CSV (UTF-8, a header line, dates as YYYY-MM-DD,
    figures unrounded, an undefined one empty); an annotator gets their own rows."""
    if table not in TABLES:
        raise Http404("No such table.")
    membership = access.membership_or_404(request.user, slug)
    if table == "throughput" and not membership.can_curate:
        role = membership.get_role_display().lower()
        raise PermissionDenied(f"Your role in this project ({role}) does not allow this page.")
    kept, _ = _kept(request, membership.project)
    if kept is None:
        raise Http404("The team figures are being computed: try again in a moment.")
    result = kept.result
    rows = _visible(membership, result["annotators"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{membership.project.slug}-team-{table}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    if table == "annotators":
        writer.writerow(team.ANNOTATOR_COLUMNS)
        writer.writerows([_cell(row[column]) for column in team.ANNOTATOR_COLUMNS] for row in rows)
    elif table == "weeks":
        columns = ("articles", "span_f1_with_others", "span_f1_against_gold")
        writer.writerow(("annotator", "week", *columns))
        for row in rows:
            for week in _week_rows(result, row["annotator"]):
                writer.writerow([row["annotator"], week["week"], *(_cell(week[column]) for column in columns)])
    elif table == "confusion":
        writer.writerow(("annotator", "gold_label", "label", "units"))
        for row in rows:
            writer.writerows([row["annotator"], _cell(gold), _cell(theirs), n] for gold, theirs, n in row["confusion"])
    else:
        writer.writerow(("day", "layers_finished"))
        writer.writerows(result["throughput"])
    return response


def _cell(value) -> str:
    return "" if value is None else value if isinstance(value, str) else repr(value)


def hours(seconds: float | None) -> str:
    """A time as the page shows it: "1 h 05 min", "12 min", "40 s", or "—"."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
