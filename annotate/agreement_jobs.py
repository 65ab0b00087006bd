"""Agreement computed once per state of a project's layers, by a worker, and kept in a Job.

The agreement page never computes: it asks for the project's *agreement state* (one
query, on an index: the project's latest change, with the project's scheme version), and
shows the stored result computed from that state. When the state moved on since the last
result, the page shows that result with its age and how many layers changed since, and
queues one `compute_agreement` task (never a second while one is queued, or running on
the same state), which brings the stored per-article sums up to date
(`annotate/agreement_store.py`: only the articles whose counted layers changed are
recomputed) and stores the project's figures in a `Job` of kind "agreement":

* ``input_key``: the options and the state the figures were computed from;
* ``result``: ``{"report": ProjectAgreement.as_json(), "compared": N}``, the report
  without its per-article rows (they are `AgreementArticle` rows, paged by the page) and
  the number of compared articles.

Each combination of the page's options (``include_in_progress``, ``against_gold``) has
its own key, and only the newest result of each is kept. The `agreement` command still
computes on demand. With the setting ``ANNOTATE_AGREEMENT_INLINE`` on, the page computes
a missing result itself, in the request, for a site without a worker (and the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Case, When
from django_tasks import task

from annotate import agreement_store, kept_results
from annotate.models import Change, Job, JobKind, JobStatus, Project
from annotate.project_agreement import ProjectAgreement


@dataclass(frozen=True)
class AgreementState:
    """What the agreement of a project with given options is computed from."""

    key: str  # the options, the latest change and the scheme version: a Job's input_key
    change: int  # the id of the project's latest change (0 before the first)
    scheme_version: int

    def changed_since(self, project: Project, key: str) -> int | None:
        """How many layers were changed since the state ``key`` (one query); None for a key
        written before states were the latest change (a result stored by an earlier version)."""
        since = key.split(":")[3:4]
        if not since or not since[0].isdigit():
            return None
        changes = Change.objects.filter(project=project, id__gt=int(since[0]), layer__isnull=False)
        return changes.values("layer").distinct().count()


@dataclass(frozen=True)
class StoredAgreement:
    """A stored result, and how far it is behind the state it is shown for."""

    report: ProjectAgreement
    computed_at: datetime
    current: bool  # computed from the state asked about
    # Layers changed since it was computed (0 when current or only the scheme changed;
    # None for a result stored by an earlier version, whose state says nothing of layers).
    layers_changed: int | None
    compared: int  # articles at least two annotators' layers count on


def options_key(*, include_in_progress: bool, against_gold: bool) -> str:
    """The start of the input_key of every result computed with these options."""
    return f"agreement:in_progress={int(include_in_progress)}:gold={int(against_gold)}:"


def agreement_state(
    project: Project, *, include_in_progress: bool = False, against_gold: bool = False
) -> AgreementState:
    """The state agreement would be computed from (`kept_results.latest_change`), in one
    query whatever the project's size. A change to a layer that does not count moves it
    too: the recomputation then finds no article to recompute."""
    change, scheme_version = kept_results.latest_change(project)
    return AgreementState(
        key=options_key(include_in_progress=include_in_progress, against_gold=against_gold)
        + f"{change}:{scheme_version}",
        change=change,
        scheme_version=scheme_version,
    )


def stored_agreement(project: Project, state: AgreementState) -> StoredAgreement | None:
    """The result stored for ``state``, else the newest one with the same options, else
    None: one query."""
    job = (
        _agreement_jobs(project, state.key)
        .filter(status=JobStatus.DONE)
        .order_by(Case(When(input_key=state.key, then=0), default=1), "-finished_at", "-id")
        .only("input_key", "finished_at", "result")
        .first()
    )
    return None if job is None else _stored(project, job, state)


def request_agreement(project: Project, state: AgreementState, *, user=None) -> Job:
    """The job that will bring the stored result up to ``state`` (`kept_results.request`).
    With ``ANNOTATE_AGREEMENT_INLINE`` a new job is run here and now, before returning."""
    return kept_results.request(
        project,
        kind=JobKind.AGREEMENT,
        key=state.key,
        kept=_agreement_jobs(project, state.key),
        inline=getattr(settings, "ANNOTATE_AGREEMENT_INLINE", False),
        run=run,
        task=compute_agreement,
        user=user,
    )


@task()
def compute_agreement(*, job_id: int) -> None:
    """The worker's side of `request_agreement`: compute and store the job's figures."""
    job = Job.objects.select_related("project").get(pk=job_id)
    run(job)
    if job.status == JobStatus.FAILED:
        raise RuntimeError(job.message)


def run(job: Job) -> None:
    """Compute the agreement of ``job``'s project with its options from the layers as they
    are now (one consistent snapshot, `kept_results.run`), and store it with the state it
    was computed from: the page shows only the newest result of each options."""
    options = _options(job.input_key)

    def compute(job: Job) -> tuple[str, dict]:
        state = agreement_state(job.project, **options)
        report, compared = agreement_store.refresh(
            job.project, **options, progress=job.report_progress, unchanged=unchanged_report(job.project, state)
        )
        return state.key, {"report": report, "compared": compared}

    kept_results.run(job, kept=_agreement_jobs(job.project, options_key(**options)), compute=compute)


def unchanged_report(project: Project, state: AgreementState) -> tuple[dict, int] | None:
    """The newest stored report with these options, when computed with this scheme
    version: what the figures still are if no article needs recomputing."""
    job = _agreement_jobs(project, state.key).filter(status=JobStatus.DONE).order_by("-finished_at", "-id").first()
    if job is None or "compared" not in job.result or job.input_key.split(":")[4] != str(state.scheme_version):
        return None
    return job.result["report"], job.result["compared"]


def _agreement_jobs(project: Project, key: str):
    """The jobs of the agreement with the options of ``key`` (a state's key, or `options_key`)."""
    prefix = ":".join(key.split(":")[:3]) + ":"
    return Job.objects.filter(project=project, kind=JobKind.AGREEMENT, input_key__startswith=prefix)


def _options(input_key: str) -> dict[str, bool]:
    _, in_progress, gold, *_ = input_key.split(":")
    return {"include_in_progress": in_progress.endswith("=1"), "against_gold": gold.endswith("=1")}


def _stored(project: Project, job: Job, state: AgreementState) -> StoredAgreement:
    current = job.input_key == state.key
    return StoredAgreement(
        report=ProjectAgreement.from_json(job.result["report"]),
        computed_at=job.finished_at,
        current=current,
        layers_changed=0 if current else state.changed_since(project, job.input_key),
        compared=job.result.get("compared", 0),
    )
