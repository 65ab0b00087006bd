"""The API's curation: the stored agreement figures (what the agreement page shows, never
computed for the request unless the page would), and the assignment of articles to
annotators (the assignment grid's domain functions and messages)."""

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import pluralize
from ninja import Router

from annotate import access, agreement_jobs, agreement_store, article_lists, paging, projects
from annotate.api import schemas
from annotate.api.answers import MAX_PAGE_SIZE, page_link, read_answer
from annotate.api.errors import body_of, body_schema, error
from annotate.api.pipelines import ERRORS, job_json
from annotate.forms import AssignmentChangesForm
from annotate.models import JobStatus, Layer

router = Router(tags=["curation"])
ARTICLES_SHOWN = 50  # the agreement page's


@router.get(
    "/projects/{slug}/agreement",
    response={200: schemas.AgreementOut, 400: schemas.ErrorOut, **ERRORS},
    url_name="agreement",
)
def agreement(
    request: HttpRequest, slug: str, include_in_progress: bool = False, against_gold: bool = False, after: str = ""
) -> HttpResponse:
    """The agreement figures (curators and managers) as the agreement page shows them: the
    stored result for the layers as they are, or the last one with `current` false and
    how many layers changed since (`layers_changed`) while a worker recomputes it (`job`,
    to poll); `figures` is the `agreement --json` command's report without its articles,
    which come 50 a page, most contested first (`next`)."""
    membership = access.curator_membership(request.auth, slug)
    project = membership.project
    options = {"include_in_progress": include_in_progress, "against_gold": against_gold}
    if after and not agreement_store.is_cursor(after):
        return error(400, "This page of articles does not exist: follow the page's own links.")
    state = agreement_jobs.agreement_state(project, **options)
    stored = agreement_jobs.stored_agreement(project, state)
    job = None
    if stored is None or not stored.current:
        job = agreement_jobs.request_agreement(project, state, user=request.auth)
        if job.status == JobStatus.DONE:  # computed in the request (ANNOTATE_AGREEMENT_INLINE), as the page does
            stored = agreement_jobs.stored_agreement(project, state)
            job = None
    answer = {"computed_at": None, "current": False, "layers_changed": None, "compared": 0, "figures": None}
    answer |= {"job": job_json(request, job, project) if job is not None else None, "next": None, "articles": []}
    if stored is not None:
        rows, following = agreement_store.article_page(project, **options, after=after, size=ARTICLES_SHOWN)
        figures = stored.report.as_json()
        del figures["articles"]
        answer |= {
            "computed_at": stored.computed_at,
            "current": stored.current,
            "layers_changed": stored.layers_changed,
            "compared": stored.compared,
            "figures": figures,
            "next": page_link(request, after=following),
            "articles": [vars(row) for row in rows],
        }
    return read_answer(request, schemas.AgreementOut.model_validate(answer))


@router.get(
    "/projects/{slug}/assignments",
    response={200: schemas.AssignmentPage, 422: schemas.ErrorOut, **ERRORS},
    url_name="assignment_list",
)
def assignment_list(
    request: HttpRequest,
    slug: str,
    annotator: str = "",
    after: str = "",
    before: str = "",
    page_size: int = article_lists.PAGE_SIZE,
) -> HttpResponse:
    """Who is assigned what (managers): the project's articles in the order they were
    added, each with its annotators and their layers' status; `annotator` (a username)
    keeps the articles assigned to them. `page_size` up to 100."""
    membership = access.membership_or_404(request.auth, slug, roles=access.MANAGERS)
    project = membership.project
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return error(422, f"page_size must be from 1 to {MAX_PAGE_SIZE}, not {page_size}.")
    articles = project.articles.all()
    if annotator:
        if not project.memberships.filter(user__username=annotator, role="annotator").exists():
            return error(422, f"{annotator} is not an annotator of this project.")
        articles = articles.filter(layers__annotator__username=annotator)
    try:
        page = paging.page_of(
            articles.only("pk", "title", "project_id"), ("id",), after=after, before=before, size=page_size
        )
    except paging.BadCursor as problem:
        return error(422, str(problem))
    assigned: dict[int, list[dict]] = {}
    layers = Layer.objects.filter(article__in=[row.pk for row in page.rows], annotator__isnull=False)
    for article_id, username, status in layers.order_by("annotator__username").values_list(
        "article_id", "annotator__username", "status"
    ):
        assigned.setdefault(article_id, []).append({"username": username, "status": status})
    answer = {
        "count": articles.count(),
        "next": page_link(request, after=page.next_cursor),
        "previous": page_link(request, before=page.previous_cursor),
        "results": [{"id": row.pk, "title": row.title, "annotators": assigned.get(row.pk, [])} for row in page.rows],
    }
    return read_answer(request, schemas.AssignmentPage.model_validate(answer))


@router.post(
    "/projects/{slug}/assignments",
    response={200: schemas.AssignmentOut, 422: schemas.ErrorOut, **ERRORS},
    url_name="assignment_list",
    openapi_extra=body_schema(schemas.AssignmentIn, {"articles": [12, 13], "annotators": ["alice", "bob"]}),
)
def assignment_change(request: HttpRequest, slug: str) -> HttpResponse:
    """Assign `articles` (ids) to `annotators` (usernames), keeping their other
    annotators (managers); with `"assigned": false`, take them off instead, where they
    have not started. As the assignment grid saves its ticked cells: all of it, or (422,
    with the grid's message) nothing."""
    membership = access.membership_or_404(request.auth, slug, roles=access.MANAGERS)
    change = body_of(request, schemas.AssignmentIn)
    cells = len(change.articles) * len(change.annotators)
    if not cells:
        return error(422, "Name at least one article and one annotator; nothing was saved.")
    if cells > AssignmentChangesForm.MAX_CHANGES:
        limit = AssignmentChangesForm.MAX_CHANGES
        return error(422, f"Save at most {limit} changed cells (articles × annotators) at once; nothing was saved.")
    users = dict(User.objects.filter(username__in=change.annotators).values_list("username", "pk"))
    if unknown := sorted(set(change.annotators) - users.keys()):
        return error(422, f"Nothing was saved. Only annotators of this project can be assigned (usernames {unknown}).")
    wanted = {(article, users[name]): change.assigned for article in change.articles for name in change.annotators}
    try:
        done = projects.change_assignments(project=membership.project, changes=wanted, by=request.auth)
    except projects.AssignmentError as problem:
        return error(422, f"Nothing was saved. {problem}")
    added, removed = len(done.created), done.removed
    if added or removed:  # the grid's messages
        message = f"Saved: {added} assignment{pluralize(added)} added, {removed} removed."
    else:
        message = "Nothing to save: the assignment was already so."
    answer = schemas.AssignmentOut(added=added, removed=removed, message=message)
    return HttpResponse(answer.model_dump_json(), content_type="application/json")
