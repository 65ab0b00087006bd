"""The data model: projects, their label scheme, articles, layers and argument units.

The rules that a database can hold are constraints here; the rules that span several
tables (a span inside its article's text, a relation inside one layer) live in the
domain modules (`units.py`, `relations.py`, `lifecycle.py`), which every view goes
through; imports write in bulk and check the same rules first (`formats/checks.py`).
"""

import hashlib
import json
import time
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from annotate import long_work, rows, structure

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f77b4.")
single_key = RegexValidator(r"^[a-z0-9]$", "Use one lower-case letter or digit.")

# The keys the annotation workspace (static/annotate/workspace.js) binds to its own
# commands when pressed without a modifier. A label or relation type on one of them
# would shadow the command or never be reached, so no scheme entry may take one.
COMMAND_KEYS = {
    "l": "links the chosen unit",
    "e": "sets the chosen unit's boundaries",
    "+": "adds a span to the chosen unit",
    "[": "chooses the previous unit",
    "]": "chooses the next unit",
    **{digit: "sets the chosen unit's attribute" for digit in "123456789"},
}


def not_a_command_key(value: str) -> None:
    if value in COMMAND_KEYS:
        raise ValidationError(
            "“%(key)s” is a workspace command key (it %(command)s): choose another key.",
            code="command_key",
            params={"key": value, "command": COMMAND_KEYS[value]},
        )


# Bounds on what people write into a project, its scheme and its articles. Every change
# in the workspace reads the project, its labels and the article, so without them one
# member could make every other member's work slower (docs/security.md, "Bounds").
DESCRIPTION_MAX_CHARS = 2_000
GUIDELINES_MAX_CHARS = 50_000
NOTE_MAX_CHARS = 2_000
TEXT_MAX_CHARS = 2_000_000
METADATA_MAX_BYTES = 16_384
ATTRIBUTES_MAX = 10  # attributes of one label
ATTRIBUTE_VALUES_MAX = 20  # allowed values of one attribute
ATTRIBUTE_WORD_MAX_CHARS = 60  # an attribute's name, or one of its values
ATTRIBUTES_MAX_BYTES = 4_096  # a label's attributes as JSON


def json_size(value) -> int:
    """The bytes `value` takes as compact JSON (UTF-8), as the database is sent it."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def label_attributes_problem(attributes) -> str | None:
    """What is wrong with a label's allowed attributes ({"name": ["value", ...]}), or
    None: the shape, and the bounds on their number, their values and their size."""
    if not isinstance(attributes, dict) or not all(
        isinstance(values, list) and all(isinstance(v, str) for v in values) for values in attributes.values()
    ):
        return 'Use {"name": ["value", ...]}, e.g. {"stance": ["For", "Against"]}.'
    if len(attributes) > ATTRIBUTES_MAX:
        return f"A label may have at most {ATTRIBUTES_MAX} attributes, not {len(attributes):,}."
    for name, values in attributes.items():
        if len(values) > ATTRIBUTE_VALUES_MAX:
            return f"“{name[:60]}” may have at most {ATTRIBUTE_VALUES_MAX} values, not {len(values):,}."
        for word in (name, *values):
            if not word.strip() or len(word) > ATTRIBUTE_WORD_MAX_CHARS:
                return (
                    f"“{word[:60]}{'…' if len(word) > 60 else ''}” has {len(word):,} characters: an attribute's "
                    f"name and each of its values need 1 to {ATTRIBUTE_WORD_MAX_CHARS}."
                )
    if (size := json_size(attributes)) > ATTRIBUTES_MAX_BYTES:
        return f"The attributes take {size:,} bytes as JSON, more than the {ATTRIBUTES_MAX_BYTES:,} they may."
    return None


def valid_label_attributes(value) -> None:
    if problem := label_attributes_problem(value):
        raise ValidationError(problem, code="attributes")


def metadata_problem(metadata) -> str | None:
    """What is wrong with an article's free metadata, or None: its size."""
    if (size := json_size(metadata)) > METADATA_MAX_BYTES:
        return f"the metadata take {size:,} bytes as JSON, more than the {METADATA_MAX_BYTES:,} they may"
    return None


