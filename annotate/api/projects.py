"""The API's projects and articles: the user's projects with their schemes, a project's
articles (paged and filtered as the article list page is), new articles (validated and
written as the import writes them), and a layer as a JSON Lines record. Every route
checks access through `annotate.access`, as the pages do."""

import io
import json

import orjson
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router

from annotate import access, article_lists, datasets, paging
from annotate.api import schemas
from annotate.api.answers import MAX_PAGE_SIZE, page_link, read_answer
from annotate.api.errors import error
from annotate.formats import jsonl
from annotate.formats.plaintext import normalise_text
from annotate.models import Membership, text_hash

router = Router(tags=["projects"])

# The name the articles of a POST are read under, as the import page reads a JSON Lines
# file of that name: its messages are the import page's, word for word.
REQUEST_FILE = "articles.jsonl"
ERRORS = {401: schemas.ErrorOut, 403: schemas.ErrorOut, 404: schemas.ErrorOut, 429: schemas.ErrorOut}


def _project_json(membership: Membership, labels, relation_types) -> dict:
    project = membership.project
    return {
        "slug": project.slug,
        "name": project.name,
        "role": membership.role,
        "description": project.description,
        "annotators_per_article": project.annotators_per_article,
        "blind": project.blind,
        "labels": [
            {"name": x.name, "key": x.key, "colour": x.colour, "role": x.role, "attributes": x.attributes}
            for x in labels
        ],
        "relation_types": [{"name": x.name, "key": x.key, "colour": x.colour} for x in relation_types],
    }


@router.get("/projects", response={200: schemas.ProjectPage, **ERRORS}, url_name="project_list")
def project_list(request: HttpRequest, after: str = "", before: str = "") -> HttpResponse:
    """The projects the user is an active member of, with their role and scheme (labels
    and relation types), 50 a page. Four queries."""
    memberships = Membership.objects.filter(user=request.auth, active=True).select_related("project")
    try:
        page = paging.page_of(memberships, ("id",), after=after, before=before, size=article_lists.PAGE_SIZE)
    except paging.BadCursor as problem:
        return error(422, str(problem))
    projects = [membership.project for membership in page.rows]
    prefetch_related_objects(projects, "labels", "relation_types")
    results = [_project_json(m, m.project.labels.all(), m.project.relation_types.all()) for m in page.rows]
    answer = {
        "count": memberships.count(),
        "next": page_link(request, after=page.next_cursor),
        "previous": page_link(request, before=page.previous_cursor),
        "results": results,
    }
    return read_answer(request, schemas.ProjectPage.model_validate(answer))


@router.get("/projects/{slug}", response={200: schemas.ProjectOut, **ERRORS}, url_name="project_detail")
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One project: the user's role and its scheme."""
    membership = access.membership_or_404(request.auth, slug)
    project = membership.project
    answer = _project_json(membership, project.scheme_labels, project.scheme_relation_types)
    return read_answer(request, schemas.ProjectOut.model_validate(answer))


@router.get(
    "/projects/{slug}/articles",
    response={200: schemas.ArticlePage, 422: schemas.ErrorOut, **ERRORS},
    url_name="article_list",
)
def article_list(
    request: HttpRequest,
    slug: str,
    q: str = "",
    status: str = "",
    annotator: int | None = None,
    label: int | None = None,
    tag: str = "",
    sort: str = "added",
    after: str = "",
    before: str = "",
    page_size: int = article_lists.PAGE_SIZE,
) -> HttpResponse:
    """The articles the user may open, searched, filtered and sorted as the article list
    page does (`q`: words, "a phrase", `or`, `-word`; `status`: unassigned, not_started,
    in_progress, finished, unfinished, curated, disagreed; `annotator` and `label` by
    id; `tag`; `sort`: added, -added, title, -title, length, -length), each with its
    status and the annotators' layers the user may read; `page_size` up to 100."""
    membership = access.membership_or_404(request.auth, slug)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return error(422, f"page_size must be from 1 to {MAX_PAGE_SIZE}, not {page_size}.")
    listing = article_lists.article_list(membership, request.GET, size=page_size)
    if listing.problems:
        return error(422, " ".join(listing.problems))
    project = membership.project
    results = [
        {
            "id": row.article.pk,
            "title": row.article.title,
            "author": row.article.author,
            "outlet": row.article.outlet,
            "published": row.article.published,
            "length": row.article.length,
            "metadata": row.article.metadata,
            "status": row.article.progress,
            "curated": row.article.curated,
            "layers": [
                {
                    "owner": layer.annotator.username,
                    "status": layer.status,
                    "url": request.build_absolute_uri(
                        reverse("api:layer_detail", args=[project.slug, row.article.pk, layer.annotator.username])
                    ),
                }
                for layer in row.layers
            ],
        }
        for row in listing.rows
    ]
    answer = {
        "count": listing.count,
        "more": listing.more,
        "next": page_link(request, after=listing.page.next_cursor),
        "previous": page_link(request, before=listing.page.previous_cursor),
        "results": results,
    }
    return read_answer(request, schemas.ArticlePage.model_validate(answer))


