"""The Django admin, for a manager fixing data by hand.

At a lab's size (millions of units, spans and change records) every list reads one page
and a bounded count: the tables that grow with the work count exactly only up to
ANNOTATE_ADMIN_EXACT_COUNT (`BoundedCountPaginator`), their orderings have indexes, each
row's related objects come in the page's query, and no filter reads the large tables
for its choices (docs/benchmarks.md, "The admin and the export page at a lab's size").
"""

import json
from collections import Counter

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_permission_codename
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.utils.functional import cached_property

from annotate import projects
from annotate.models import (
    ApiToken,
    ArgumentUnit,
    Article,
    Change,
    Invite,
    Job,
    Label,
    Layer,
    Membership,
    Project,
    Relation,
    RelationType,
    Span,
)


def exact_count_limit() -> int:
    """Up to how many rows a large table's admin list counts exactly."""
    return getattr(settings, "ANNOTATE_ADMIN_EXACT_COUNT", 10_000)


class BoundedCountPaginator(Paginator):
    """Counts at most `exact_count_limit()` + 1 rows; a list longer than that is counted
    by PostgreSQL's estimate of the query's rows (one EXPLAIN, which reads no rows),
    and `estimated` says so, for the page to say "about". Two bounded queries, whatever
    the table holds, where an exact count of millions of rows takes seconds."""

    estimated = False

    @cached_property
    def count(self) -> int:
        limit = exact_count_limit()
        rows = self.object_list.values("pk").order_by()
        counted = rows[: limit + 1].count()
        if counted <= limit or connections[rows.db].vendor != "postgresql":
            return counted
        plan = json.loads(rows.explain(format="json"))
        self.estimated = True
        return max(counted, round(plan[0]["Plan"]["Plan Rows"]))


class LargeTableAdmin(admin.ModelAdmin):
    """A list of a table that grows with the work: a bounded count, no second count of
    the whole table."""

    paginator = BoundedCountPaginator
    show_full_result_count = False


# Every action a change record is written with (annotate/*.py), for the change log's
# filter: reading them from the records would read millions of rows on every visit.
CHANGE_ACTIONS = [
    "article.assign",
    "article.import",
    "invite.accept",
    "invite.create",
    "invite.revoke",
    "label.save",
    "layer.create",
    "layer.document_stance",
    "layer.import",
    "layer.status",
    "member.create_account",
    "member.deactivate",
    "member.reactivate",
    "member.remove",
    "member.reset_link",
    "member.set",
    "project.create",
    "project.settings",
    "project.spread_evenly",
    "project.unassign",
    "redo",
    "relation.create",
    "relation.delete",
    "relationtype.save",
    "scheme.apply_preset",
    "suggestion.reject",
    "undo",
    "unit.create",
    "unit.delete",
    "unit.update",
]


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(action, action) for action in CHANGE_ACTIONS]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0


class RelationTypeInline(admin.TabularInline):
    model = RelationType
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "annotators_per_article",
        "blind",
        "snapping",
        "snap_keeps_punctuation",
        "structure_checks_block",
        "created_at",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, LabelInline, RelationTypeInline]

    def get_deleted_objects(self, objs, request):
        # Django's own list names every row a project holds (millions, at a lab's size) and
        # stops at the labels in use, which are protected; `projects.delete_project` takes
        # the units first. So the confirmation counts what goes instead.
        deleted, counts = [], Counter()
        for project in objs:
            contents = projects.contents(project)
            deleted += [f"Project: {project}", [f"{what}: {count}" for what, count in contents.items()]]
            counts.update(contents)
        allowed = request.user.has_perm(f"annotate.{get_permission_codename('delete', Project._meta)}")
        return deleted, dict(counts), set() if allowed else {"project"}, []

    def delete_model(self, request, obj):
        projects.delete_project(project=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for project in queryset:
                projects.delete_project(project=project)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "active"]
    list_filter = ["role", "active", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made on their user's account page (only there is one ever shown); here
    they are read, and can be revoked by setting when."""

    list_display = ["name", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "token_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    """Invites are made and revoked on a project's Members page; here they are only read."""

    list_display = ["project", "role", "note", "created_by", "created_at", "expires_at", "accepted_by", "revoked_at"]
    list_filter = ["role", "project"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_by", "revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "role", "key", "colour", "order"]
    list_filter = ["project", "role"]
    search_fields = ["name"]


@admin.register(RelationType)
class RelationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "key", "colour", "order"]
    list_filter = ["project"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "author", "outlet", "published", "created_at"]
    list_filter = ["project"]
    search_fields = ["title", "author", "outlet"]
    readonly_fields = ["text_hash", "created_at"]
    # As the article form does: an address typed without a scheme is taken as https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        # The text is frozen once a unit points into it.
        if obj is not None and obj.has_units():
            return [*self.readonly_fields, "text"]
        return self.readonly_fields