def valid_metadata(value) -> None:
    if problem := metadata_problem(value):
        raise ValidationError(problem[0].upper() + problem[1:] + ".", code="metadata")


def text_hash(text: str) -> str:
    """The SHA-256 of the article text as UTF-8: equal texts, equal hashes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(max_length=DESCRIPTION_MAX_CHARS, blank=True)
    guidelines = models.TextField(
        max_length=GUIDELINES_MAX_CHARS, blank=True, help_text="Shown to the project's members on its page."
    )
    annotators_per_article = models.PositiveSmallIntegerField(default=2)
    blind = models.BooleanField(default=True, help_text="Annotators see only their own layer.")
    snapping = models.BooleanField(default=True, help_text="Selections snap to whole tokens.")
    snap_keeps_punctuation = models.BooleanField(
        "Snapping keeps punctuation and quotation marks",
        default=False,
        help_text=(
            "Snapped units keep the punctuation that belongs to their sentence: a selection keeps the opening "
            "quotation mark or bracket it begins at, and a selection that ends just before a full stop, question "
            "or exclamation mark, or a closing quotation mark or bracket that closes one inside it, keeps them too. "
            "Off: snapped units start and end at words."
        ),
    )
    document_stance = models.BooleanField(
        default=False, help_text="Annotators also give the op-ed's stance towards its topic."
    )
    structure_checks_block = models.BooleanField(
        default=False, help_text="Failed structure checks stop a layer from being finished."
    )
    suggestions = models.BooleanField(
        "Suggest units and relations",
        default=False,
        help_text=(
            "Annotators see suggested units and relations as dashed ghosts they accept or reject with a key: from "
            "the discourse markers on the scheme page from the first article, and from a model trained on the "
            "project's gold once there is enough of it. Suggestions never count as annotations until accepted."
        ),
    )
    suggestion_markers = models.JSONField(
        default=dict,
        blank=True,
        help_text='The discourse markers that suggest units: {"premise": [...], "conclusion": [...], '
        '"objection": [...]}; empty: the default list (suggestions.markers.DEFAULT).',
    )
    retrain_after = models.PositiveSmallIntegerField(
        "Train the suggestion model again after",
        default=5,
        help_text=(
            "How many newly finished layers (gold or, in a project that is not blind, an annotator's) start "
            "training the next suggestion model."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Counts the changes to the project's labels and relation types (SchemeEntryQuerySet
    # and SchemeEntry count them): the labels are cached per version (scheme_labels).
    scheme_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(annotators_per_article__gte=1), name="project_annotators_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("annotate:project_detail", args=[self.slug])

    @cached_property
    def scheme_labels(self) -> list["Label"]:
        """The project's labels in the scheme's order (`scheme_entries`)."""
        return self.scheme_entries(Label)

    @cached_property
    def scheme_relation_types(self) -> list["RelationType"]:
        """The project's relation types in the scheme's order (`scheme_entries`)."""
        return self.scheme_entries(RelationType)

    def scheme_entries(self, model: type["SchemeEntry"]) -> list:
        """The project's labels or relation types in the scheme's order, read from the
        database once per scheme version and kept in the cache (CACHES): every change in
        the workspace reads them, so what a scheme holds costs a change nothing. The key
        carries `scheme_version`, read with the project, which every change to a label or
        relation type counts in its own transaction: a change to the scheme is seen by
        the next request on every app server."""
        key = f"scheme:{model._meta.model_name}:{self.pk}:{self.scheme_version}"
        entries = cache.get(key)
        if entries is None:
            entries = rows.select(model, "t.project_id = %s", [self.pk])
            cache.set(key, entries, SCHEME_CACHE_SECONDS)
        return entries

    def annotators(self) -> QuerySet:
        """The project's annotators (users), by username, deactivated ones included: their
        layers stay, and count in progress, agreement and exports."""
        return (
            get_user_model()
            .objects.filter(memberships__project=self, memberships__role=Role.ANNOTATOR)
            .order_by("username")
        )

    def active_annotators(self) -> QuerySet:
        """The annotators who may be given new articles: those whose membership is active."""
        return self.annotators().filter(memberships__active=True)


# How long a scheme version's labels stay in the cache unused (a later version never
# reads an earlier one's, so this only bounds the memory they take).
SCHEME_CACHE_SECONDS = 3600


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    CURATOR = "curator", "Curator"
    ANNOTATOR = "annotator", "Annotator"


class KeptByTheDatabase(models.Model):
    """A model with counters the database keeps (triggers of migration 0010, on every
    insert, delete and status change of a layer, however it is made): Django reads
    them and never writes them, so that a save of a stale instance cannot undo a count."""

    COUNTERS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.COUNTERS and not field.generated
            ]
        super().save(*args, **kwargs)


class Membership(KeptByTheDatabase):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)
    # The member's annotator layers in the project, and how many of them are finished.
    layers_assigned = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    layers_finished = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # A deactivated member keeps their work (layers, units, changes) but may no longer
    # open the project or change anything in it, and is not given new articles.
    active = models.BooleanField(default=True, db_default=True)

    COUNTERS = ("layers_assigned", "layers_finished")

    class Meta:
        ordering = ["project", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.project}"

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def can_curate(self) -> bool:
        """Managers may do everything curators do."""
        return self.role in (Role.MANAGER, Role.CURATOR)


class InviteQuerySet(models.QuerySet):
    def pending(self) -> "InviteQuerySet":
        """Invites that can still be accepted: not accepted, not revoked, not expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invite(models.Model):
    """A one-time link that makes whoever opens it first a member of a project with a
    role. Only the SHA-256 of the link's token is stored: the token itself is shown to
    the manager once (annotate/accounts.py)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invites")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(blank=True, help_text="Where the link is sent, when email is set up.")
    note = models.CharField(max_length=200, blank=True, help_text="Who the invite is for, to recognise it later.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invite_role_valid"),
        ]

    def __str__(self) -> str:
        return f"Invite to {self.project} as {self.get_role_display()}"


def count_scheme_change(project_ids) -> None:
    """Count a change to the scheme of each of these projects (their `scheme_version`),
    so that the labels cached for its earlier version are no longer read."""
    Project.objects.filter(pk__in=set(project_ids)).update(scheme_version=F("scheme_version") + 1)


class SchemeEntryQuerySet(models.QuerySet):
    """Labels or relation types: whatever changes them in bulk counts a scheme change
    (the admin's "delete selected", an update of many)."""

    def update(self, **kwargs) -> int:
        projects = list(self.values_list("project_id", flat=True).distinct())
        updated = super().update(**kwargs)
        count_scheme_change(projects)
        return updated

    def delete(self):
        projects = list(self.values_list("project_id", flat=True).distinct())
        deleted = super().delete()
        count_scheme_change(projects)
        return deleted

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        count_scheme_change(obj.project_id for obj in created)
        return created

    def bulk_update(self, objs, *args, **kwargs):
        updated = super().bulk_update(objs, *args, **kwargs)
        count_scheme_change(obj.project_id for obj in objs)
        return updated


class SchemeEntry(models.Model):
    """What labels and relation types share: a name, a description, a colour, a key.
    Saving or deleting one counts a change to its project's scheme."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    name = models.CharField(max_length=60)
    description = models.TextField(max_length=DESCRIPTION_MAX_CHARS, blank=True, help_text="Shown to annotators.")
    colour = models.CharField(max_length=7, validators=[hex_colour], default="#1f77b4")
    key = models.CharField(
        max_length=1,
        validators=[single_key, not_a_command_key],
        help_text="Keyboard key: a lower-case letter or digit, but not l, e or 1–9 (the workspace's own commands).",
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = SchemeEntryQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        count_scheme_change([self.project_id])

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        count_scheme_change([self.project_id])
        return deleted


class ArgumentRole(models.TextChoices):
    """A label's part in the argument: what structure checks, the outline and the map
    go by (never a label's name or position)."""

    MAIN = structure.MAIN, "Main conclusion"
    CLAIM = structure.CLAIM, "Claim"
    PREMISE = structure.PREMISE, "Premise"
    OTHER = structure.OTHER, "Other"


class Label(SchemeEntry):
    """A unit type (MajorClaim, Claim, Premise ...). `attributes` maps an attribute name
    to its allowed values, e.g. {"stance": ["For", "Against"]} on Claim."""

    role = models.CharField(
        max_length=10,
        choices=ArgumentRole.choices,
        default=ArgumentRole.OTHER,
        help_text=(
            "The label's part in the argument. A layer should have exactly one main conclusion; premises (and "
            "claims without a stance attribute) must be linked when the scheme has relation types; other units "
            "are never asked for anything."
        ),
    )
    attributes = models.JSONField(default=dict, blank=True, validators=[valid_label_attributes])

    class Meta(SchemeEntry.Meta):
        default_related_name = "labels"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="label_unique_name"),
            models.UniqueConstraint(fields=["project", "key"], name="label_unique_key"),
            models.CheckConstraint(condition=Q(role__in=ArgumentRole.values), name="label_role_valid"),
        ]


