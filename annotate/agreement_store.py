"""The stored per-article agreement sums (`AgreementArticle`): brought up to date one
article at a time, folded into the project's figures, and paged for the agreement page.

An article's sums are recomputed when what they came from changed: a counted layer of
the article was changed, added or no longer counts (each change counts up a layer's
revision), or a label was renamed. Everything else is read back as stored, so after one
finished layer a recomputation reads that article's layers and folds the stored sums.
A full recomputation (nothing stored yet) reads the project ARTICLES_AT_ONCE articles at a
time, and folding reads the stored sums in article order in chunks: memory does not
grow with the project.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator

from django.db.models import Count, Q

from annotate import agreement_sums, project_agreement
from annotate.agreement_sums import article_sums, continuum_coders
from annotate.models import AgreementArticle, Article, Project
from annotate.project_agreement import GOLD, ArticleAgreement, ArticleData

ARTICLES_AT_ONCE = 200
# An undefined figure sorts after every value (alpha_U and F1 are at most 1).
UNDEFINED_ORDER = 2.0


def options_code(*, include_in_progress: bool, against_gold: bool) -> int:
    return int(include_in_progress) + 2 * int(against_gold)


def refresh(
    project: Project,
    *,
    include_in_progress: bool = False,
    against_gold: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    unchanged: tuple[dict, int] | None = None,
) -> tuple[dict, int]:
    """Recompute the sums of the articles whose counted layers changed, drop those of
    articles with none left, and fold them all: the report as JSON (`ProjectAgreement.as_json`,
    without its per-article rows, which are stored) and the number of compared articles.
    When no article changed, ``unchanged`` (the last report and number, if still true of
    the scheme) is returned as it is, without folding."""
    options = {"include_in_progress": include_in_progress, "against_gold": against_gold}
    code = options_code(**options)
    labels = dict(project.labels.values_list("pk", "name"))
    scheme = sorted(labels.items())
    counted = project_agreement.counted_layers(project, **options)
    sources: dict[int, list] = defaultdict(list)
    for pk, article_id, revision, username in counted.order_by("article_id", "pk").values_list(
        "pk", "article_id", "revision", "annotator__username"
    ):
        sources[article_id].append((pk, revision, username or GOLD))
    wanted = {article_id: _digest([scheme, layers]) for article_id, layers in sources.items()}
    stored = AgreementArticle.objects.filter(project=project, options=code)
    found = dict(stored.values_list("article_id", "source"))
    gone = [article_id for article_id in found if article_id not in wanted]
    stored.filter(article_id__in=gone).delete()
    dirty = sorted(article_id for article_id, source in wanted.items() if found.get(article_id) != source)
    if unchanged is not None and not dirty and not gone:
        return unchanged
    for done in range(0, len(dirty), ARTICLES_AT_ONCE):
        if progress:
            progress("reading articles", done, len(dirty))
        batch = dirty[done : done + ARTICLES_AT_ONCE]
        _store(project, code, batch, counted.filter(article_id__in=batch), labels, wanted)
    if progress:
        progress("adding up", len(dirty), len(dirty))
    counts = Counter(dict(stored.values_list("annotators").annotate(n=Count("pk")).values_list("annotators", "n")))
    coders = continuum_coders(counts.elements())
    report = agreement_sums.fold(
        stored.order_by("article_id").values_list("sums", flat=True).iterator(chunk_size=500),
        coders=coders,
        labels=list(labels.values()),
        **options,
    )
    return report.as_json(), sum(n for annotators, n in counts.items() if annotators >= 2)


def _store(project, code: int, batch: list[int], counted, labels: dict[int, str], wanted: dict[int, str]) -> None:
    articles = {
        pk: ArticleData(pk, title, length)
        for pk, title, length in Article.objects.filter(pk__in=batch).values_list("pk", "title", "length")
    }
    by_article: dict[int, dict] = defaultdict(dict)
    for layer in project_agreement.layer_data(counted, labels):
        by_article[layer.article_id][layer.annotator] = layer
    rows = []
    for article_id in batch:
        sums = article_sums(articles[article_id], by_article[article_id])
        rows.append(
            AgreementArticle(
                project=project,
                options=code,
                article_id=article_id,
                source=wanted[article_id],
                annotators=sum(name != GOLD for name in sums["names"]),
                alpha_u=sums["alpha"],
                span_f1_overlap=sums["f1"],
                alpha_order=_order(sums["alpha"]),
                f1_order=_order(sums["f1"]),
                sums=sums,
            )
        )
    AgreementArticle.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["project", "options", "article"],
        update_fields=["source", "annotators", "alpha_u", "span_f1_overlap", "alpha_order", "f1_order", "sums"],
    )


def _order(value: float | None) -> float:
    return UNDEFINED_ORDER if value is None else value


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()


class BadCursor(ValueError):
    """A page's ``after`` that is not one this module wrote."""


def cursor(row: ArticleAgreement) -> str:
    """Where the page after ``row`` starts, as ``after`` carries it."""
    return f"{_order(row.alpha_u)!r}_{_order(row.span_f1_overlap)!r}_{row.id}"


def article_page(
    project: Project, *, include_in_progress: bool, against_gold: bool, after: str = "", size: int = 50
) -> tuple[list[ArticleAgreement], str | None]:
    """The compared articles, most contested first (lowest alpha_U, then lowest span F1,
    undefined last), ``size`` of them after the cursor ``after`` (from the start when
    empty), and the cursor of the next page (None on the last): one query, on an index.
    Raises `BadCursor` for an ``after`` that `cursor` did not write (see `parse_cursor`)."""
    code = options_code(include_in_progress=include_in_progress, against_gold=against_gold)
    rows = AgreementArticle.objects.filter(project=project, options=code, annotators__gte=2)
    if after:
        alpha, f1, article_id = parse_cursor(after)
        # The first condition is implied by the others; it lets the index start the scan at
        # the cursor rather than at the first article.
        rows = rows.filter(alpha_order__gte=alpha).filter(
            Q(alpha_order__gt=alpha)
            | Q(alpha_order=alpha, f1_order__gt=f1)
            | Q(alpha_order=alpha, f1_order=f1, article_id__gt=article_id)
        )
    rows = rows.order_by("alpha_order", "f1_order", "article_id")
    found = [
        ArticleAgreement(*row)
        for row in rows.values_list("article_id", "article__title", "annotators", "alpha_u", "span_f1_overlap")[
            : size + 1
        ]
    ]
    following = cursor(found[size - 1]) if len(found) > size else None
    return found[:size], following


def is_cursor(after: str) -> bool:
    """Whether ``after`` is a cursor `article_page` takes."""
    try:
        parse_cursor(after)
    except BadCursor:
        return False
    return True


def parse_cursor(after: str) -> tuple[float, float, int]:
    """The figures and article id a page's ``after`` starts after; `BadCursor` when it is
    not three such values (two finite numbers and an id) joined by "_"."""
    try:
        alpha, f1, article_id = after.split("_")
        found = float(alpha), float(f1), int(article_id)
    except ValueError as error:
        raise BadCursor(after) from error
    if not all(-1e300 < value < 1e300 for value in found[:2]) or not 0 <= found[2] < 2**63:
        raise BadCursor(after)
    return found


def stored_rows(
    project: Project, *, include_in_progress: bool = False, against_gold: bool = False
) -> Iterator[ArticleAgreement]:
    """Every compared article's row, most contested first (for the command's table)."""
    after = ""
    while True:
        page, after = article_page(
            project, include_in_progress=include_in_progress, against_gold=against_gold, after=after, size=1000
        )
        yield from page
        if after is None:
            return
