"""Argument units and their spans: the rules every change to a layer goes through.

Offsets are code points into the article text (Python `str` indices). Each function
is one transaction and writes its change record in it; bad input raises
`AnnotationError` with a message for the annotator, and changes nothing.
"""

from collections.abc import Iterable
from dataclasses import replace

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotate import changes, rows
from annotate.changes import Changed
from annotate.formats.checks import BEFORE_TEXT, BLANK, EMPTY, NO_SPAN, PAST_TEXT, quote, span_fault
from annotate.models import NOTE_MAX_CHARS, ArgumentUnit, Label, Layer, Relation, Span


class AnnotationError(ValueError):
    """Input an annotation cannot be made from; the message is shown to the annotator."""


class NotFoundError(AnnotationError):
    """What a change names is not there: deleted meanwhile, or never where it was looked for."""


class LayerFinishedError(AnnotationError):
    """A change to a layer marked finished: it is read-only until it is reopened."""


def ensure_open(layer: Layer) -> None:
    """Refuse any change to a finished layer (annotator or gold): what agreement and
    exports count as finished must be what was finished."""
    if layer.status == Layer.Status.FINISHED:
        if layer.is_gold:
            raise LayerFinishedError(
                "Curation of this article is finished, so the gold layer is read-only. Reopen it to change it."
            )
        raise LayerFinishedError("This layer is marked finished, so it is read-only. Reopen it to change it.")


def has_word(text: str, spans: Iterable[tuple[int, int]]) -> bool:
    """Whether the spans of `text` hold a letter or a digit, in any script: an argument
    unit states something, so one of nothing but punctuation, symbols and white space
    (“?” and a space, “—”) is a stray selection, not a unit."""
    return any(character.isalnum() for start, end in spans for character in text[start:end])