class RelationType(SchemeEntry):
    class Meta(SchemeEntry.Meta):
        default_related_name = "relation_types"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="relationtype_unique_name"),
            models.UniqueConstraint(fields=["project", "key"], name="relationtype_unique_key"),
        ]


class ArticleQuerySet(models.QuerySet):
    def assigned_to(self, user):
        return self.filter(layers__annotator=user)

    def with_progress(self):
        """Annotate each article with how many annotator layers it has and how many are finished."""
        annotator_layers = Q(layers__annotator__isnull=False)
        return self.annotate(
            layer_count=models.Count("layers", filter=annotator_layers),
            finished_count=models.Count("layers", filter=annotator_layers & Q(layers__status=Layer.Status.FINISHED)),
        )


class Article(KeptByTheDatabase):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=200, blank=True)
    outlet = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published = models.DateField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[valid_metadata])
    # Normalised once at import (NFC, "\n" line ends); offsets are code points into it.
    text = models.TextField(max_length=TEXT_MAX_CHARS)
    text_hash = models.CharField(max_length=64, editable=False)
    # The text's length in code points, kept by the database: lists show and sort by it
    # without reading the text.
    length = models.GeneratedField(expression=Length("text"), output_field=models.IntegerField(), db_persist=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The article's annotator layers: how many, how many started (in progress or
    # finished), how many finished; and whether its gold layer is finished (curated).
    layers_assigned = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    layers_started = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    layers_finished = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    curated = models.BooleanField(default=False, db_default=False, editable=False)
    # Where the article's annotation stands, from the counters (`Progress`), so that
    # lists filter and count by it through an index.
    progress = models.GeneratedField(
        expression=Case(
            When(layers_assigned=0, then=Value("unassigned")),
            When(layers_started=0, then=Value("not_started")),
            When(layers_finished__lt=F("layers_assigned"), then=Value("in_progress")),
            default=Value("finished"),
        ),
        output_field=models.CharField(max_length=20),
        db_persist=True,
    )

    COUNTERS = ("layers_assigned", "layers_started", "layers_finished", "curated")

    class Progress(models.TextChoices):
        """Where an article's annotation stands: no annotator yet; annotators, none of
        whom has started; someone started and not everyone finished; everyone finished."""

        UNASSIGNED = "unassigned", "Unassigned"
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    objects = ArticleQuerySet.as_manager()

    class Meta:
        # Order by the foreign key's column: ordering by "project" would follow
        # Project's own ordering and join the project into every query (so for the
        # orderings of Layer, ArgumentUnit, Span and Relation below).
        ordering = ["project_id", "id"]
        # The orders an article list pages through (`annotate.article_lists`); title search
        # has an index of its own on PostgreSQL (migration 0010).
        indexes = [
            models.Index(fields=["project", "id"], name="article_by_id"),
            models.Index(fields=["project", "title", "id"], name="article_by_title"),
            models.Index(fields=["project", "length", "id"], name="article_by_length"),
            models.Index(fields=["project", "progress", "id"], name="article_by_progress"),
            models.Index(fields=["project", "curated", "id"], name="article_by_curation"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "text_hash"], name="article_unique_text"),
            models.CheckConstraint(condition=~Q(text=""), name="article_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if self.pk and self.text_hash and self.text_hash != text_hash(self.text) and self.has_units():
            raise ValidationError("The text cannot change once an argument unit points into it.")
        self.text_hash = text_hash(self.text)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("annotate:article_detail", args=[self.project.slug, self.pk])

    def has_units(self) -> bool:
        return ArgumentUnit.objects.filter(layer__article_id=self.pk).exists()


class LayerQuerySet(models.QuerySet):
    def annotator_layers(self):
        return self.filter(annotator__isnull=False)

    def gold(self):
        return self.filter(annotator__isnull=True)

    def queue_for(self, user, project: "Project", *, after: int | None = None):
        """`user`'s queue in `project`: their layers not yet finished, those in progress
        first, then by article; without the article `after` (the one they come from)."""
        layers = self.filter(article__project=project, annotator=user).exclude(status=Layer.Status.FINISHED)
        if after is not None:
            layers = layers.exclude(article_id=after)
        return layers.order_by(Case(When(status=Layer.Status.IN_PROGRESS, then=0), default=1), "article_id")


class Layer(models.Model):
    """One annotator's work on one article, or (annotator empty) the curators' gold layer.

    An annotator layer exists exactly when the article is assigned to that annotator.
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    class Stance(models.TextChoices):
        FOR = "For", "For"
        AGAINST = "Against", "Against"
        NEUTRAL = "Neutral", "Neutral"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="layers")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="layers"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    document_stance = models.CharField(max_length=10, choices=Stance.choices, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counts the changes made to the layer. A workspace page sends the revision it shows
    # with every change, so a change made from a stale page (another tab) is refused.
    revision = models.PositiveIntegerField(default=0)

    objects = LayerQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "annotator__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "annotator"], condition=Q(annotator__isnull=False), name="layer_one_per_annotator"
            ),
            models.UniqueConstraint(fields=["article"], condition=Q(annotator__isnull=True), name="layer_one_gold"),
            models.CheckConstraint(
                condition=Q(status__in=["not_started", "in_progress", "finished"]), name="layer_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_name} on {self.article}"

    @property
    def is_gold(self) -> bool:
        return self.annotator_id is None

    @property
    def owner_name(self) -> str:
        """The name exports and pages use for this layer: the annotator's username, or "gold"."""
        return "gold" if self.is_gold else self.annotator.username


class ArgumentUnit(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="units")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="units")
    # Checked against the label's allowed attributes (units.validate_attributes).
    attributes = models.JSONField(default=dict, blank=True)
    note = models.TextField(max_length=NOTE_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["layer_id", "id"]
        # The article list's label filter: has this layer a unit of this label?
        indexes = [models.Index(fields=["layer", "label"], name="unit_by_layer_label")]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk}"


class Span(models.Model):
    """A `[start, end)` range of the article text in code points (Python `str` indices)."""

    unit = models.ForeignKey(ArgumentUnit, on_delete=models.CASCADE, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()

    class Meta:
        ordering = ["unit_id", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(start__lt=models.F("end")), name="span_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"


class Relation(models.Model):
    """A typed, directed link from one unit (source) to another (target) of the same layer."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="relations")
    type = models.ForeignKey(RelationType, on_delete=models.PROTECT, related_name="relations")
    source = models.ForeignKey(ArgumentUnit, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(ArgumentUnit, on_delete=models.CASCADE, related_name="incoming")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["layer_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relation_no_self_link"),
            models.UniqueConstraint(fields=["source", "target"], name="relation_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.type} {self.target_id}"


class Change(models.Model):
    """One recorded change: who, when, what, and the object before and after.

    Written in the same transaction as the change itself, so the record and the data
    never disagree; undo replays `before`.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="changes")
    layer = models.ForeignKey(Layer, null=True, blank=True, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=60, blank=True, help_text='The changed object, e.g. "unit:12".')
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # Undo and redo: an "undo" or "redo" record points at the change it reverts, and
    # a change that is currently undone says so.
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    undone = models.BooleanField(default=False)
    # The changes one action made together (a review's Adopt or Replace: a unit, the units
    # it replaces, the relations it carries) share a step, which undo and redo take whole.
    step = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["layer", "-id"]),
            # The change log's order in the admin, alone and within a project or an action.
            models.Index(fields=["-created_at", "-id"], name="change_created_idx"),
            models.Index(fields=["project", "-created_at", "-id"], name="change_project_created_idx"),
            models.Index(fields=["action", "-created_at", "-id"], name="change_action_created_idx"),
            # The change log's search: an exact target, or a user's records, newest first.
            models.Index(fields=["target"], name="change_target_idx"),
            models.Index(fields=["user", "-created_at", "-id"], name="change_user_created_idx"),
            # The project's latest change, read by every visit of the agreement page.
            models.Index(fields=["project", "-id"], name="change_project_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target} by {self.user} at {self.created_at:%Y-%m-%d %H:%M}"


class Cancelled(Exception):
    """Raised by `Job.report_progress` once someone asked to cancel the job."""


class JobKind(models.TextChoices):
    IMPORT = "import", "import"
    EXPORT = "export", "export"
    AGREEMENT = "agreement", "agreement"
    TEAM = "team", "team figures"
    TRAINING = "training", "suggestion training"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


class Job(models.Model):
    """Long work done by a worker (`manage.py run_worker`), and what people see of it.

    The task itself is queued with django-tasks (`task_id` is its result id); this row is
    ours: what the work is, how far it got (`phase`, `done` of `total`, `heartbeat_at`),
    and how it ended: `result` (e.g. an import's counts, an agreement's figures,
    computed from `input_key`) or `problems` and `message`. The rules of its life are in
    `annotate/jobs.py`.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20, choices=JobKind.choices)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress report: a running job whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The django-tasks result id.")
    phase = models.CharField(max_length=40, blank=True, help_text='e.g. "parsing", "checking", "writing".')
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True)
    result = models.JSONField(null=True, blank=True)
    input_key = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="What the result was computed from."
    )
    file = models.CharField(max_length=500, blank=True, help_text="A name in the default storage.")
    # Counted against the project's ANNOTATE_MAX_PROJECT_STORED_BYTES (annotate/job_limits.py).
    stored_bytes = models.PositiveBigIntegerField(
        default=0, help_text="What the job's files take in the default storage now (0 once they are deleted)."
    )
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED}

    # Progress within a phase is written at most this often (a report also checks for
    # a cancel request, so this is how long a cancel may wait too).
    PROGRESS_INTERVAL = 0.5  # seconds

    def report_progress(self, phase: str, done: int, total: int) -> None:
        """Record how far the work got, and stop it if someone asked to cancel.

        Writes only the progress columns and the heartbeat (never a status or a cancel
        request set meanwhile), at most every PROGRESS_INTERVAL within a phase, and
        raises `Cancelled` once a cancel was requested, which the task turns into a
        rollback. Called inside the transaction that does the work, it writes through a
        connection of its own (`annotate.long_work.progress_cursor`), so the progress is seen
        at once and the row is not locked until the work commits.
        """
        last = getattr(self, "_reported", None)
        moment = time.monotonic()
        if last and last[0] == phase and done != total and moment - last[1] < self.PROGRESS_INTERVAL:
            return
        self._reported = (phase, moment)
        now = timezone.now()
        self.phase, self.done, self.total, self.heartbeat_at = phase, done, total, now
        with long_work.progress_cursor() as cursor:
            if cursor is None:
                return
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET phase = %s, done = %s, total = %s, heartbeat_at = %s"
                " WHERE id = %s RETURNING cancel_requested",
                [phase, done, total, now, self.pk],
            )
            row = cursor.fetchone()
        if row and row[0]:
            raise Cancelled


class AgreementArticle(models.Model):
    """One article's agreement sums (`annotate/agreement_sums.py`) for one combination of
    the agreement options, kept so that a change to one layer recomputes one article.

    `source` is a digest of what the sums were computed from (the counted layers with
    their revisions and owners, and the label names); `alpha_order` and `f1_order` are
    the article's figures with an undefined one as 2.0 (above any value), the order of
    the agreement page's table of articles, most contested first.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    options = models.PositiveSmallIntegerField(help_text="agreement_store.options_code")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=64)
    annotators = models.PositiveSmallIntegerField()
    alpha_u = models.FloatField(null=True)
    span_f1_overlap = models.FloatField(null=True)
    alpha_order = models.FloatField()
    f1_order = models.FloatField()
    sums = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "options", "article"], name="agreement_article_once"),
        ]
        indexes = [
            models.Index(
                fields=["project", "options", "alpha_order", "f1_order", "article"],
                condition=Q(annotators__gte=2),
                name="agreement_article_contested",
            ),
        ]

    def __str__(self) -> str:
        return f"agreement sums of article {self.article_id} ({self.options})"


