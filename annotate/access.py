"""Who may see and change what, in one place.

Every view goes through `membership_or_404` (every curation page through
`curator_membership`) and then fetches objects only through the querysets below,
which are already limited to what the member may see; a change to a layer goes
through `layer_to_change`, which does both in one query, and a job through
`job_or_404`, by its kind. An outsider gets 404 (we do
not even confirm that the project exists); a member whose role does not allow a page
gets 403, with templates/403.html saying so; an object outside the member's
querysets is a 404.
"""

from functools import cache

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from annotate import rows
from annotate.models import Article, Job, JobKind, Layer, Membership, Project, Role

ANY_ROLE = frozenset(Role.values)
CURATORS = frozenset({Role.MANAGER, Role.CURATOR})
MANAGERS = frozenset({Role.MANAGER})


DEACTIVATED = "Your membership of this project is deactivated."


def membership_or_404(user, slug: str, *, roles: frozenset[str] = ANY_ROLE) -> Membership:
    """The user's active membership of project `slug`: 404 if they are not a member, 403
    if their membership is deactivated or has none of `roles`."""
    if not user.is_authenticated:
        raise Http404("No such project.")
    # One membership at most; without ordering, as Membership's default would join the user.
    memberships = Membership.objects.select_related("project").filter(project__slug=slug, user=user).order_by()
    membership = memberships.first()
    if membership is None:
        raise Http404("No such project.")
    membership.user = user  # the same user: spares a query wherever membership.user is read
    if not membership.active:
        raise PermissionDenied(DEACTIVATED)
    if membership.role not in roles:
        role = membership.get_role_display().lower()
        raise PermissionDenied(f"Your role in this project ({role}) does not allow this page.")
    return membership


def curator_membership(user, slug: str) -> Membership:
    """A curator's or manager's membership of project `slug`: the one rule of every
    curation page (review, agreement, export). An outsider gets 404, an annotator 403."""
    return membership_or_404(user, slug, roles=CURATORS)


def articles(membership: Membership) -> QuerySet[Article]:
    """The articles a member may open: curators and managers all of the project's,
    annotators those assigned to them."""
    queryset = Article.objects.filter(project=membership.project).select_related("project")
    if membership.can_curate:
        return queryset
    return queryset.filter(layers__annotator=membership.user)


# Who may follow and cancel a job of each kind (an export and agreement figures are
# curation work); any other
# kind is for managers.
JOB_ROLES = {JobKind.EXPORT: CURATORS, JobKind.AGREEMENT: CURATORS}


def job_or_404(membership: Membership, pk: int, queryset: QuerySet[Job] | None = None) -> Job:
    """Job `pk` of the member's project (from `queryset`, when given): 404 if there is
    none, 403 (as for a page) if its kind is not for their role (an import, to a curator)."""
    queryset = Job.objects.all() if queryset is None else queryset
    try:
        job = queryset.get(project=membership.project, pk=pk)
    except Job.DoesNotExist:
        raise Http404("No such job.") from None
    if not membership.is_manager and membership.role not in JOB_ROLES.get(job.kind, MANAGERS):
        role = membership.get_role_display().lower()
        raise PermissionDenied(f"Your role in this project ({role}) does not allow this page.")
    return job


def layers(membership: Membership) -> QuerySet[Layer]:
    """The layers a member may read: curators all; annotators their own, and also the
    other annotators' (never gold) when the project is not blind."""
    queryset = Layer.objects.filter(article__project=membership.project)
    if membership.can_curate:
        return queryset
    mine = queryset.filter(annotator=membership.user)
    if membership.project.blind:
        return mine
    return queryset.filter(annotator__isnull=False, article__in=articles(membership))


def can_edit(membership: Membership, layer: Layer) -> bool:
    """Whether `layer` (of the member's project) is one of `editable_layers`, without a query."""
    return may_edit(membership.role, membership.user_id, layer)


def may_edit(role: str, user_id: int, layer: Layer) -> bool:
    """The rule of `editable_layers` for one layer: an annotator's own layer, and gold
    for curators and managers."""
    return layer.annotator_id == user_id or (layer.is_gold and role in CURATORS)


def editable_layers(membership: Membership) -> QuerySet[Layer]:
    """The layers a member may change: annotators their own; curators also gold."""
    queryset = Layer.objects.filter(article__project=membership.project)
    if membership.can_curate:
        return queryset.filter(annotator__isnull=True) | queryset.filter(annotator=membership.user)
    return queryset.filter(annotator=membership.user)


# What a change never reads of its project: left out of the row `layer_to_change` reads,
# so that what they hold costs a change nothing.
PROJECT_TEXTS = ("description", "guidelines")


@cache
def _layer_to_change_sql() -> str:
    """The statement of `layer_to_change`: hand-written (annotate/rows.py), as building it
    with the ORM cost four times what running it does, on every change."""
    layer, article, project, membership = (model._meta.db_table for model in (Layer, Article, Project, Membership))
    lock = " FOR UPDATE OF l" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT {rows.columns(Layer, 'l')}, {rows.columns(Article, 'a')}, "
        f"{rows.columns(Project, 'p', PROJECT_TEXTS)}, m.role "
        f"FROM {layer} l JOIN {article} a ON a.id = l.article_id JOIN {project} p ON p.id = a.project_id "
        f"JOIN {membership} m ON m.project_id = p.id AND m.user_id = %s AND m.active "
        f"WHERE l.id = %s AND p.slug = %s{lock}"
    )


def layer_to_change(user, slug: str, pk: int) -> Layer:
    """For a change to layer `pk` of project `slug`: the layer (its article and project
    loaded; the project's `scheme_labels` then come from the cache), locked until the
    transaction ends, read with the user's membership in one query (a change is the
    workspace's most frequent request). 404 and 403 as `membership_or_404` gives them
    (to an outsider, to a deactivated member), and 404 for a layer outside
    `editable_layers`. To be called in a transaction."""
    if not user.is_authenticated:
        raise Http404("No such project.")
    with connection.cursor() as cursor:
        cursor.execute(_layer_to_change_sql(), [user.pk, pk, slug])
        row = cursor.fetchone()
    if row is None:
        membership_or_404(user, slug)
        raise Http404("You cannot change this layer.")
    layer_end = rows.width(Layer)
    article_end = layer_end + rows.width(Article)
    project_end = article_end + rows.width(Project, PROJECT_TEXTS)
    layer = rows.instance(Layer, row[:layer_end])
    layer.article = rows.instance(Article, row[layer_end:article_end])
    layer.article.project = rows.instance(Project, row[article_end:project_end], PROJECT_TEXTS)
    if not may_edit(row[project_end], user.pk, layer):
        raise Http404("You cannot change this layer.")
    return layer
