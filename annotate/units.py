"""Argument units and their spans: the rules every change to a layer goes through.

Offsets are code points into the article text (Python `str` indices). Each function
is one transaction and writes its change record in it; bad input raises
`AnnotationError` with a message for the annotator, and changes nothing.
"""

from collections.abc import Iterable

from django.db import transaction

from annotate import changes
from annotate.models import ArgumentUnit, Label, Layer, Span


class AnnotationError(ValueError):
    """Input an annotation cannot be made from; the message is shown to the annotator."""


def validate_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Check `[start, end)` ranges against `text`; return them sorted.

    Refused: no span at all, an empty or reversed span, a span outside the text, and
    spans of one unit that overlap each other.
    """
    ordered = sorted((int(start), int(end)) for start, end in spans)
    if not ordered:
        raise AnnotationError("Select some text first.")
    for start, end in ordered:
        if start < 0 or end > len(text):
            raise AnnotationError(f"The span [{start}, {end}) lies outside the text (0 to {len(text)}).")
        if start >= end:
            raise AnnotationError("The selection is empty.")
        if not text[start:end].strip():
            raise AnnotationError("The selection holds only white space.")
    for (_, previous_end), (start, _) in zip(ordered, ordered[1:], strict=False):
        if start < previous_end:
            raise AnnotationError("The spans of one unit may not overlap each other.")
    return ordered


def validate_attributes(label: Label, attributes: dict) -> dict:
    """Keep only attributes the label defines, with one of their allowed values."""
    for name, value in attributes.items():
        allowed = label.attributes.get(name)
        if allowed is None:
            raise AnnotationError(f"{label.name} has no attribute “{name}”.")
        if value not in allowed:
            raise AnnotationError(f"{label.name} {name} must be one of {', '.join(allowed)}, not “{value}”.")
    return dict(attributes)


def snapshot(unit: ArgumentUnit, spans: list[tuple[int, int]]) -> dict:
    """What the change record keeps of a unit: enough to recreate it exactly."""
    return {
        "id": unit.pk,
        "label": unit.label_id,
        "spans": [list(span) for span in spans],
        "attributes": unit.attributes,
        "note": unit.note,
    }


@transaction.atomic
def create_unit(
    *, layer: Layer, label: Label, spans: Iterable[tuple[int, int]], user, attributes: dict | None = None
) -> ArgumentUnit:
    """Create an argument unit with one or more spans in `layer`."""
    article = layer.article
    if label.project_id != article.project_id:
        raise AnnotationError("That label belongs to another project.")
    ordered = validate_spans(article.text, spans)
    unit = ArgumentUnit.objects.create(
        layer=layer, label=label, attributes=validate_attributes(label, attributes or {})
    )
    Span.objects.bulk_create([Span(unit=unit, start=start, end=end) for start, end in ordered])
    changes.record(
        project=article.project,
        layer=layer,
        user=user,
        action="unit.create",
        target=f"unit:{unit.pk}",
        after=snapshot(unit, ordered),
    )
    return unit