ARTICLES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "description": (
                        "One article, or a list of them, each a line of the JSON Lines import (docs/formats.md): "
                        '"title" and "text" required; "author", "outlet", "url", "published", "metadata", "layers" '
                        "optional."
                    ),
                    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
                },
                "example": {
                    "title": "Ban cars",
                    "text": "Cities should ban cars. Traffic kills.",
                    "author": "A. Writer",
                },
            }
        },
    }
}


@router.post(
    "/projects/{slug}/articles",
    response={201: schemas.ImportOut, 422: schemas.ErrorOut, **ERRORS},
    url_name="article_list",
    openapi_extra=ARTICLES_BODY,
)
def article_create(request: HttpRequest, slug: str) -> HttpResponse:
    """New articles (managers): one JSON object or a list of them, read and checked as the
    import reads a JSON Lines file (the same messages), and written all or nothing. An
    article whose text the project has is not stored again (`already_there`)."""
    membership = access.membership_or_404(request.auth, slug, roles=access.MANAGERS)
    project = membership.project
    content = _as_lines(request.body)
    source = datasets.upload_source(lambda: io.BytesIO(content), file_name=REQUEST_FILE, size=len(content))
    report = datasets.import_files(project=project, sources=[source], user=request.auth, keep_plans=True)
    if not report.written:
        message = report.problems[0] if len(report.problems) == 1 else "\n".join(report.problems)
        return error(422, message, problems=report.problems)
    digests = [text_hash(normalise_text(plan.record.text)) for plan in report.plans]
    ids = dict(project.articles.filter(text_hash__in=digests).values_list("text_hash", "pk"))
    answer = {
        "created": [ids[d] for d, plan in zip(digests, report.plans, strict=True) if plan.existing is None],
        "already_there": [plan.existing.pk for plan in report.plans if plan.existing is not None],
        "summary": report.summary,
    }
    return HttpResponse(
        schemas.ImportOut.model_validate(answer).model_dump_json(), status=201, content_type="application/json"
    )


def _as_lines(body: bytes) -> bytes:
    """The body as a JSON Lines file, an article a line: a JSON object is one line, a
    list one line per item. A body that is not JSON is left as it is, for the import to
    say what is wrong with it as it does of such a file."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, too deep, NaN: the import names it
        return body
    items = data if isinstance(data, list) else [data]
    return b"".join(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE) for item in items)


def _refuse(name: str) -> float:
    raise ValueError(name)


@router.get(
    "/projects/{slug}/articles/{article_id}/layers/{owner}",
    response={200: schemas.ArticleRecordOut, **ERRORS},
    url_name="layer_detail",
)
def layer_detail(request: HttpRequest, slug: str, article_id: int, owner: str) -> HttpResponse:
    """A layer (`owner`: an annotator's username, or "gold") of an article, as a line of
    the JSON Lines export holding that layer alone: the article's fields and text, the
    layer's status, units (spans as code-point offsets, with their quoted text) and
    relations."""
    membership = access.membership_or_404(request.auth, slug)
    layers = access.layers(membership).filter(article_id=article_id)
    if owner == datasets.GOLD:
        layers = layers.filter(annotator__isnull=True)
    else:
        layers = layers.filter(annotator__username=owner)
    if owner in ("all", "annotators") or not layers.exists():
        raise Http404("No such layer.")
    articles = access.articles(membership).filter(pk=article_id)
    choice = datasets.LayerChoice(owner)
    record = next(datasets.article_records(membership.project, choice=choice, articles=articles), None)
    if record is None:
        raise Http404("No such article.")
    return read_answer(request, schemas.ArticleRecordOut.model_validate(jsonl.article_json(record)))
