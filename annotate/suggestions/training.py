"""When a project's suggestion model trains: a background job (`JobKind.TRAINING`).

A training is queued (`request_training`) by a manager's "Train now", and by itself
once `Project.retrain_after` layers the model may learn from (`learning.training_layers`)
were finished that the last version did not learn from (`maybe_train`, after the
transaction that finished one commits; only in a project with suggestions on). One
training at a time per project: while one is queued or running, asking again gives that
one. The worker runs `train_model`: a new version, READY, TOO_LITTLE or FAILED; a
cancel request stops it at its next progress report (the version is stored as failed,
the one before stays in use). Numpy and CRFsuite are imported only when training runs.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from annotate import job_limits, jobs
from annotate.models import Article, Cancelled, Job, JobKind, JobStatus, Layer, Project, SuggestionModel

STOPPED = "The worker stopped while training this version; the version before stays in use."


def training_jobs(project: Project):
    return Job.objects.filter(project=project, kind=JobKind.TRAINING)


def waiting_job(project: Project) -> Job | None:
    """The project's training queued or running (and reporting), if there is one."""
    alive = timezone.now() - timedelta(seconds=settings.ANNOTATE_JOB_STALE_SECONDS)
    return (
        training_jobs(project)
        .filter(Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__gte=alive))
        .order_by("-pk")
        .first()
    )


def new_layers(project: Project) -> int:
    """How many layers the model may learn from now that its last version did not (two queries)."""
    from annotate.suggestions.learning import training_layers

    last = SuggestionModel.objects.filter(project=project).order_by("-version").values_list("trained_on", flat=True)
    known = set((last.first() or {}).get("layers", []))
    return sum(1 for pk in training_layers(project).values_list("pk", flat=True) if pk not in known)


def request_training(project: Project, *, user=None) -> Job:
    """The training queued or running for the project, else a new one, queued."""
    with transaction.atomic():
        job_limits.lock_project(project)
        job = waiting_job(project)
        if job is not None:
            return job
        job = Job.objects.create(project=project, kind=JobKind.TRAINING, created_by=user)
        queued = train_model.using(priority=job_limits.priority(project))
        job.task_id = str(queued.enqueue(job_id=job.pk).id)
        job.save(update_fields=["task_id"])
    return job


def maybe_train(article_id: int) -> Job | None:
    """Queue a training for the article's project when enough newly finished layers
    arrived (see the module's docstring)."""
    project_id = Article.objects.filter(pk=article_id).values("project_id")[:1]
    project = Project.objects.filter(pk=project_id, suggestions=True).first()
    if project is None or new_layers(project) < max(project.retrain_after, 1):
        return None
    return request_training(project)


def layer_finished(layer: Layer) -> None:
    """Called when a layer is finished: look for a training once the change commits."""
    article_id = layer.article_id
    transaction.on_commit(lambda: maybe_train(article_id))


def settle_stale(project: Project) -> None:
    """Fail the project's trainings whose worker stopped, and their versions."""
    jobs.fail_stale(project=project, kind=JobKind.TRAINING)
    SuggestionModel.objects.filter(project=project, status=SuggestionModel.Status.TRAINING).filter(
        Q(job__isnull=True) | Q(job__status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
    ).update(status=SuggestionModel.Status.FAILED, message=STOPPED, finished_at=timezone.now())


def layers_assigned(project: Project, layer_ids: list[int]) -> None:
    """Called when layers are made by assignment: once the change commits, in a project
    with suggestions on and a model in use, the worker makes their suggestions
    (`suggest_layers`), so that their first opening reads them rather than tagging the
    article in the request (docs/suggestions.md, "Latency")."""
    if not project.suggestions or not layer_ids:
        return

    def queue() -> None:
        from annotate.suggestions import current_model

        if current_model(project) is not None:
            suggest_layers.using(priority=job_limits.priority(project)).enqueue(layer_ids=list(layer_ids))

    transaction.on_commit(queue)


@task()
def suggest_layers(*, layer_ids: list[int]) -> None:
    """The worker's side of `layers_assigned`: each article tagged once for its layers."""
    from annotate import suggestions

    ready: dict = {}
    for layer in Layer.objects.filter(pk__in=layer_ids).select_related("article__project").order_by("article_id"):
        suggestions.refresh(layer, ready=ready)


@task()
def train_model(*, job_id: int) -> None:
    """The worker's side of `request_training`."""
    job = Job.objects.select_related("project").get(pk=job_id)
    run(job)
    if job.status == JobStatus.FAILED:
        raise RuntimeError(job.message)


def run(job: Job) -> None:
    """Train the next version of the job's project's model, reporting progress in the job."""
    from annotate import long_work, suggestions
    from annotate.suggestions import learning

    jobs.fail_stale(kind=JobKind.TRAINING)
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED, cancel_requested=False).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    ):
        return
    try:
        model = learning.train(job.project, job=job)
        if model.status == model.Status.READY:
            # The open layers' suggestions from the new model, made now rather than
            # when each is opened (docs/suggestions.md, "Latency").
            suggestions.prepare(job.project, job=job)
    except Cancelled:
        _end(job, JobStatus.CANCELLED, jobs.CANCELLED)
        return
    except Exception as error:
        message = str(error) if isinstance(error, learning.TrainingError) else jobs.UNEXPECTED_ERROR
        _end(job, JobStatus.FAILED, message)
        return
    finally:
        long_work.close_progress_connection()
    job.result = {"version": model.version, "status": model.status}
    job.save(update_fields=["result"])
    _end(job, JobStatus.DONE, "")


def _end(job: Job, status: str, message: str) -> None:
    job.status, job.finished_at, job.message, job.phase = status, timezone.now(), message, ""
    job.save(update_fields=["status", "finished_at", "message", "phase"])
