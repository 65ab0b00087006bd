"""Review and adjudication: every annotator's layer of one article side by side, what
they disagree on, and the gold layer the curators build from them.

Two units match when they have the same label and exactly the same spans; two
relations match when they have the same type and their units match. The gold layer
is a layer like any other (annotator empty): adopting copies units and relations into
it through `units.create_unit` and `relations.create_relation`, so every adoption is
in the change record and can be undone in the workspace.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.safestring import SafeString, mark_safe

from annotate import changes, highlight, relations, units
from annotate.models import ArgumentUnit, Article, Label, Layer, Relation, RelationType, Span
from annotate.units import AnnotationError
from annotate.workspace import set_status

Spans = tuple[tuple[int, int], ...]
UnitKey = tuple[int, Spans]  # (label id, spans): what makes two units the same
RelationKey = tuple[UnitKey, UnitKey, int]  # (source, target, relation type id)

# What a badge says about a unit or relation of an annotator layer.
AGREED, SOME, LABEL, BOUNDARIES, ONLY, TYPE, UNITS = "agreed", "some", "label", "boundaries", "only", "type", "units"


@dataclass
class ReviewUnit:
    id: int
    layer_id: int
    label: Label
    attributes: dict
    spans: Spans
    quote: str  # the fragments of a discontinuous unit joined by " … "
    kind: str = ""
    badge: str = ""
    in_gold: bool = False

    @property
    def key(self) -> UnitKey:
        return (self.label.pk, self.spans)

    @property
    def tag(self) -> str:
        return " · ".join([self.label.name, *self.attributes.values()])


@dataclass
class ReviewRelation:
    id: int
    type: RelationType
    source: ReviewUnit
    target: ReviewUnit
    kind: str = ""
    badge: str = ""
    in_gold: bool = False

    @property
    def key(self) -> RelationKey:
        return (self.source.key, self.target.key, self.type.pk)


@dataclass
class ReviewLayer:
    layer: Layer
    units: list[ReviewUnit] = field(default_factory=list)
    relations: list[ReviewRelation] = field(default_factory=list)
    text_html: SafeString = SafeString("")

    @property
    def unit_keys(self) -> set[UnitKey]:
        return {unit.key for unit in self.units}

    @property
    def links(self) -> dict[tuple[UnitKey, UnitKey], int]:
        """(source, target) → relation type id."""
        return {(r.source.key, r.target.key): r.type.pk for r in self.relations}

    @property
    def disagreements(self) -> int:
        return sum(item.kind != AGREED for item in [*self.units, *self.relations])


@dataclass
class Review:
    article: Article
    annotators: list[ReviewLayer]
    gold: ReviewLayer | None

    @property
    def majority(self) -> int:
        """The smallest strict majority of the article's annotators."""
        return len(self.annotators) // 2 + 1


