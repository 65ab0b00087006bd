"""Manager pages: label scheme, assignment (members: views/members.py)."""

import copy
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import escape
from django.utils.http import quote_etag
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from annotate import access, article_lists, projects
from annotate.contrast import text_colour
from annotate.forms import (
    AssignmentChangesForm,
    LabelForm,
    MarkersForm,
    RelationTypeForm,
    SpreadForm,
    UnassignForm,
    model_values,
)
from annotate.models import SCHEME_CACHE_SECONDS, Layer, Membership
from annotate.suggestions import markers as marker_hints
from annotate.views import render_partial

SCHEME_FORMS = {"label": LabelForm, "relation_type": RelationTypeForm}


@require_http_methods(["GET"])
@login_required
def scheme(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    project = membership.project
    context = {
        "membership": membership,
        "project": project,
        "labels": project.labels.all(),
        "relation_types": project.relation_types.all(),
        "markers_form": MarkersForm(markers=marker_hints.markers_of(project.suggestion_markers)),
    }
    return render(request, "annotate/scheme.html", context)


@require_POST
@login_required
def scheme_markers(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the project's discourse markers (the suggestions' hints), or put back the
    default lists (`default` in the form)."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    project = membership.project
    if "default" in request.POST:
        projects.update_settings(project=project, values={"suggestion_markers": {}}, user=request.user)
        messages.success(request, "The default markers are back.")
        return redirect(reverse("annotate:scheme", args=[slug]) + "#markers")
    form = MarkersForm(request.POST, markers=marker_hints.markers_of(project.suggestion_markers))
    if form.is_valid():
        projects.update_settings(
            project=project, values={"suggestion_markers": form.cleaned_data["markers"]}, user=request.user
        )
        messages.success(request, "Markers saved. Suggestions from markers follow them from the next opened layer.")
        return redirect(reverse("annotate:scheme", args=[slug]) + "#markers")
    context = {
        "membership": membership,
        "project": project,
        "labels": project.labels.all(),
        "relation_types": project.relation_types.all(),
        "markers_form": form,
    }
    return render(request, "annotate/scheme.html", context, status=422)


@require_http_methods(["GET", "POST"])
@login_required
def scheme_entry_edit(request: HttpRequest, slug: str, entry_type: str, pk: int | None = None) -> HttpResponse:
    """Create or edit a label (`entry_type="label"`) or a relation type (`entry_type="relation_type"`)."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    form_class = SCHEME_FORMS.get(entry_type)
    if form_class is None:
        raise Http404("No such type of scheme entry.")
    instance = None
    if pk is not None:
        instance = get_object_or_404(form_class._meta.model, project=membership.project, pk=pk)
    # The form fills a copy: the entry keeps its values for the change record.
    form = form_class(request.POST or None, instance=copy.copy(instance), project=membership.project)
    if request.method == "POST" and form.is_valid():
        entry = instance or form_class._meta.model(project=membership.project)
        entry = projects.save_scheme_entry(entry=entry, values=model_values(form), user=request.user)
        messages.success(request, f"“{entry.name}” saved.")
        return redirect("annotate:scheme", slug)
    context = {
        "membership": membership,
        "project": membership.project,
        "form": form,
        "entry_type": entry_type,
        "instance": instance,
    }
    return render(request, "annotate/scheme_entry_edit.html", context, status=422 if form.errors else 200)


def assignment_context(
    membership: Membership, data: QueryDict, *, attempted: dict[tuple[int, int], bool] | None = None
) -> dict:
    """A page of the assignment grid: the articles of the article list's filter and page
    (`data`, its query string) by the project's annotators, each cell ticked as saved, or
    as a refused save had it (`attempted`), so that the manager can correct it rather
    than tick it again. Each annotator with how many articles they have in all."""
    project = membership.project
    listing = article_lists.article_list(membership, data)
    annotators = listing.form.annotators
    attempted = attempted or {}
    rows = []
    for row in listing.rows:
        theirs = {layer.annotator_id: layer for layer in row.layers}
        cells = "".join(
            grid_cell(row.article, annotator, theirs.get(annotator.pk), attempted.get((row.article.pk, annotator.pk)))
            for annotator in annotators
        )
        rows.append((row.article, mark_safe(cells)))
    filter_query = listing.form.query()
    return {
        "membership": membership,
        "project": project,
        "listing": listing,
        "annotators": [(annotator, annotator.layers_assigned) for annotator in annotators],
        "rows": rows,
        "page_query": data.urlencode(),
        "filter_query": filter_query,
        "spread_form": SpreadForm(
            initial={"per_article": project.annotators_per_article, "filter": filter_query},
            annotators=[annotator for annotator in annotators if annotator.membership_active],
        ),
        "unassign_form": UnassignForm(initial={"filter": filter_query}, annotators=annotators),
    }


def grid_cell(article, annotator, layer, attempted: bool | None) -> str:
    """One cell of the grid: a box ticked as saved (or as a refused save tried it), which
    knows whether it was saved ticked (assignment.js sends the cells that differ), and the
    layer's status once started. Made here rather than by the template: a page has up to
    50 × the annotators of them."""
    saved = layer is not None
    checked = saved if attempted is None else attempted
    # A deactivated annotator keeps the articles they have and is given no new ones.
    disabled = " disabled" if not saved and not annotator.membership_active else ""
    name = escape(f"Assign “{article.title}” to {annotator.username}")
    status = ""
    if layer is not None and layer.status != Layer.Status.NOT_STARTED:
        status = f'<small class="status {layer.status}">{escape(layer.get_status_display())}</small>'
    return (
        f'<td class="center"><input type="checkbox" data-cell="{article.pk}:{annotator.pk}" '
        f'data-saved="{int(saved)}" aria-label="{name}"{" checked" if checked else ""}{disabled}>{status}</td>'
    )


def assignment_answer(
    request: HttpRequest, membership: Membership, page: str, *, status=200, attempted=None
) -> HttpResponse:
    """A plain POST goes back to the page it came from (the message goes with it); HTMX
    gets that page of the grid."""
    if not request.htmx:
        return redirect(reverse("annotate:assignment", args=[membership.project.slug]) + (f"?{page}" if page else ""))
    context = assignment_context(membership, QueryDict(page), attempted=attempted)
    return render_partial(request, "annotate/assignment.html", "assignment-table", context, status=status)


@require_http_methods(["GET"])
@login_required
def assignment(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    context = assignment_context(membership, request.GET)
    for problem in context["listing"].problems:
        messages.error(request, problem)
    return render(request, "annotate/assignment.html", context, status=400 if context["listing"].problems else 200)


@require_POST
@login_required
def assignment_save(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the cells of the grid the manager changed (and only those): all of them, or
    (with a message) none."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    form = AssignmentChangesForm(request.POST)
    page = request.POST.get("page", "")[:2000]
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("changes", ["The page sent could not be read."])))
        return assignment_answer(request, membership, page, status=422)
    changed = form.cleaned_data["changes"]
    try:
        done = projects.change_assignments(project=membership.project, changes=changed, by=request.user)
    except projects.AssignmentError as error:
        messages.error(request, f"Nothing was saved. {error}")
        return assignment_answer(request, membership, page, status=422, attempted=changed)
    added, removed = len(done.created), done.removed
    if added or removed:
        messages.success(request, f"Saved: {added} assignment{pluralize(added)} added, {removed} removed.")
    else:
        messages.info(request, "Nothing to save: the assignment was already so.")
    return assignment_answer(request, membership, page)


def _filtered(membership: Membership, form: SpreadForm):
    """The articles of the filter a bulk form carries, and how it reads in a message."""
    articles_filter = article_lists.ArticleFilter(QueryDict(form.cleaned_data["filter"]), membership=membership)
    if not articles_filter.is_valid():
        raise projects.AssignmentError("The filter could not be read; nothing was changed. Reload the page.")
    articles = article_lists.articles_matching(membership, articles_filter)
    return articles, " matching the filter" if articles_filter.is_filtered else ""


@require_POST
@login_required
def assignment_spread(request: HttpRequest, slug: str) -> HttpResponse:
    """Give every article of a filter (every article without one) a number of annotators,
    chosen among those ticked (everyone when none is), the least loaded first."""

    def spread(membership: Membership, data: dict, articles, matching: str) -> str:
        created = projects.spread_evenly(
            project=membership.project,
            per_article=data["per_article"],
            annotator_ids=data["annotators"] or None,
            articles=articles,
            by=request.user,
        )
        return f"{created} assignment{pluralize(created)} added to the articles{matching}."

    return _bulk_assignment(request, slug, SpreadForm, spread, refused="Nothing was assigned.")


@require_POST
@login_required
def assignment_unassign(request: HttpRequest, slug: str) -> HttpResponse:
    """Take the ticked annotators off every article of a filter where they have not
    started; started work stays, and the message says how much."""

    def unassign(membership: Membership, data: dict, articles, matching: str) -> str:
        done = projects.unassign_untouched(
            project=membership.project, annotator_ids=data["annotators"], articles=articles, by=request.user
        )
        kept = f" {done.kept} kept: their annotators had started." if done.kept else ""
        return f"{done.removed} assignment{pluralize(done.removed)} removed from the articles{matching}.{kept}"

    return _bulk_assignment(request, slug, UnassignForm, unassign, refused="Nothing was unassigned.")


def _bulk_assignment(request: HttpRequest, slug: str, form_class, change, *, refused: str) -> HttpResponse:
    """A bulk form of the assignment page: read, `change` made over the articles of the
    filter it carries (its answer the message), or refused with a message and 422; then
    the filtered page again."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    # Deactivated annotators may be taken off articles, never given new ones.
    project = membership.project
    form = form_class(
        request.POST, annotators=project.annotators() if form_class is UnassignForm else project.active_annotators()
    )
    page = request.POST.get("filter", "")[:2000]
    if not form.is_valid():
        messages.error(request, form_problems(form, refused))
        return assignment_answer(request, membership, page, status=422)
    try:
        articles, matching = _filtered(membership, form)
        messages.success(request, change(membership, form.cleaned_data, articles, matching))
    except projects.AssignmentError as error:
        messages.error(request, str(error))
        return assignment_answer(request, membership, page, status=422)
    return assignment_answer(request, membership, page)


def form_problems(form, consequence: str) -> str:
    """A refused form's errors as one message, field by field, and what was not done."""
    problems = [
        f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
        for name, errors in form.errors.items()
    ]
    return f"{consequence} " + " ".join(problems)


@require_http_methods(["GET"])
@login_required
def scheme_css(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's label and relation colours as CSS classes, so pages need no inline
    styles. Pages link it with the project's scheme version (`?v=`), which every change to
    a label or relation type counts, so a scheme change gives a new address at once: the
    browser keeps an address's CSS for a year, and revalidates (ETag) anything else."""
    project = access.membership_or_404(request.user, slug).project
    css, etag = scheme_stylesheet(project)
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    if request.GET.get("v") == str(project.scheme_version):
        patch_cache_control(response, private=True, max_age=SCHEME_CSS_SECONDS, immutable=True)
    else:  # no version, or an earlier one's address: the CSS of now, not to be kept as that
        patch_cache_control(response, private=True, no_cache=True)
    return get_conditional_response(request, etag=etag, response=response)


# How long a browser keeps one scheme version's CSS (its address changes with the scheme).
SCHEME_CSS_SECONDS = 365 * 24 * 3600


def scheme_stylesheet(project) -> tuple[str, str]:
    """The project's scheme as CSS, and its ETag: built once per scheme version and kept
    in the cache (CACHES), as the scheme's labels are (`Project.scheme_entries`)."""
    key = f"scheme-css:{project.pk}:{project.scheme_version}"
    if (kept := cache.get(key)) is not None:
        return kept
    # --on-colour: the text colour on a label's tag, black or white as reads better on it.
    entries = [("label", label) for label in project.scheme_labels]
    entries += [("relation-type", relation_type) for relation_type in project.scheme_relation_types]
    rules = [
        f".{prefix}-{entry.pk} {{ --colour: {entry.colour}; --on-colour: {text_colour(entry.colour)}; }}"
        for prefix, entry in entries
    ]
    css = "\n".join(rules) + "\n"
    made = (css, quote_etag(hashlib.sha256(css.encode()).hexdigest()[:32]))
    cache.set(key, made, SCHEME_CACHE_SECONDS)
    return made
