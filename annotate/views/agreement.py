"""The curators' agreement page: the project's figures, per label, per annotator pair and per article."""

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.defaultfilters import floatformat, pluralize
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET

from annotate import access, agreement_jobs, agreement_store
from annotate.forms import AgreementForm
from annotate.models import JobStatus
from annotate.project_agreement import ArticleAgreement, ProjectAgreement

ARTICLES_SHOWN = 50
ARTICLES_CHARTED = 20
# Krippendorff's rule of thumb: below .667 discard, .667-.8 tentative, above .8 reliable.
TENTATIVE, RELIABLE = 0.667, 0.8


@require_GET
@login_required
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    """The stored figures for the layers as they are, or the last ones with how far they are
    behind while a worker recomputes them (an HTMX poll swaps in the new ones). The table
    of articles is paged: ``after`` is where a page starts, from the previous page's link."""
    membership = access.curator_membership(request.user, slug)
    project = membership.project
    form = AgreementForm(request.GET)
    options = form.cleaned_data if form.is_valid() else {"include_in_progress": False, "against_gold": False}
    after = request.GET.get("after", "")
    if after and not agreement_store.is_cursor(after):
        return HttpResponseBadRequest("This page of articles does not exist: follow the page's own links.")
    state = agreement_jobs.agreement_state(project, **options)
    stored = agreement_jobs.stored_agreement(project, state)
    job = None
    if stored is None or not stored.current:
        job = agreement_jobs.request_agreement(project, state, user=request.user)
        if job.status == JobStatus.DONE:  # computed in the request (ANNOTATE_AGREEMENT_INLINE)
            stored = agreement_jobs.stored_agreement(project, state)
    context = {"membership": membership, "project": project, "form": form, "options": options}
    context |= {"stored": stored, "job": job}
    if stored is not None:
        rows, following = agreement_store.article_page(project, **options, after=after, size=ARTICLES_SHOWN)
        if after and not rows:  # past the last article (the figures changed since the link was made)
            after = ""
            rows, following = agreement_store.article_page(project, **options, size=ARTICLES_SHOWN)
        context |= figures(stored.report, rows, first_page=not after) | {"computed_ago": ago(stored.computed_at)}
        context |= {"next_url": _page_url(request, following), "first_url": _page_url(request, "") if after else None}
    template = "annotate/agreement.html#agreement-result" if request.htmx else "annotate/agreement.html"
    return render(request, template, context)


def figures(report: ProjectAgreement, articles: list[ArticleAgreement], *, first_page: bool = True) -> dict:
    """What the page draws from a report and a page of its articles: the figures, the pair
    grid and the charts (the articles' on the first page only: the most contested)."""
    charted = articles[:ARTICLES_CHARTED] if first_page else []
    matrix = pair_matrix(report)
    pair_rows = [(pair, attribute_cells(report, pair)) for pair in report.pairs]
    return {
        "report": report,
        "matrix": matrix,
        "matrix_html": matrix_html(matrix),
        "label_chart": bar_chart([(row.label, row.alpha_u.alpha) for row in report.labels]),
        "article_chart": bar_chart([(row.title, row.alpha_u) for row in charted]) if charted else None,
        "articles": articles,
        "pair_rows": pair_rows,
        "pair_rows_html": pair_rows_html(pair_rows),
    }


# The pairs' table and the matrix grow with the square of the annotators (190 pairs and 400
# cells for 20) and took most of the page's time as template loops at a lab's size
# (docs/benchmarks.md, "Agreement at a lab's size"): their rows are built here, as
# agreement.html drew them.


def shown(value: float | None) -> str:
    """A figure as the page shows it: `floatformat:3`, or "—" when undefined."""
    return floatformat(value, 3) or "—"


def matrix_html(matrix: list[dict]) -> SafeString:
    """The rows of the annotator × annotator grid (`pair_matrix`)."""
    return format_html_join(
        "\n",
        '<tr><th scope="row">{}</th>{}</tr>',
        ((row["annotator"], SafeString("".join(_matrix_cell(cell) for cell in row["cells"]))) for row in matrix),
    )