def load(article: Article) -> Review:
    """Every layer of `article` (whose project is loaded) with its units and relations,
    disagreements marked: six queries, however many layers and units."""
    project = article.project
    labels = {label.pk: label for label in Label.objects.filter(project=project)}
    kinds = {kind.pk: kind for kind in RelationType.objects.filter(project=project)}
    layers = {
        layer.pk: ReviewLayer(layer) for layer in Layer.objects.filter(article=article).select_related("annotator")
    }
    spans: dict[int, list[tuple[int, int]]] = {}
    for unit_id, start, end in (
        Span.objects.filter(unit__layer__article=article).order_by("start").values_list("unit_id", "start", "end")
    ):
        spans.setdefault(unit_id, []).append((start, end))
    text = article.text
    by_id = {}
    for pk, layer_id, label_id, attributes in ArgumentUnit.objects.filter(layer__article=article).values_list(
        "pk", "layer_id", "label_id", "attributes"
    ):
        unit_spans = tuple(spans.get(pk, ()))
        quote = " … ".join(text[start:end] for start, end in unit_spans)
        by_id[pk] = ReviewUnit(pk, layer_id, labels[label_id], attributes, unit_spans, quote)
        layers[layer_id].units.append(by_id[pk])
    for pk, layer_id, type_id, source, target in (
        Relation.objects.filter(layer__article=article)
        .order_by("pk")
        .values_list("pk", "layer_id", "type_id", "source_id", "target_id")
    ):
        layers[layer_id].relations.append(ReviewRelation(pk, kinds[type_id], by_id[source], by_id[target]))
    for entry in layers.values():
        entry.layer.article = article
        entry.units.sort(key=lambda unit: (unit.spans, unit.id))
        entry.relations.sort(key=lambda r: (r.target.spans, r.source.spans, r.id))
        items = [highlight.Highlight(u.id, u.label.pk, u.tag, u.spans) for u in entry.units if u.spans]
        entry.text_html = mark_safe(highlight.render(text, items, line_ids=False))  # noqa: S308 - render() escapes the text
    annotators = sorted((e for e in layers.values() if not e.layer.is_gold), key=lambda e: e.layer.owner_name)
    gold = next((e for e in layers.values() if e.layer.is_gold), None)
    mark_disagreements(annotators, gold)
    return Review(article, annotators, gold)


def overlaps(a: Spans, b: Spans) -> bool:
    return any(start < other_end and other_start < end for start, end in a for other_start, other_end in b)


def mark_disagreements(annotators: list[ReviewLayer], gold: ReviewLayer | None) -> None:
    """Give every unit and relation its kind and badge.

    A unit is agreed by all (every annotator has it), agreed by some, or, when nobody
    else has it: its label differs (another annotator gave the same spans another
    label), its boundaries differ (another annotator's unit of the same label overlaps
    it), or it is only here. A relation is compared with each other annotator who has
    both its units: its type differs, or it is only here (they did not link them);
    with nobody to compare it to, its units differ.
    """
    total = len(annotators)
    keys = {entry.layer.pk: entry.unit_keys for entry in annotators}
    links = {entry.layer.pk: entry.links for entry in annotators}
    gold_keys = gold.unit_keys if gold else set()
    gold_relations = {r.key for r in gold.relations} if gold else set()
    for entry in annotators:
        others = [other for other in annotators if other is not entry]
        for unit in entry.units:
            agreed = 1 + sum(unit.key in keys[other.layer.pk] for other in others)
            unit.in_gold = unit.key in gold_keys
            if others and agreed == total:
                unit.kind, unit.badge = AGREED, "agreed by all"
            elif agreed > 1:
                unit.kind, unit.badge = SOME, f"agreed by {agreed} of {total}"
            elif any(u.spans == unit.spans for other in others for u in other.units):
                unit.kind, unit.badge = LABEL, "label differs"
            elif any(u.label == unit.label and overlaps(u.spans, unit.spans) for o in others for u in o.units):
                unit.kind, unit.badge = BOUNDARIES, "boundaries differ"
            else:
                unit.kind, unit.badge = ONLY, "only here"
        for relation in entry.relations:
            relation.in_gold = relation.key in gold_relations
            ends = (relation.source.key, relation.target.key)
            found = [links[o.layer.pk].get(ends) for o in others if set(ends) <= keys[o.layer.pk]]
            if any(kind not in (None, relation.type.pk) for kind in found):
                relation.kind, relation.badge = TYPE, "type differs"
            elif None in found or not others:
                relation.kind, relation.badge = ONLY, "only here"
            elif len(found) == len(others):
                relation.kind, relation.badge = AGREED, "agreed by all"
            elif found:
                relation.kind, relation.badge = SOME, f"agreed by {len(found) + 1} of {total}"
            else:
                relation.kind, relation.badge = UNITS, "units differ"
    if gold:
        for unit in gold.units:
            agreed = sum(unit.key in layer_keys for layer_keys in keys.values())
            unit.kind, unit.badge = "gold", f"{agreed} of {total} annotators"
        for relation in gold.relations:
            ends = (relation.source.key, relation.target.key)
            agreed = sum(layer_links.get(ends) == relation.type.pk for layer_links in links.values())
            relation.kind, relation.badge = "gold", f"{agreed} of {total} annotators"