class SpanInline(admin.TabularInline):
    model = Span
    extra = 0


@admin.register(Layer)
class LayerAdmin(LargeTableAdmin):
    list_display = ["article", "annotator", "status", "updated_at"]
    list_filter = ["status", "article__project"]
    search_fields = ["article__title", "annotator__username"]
    list_select_related = ["article", "annotator"]
    raw_id_fields = ["article"]


@admin.register(ArgumentUnit)
class ArgumentUnitAdmin(LargeTableAdmin):
    list_display = ["id", "label", "layer", "created_at"]
    list_filter = ["label__project", "label"]
    list_select_related = ["label", "layer__article", "layer__annotator"]
    raw_id_fields = ["layer"]
    inlines = [SpanInline]


@admin.register(Span)
class SpanAdmin(LargeTableAdmin):
    list_display = ["id", "unit", "start", "end"]
    list_select_related = ["unit__label"]
    raw_id_fields = ["unit"]


@admin.register(Relation)
class RelationAdmin(LargeTableAdmin):
    list_display = ["id", "type", "source", "target", "layer"]
    list_select_related = ["type", "source__label", "target__label", "layer__article", "layer__annotator"]
    raw_id_fields = ["layer", "source", "target"]


class SortableOnlyAsListed(ChangeList):
    """A changelist that sorts only by the columns of `sortable_by`: an order asked for
    another (an old link, an edited address) is left out, not run over millions of rows."""

    def get_ordering_field(self, field_name):
        return super().get_ordering_field(field_name) if field_name in self.sortable_by else None


@admin.register(Change)
class ChangeAdmin(LargeTableAdmin):
    list_display = ["created_at", "user", "project", "action", "target"]
    list_filter = [ActionFilter, "project"]
    list_select_related = ["user", "project"]
    # Millions of rows: sorted only by time (its indexes), and searched by an exact
    # target or username (indexed), never by a pattern that reads every row.
    sortable_by = ["created_at"]
    search_fields = ["target", "user__username"]
    search_help_text = "An exact target (e.g. unit:12) or username."
    readonly_fields = [field.name for field in Change._meta.fields]

    def get_changelist(self, request, **kwargs):
        return SortableOnlyAsListed

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if ":" in term:
            return queryset.filter(target=term), False
        return queryset.filter(user__username=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change record is history: it is read, never edited.
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "kind", "status", "phase", "done", "total", "created_by"]
    list_filter = ["kind", "status", "project"]
    list_select_related = ["project", "created_by"]
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        # A job is made with its task (annotate/jobs.py); a row alone would never run.
        return False


class AnyCaseUserChangeForm(UserChangeForm):
    """The admin's account form, refusing a username another account has in any case (as
    new accounts are: Django's own creation form checks so, the database's index refuses
    it, migration 0018) with a message rather than the database's error."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise ValidationError("Another account has this username in another case.", code="unique")
        return username


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    form = AnyCaseUserChangeForm
