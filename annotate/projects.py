"""Projects, their members, label scheme, articles and assignment.

Plain functions with keyword-only arguments; each is one transaction and writes its
change record in it.
"""

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef

from annotate import changes
from annotate.formats.plaintext import normalise_text
from annotate.formats.records import ArticleRecord
from annotate.jobs import delete_files
from annotate.models import (
    ArgumentUnit,
    Article,
    Change,
    Job,
    JobKind,
    JobStatus,
    Label,
    Layer,
    Membership,
    Project,
    Relation,
    RelationType,
    Role,
    Upload,
    text_hash,
)
from annotate.schemes import DEFAULT_PRESET, PRESETS
from annotate.suggestions import training


class AssignmentError(ValueError):
    """An assignment that cannot be made, with a message for the manager."""


@transaction.atomic
def create_project(*, name: str, slug: str, manager: User, preset: str = DEFAULT_PRESET, **settings) -> Project:
    """Create a project with `manager` as its manager and the labels of a scheme preset."""
    project = Project.objects.create(name=name, slug=slug, **settings)
    Membership.objects.create(project=project, user=manager, role=Role.MANAGER)
    apply_preset(project=project, preset=preset, user=manager)
    changes.log_change(
        project=project,
        user=manager,
        action="project.create",
        target=f"project:{project.pk}",
        after={"name": name, "slug": slug, "preset": preset},
    )
    return project


@transaction.atomic
def apply_preset(*, project: Project, preset: str, user) -> None:
    """Add the preset's labels and relation types that the project does not have yet."""
    scheme = PRESETS[preset]
    for order, entry in enumerate(scheme.labels):
        Label.objects.get_or_create(project=project, name=entry["name"], defaults={"order": order, **entry})
    for order, entry in enumerate(scheme.relation_types):
        RelationType.objects.get_or_create(project=project, name=entry["name"], defaults={"order": order, **entry})
    changes.log_change(
        project=project,
        user=user,
        action="scheme.apply_preset",
        target=f"project:{project.pk}",
        after={"preset": preset},
    )


