"""Labels, relation types and attribute values of imported records against a project's
scheme: problems, things left out, or additions to the scheme (`check_scheme`)."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from annotate.formats.checks import FormatError, quote
from annotate.formats.records import ArticleRecord, LabelRecord, SchemeRecord, UnitRecord

UnknownPolicy = Literal["fail", "skip", "add"]


@dataclass
class SchemeCheck:
    """The outcome of `check_scheme`."""

    articles: list[ArticleRecord]
    # With unknown="add": what the files use that the scheme lacks. A label here is
    # new, or (if the scheme has it) carries only the attribute values to add to it.
    additions: SchemeRecord = field(default_factory=SchemeRecord)
    # With unknown="skip": one message per unit, attribute or relation left out.
    skipped: list[str] = field(default_factory=list)


def check_scheme(
    articles: Iterable[ArticleRecord], *, scheme: SchemeRecord, unknown: UnknownPolicy = "fail", file_name: str
) -> SchemeCheck:
    """Check imported labels, attribute values and relation types against `scheme`.

    What the scheme lacks is handled as `unknown` says: "fail" raises `FormatError`
    (naming `file_name`, the article, layer and unit); "skip" leaves the unit (with its
    relations), the attribute or the relation out and says so in `skipped`; "add" keeps
    it and lists it in `additions` for the caller to add to the scheme. The records
    passed in are not changed.
    """
    if unknown not in ("fail", "skip", "add"):
        raise ValueError(f"unknown must be fail, skip or add, not {unknown!r}")
    check = SchemeCheck(articles=[])

    def unknown_found(where: str, problem: str) -> bool:
        """Whether to keep what `problem` is about; raises for "fail"."""
        if unknown == "fail":
            raise FormatError(f"{where}: {problem}", file_name=file_name)
        if unknown == "skip":
            check.skipped.append(f"{where}: {problem}; skipped")
        return unknown == "add"

    def checked_unit(unit: UnitRecord, where: str) -> UnitRecord | None:
        """`unit` with only the attributes to keep, or None to leave it out."""
        label = scheme.label(unit.label)
        if label is None:
            names = ", ".join(known.name for known in scheme.labels)
            if not unknown_found(where, f"unknown label {unit.label} (the scheme has {names})"):
                return None
            _addition(check.additions, unit.label)
        attributes = {}
        for key, value in unit.attributes.items():
            allowed = label.attributes.get(key, []) if label else []
            if label is not None and value not in allowed:
                problem = (
                    f"{key} {value} is not allowed for {label.name} (it allows {', '.join(allowed)})"
                    if allowed
                    else f"{label.name} has no attribute {key}"
                )
                if not unknown_found(where, problem):
                    continue
            if value not in allowed:
                values = _addition(check.additions, unit.label).attributes.setdefault(key, [])
                if value not in values:
                    values.append(value)
            attributes[key] = value
        return replace(unit, attributes=attributes)

    for article in articles:
        layers = []
        for layer in article.layers:
            where = f"article {quote(article.title)}, layer {layer.owner}"
            units = []
            for unit in layer.units:
                if (checked := checked_unit(unit, f"{where}, unit {unit.id}")) is not None:
                    units.append(checked)
            unit_ids = {unit.id for unit in units}
            relations = []
            for relation in layer.relations:
                if relation.source not in unit_ids or relation.target not in unit_ids:
                    continue  # its unit was skipped, and said so
                if relation.type not in scheme.relation_types:
                    names = ", ".join(scheme.relation_types)
                    problem = f"unknown relation type {relation.type} (the scheme has {names})"
                    if not unknown_found(f"{where}, relation {relation.id}", problem):
                        continue
                    if relation.type not in check.additions.relation_types:
                        check.additions.relation_types.append(relation.type)
                relations.append(relation)
            layers.append(replace(layer, units=units, relations=relations))
        check.articles.append(replace(article, layers=layers))
    return check


def _addition(additions: SchemeRecord, name: str) -> LabelRecord:
    label = additions.label(name)
    if label is None:
        label = LabelRecord(name=name)
        additions.labels.append(label)
    return label
