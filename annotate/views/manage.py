"""Manager pages: members, label scheme, assignment."""

import copy
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.views.decorators.http import require_http_methods, require_POST

from annotate import access, projects
from annotate.contrast import text_colour
from annotate.forms import LabelForm, MemberForm, RelationTypeForm, SpreadForm, model_values
from annotate.models import SCHEME_CACHE_SECONDS, Membership
from annotate.views import render_partial

SCHEME_FORMS = {"label": LabelForm, "relation_type": RelationTypeForm}


@require_http_methods(["GET", "POST"])
@login_required
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    project = membership.project
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        projects.set_member(
            project=project, user=form.cleaned_data["username"], role=form.cleaned_data["role"], by=request.user
        )
        form = MemberForm()
    members = project.memberships.select_related("user").order_by("role", "user__username")
    context = {"membership": membership, "project": project, "form": form, "members": members}
    return render_partial(request, "annotate/member_list.html", "members", context, status=422 if form.errors else 200)


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    member = get_object_or_404(Membership.objects.select_related("user"), project=membership.project, pk=pk)
    try:
        projects.remove_member(membership=member, by=request.user)
        messages.success(request, f"{member.user.username} is no longer a member.")
    except projects.AssignmentError as error:
        messages.error(request, str(error))
    return redirect("annotate:member_list", slug)


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
    }
    return render(request, "annotate/scheme.html", context)


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


def assignment_context(membership: Membership, ticked: dict[int, set[int]] | None = None) -> dict:
    """The grid (`projects.assignment_grid`), with a refused save's ticks when given."""
    project = membership.project
    grid = projects.assignment_grid(project, ticked=ticked)
    return {
        "membership": membership,
        "project": project,
        "annotators": grid.annotators,
        "rows": grid.rows,
        "spread_form": SpreadForm(initial={"per_article": project.annotators_per_article}),
    }


def grid_ticks(data) -> dict[int, set[int]] | None:
    """The assignment grid as posted: `article` names every row the page showed (a row
    with nothing ticked sends no `assign-<article>`), `assign-<article>` the ids of the
    annotators ticked in it. None when the data is not what the page sends."""
    try:
        rows = {int(pk) for pk in data.getlist("article")}
        rows |= {int(name.removeprefix("assign-")) for name in data if name.startswith("assign-")}
        return {pk: {int(user_id) for user_id in data.getlist(f"assign-{pk}")} for pk in rows}
    except ValueError:
        return None


def assignment_answer(request: HttpRequest, membership: Membership, *, status=200, ticked=None) -> HttpResponse:
    """A plain POST goes back to the page (the message goes with it); HTMX gets the grid."""
    if not request.htmx:
        return redirect("annotate:assignment", membership.project.slug)
    context = assignment_context(membership, ticked)
    return render_partial(request, "annotate/assignment.html", "assignment-table", context, status=status)


@require_http_methods(["GET"])
@login_required
def assignment(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    return render(request, "annotate/assignment.html", assignment_context(membership))


@require_POST
@login_required
def assignment_save(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the whole grid at once: every row's ticks, or (with a message) none."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    ticked = grid_ticks(request.POST)
    if ticked is None:
        messages.error(request, "The assignment could not be read; nothing was saved. Reload the page.")
        return assignment_answer(request, membership, status=422)
    try:
        done = projects.set_assignments(project=membership.project, wanted=ticked, by=request.user)
    except projects.AssignmentError as error:
        messages.error(request, f"Nothing was saved. {error}")
        return assignment_answer(request, membership, status=422, ticked=ticked)
    added, removed = len(done.created), done.removed
    if added or removed:
        messages.success(request, f"Saved: {added} assignment{pluralize(added)} added, {removed} removed.")
    else:
        messages.info(request, "Nothing to save: the assignment was already so.")
    return assignment_answer(request, membership)


@require_POST
@login_required
def assignment_spread(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    form = SpreadForm(request.POST)
    status = 200
    if not form.is_valid():
        messages.error(request, "Give a number of annotators per article between 1 and 50.")
        status = 422
    else:
        try:
            created = projects.spread_evenly(
                project=membership.project, per_article=form.cleaned_data["per_article"], by=request.user
            )
            messages.success(request, f"{created} assignment{pluralize(created)} added.")
        except projects.AssignmentError as error:
            messages.error(request, str(error))
            status = 422
    return assignment_answer(request, membership, status=status)


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