@transaction.atomic
def set_member(*, project: Project, user: User, role: str, by) -> Membership:
    """Add `user` to the project with `role`, or change the role they have."""
    membership, created = Membership.objects.get_or_create(project=project, user=user, defaults={"role": role})
    before = None if created else {"role": membership.role}
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    changes.log_change(
        project=project,
        user=by,
        action="member.set",
        target=f"user:{user.pk}",
        before=before,
        after={"username": user.username, "role": role},
    )
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, by) -> None:
    """Remove a member; their layers stay (work is never deleted by a membership change)."""
    project = membership.project
    others = project.memberships.filter(role=Role.MANAGER, active=True).exclude(pk=membership.pk)
    if membership.is_manager and membership.active and not others.exists():
        raise AssignmentError("A project needs at least one active manager.")
    changes.log_change(
        project=project,
        user=by,
        action="member.remove",
        target=f"user:{membership.user_id}",
        before={"username": membership.user.username, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def add_article(*, project: Project, record: ArticleRecord, user) -> tuple[Article, bool]:
    """Store an article (text normalised once, here). An identical text already in the
    project is not stored twice: returns `(article, created)`."""
    text = normalise_text(record.text)
    existing = project.articles.filter(text_hash=text_hash(text)).first()
    if existing:
        return existing, False
    article = Article.objects.create(
        project=project,
        title=record.title,
        author=record.author,
        outlet=record.outlet,
        url=record.url,
        published=record.published or None,
        metadata=record.metadata,
        text=text,
    )
    changes.log_change(
        project=project,
        user=user,
        action="article.import",
        target=f"article:{article.pk}",
        after={"title": article.title, "text_hash": article.text_hash, "length": len(text)},
    )
    return article, True


@dataclass
class Assignments:
    """What `set_assignments` changed."""

    created: list[Layer]  # the new (empty) layers
    removed: int  # how many untouched layers were taken away


def assign(*, article: Article, annotators: list[User], by) -> list[Layer]:
    """Make `annotators` exactly the annotators of `article` (see `set_assignments`);
    returns the layers created."""
    wanted = {article.pk: [user.pk for user in annotators]}
    return set_assignments(project=article.project, wanted=wanted, by=by).created


@transaction.atomic
def set_assignments(*, project: Project, wanted: dict[int, list[int]], by) -> Assignments:
    """Make each article in `wanted` (article id → annotator ids) have exactly those
    annotators; articles not in `wanted` are left as they are. This is what the
    assignment grid saves, all rows at once.

    New annotators get an empty layer. An annotator is only taken off while their
    layer is untouched (not started, no units), so that no annotation is ever lost by
    re-assignment. Everything is checked before anything is written: if any article
    is not the project's, any user not one of its annotators, or any layer holds work,
    `AssignmentError` names every problem and nothing changes. A fixed number of
    queries, however many articles and annotators.
    """
    # Every annotator may keep the articles they have; only active ones get new ones.
    annotators = project.memberships.filter(role=Role.ANNOTATOR).values_list("user_id", "user__username", "active")
    allowed = {user_id: (username, active) for user_id, username, active in annotators}
    wanted = {int(article_id): {int(user_id) for user_id in users} for article_id, users in wanted.items()}
    titles = dict(project.articles.filter(pk__in=wanted).values_list("pk", "title"))
    problems = []
    if foreign := sorted(wanted.keys() - titles.keys()):
        problems.append(f"No such article in this project (ids {foreign}).")
    if strangers := sorted(set().union(*wanted.values()) - allowed.keys()):
        problems.append(f"Only annotators of this project can be assigned (user ids {strangers}).")
    current: dict[int, dict[int, Layer]] = {}
    layers = Layer.objects.filter(article_id__in=titles, annotator__isnull=False).select_related("annotator")
    work = ArgumentUnit.objects.filter(layer=OuterRef("pk"))
    for layer in layers.annotate(has_units=Exists(work)).order_by("article_id", "annotator__username"):
        current.setdefault(layer.article_id, {})[layer.annotator_id] = layer
    to_remove: list[Layer] = []
    for article_id in sorted(titles):
        taken_off = [
            layer for user_id, layer in current.get(article_id, {}).items() if user_id not in wanted[article_id]
        ]
        if busy := [layer for layer in taken_off if layer.status != Layer.Status.NOT_STARTED or layer.has_units]:
            names = ", ".join(layer.annotator.username for layer in busy)
            problems.append(f"{names} already started “{titles[article_id]}”; their work cannot be unassigned.")
        to_remove += taken_off
    added = set().union(*(wanted[article_id] - current.get(article_id, {}).keys() for article_id in titles))
    if deactivated := sorted(
        allowed[user_id][0] for user_id in added if user_id in allowed and not allowed[user_id][1]
    ):
        names = ", ".join(deactivated)
        problems.append(f"The membership of {names} is deactivated: they cannot be given new articles.")
    if problems:
        raise AssignmentError(" ".join(problems))
    Layer.objects.filter(pk__in=[layer.pk for layer in to_remove]).delete()
    created = Layer.objects.bulk_create(
        Layer(article_id=article_id, annotator_id=user_id)
        for article_id in sorted(titles)
        for user_id in sorted(wanted[article_id] - current.get(article_id, {}).keys())
    )
    training.layers_assigned(project, [layer.pk for layer in created])
    # One record per article changed, written at once (changes.log_change writes one row
    # per call, which would make the query count grow with the grid).
    user = by if getattr(by, "is_authenticated", False) else None
    Change.objects.bulk_create(
        Change(
            project=project,
            user=user,
            action="article.assign",
            target=f"article:{article_id}",
            before={"annotators": sorted(current.get(article_id, {}))},
            after={"annotators": sorted(wanted[article_id])},
        )
        for article_id in sorted(titles)
        if set(current.get(article_id, {})) != wanted[article_id]
    )
    return Assignments(created=created, removed=len(to_remove))


@transaction.atomic
def change_assignments(*, project: Project, changes: dict[tuple[int, int], bool], by) -> Assignments:
    """Apply the cells of the assignment grid a manager changed: (article id, annotator
    id) → assigned or not. Cells left as they were are not sent, so two managers (or two
    tabs) working on different cells never undo each other's. The rules and the refusal
    are `set_assignments`'s, for the articles touched."""
    current: dict[int, set[int]] = {article_id: set() for article_id, _ in changes}
    for article_id, user_id in Layer.objects.filter(article_id__in=current, annotator__isnull=False).values_list(
        "article_id", "annotator_id"
    ):
        current[article_id].add(user_id)
    for (article_id, user_id), assigned in changes.items():
        if assigned:
            current[article_id].add(user_id)
        else:
            current[article_id].discard(user_id)
    return set_assignments(project=project, wanted=current, by=by)


@transaction.atomic
def spread_evenly(
    *, project: Project, per_article: int, by, annotator_ids: list[int] | None = None, articles=None
) -> int:
    """Give every article (of `articles`, a queryset of the project's, when given: a
    filter of the article list) `per_article` annotators, adding those of `annotator_ids`
    (every annotator when None) with the least work in the project first.

    Existing assignments are kept and count towards `per_article`; an article only gets
    annotators added; deactivated annotators are never chosen (their layers stay and
    count). Returns how many layers were created. Four queries and one insert
    per thousand layers, however many articles.
    """
    everyone = list(project.active_annotators().values_list("pk", flat=True))
    chosen = everyone if annotator_ids is None else [pk for pk in everyone if pk in set(annotator_ids)]
    if strangers := sorted(set(annotator_ids or ()) - set(everyone)):
        raise AssignmentError(f"Only annotators of this project can be assigned (user ids {strangers}).")
    if per_article < 1:
        raise AssignmentError("Give each article at least one annotator.")
    if not chosen:
        raise AssignmentError("Choose at least one annotator.")
    if per_article > len(everyone):
        raise AssignmentError(f"The project has {len(everyone)} annotators; it cannot give each article {per_article}.")
    assigned: dict[int, set[int]] = {}
    load = Counter({user_id: 0 for user_id in chosen})
    for article_id, user_id in Layer.objects.filter(article__project=project, annotator__isnull=False).values_list(
        "article_id", "annotator_id"
    ):
        assigned.setdefault(article_id, set()).add(user_id)
        if user_id in load:
            load[user_id] += 1
    articles = project.articles.all() if articles is None else articles
    new_layers = []
    for article_id in articles.order_by("id").values_list("id", flat=True):
        have = assigned.get(article_id, set())
        # Least-loaded first; ties go in username order, so the result is repeatable.
        candidates = sorted((uid for uid in chosen if uid not in have), key=lambda uid: load[uid])
        for user_id in candidates[: max(0, per_article - len(have))]:
            new_layers.append(Layer(article_id=article_id, annotator_id=user_id))
            load[user_id] += 1
    Layer.objects.bulk_create(new_layers, batch_size=1000)
    changes.log_change(
        project=project,
        user=by,
        action="project.spread_evenly",
        target=f"project:{project.pk}",
        after={
            "per_article": per_article,
            "layers_created": len(new_layers),
            **({} if annotator_ids is None else {"annotators": chosen}),
        },
    )
    return len(new_layers)


@dataclass
class Unassigned:
    """What `unassign_untouched` did."""

    removed: int  # layers taken away
    kept: int  # layers kept because their annotator had started


@transaction.atomic
def unassign_untouched(*, project: Project, annotator_ids: list[int], by, articles=None) -> Unassigned:
    """Take the annotators `annotator_ids` off every article (of `articles`, when given),
    where their layer is untouched (not started, no units); started work is never
    taken away, and is counted in `kept`."""
    layers = Layer.objects.filter(article__project=project, annotator_id__in=annotator_ids)
    if articles is not None:
        layers = layers.filter(article__in=articles.values("pk"))
    untouched = layers.filter(status=Layer.Status.NOT_STARTED).exclude(
        Exists(ArgumentUnit.objects.filter(layer=OuterRef("pk")))
    )
    total = layers.count()
    removed = untouched.delete()[1].get("annotate.Layer", 0)
    kept = total - removed
    changes.log_change(
        project=project,
        user=by,
        action="project.unassign",
        target=f"project:{project.pk}",
        after={"annotators": sorted(annotator_ids), "layers_removed": removed, "layers_kept": kept},
    )
    return Unassigned(removed=removed, kept=kept)


@transaction.atomic
def update_settings(*, project: Project, values: dict, user) -> Project:
    """Set the project's settings (field name → value, already validated), recording
    what changed."""
    before, after = _apply(project, values)
    changes.log_change(
        project=project,
        user=user,
        action="project.settings",
        target=f"project:{project.pk}",
        before=before,
        after=after,
    )
    return project


@transaction.atomic
def save_scheme_entry(*, entry: Label | RelationType, values: dict, user) -> Label | RelationType:
    """Save a label or relation type of a project (new when it has no id yet) with
    `values` (field name → value, already validated), recording before and after."""
    model_name = entry._meta.model_name
    is_new = entry.pk is None
    before, after = _apply(entry, values)
    changes.log_change(
        project=entry.project,
        user=user,
        action=f"{model_name}.save",
        target=f"{model_name}:{entry.pk}",
        before=None if is_new else before,
        after=after,
    )
    return entry


def _apply(instance, values: dict) -> tuple[dict, dict]:
    """Set `values` on a model instance and save it; the fields that changed, before and
    after (every field given, for a new instance)."""
    is_new = instance.pk is None
    before = {name: getattr(instance, name) for name in values}
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()
    changed = [name for name in values if is_new or before[name] != values[name]]
    return (
        {name: _stored(before[name]) for name in changed if not is_new},
        {name: _stored(values[name]) for name in changed},
    )


def _stored(value):
    """A field's value as the change record keeps it (JSON)."""
    return value if value is None or isinstance(value, bool | int | float | str | dict | list) else str(value)


# --- Deleting a project ---------------------------------------------------------------


def contents(project: Project) -> dict[str, int]:
    """What deleting `project` takes with it, counted, for the confirmation that names it."""
    layers = Layer.objects.filter(article__project=project)
    return {
        "articles": Article.objects.filter(project=project).count(),
        "annotators' layers": layers.filter(annotator__isnull=False).count(),
        "gold layers": layers.filter(annotator__isnull=True).count(),
        "units": ArgumentUnit.objects.filter(layer__article__project=project).count(),
        "relations": Relation.objects.filter(layer__article__project=project).count(),
        "jobs (imports, exports, figures) and the files of its imports": Job.objects.filter(project=project).count(),
        "uploads": Upload.objects.filter(project=project).count(),
    }


def _finished_exports(project: Project):
    return Job.objects.filter(project=project, kind=JobKind.EXPORT, status=JobStatus.DONE).exclude(file="")


def kept_exports(project: Project, finished: list[Job] | None = None) -> list[str]:
    """The files of the project's finished exports (`finished`, if read already): what
    was exported is kept when the project is deleted (a lab's dataset outlives the
    project it was made in)."""
    if finished is None:
        finished = list(_finished_exports(project).only("result"))
    return sorted(job.result["file"] for job in finished if (job.result or {}).get("file"))


@dataclass(frozen=True)
class Deleted:
    deleted: list[str]  # the folders of the project's jobs and uploads, deleted once it is committed
    kept: list[str]  # the files of its finished exports, left in the storage


@transaction.atomic
def delete_project(*, project: Project) -> Deleted:
    """Delete `project` with its scheme, members, articles, layers (gold too), units,
    relations, change record, jobs and uploads, in one transaction; once it is committed,
    the files its imports, uploads and unfinished exports stored. The files of its
    finished exports stay (`kept_exports`).

    A unit's label and a relation's type are protected (a label in use cannot leave the
    scheme page), so the project's relations and units go first, then the rest by cascade."""
    finished = list(_finished_exports(project).only("result"))
    kept = kept_exports(project, finished)
    stored = [
        *Job.objects.filter(project=project)
        .exclude(file="")
        .exclude(pk__in=[job.pk for job in finished])
        .values_list("file", flat=True),
        *Upload.objects.filter(project=project).values_list("folder", flat=True),
    ]
    Relation.objects.filter(layer__article__project=project).delete()
    ArgumentUnit.objects.filter(layer__article__project=project).delete()
    project.delete()
    transaction.on_commit(lambda: [delete_files(name) for name in stored])
    return Deleted(deleted=stored, kept=kept)
