"""The Django admin, for a manager fixing data by hand."""

from django.contrib import admin
from django.db import models

from annotate.models import (
    ArgumentUnit,
    Article,
    Change,
    Job,
    Label,
    Layer,
    Membership,
    Project,
    Relation,
    RelationType,
    Span,
)


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


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
class LayerAdmin(admin.ModelAdmin):
    list_display = ["article", "annotator", "status", "updated_at"]
    list_filter = ["status", "article__project"]
    search_fields = ["article__title", "annotator__username"]
    list_select_related = ["article", "annotator"]
    raw_id_fields = ["article"]


@admin.register(ArgumentUnit)
class ArgumentUnitAdmin(admin.ModelAdmin):
    list_display = ["id", "label", "layer", "created_at"]
    list_filter = ["label__project", "label"]
    list_select_related = ["label", "layer__article", "layer__annotator"]
    raw_id_fields = ["layer"]
    inlines = [SpanInline]


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):
    list_display = ["id", "unit", "start", "end"]
    raw_id_fields = ["unit"]


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "source", "target", "layer"]
    list_select_related = ["type", "source__label", "target__label", "layer__article", "layer__annotator"]
    raw_id_fields = ["layer", "source", "target"]


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "project", "action", "target"]
    list_filter = ["action", "project"]
    search_fields = ["target", "user__username"]
    readonly_fields = [field.name for field in Change._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change record is history: it is read, never edited.
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "kind", "status", "phase", "done", "total", "created_by"]
    list_filter = ["kind", "status", "project"]
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        # A job is made with its task (annotate/jobs.py); a row alone would never run.
        return False
