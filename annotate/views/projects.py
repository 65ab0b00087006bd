import copy
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods

from annotate import access, projects
from annotate.forms import ProjectCreateForm, ProjectSettingsForm, model_values
from annotate.models import Article, Layer, Project

log = logging.getLogger("annotate.projects")


@require_GET
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    mine = (
        Project.objects.filter(memberships__user=request.user)
        .annotate(
            article_count=Count("articles", distinct=True),
        )
        .order_by("name")
    )
    # A deactivated membership's project is listed, marked, without a link.
    roles = {
        pk: (role, active) for pk, role, active in request.user.memberships.values_list("project_id", "role", "active")
    }
    rows = [(project, *roles[project.pk]) for project in mine]
    context = {"rows": rows, "may_create": may_create_projects(request.user)}
    return render(request, "annotate/project_list.html", context)


def may_create_projects(user) -> bool:
    """Whether `user` may create projects, as ANNOTATE_PROJECT_CREATORS says: "everyone"
    (every logged-in user) or "staff" (staff users and holders of annotate.add_project)."""
    if settings.ANNOTATE_PROJECT_CREATORS == "everyone":
        return True
    return user.is_staff or user.has_perm("annotate.add_project")


@require_http_methods(["GET", "POST"])
@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    if not may_create_projects(request.user):
        raise PermissionDenied("Only staff may create projects here. Ask an administrator to create one for you.")
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = projects.create_project(
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            description=form.cleaned_data["description"],
            preset=form.cleaned_data["preset"],
            manager=request.user,
        )
        messages.success(request, f"Project “{project.name}” created. Add members and articles next.")
        return redirect(project)
    return render(request, "annotate/project_create.html", {"form": form}, status=422 if form.errors else 200)


# How many of their unfinished articles the project's page lists for an annotator; the
# article list pages through the rest.
QUEUE_SHOWN = 10


@require_GET
@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's page: the member's queue (the next `QUEUE_SHOWN` of their unfinished
    articles, those in progress first) with their own counts, and for curators the
    project's progress. A fixed number of queries, however large the project."""
    membership = access.membership_or_404(request.user, slug)
    project = membership.project
    queue = (
        Layer.objects.queue_for(request.user, project)
        .select_related("article")
        .only("id", "status", "article_id", "article__title")[:QUEUE_SHOWN]
    )
    own_counts = dict(
        Layer.objects.filter(article__project=project, annotator=request.user)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    context = {
        "membership": membership,
        "project": project,
        "queue": list(queue),
        "own_counts": [(value, label, own_counts.get(value, 0)) for value, label in Layer.Status.choices],
        "assigned_count": sum(own_counts.values()),
        "unfinished_count": sum(own_counts.values()) - own_counts.get(Layer.Status.FINISHED, 0),
    }
    if membership.can_curate:
        # Articles by where they stand (their `progress`, indexed), and how many of them
        # are curated: one count over the articles, never over their layers.
        progress, curated = {}, 0
        for value, count, curated_count in (
            project.articles.values_list("progress")
            .annotate(n=Count("id"), curated=Count("id", filter=Q(curated=True)))
            .order_by()
        ):
            progress[value] = count
            curated += curated_count
        context["article_count"] = sum(progress.values())
        context["progress_counts"] = [
            (value, label, progress.get(value, 0)) for value, label in Article.Progress.choices
        ]
        context["curated_count"] = curated
    return render(request, "annotate/project_detail.html", context)


@require_GET
@login_required
def queue_next(request: HttpRequest, slug: str) -> HttpResponse:
    """The annotator's next article: the first one of their queue not yet finished
    (those in progress first), other than the one they come from (`?after=ID`)."""
    membership = access.membership_or_404(request.user, slug)
    after = request.GET.get("after", "")
    queue = Layer.objects.queue_for(request.user, membership.project, after=int(after) if after.isdigit() else None)
    layer = queue.select_related("article").first()
    if layer is None:
        messages.info(request, "Your queue is empty: every article assigned to you is finished.")
        return redirect(membership.project)
    return redirect(layer.article.get_absolute_url())


@require_http_methods(["GET", "POST"])
@login_required
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    project = membership.project
    # The form fills a copy: the project keeps its values for the change record.
    form = ProjectSettingsForm(request.POST or None, instance=copy.copy(project))
    if request.method == "POST" and form.is_valid():
        projects.update_settings(project=project, values=model_values(form), user=request.user)
        messages.success(request, "Settings saved.")
        return redirect("annotate:project_settings", slug)
    context = {"membership": membership, "project": membership.project, "form": form}
    return render(request, "annotate/project_settings.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Delete the project, for its manager: the page names what goes (counted) and what
    is kept (the files of finished exports), and asks for the project's address (its
    slug) typed out, so that a slip of the mouse deletes nothing."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    project = membership.project
    typed = request.POST.get("confirm", "").strip() if request.method == "POST" else ""
    if request.method == "POST" and typed == project.slug:
        name = project.name
        done = projects.delete_project(project=project)
        log.info("project deleted", extra={"project": slug, "user": request.user.username, "kept": done.kept})
        kept = len(done.kept)
        messages.success(
            request,
            f"Project {name} deleted."
            + (f" The files of its {kept} finished export{pluralize(kept)} are kept." if kept else ""),
        )
        return redirect("annotate:project_list")
    error = ""
    if request.method == "POST":
        error = (
            f"Type the project's address, {project.slug}, to delete it. Nothing was deleted."
            if typed
            else f"Type {project.slug} in the box to delete the project. Nothing was deleted."
        )
    context = {
        "membership": membership,
        "project": project,
        "contents": projects.contents(project),
        "kept": projects.kept_exports(project),
        "error": error,
    }
    return render(request, "annotate/project_delete.html", context, status=422 if error else 200)