# --- Adjudication ---------------------------------------------------------------------


def annotator_unit(article: Article, pk: int) -> ArgumentUnit:
    """A unit of one of the article's annotator layers (never gold), or 404."""
    queryset = ArgumentUnit.objects.select_related("label", "layer")
    unit = get_object_or_404(queryset, pk=pk, layer__article=article, layer__annotator__isnull=False)
    unit.layer.article = article
    return unit


@transaction.atomic
def gold_layer(article: Article, user) -> Layer:
    """The article's gold layer, created (in progress) on first use; locked until the
    transaction ends, so that two curators adopting at once do not duplicate units."""
    layer, created = Layer.objects.get_or_create(
        article=article, annotator=None, defaults={"status": Layer.Status.IN_PROGRESS}
    )
    layer = Layer.objects.select_for_update().get(pk=layer.pk)
    layer.article = article
    if created:
        changes.record_in_layer(
            layer, target=f"layer:{layer.pk}", action="layer.create", user=user, before=None, after=None
        )
    return layer


@transaction.atomic
def start_gold(*, article: Article, user) -> Layer:
    """The article's gold layer, started if there is none yet: a curator may annotate
    gold in the workspace from scratch, not only adopt annotators' units into it."""
    return gold_layer(article, user)


def _reopen(gold: Layer, user) -> None:
    """A change to a finished gold layer means curation is not finished after all."""
    if gold.status != Layer.Status.IN_PROGRESS:
        set_status(layer=gold, status=Layer.Status.IN_PROGRESS, user=user)


def _gold_units(gold: Layer) -> dict[UnitKey, ArgumentUnit]:
    """The gold layer's units by what they match (the oldest, if gold has two alike)."""
    found: dict[UnitKey, ArgumentUnit] = {}
    spans: dict[int, list[tuple[int, int]]] = {}
    for unit_id, start, end in (
        Span.objects.filter(unit__layer=gold).order_by("start").values_list("unit_id", "start", "end")
    ):
        spans.setdefault(unit_id, []).append((start, end))
    for unit in ArgumentUnit.objects.filter(layer=gold).order_by("-pk"):
        found[(unit.label_id, tuple(spans.get(unit.pk, ())))] = unit
    return found


def _keys_of(layer_id: int) -> dict[int, UnitKey]:
    """Unit id → key for every unit of one layer."""
    spans: dict[int, list[tuple[int, int]]] = {}
    labels = dict(ArgumentUnit.objects.filter(layer_id=layer_id).values_list("pk", "label_id"))
    for unit_id, start, end in (
        Span.objects.filter(unit__layer_id=layer_id).order_by("start").values_list("unit_id", "start", "end")
    ):
        spans.setdefault(unit_id, []).append((start, end))
    return {pk: (label_id, tuple(spans.get(pk, ()))) for pk, label_id in labels.items()}


def _link(gold: Layer, kind: RelationType, source: ArgumentUnit, target: ArgumentUnit, user) -> Relation | None:
    """Copy a relation into gold, unless gold already links these two units."""
    if Relation.objects.filter(source=source, target=target).exists():
        return None
    return relations.create_relation(layer=gold, type=kind, source=source, target=target, user=user)


@dataclass
class Adoption:
    unit: ArgumentUnit  # the gold unit
    created: bool  # False when gold already had an identical unit
    relations: list[Relation]  # the relations copied with it
    quote: str  # the unit's text


