"""The suggestion model's page: every trained version with what it learnt from and how
well it did on held-out articles, the training under way, and "Train now" for managers.
Curators and managers read it; annotators do not (it names layers and figures of gold)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from annotate import access
from annotate.models import SuggestionModel
from annotate.suggestions import training
from annotate.views import render_partial

PHASES = {
    "reading": "Reading the finished layers",
    "measuring the tagger": "Training the tagger on four fifths of the articles, to measure it",
    "measuring the relations": "Training the relation classifier on four fifths of the articles",
    "measuring": "Measuring on the held-out articles",
    "training the tagger": "Training the tagger on every article",
    "training the relations": "Training the relation classifier on every article",
}


@require_GET
@login_required
def suggestion_models(request: HttpRequest, slug: str) -> HttpResponse:
    """The versions, newest first; while a training is queued or running, an HTMX poll
    swaps in its progress (and the list, once it ends)."""
    membership = access.curator_membership(request.user, slug)
    project = membership.project
    training.settle_stale(project)
    versions = list(
        SuggestionModel.objects.filter(project=project).defer("tagger", "relation_weights").order_by("-version")
    )
    current = next((each for each in versions if each.status == SuggestionModel.Status.READY), None)
    job = training.waiting_job(project)
    context = {
        "membership": membership,
        "project": project,
        "versions": [_row(each) for each in versions],
        "current": current,
        "job": job,
        "phase": PHASES.get(job.phase, job.phase.capitalize()) if job else "",
        "new_layers": training.new_layers(project),
    }
    return render_partial(request, "annotate/suggestion_models.html", "models-result", context)


@require_POST
@login_required
def suggestion_train(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a training now (managers): the one queued or running, if there is one."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    training.request_training(membership.project, user=request.user)
    return redirect("annotate:suggestion_models", slug)


def _row(model: SuggestionModel) -> dict:
    trained_on = model.trained_on or {}
    scores = model.scores or {}
    return {
        "model": model,
        "articles": trained_on.get("articles", 0),
        "layers": len(trained_on.get("layers", [])),
        "gold": trained_on.get("gold", 0),
        "finished": trained_on.get("finished", 0),
        "rejections": trained_on.get("rejections", 0),
        "held_out": len((model.held_out or {}).get("articles", [])),
        "labels": sorted((scores.get("labels") or {}).items()),
        "relation_types": sorted((scores.get("relation_types") or {}).items()),
        "megabytes": round(model.peak_bytes / 1024 / 1024) if model.peak_bytes else None,
    }