class Effort(models.Model):
    """The active time one person spent on one layer on one day, read from the change
    log by `annotate/effort.py`: the gaps between their consecutive changes in the project
    shorter than ANNOTATE_IDLE_SECONDS, each counted on the layer of the later change
    (docs/team.md). Recomputed a few days at a time by the team figures' job."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Not cascaded: deleting layers (the assignment grid takes untouched ones away) would
    # cost one more query for rows that never exist (an untouched layer has no change).
    # The rows of a layer deleted with its article are read by no figure (each joins its
    # layer) and go when their day is recomputed.
    layer = models.ForeignKey("Layer", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    day = models.DateField(help_text="In the site's time zone (TIME_ZONE).")
    active_seconds = models.FloatField()
    changes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "day", "user", "layer"], name="effort_once")]

    def __str__(self) -> str:
        return f"{self.active_seconds:.0f} s on layer {self.layer_id} on {self.day}"


# Chunked uploads --------------------------------------------------------------------


class Upload(models.Model):
    """A file sent to the import page in chunks (`annotate/uploads.py`), for a file
    larger than one request may carry: its declared name and size, how many bytes have
    arrived (the offset of the next chunk), and once they all have, the assembled file
    in the default storage that a preview or an import job reads."""

    token = models.UUIDField(unique=True, editable=False, help_text="The upload's id, as the browser carries it.")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Declared when the upload starts.")
    received = models.PositiveBigIntegerField(default=0)
    crc32 = models.CharField(max_length=8, blank=True, help_text="Of the assembled file, once it is complete.")
    folder = models.CharField(max_length=100, help_text="Its chunks, then its file, in the default storage.")
    complete = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    touched_at = models.DateTimeField(auto_now=True, help_text="Expires ANNOTATE_UPLOAD_KEEP_SECONDS after this.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"upload {self.file_name} ({self.received} of {self.size} bytes)"


class SuggestionModel(models.Model):
    """One trained version of a project's suggestion model: a sequence tagger over the
    project's tokens (BIO over its labels, as the CoNLL export writes them) and a
    relation classifier over unit pairs, with what it learnt from and how well it did on
    the articles it did not learn from. The newest `READY` version is the one in use; a
    failed or too-small training leaves the one before it in place."""

    class Status(models.TextChoices):
        TRAINING = "training", "training"
        READY = "ready", "ready"
        TOO_LITTLE = "too_little", "too little data"
        FAILED = "failed", "failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="suggestion_models")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRAINING)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    gold_only = models.BooleanField(
        default=True, help_text="Learnt from gold layers only (always, in a blind project)."
    )
    trained_on = models.JSONField(
        default=dict, blank=True, help_text='What it learnt from: {"layers": [ids], "rejections": n, ...}.'
    )
    held_out = models.JSONField(default=dict, blank=True, help_text='What it was tested on: {"layers": [ids]}.')
    span_f1_exact = models.FloatField(null=True, blank=True)
    span_f1_overlap = models.FloatField(null=True, blank=True)
    relation_f1 = models.FloatField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True, help_text="Per label and relation type figures.")
    message = models.TextField(blank=True)
    tagger = models.BinaryField(blank=True, default=bytes, help_text="The CRF tagger, as crfsuite writes it.")
    relation_weights = models.JSONField(null=True, blank=True, help_text="The relation classifier.")
    seconds = models.FloatField(null=True, blank=True, help_text="Training time.")
    peak_bytes = models.PositiveBigIntegerField(null=True, blank=True, help_text="Training's peak memory.")

    class Meta:
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="suggestionmodel_one_version"),
        ]

    def __str__(self) -> str:
        return f"model v{self.version} of {self.project}"


class Suggestion(models.Model):
    """A unit or relation suggested for one layer, drawn as a ghost in the workspace; it
    never counts as an annotation. Accepting one makes an ordinary unit or relation
    (its change record names the suggestion, its source and model version); a
    suggestion whose span a unit of the layer overlaps is not shown. Rejecting one is a
    change of the layer (undoable), kept for the next training.

    A unit suggestion has one span `[start, end)` and a label; a relation suggestion has
    a type and its two ends as spans (`start`, `end` the source's; `target_start`,
    `target_end` the target's), each a unit of the layer or a unit suggestion on
    exactly that span."""

    class Kind(models.TextChoices):
        UNIT = "unit", "unit"
        RELATION = "relation", "relation"

    class Status(models.TextChoices):
        OPEN = "open", "open"
        REJECTED = "rejected", "rejected"

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(
        max_length=100, help_text='Where it comes from: "markers", "model", or an imported file\'s source name.'
    )
    model = models.ForeignKey(SuggestionModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    relation_type = models.ForeignKey(RelationType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    target_start = models.PositiveIntegerField(null=True, blank=True)
    target_end = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="The source's confidence, 0 to 1, when it gives one.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["layer", "start", "end", "id"]
        indexes = [models.Index(fields=["layer", "status"], name="suggestion_layer_status")]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="suggestion_span_not_empty"),
            models.CheckConstraint(
                condition=(
                    Q(kind="unit", label__isnull=False, relation_type__isnull=True, target_start__isnull=True)
                    | Q(
                        kind="relation",
                        label__isnull=True,
                        relation_type__isnull=False,
                        target_start__isnull=False,
                        target_end__isnull=False,
                    )
                ),
                name="suggestion_kind_fields",
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "rejected"]), name="suggestion_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} suggestion {self.start}–{self.end} from {self.source}"

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def target_span(self) -> tuple[int, int] | None:
        return None if self.target_start is None else (self.target_start, self.target_end)


class SuggestionRun(models.Model):
    """That a layer's suggestions from one source were made, and from what: `key` is the
    markers' fingerprint for "markers", the model version's id for "model". Opening the
    layer makes them again only when the key it would use now differs."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=100)
    key = models.CharField(max_length=64)
    made_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer", "source"], name="suggestionrun_one_per_source")]

    def __str__(self) -> str:
        return f"{self.source} suggestions of layer {self.layer_id}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> "ApiTokenQuerySet":
        """Tokens a request may still use: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A personal token for the HTTP API (/api/v1/), made and revoked by its user on their
    account page. Only the SHA-256 of the token is stored: the token itself is shown
    once, when it is made (annotate/api/tokens.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, to recognise it later.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token “{self.name}” of {self.user}"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