@transaction.atomic
def adopt_unit(*, unit: ArgumentUnit, user) -> Adoption:
    """Copy an annotator's unit (label, spans, attributes) into the gold layer, reusing
    an identical gold unit if there is one, and with it the unit's relations (incoming
    and outgoing, in the annotator's layer) whose other unit gold already has. So a
    relation follows as soon as both its units are in gold, whichever came first."""
    layer = unit.layer
    if layer.is_gold:
        raise AnnotationError("This unit is already in the gold layer.")
    gold = gold_layer(layer.article, user)
    in_gold = _gold_units(gold)
    keys = _keys_of(layer.pk)
    key = keys[unit.pk]
    gold_unit, created = in_gold.get(key), key not in in_gold
    if created:
        spans = list(key[1])
        gold_unit = units.create_unit(layer=gold, label=unit.label, spans=spans, user=user, attributes=unit.attributes)
        in_gold[key] = gold_unit
    copied = []
    linked = Relation.objects.filter(Q(source=unit) | Q(target=unit), layer=layer).select_related("type")
    for relation in linked.order_by("pk"):
        source, target = in_gold.get(keys[relation.source_id]), in_gold.get(keys[relation.target_id])
        if source and target and (copy := _link(gold, relation.type, source, target, user)):
            copied.append(copy)
    if created or copied:
        _reopen(gold, user)
    quote = " … ".join(layer.article.text[start:end] for start, end in key[1])
    return Adoption(gold_unit, created, copied, quote)


@dataclass
class MajorityResult:
    units: int  # units added to gold
    relations: int  # relations added to gold


@transaction.atomic
def adopt_majority(*, article: Article, user, minimum: int) -> MajorityResult:
    """Adopt every unit that at least `minimum` annotators of the article marked alike,
    then every relation that at least `minimum` annotators drew (same type) between
    units gold now has. Units and relations gold already has are left as they are."""
    annotator_layers = list(article.layers.annotator_layers().order_by("annotator__username"))
    if not 1 <= minimum <= max(len(annotator_layers), 1):
        raise AnnotationError(f"The minimum must be between 1 and {len(annotator_layers)} annotators.")
    gold = gold_layer(article, user)
    in_gold = _gold_units(gold)
    labels = {label.pk: label for label in Label.objects.filter(project=article.project)}
    votes: Counter[UnitKey] = Counter()
    attributes: dict[UnitKey, Counter] = {}
    link_votes: Counter[RelationKey] = Counter()
    for layer in annotator_layers:
        keys = _keys_of(layer.pk)
        votes.update(set(keys.values()))
        for pk, values in ArgumentUnit.objects.filter(layer=layer).values_list("pk", "attributes"):
            attributes.setdefault(keys[pk], Counter())[tuple(sorted(values.items()))] += 1
        rows = Relation.objects.filter(layer=layer).values_list("source_id", "target_id", "type_id")
        link_votes.update({(keys[source], keys[target], kind) for source, target, kind in rows})
    added = 0
    for key, count in sorted(votes.items(), key=lambda item: item[0][1]):
        if count >= minimum and key not in in_gold:
            common = dict(attributes[key].most_common(1)[0][0])
            in_gold[key] = units.create_unit(
                layer=gold, label=labels[key[0]], spans=list(key[1]), user=user, attributes=common
            )
            added += 1
    kinds = {kind.pk: kind for kind in RelationType.objects.filter(project=article.project)}
    linked = 0
    for (source, target, kind), count in link_votes.items():
        if count >= minimum and source in in_gold and target in in_gold:
            linked += bool(_link(gold, kinds[kind], in_gold[source], in_gold[target], user))
    if added or linked:
        _reopen(gold, user)
    return MajorityResult(added, linked)


@transaction.atomic
def finish_curation(*, article: Article, user) -> Layer:
    """Mark the article's gold layer finished: curation of this article is done."""
    gold = gold_layer(article, user)
    if gold.status != Layer.Status.FINISHED:
        set_status(layer=gold, status=Layer.Status.FINISHED, user=user)
    return gold