def validate_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Check `[start, end)` ranges against `text` by the span rule (`span_fault`), in
    an annotator's words, and that together they hold a letter or digit (`has_word`);
    return them sorted."""
    ordered = sorted((int(start), int(end)) for start, end in spans)
    fault = span_fault(text, ordered)
    if fault is None:
        if not has_word(text, ordered):
            covered = quote(" … ".join(text[start:end] for start, end in ordered))
            raise AnnotationError(f"A unit needs at least one letter or digit: {covered} holds none.")
        return ordered
    if fault.rule == NO_SPAN:
        raise AnnotationError("Select some text first.")
    if fault.rule in (BEFORE_TEXT, PAST_TEXT):
        (start, end), *_ = fault.spans
        raise AnnotationError(f"The span [{start}, {end}) lies outside the text (0 to {len(text)}).")
    if fault.rule == EMPTY:
        raise AnnotationError("The selection is empty.")
    if fault.rule == BLANK:
        raise AnnotationError("The selection holds only white space.")
    raise AnnotationError("The spans of one unit may not overlap each other.")


def validate_attributes(label: Label, attributes: dict) -> dict:
    """Keep only attributes the label defines, with one of their allowed values."""
    for name, value in attributes.items():
        allowed = label.attributes.get(name)
        if allowed is None:
            raise AnnotationError(f"{label.name} has no attribute “{name}”.")
        if value not in allowed:
            raise AnnotationError(f"{label.name} {name} must be one of {', '.join(allowed)}, not “{value}”.")
    return dict(attributes)


def validate_note(note: str) -> str:
    """A unit's note as stored: line ends as `\n` (a browser's form sends `\r\n`),
    without white space around it, at most `NOTE_MAX_CHARS` characters."""
    note = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise AnnotationError(
            f"A note may be at most {NOTE_MAX_CHARS:,} characters; this one has {len(note):,}. "
            "Shorten it and save again."
        )
    return note


# The spans of every unit of one label in one layer that has a span exactly here: the
# candidates for a duplicate. In SQL (the same on PostgreSQL and SQLite) because every
# unit made asks, and the ORM takes longer to build this query than the database to answer.
SAME_SPAN_ROWS = (
    f'SELECT s.unit_id, s.start, s."end" FROM {Span._meta.db_table} s WHERE s.unit_id IN ('  # names only
    f"SELECT u.id FROM {ArgumentUnit._meta.db_table} u JOIN {Span._meta.db_table} f ON f.unit_id = u.id "
    'WHERE u.layer_id = %s AND u.label_id = %s AND f.start = %s AND f."end" = %s AND u.id <> %s'
    ") ORDER BY s.unit_id, s.start"
)


def refuse_duplicate(
    layer: Layer,
    label: Label,
    spans: list[tuple[int, int]],
    *,
    other_than: int | None = None,
    among: Iterable | None = None,
):
    """Refuse a second unit of the same label on exactly the same spans in one layer:
    it would count twice in agreement and exports, and no annotator means it. `among`:
    the layer's units around those spans, as read in this transaction by a caller who
    has them (rows with `id`, `label_id` and `spans`; at least every unit with a span
    overlapping the first of `spans`): then they are looked through instead of asking
    the database."""
    if among is not None:
        if any(unit.label_id == label.pk and unit.id != other_than and list(unit.spans) == spans for unit in among):
            raise AnnotationError(f"There is already a {label.name} on exactly this text.")
        return
    found: dict[int, list[tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(SAME_SPAN_ROWS, [layer.pk, label.pk, *spans[0], other_than or 0])
        for unit_id, start, end in cursor.fetchall():
            found.setdefault(unit_id, []).append((start, end))
    if any(unit_spans == list(spans) for unit_spans in found.values()):
        raise AnnotationError(f"There is already a {label.name} on exactly this text.")


def spans_of(unit: ArgumentUnit) -> list[tuple[int, int]]:
    return [(span.start, span.end) for span in unit.spans.order_by("start")]


def snapshot(unit: ArgumentUnit, spans: list[tuple[int, int]], *, relations: Iterable[Relation] = ()) -> dict:
    """What the change record keeps of a unit: enough to recreate it exactly
    (with the relations that a deletion takes with it)."""
    state = {
        "id": unit.pk,
        "label": unit.label_id,
        "spans": [list(span) for span in spans],
        "attributes": unit.attributes,
        "note": unit.note,
        "created_at": unit.created_at.isoformat(),
    }
    if relations:
        state["relations"] = [changes.relation_state(relation) for relation in relations]
    return state


def _log(unit: ArgumentUnit, *, action: str, user, before: dict | None, after: dict | None) -> Changed:
    changed = changes.log_layer_change(
        unit.layer, target=f"unit:{unit.pk}", action=action, user=user, before=before, after=after
    )
    return replace(changed, unit=unit)


def create_unit(
    *,
    layer: Layer,
    label: Label,
    spans: Iterable[tuple[int, int]],
    user,
    attributes: dict | None = None,
    note: str = "",
    among: Iterable | None = None,
    suggested: dict | None = None,
) -> Changed:
    """Create an argument unit with one or more spans in `layer` (`.unit` of the result).
    `among`: the units around the spans, if the caller has read them (`refuse_duplicate`).
    `suggested`: the suggestion it is accepted from (`suggestions.provenance`), kept in
    the change record."""
    ensure_open(layer)
    article = layer.article
    if label.project_id != article.project_id:
        raise AnnotationError("That label belongs to another project.")
    ordered = validate_spans(article.text, spans)
    attributes = validate_attributes(label, attributes or {})
    note = validate_note(note)
    refuse_duplicate(layer, label, ordered, among=among)
    # Checked before the transaction, so the writes need no savepoint of their own
    # inside the caller's transaction (two round trips fewer for every unit made).
    with transaction.atomic(savepoint=False):
        # The unit, its spans and its change record in one statement: the record names
        # the unit by the id the statement gives it ("unit:" and the snapshot's "id" are
        # completed with it), and quotes the time it is made, given here.
        unit = ArgumentUnit(layer=layer, label=label, attributes=attributes, note=note, created_at=timezone.now())
        change, count = changes.new_record(
            project=article.project,
            layer=layer,
            user=user,
            action="unit.create",
            target="unit:",
            after=snapshot(unit, ordered) | ({"suggestion": suggested} if suggested else {}),
        )
        parts = [Span(start=start, end=end) for start, end in ordered]
        rows.insert_with_parts(unit, parts, link="unit", record=change, naming=("target", "after"), along=count)
        return Changed(records=(change,), revision=layer.revision, unit=unit)


@transaction.atomic
def update_unit(
    *,
    unit: ArgumentUnit,
    user,
    label: Label | None = None,
    attributes: dict | None = None,
    spans: Iterable[tuple[int, int]] | None = None,
    note: str | None = None,
) -> Changed:
    """Change a unit's label, attributes, spans or note (whichever are given; an empty
    note clears it).

    A new label keeps only the attributes it defines too (a Claim's stance is dropped
    when it becomes a Premise).
    """
    ensure_open(unit.layer)
    old_spans = spans_of(unit)
    before = snapshot(unit, old_spans)
    if label is not None:
        if label.project_id != unit.label.project_id:
            raise AnnotationError("That label belongs to another project.")
        unit.label = label
        unit.attributes = {name: value for name, value in unit.attributes.items() if name in label.attributes}
    if attributes is not None:
        merged = {**unit.attributes, **attributes}
        unit.attributes = validate_attributes(unit.label, {k: v for k, v in merged.items() if v})
    if note is not None:
        unit.note = validate_note(note)
    new_spans = old_spans if spans is None else validate_spans(unit.layer.article.text, spans)
    after = snapshot(unit, new_spans)
    if after == before:
        return Changed(revision=unit.layer.revision, unit=unit)
    if (after["label"], after["spans"]) != (before["label"], before["spans"]):
        refuse_duplicate(unit.layer, unit.label, new_spans, other_than=unit.pk)
    unit.save(update_fields=["label", "attributes", "note"])
    if new_spans != old_spans:
        unit.spans.all().delete()
        Span.objects.bulk_create([Span(unit=unit, start=start, end=end) for start, end in new_spans])
    return _log(unit, action="unit.update", user=user, before=before, after=after)


def add_span(*, unit: ArgumentUnit, span: tuple[int, int], user) -> Changed:
    """Add a span to a unit, making (or extending) a discontinuous unit."""
    return update_unit(unit=unit, spans=[*spans_of(unit), span], user=user)


@transaction.atomic
def delete_unit(*, unit: ArgumentUnit, user) -> Changed:
    """Delete a unit and the relations that start or end at it (all kept in the
    change record, so undo brings them back)."""
    ensure_open(unit.layer)
    linked = Relation.objects.filter(Q(source=unit) | Q(target=unit))
    before = snapshot(unit, spans_of(unit), relations=linked.order_by("id"))
    changed = _log(unit, action="unit.delete", user=user, before=before, after=None)
    unit.delete()
    return replace(changed, unit=None)