def _matrix_cell(cell: dict) -> SafeString:
    if cell["diagonal"]:
        return SafeString('<td class="num diagonal"></td>')
    pair = cell["pair"]
    title = format_html(' title="{} shared article{}"', pair.articles, pluralize(pair.articles)) if pair else ""
    return format_html('<td class="num heat {}"{}>{}</td>', cell["class"], title, shown(cell["value"]))


def pair_rows_html(pair_rows: list[tuple]) -> SafeString:
    """The rows of the pairs' table: each pair's figures, then its kappa and matched pairs
    per attribute."""
    return format_html_join(
        "\n",
        '<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td>{}</tr>',
        (
            (
                " / ".join(pair.annotators),
                pair.articles,
                shown(pair.span_f1_exact),
                shown(pair.span_f1_overlap),
                shown(pair.relation_f1_exact),
                shown(pair.relation_f1_overlap),
                shown(pair.alpha_u),
                format_html_join(
                    "", '<td class="num">{} ({})</td>', ((shown(cell["kappa"]), cell["pairs"]) for cell in cells)
                ),
            )
            for pair, cells in pair_rows
        ),
    )


def _page_url(request: HttpRequest, after: str | None) -> str | None:
    """This page's address with the table of articles starting ``after`` (None: no such page)."""
    if after is None:
        return None
    query = request.GET.copy()
    query.pop("after", None)
    if after:
        query["after"] = after
    return f"{request.path}?{query.urlencode()}" if query else request.path


def attribute_cells(report: ProjectAgreement, pair) -> list[dict]:
    """The pair's Cohen's kappa and matched pairs for each attribute of the report, in its order."""
    return [pair.attributes.get(row.name, {"kappa": None, "pairs": 0}) for row in report.attributes]


def ago(moment: datetime) -> str:
    """When a result was computed, as the page says it: "just now", "2 minutes ago"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, depth=1)} ago"


def reliability(value: float | None) -> str:
    """A CSS class for how far a value can be relied on."""
    if value is None:
        return "undefined"
    return "reliable" if value >= RELIABLE else "tentative" if value >= TENTATIVE else "unreliable"


def pair_matrix(report: ProjectAgreement) -> list[dict]:
    """Rows of the annotator × annotator grid: span F1 (overlap) above the diagonal, alpha_U below."""
    pairs = {pair.annotators: pair for pair in report.pairs}
    rows = []
    for i, one in enumerate(report.annotators):
        cells = []
        for j, other in enumerate(report.annotators):
            pair = pairs.get((one, other)) or pairs.get((other, one))
            value = None if pair is None else pair.span_f1_overlap if i < j else pair.alpha_u
            cells.append({"diagonal": i == j, "value": value, "class": reliability(value), "pair": pair})
        rows.append({"annotator": one, "cells": cells})
    return rows


def bar_chart(rows: list[tuple[str, float | None]], *, label_width: int = 220, bar_width: int = 360) -> dict:
    """Geometry for a horizontal bar chart in SVG, one bar per value on a scale up to 1.

    The scale starts at 0, or at -1 when a value is negative (values below -1 are drawn at
    -1 but labelled with their true value); an undefined value gets no bar.
    """
    row_height = 24
    low = -1.0 if any(value is not None and value < 0 for _, value in rows) else 0.0

    def x(value: float) -> float:
        return label_width + (max(value, low) - low) / (1.0 - low) * bar_width

    bars = []
    for index, (name, value) in enumerate(rows):
        y = index * row_height
        bar = {"name": name, "y": y + 4, "text_y": y + 16, "value": value, "class": reliability(value)}
        if value is not None:
            start, end = x(min(value, 0.0)), x(max(min(value, 1.0), 0.0))
            bar |= {"x": round(start, 1), "width": round(max(end - start, 1.0), 1), "value_x": round(end + 6, 1)}
        bars.append(bar)
    return {
        "bars": bars,
        "width": label_width + bar_width + 60,
        "height": max(len(rows), 1) * row_height + 4,
        "zero_x": round(x(0.0), 1),
        "label_width": label_width,
        "bar_width": bar_width,
    }
