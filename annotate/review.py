"""Review and adjudication: every annotator's layer of one article side by side, what
they disagree on, and the gold layer the curators build from them.

Two units match when they have the same label and exactly the same spans; they agree
when their attributes (a Claim's stance) are the same too, and two matching units
whose attributes differ are a disagreement of their own. Two relations match when
they have the same type and their units match. The gold layer
is a layer like any other (annotator empty): adopting copies units and relations into
it through `units.create_unit` and `relations.create_relation`, so every adoption is
in the change record and can be undone in the workspace.

What is left to settle: every unit and relation of an annotator layer that not all
annotators agree on, until gold has settled it. Gold settles a unit by holding it
(same label, same spans), by holding a unit of the same label that overlaps it (the
curator chose other boundaries) or by holding a unit on exactly its spans with
another label (the curator chose another label); a gold unit that matches it with
other attributes settles it too (the curator chose the other stance). Gold settles a relation by holding
it, or by linking the gold units that settled its two ends, whatever the type (the
curator chose another type). A unit the curator leaves out of gold stays to settle:
there is no "reject", finishing curation is the decision on what is left.

Adopting never puts two overlapping units of one label into gold without asking:
`adopt_unit` refuses with `OverlapError` unless told to replace the overlapping gold
units (their gold relations carried over to the new unit) or to add it anyway, and
`adopt_majority` leaves such units out and says how many. Adopting a unit takes its
attributes (and its note, if it has one) with it, over those of the gold unit it matches; `adopt_majority` gives
each unit the value a strict majority of the annotators who marked it gave each
attribute, and leaves out (and counts) a unit no majority agrees on an attribute of,
for the curator to adopt the one they choose. Finished gold is read-only
(`units.ensure_open`): curation is reopened explicitly, never by an adoption.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from annotate import changes, layer_content, relations, suggestions, units
from annotate.changes import Changed
from annotate.layer_content import RelationEntry, UnitEntry
from annotate.lifecycle import set_status
from annotate.models import ArgumentUnit, Article, Label, Layer, Relation, RelationType, Suggestion
from annotate.units import AnnotationError

Spans = tuple[tuple[int, int], ...]
UnitKey = tuple[int, Spans]  # (label id, spans): what makes two units the same
RelationKey = tuple[UnitKey, UnitKey, int]  # (source, target, relation type id)

# What a badge says about a unit or relation of an annotator layer.
AGREED, SOME, LABEL, BOUNDARIES, ONLY, TYPE, UNITS = "agreed", "some", "label", "boundaries", "only", "type", "units"
ATTRIBUTE = "attribute"  # same label and spans, an attribute differs


@dataclass(slots=True)
class ReviewUnit(UnitEntry):
    """A unit of an annotator's layer or of gold, with what the review says of it."""

    verdict: str = ""
    badge: str = ""
    in_gold: bool = False
    settled: bool = False  # gold holds it or decided otherwise (see the module docstring)

    @property
    def key(self) -> UnitKey:
        return (self.label.pk, self.spans)


@dataclass(slots=True)
class ReviewRelation(RelationEntry):
    verdict: str = ""
    badge: str = ""
    in_gold: bool = False
    settled: bool = False

    @property
    def key(self) -> RelationKey:
        return (self.source.key, self.target.key, self.type.pk)


@dataclass
class ReviewLayer:
    layer: Layer
    units: list[ReviewUnit] = field(default_factory=list)
    relations: list[ReviewRelation] = field(default_factory=list)

    @property
    def unit_keys(self) -> set[UnitKey]:
        return {unit.key for unit in self.units}

    @property
    def links(self) -> dict[tuple[UnitKey, UnitKey], int]:
        """(source, target) → relation type id."""
        return {(r.source.key, r.target.key): r.type.pk for r in self.relations}

    @property
    def disagreements(self) -> int:
        return sum(item.verdict != AGREED for item in [*self.units, *self.relations])

    @property
    def to_settle(self) -> int:
        """The disagreements gold has not settled yet."""
        return sum(item.verdict != AGREED and not item.settled for item in [*self.units, *self.relations])


@dataclass
class Review:
    article: Article
    annotators: list[ReviewLayer]
    gold: ReviewLayer | None

    @property
    def majority(self) -> int:
        """The smallest strict majority of the article's annotators."""
        return len(self.annotators) // 2 + 1

    @property
    def finished(self) -> bool:
        """Curation is finished: gold is read-only until it is reopened."""
        return self.gold is not None and self.gold.layer.status == Layer.Status.FINISHED


def load(article: Article) -> Review:
    """Every layer of `article` (whose project is loaded) with its units and relations,
    disagreements marked: five queries, however many layers and units."""
    project = article.project
    labels = {label.pk: label for label in Label.objects.filter(project=project)}
    relation_types = {relation_type.pk: relation_type for relation_type in RelationType.objects.filter(project=project)}
    layers = {
        layer.pk: ReviewLayer(layer) for layer in Layer.objects.filter(article=article).select_related("annotator")
    }
    text = article.text
    for layer_id, content in layer_content.read(list(layers)).items():
        entry = layers[layer_id]
        entry.layer.article = article
        entry.units, entry.relations = layer_content.entries(
            content,
            labels=labels,
            relation_types=relation_types,
            text=text,
            unit_class=ReviewUnit,
            relation_class=ReviewRelation,
        )
        entry.units.sort(key=lambda unit: (unit.spans, unit.id))
        entry.relations.sort(key=lambda r: (r.target.spans, r.source.spans, r.id))
    annotators = sorted((e for e in layers.values() if not e.layer.is_gold), key=lambda e: e.layer.owner_name)
    gold = next((e for e in layers.values() if e.layer.is_gold), None)
    mark_disagreements(annotators, gold)
    return Review(article, annotators, gold)


def overlaps(a: Spans, b: Spans) -> bool:
    return any(start < other_end and other_start < end for start, end in a for other_start, other_end in b)


class GoldIndex:
    """Gold's units looked up the three ways they settle an annotator's unit, so that
    finding what settles each unit and relation end does not walk all of gold."""

    def __init__(self, gold_units: list[ReviewUnit]):
        self.by_key: dict[UnitKey, ReviewUnit] = {}
        self.by_label: dict[int, list[ReviewUnit]] = {}
        self.by_spans: dict[Spans, ReviewUnit] = {}
        for g in gold_units:  # the first of several alike wins, as in gold's order
            self.by_key.setdefault(g.key, g)
            self.by_label.setdefault(g.label.pk, []).append(g)
            self.by_spans.setdefault(g.spans, g)

    def settling(self, unit: ReviewUnit) -> ReviewUnit | None:
        """The gold unit that settles an annotator's `unit`: its match, else one of the
        same label that overlaps it, else one on exactly its spans (another label)."""
        if found := self.by_key.get(unit.key):
            return found
        same_label = self.by_label.get(unit.label.pk, ())
        if found := next((g for g in same_label if overlaps(g.spans, unit.spans)), None):
            return found
        return self.by_spans.get(unit.spans)


def mark_disagreements(annotators: list[ReviewLayer], gold: ReviewLayer | None) -> None:
    """Give every unit and relation its verdict and badge.

    A unit whose match another annotator gave other attributes is marked so, with every
    such annotator's values ("stance differs: ann For, ben Against"). Otherwise it is
    agreed by all (every annotator has it), agreed by some, or, when nobody
    else has it: its label differs (another annotator gave the same spans another
    label), its boundaries differ (another annotator's unit of the same label overlaps
    it), or it is only here. A relation is compared with each other annotator who has
    both its units: its type differs, or it is only here (they did not link them);
    with nobody to compare it to, its units differ.
    """
    total = len(annotators)
    keys = {entry.layer.pk: entry.unit_keys for entry in annotators}
    links = {entry.layer.pk: entry.links for entry in annotators}
    given = {entry.layer.pk: {unit.key: unit.attributes for unit in entry.units} for entry in annotators}
    in_gold = {unit.key: unit.attributes for unit in gold.units} if gold else {}
    gold_relations = {r.key for r in gold.relations} if gold else set()
    gold_index = GoldIndex(gold.units if gold else [])
    gold_links = {(r.source.id, r.target.id) for r in gold.relations} if gold else set()
    spans = {entry.layer.pk: {unit.spans for unit in entry.units} for entry in annotators}
    spans_by_label: dict[int, dict[int, list[Spans]]] = {}
    for entry in annotators:
        for unit in entry.units:
            spans_by_label.setdefault(entry.layer.pk, {}).setdefault(unit.label.pk, []).append(unit.spans)
    for entry in annotators:
        others = [other for other in annotators if other is not entry]
        for unit in entry.units:
            alike = [other for other in annotators if unit.key in keys[other.layer.pk]]
            agreed = sum(given[other.layer.pk][unit.key] == unit.attributes for other in alike)
            unit.in_gold = in_gold.get(unit.key, None) == unit.attributes
            if agreed < len(alike):
                unit.verdict, unit.badge = ATTRIBUTE, differing([given[o.layer.pk][unit.key] for o in alike], alike)
            elif others and agreed == total:
                unit.verdict, unit.badge = AGREED, "agreed by all"
            elif agreed > 1:
                unit.verdict, unit.badge = SOME, f"agreed by {agreed} of {total}"
            elif any(unit.spans in spans[other.layer.pk] for other in others):
                unit.verdict, unit.badge = LABEL, "label differs"
            elif any(
                overlaps(other_spans, unit.spans)
                for o in others
                for other_spans in spans_by_label.get(o.layer.pk, {}).get(unit.label.pk, ())
            ):
                unit.verdict, unit.badge = BOUNDARIES, "boundaries differ"
            else:
                unit.verdict, unit.badge = ONLY, "only here"
            unit.settled = gold_index.settling(unit) is not None
        for relation in entry.relations:
            relation.in_gold = relation.key in gold_relations
            ends = gold_index.settling(relation.source), gold_index.settling(relation.target)
            linked = ends[0] is not None and ends[1] is not None and (ends[0].id, ends[1].id) in gold_links
            relation.settled = relation.in_gold or linked
            ends = (relation.source.key, relation.target.key)
            found = [links[o.layer.pk].get(ends) for o in others if set(ends) <= keys[o.layer.pk]]
            if any(type_id not in (None, relation.type.pk) for type_id in found):
                relation.verdict, relation.badge = TYPE, "type differs"
            elif None in found or not others:
                relation.verdict, relation.badge = ONLY, "only here"
            elif len(found) == len(others):
                relation.verdict, relation.badge = AGREED, "agreed by all"
            elif found:
                relation.verdict, relation.badge = SOME, f"agreed by {len(found) + 1} of {total}"
            else:
                relation.verdict, relation.badge = UNITS, "units differ"
    if gold:
        for unit in gold.units:
            agreed = sum(layer_given.get(unit.key) == unit.attributes for layer_given in given.values())
            unit.verdict, unit.badge = "gold", f"{agreed} of {total} annotators"
        for relation in gold.relations:
            ends = (relation.source.key, relation.target.key)
            agreed = sum(layer_links.get(ends) == relation.type.pk for layer_links in links.values())
            relation.verdict, relation.badge = "gold", f"{agreed} of {total} annotators"


def differing(attributes: list[dict], layers: list[ReviewLayer]) -> str:
    """The badge of units alike but for their attributes: the attributes that differ and
    each annotator's values of them, "stance differs: ann For, ben none"."""
    names = sorted({name for given in attributes for name in given if len({a.get(name) for a in attributes}) > 1})
    values = [" · ".join(given.get(name) or "none" for name in names) for given in attributes]
    said = ", ".join(f"{entry.layer.owner_name} {value}" for entry, value in zip(layers, values, strict=True))
    return f"{' and '.join(names)} differ{'s' if len(names) == 1 else ''}: {said}"


# --- Adjudication ---------------------------------------------------------------------


def annotator_unit(article: Article, pk: int) -> ArgumentUnit:
    """A unit of one of the article's annotator layers (never gold)."""
    queryset = ArgumentUnit.objects.select_related("label", "layer")
    unit = queryset.filter(pk=pk, layer__article=article, layer__annotator__isnull=False).first()
    if unit is None:
        raise units.NotFoundError("That unit is not in an annotator's layer of this article. Reload the page.")
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
        changes.log_layer_change(
            layer, target=f"layer:{layer.pk}", action="layer.create", user=user, before=None, after=None
        )
    return layer


@transaction.atomic
def start_gold(*, article: Article, user) -> Layer:
    """The article's gold layer, started if there is none yet: a curator may annotate
    gold in the workspace from scratch, not only adopt annotators' units into it."""
    return gold_layer(article, user)


def _gold_units(gold: Layer) -> dict[UnitKey, ArgumentUnit]:
    """The gold layer's units by what they match (the oldest, if gold has two alike)."""
    rows = layer_content.read_one(gold, relations=False).units
    instances = ArgumentUnit.objects.in_bulk([row.id for row in rows])
    return {_key(row): instances[row.id] for row in sorted(rows, key=lambda row: -row.id)}


def _key(row: layer_content.UnitRow) -> UnitKey:
    return (row.label_id, row.spans)


def _keys_of(content: layer_content.LayerContent) -> dict[int, UnitKey]:
    """Unit id → key for every unit of one layer."""
    return {row.id: _key(row) for row in content.units}


def _link(
    gold: Layer, relation_type: RelationType, source: ArgumentUnit, target: ArgumentUnit, user
) -> Relation | None:
    """Copy a relation into gold, unless gold already links these two units (either way)."""
    if relations.link_between(source, target):
        return None
    return relations.create_relation(layer=gold, type=relation_type, source=source, target=target, user=user).relation


class OverlapError(AnnotationError):
    """Adopting a unit that overlaps gold units of the same label: the curator decides
    whether it replaces them or is added as well."""

    def __init__(self, message: str, overlapping: list[str]):
        super().__init__(message)
        self.overlapping = overlapping  # the overlapping gold units' quotes


ASK, REPLACE, ADD = "ask", "replace", "add"


@dataclass
class Adoption:
    unit: ArgumentUnit  # the gold unit
    created: bool  # False when gold already had an identical unit
    relations: list[Relation]  # the relations copied with it
    quote: str  # the unit's text
    replaced: list[str] = field(default_factory=list)  # quotes of the gold units it replaced
    carried: int = 0  # gold relations moved from the replaced units onto it
    dropped: int = 0  # gold relations of the replaced units that could not be moved
    restated: bool = False  # gold had this unit with other attributes: now it has these


def _quote(text: str, spans: Spans) -> str:
    return " … ".join(text[start:end] for start, end in spans)


def _same_label_overlaps(in_gold: dict[UnitKey, ArgumentUnit], key: UnitKey) -> list[UnitKey]:
    """The keys of gold's units with `key`'s label whose spans overlap it (not itself)."""
    return sorted(k for k in in_gold if k != key and k[0] == key[0] and overlaps(k[1], key[1]))


def _replace(gold: Layer, new: ArgumentUnit, old: list[ArgumentUnit], user) -> tuple[int, int]:
    """Delete the `old` gold units and move their gold relations onto `new`; a relation
    that would link `new` to itself, or two units gold already links, is dropped.
    Returns (carried, dropped)."""
    old_ids = {unit.pk for unit in old}
    moved = Relation.objects.filter(Q(source_id__in=old_ids) | Q(target_id__in=old_ids), layer=gold)
    moved = list(moved.select_related("type", "source", "target").order_by("pk"))
    kept = {
        relations.pair(*ends)
        for ends in Relation.objects.filter(layer=gold)
        .exclude(Q(source_id__in=old_ids) | Q(target_id__in=old_ids))
        .values_list("source_id", "target_id")
    }
    for unit in old:
        unit.layer = gold
        units.delete_unit(unit=unit, user=user)
    carried = 0
    for relation in moved:
        source = new if relation.source_id in old_ids else relation.source
        target = new if relation.target_id in old_ids else relation.target
        if source.pk == target.pk or relations.pair(source.pk, target.pk) in kept:
            continue
        relations.create_relation(layer=gold, type=relation.type, source=source, target=target, user=user)
        kept.add(relations.pair(source.pk, target.pk))
        carried += 1
    return carried, len(moved) - carried


@transaction.atomic
@changes.one_step()
def adopt_unit(*, unit: ArgumentUnit, user, overlap: str = ASK) -> Adoption:
    """Copy an annotator's unit (label, spans, attributes, note) into the gold layer,
    reusing a gold unit of the same label and spans if there is one (given this unit's
    attributes, if its own differ, and its note, if it has one: a unit without a note
    leaves gold's note as it is), and with it the unit's relations (incoming
    and outgoing, in the annotator's layer) whose other unit gold already has. So a
    relation follows as soon as both its units are in gold, whichever came first.

    When gold has units of the same label that overlap this one, `overlap` decides:
    "ask" (the default) refuses with `OverlapError`, "replace" deletes them and moves
    their gold relations onto the new unit, "add" adds it beside them. Refused with
    `LayerFinishedError` when curation is finished. Nothing changes when refused. What
    it changes is one step: one Ctrl+Z in gold undoes all of it."""
    if overlap not in (ASK, REPLACE, ADD):
        raise AnnotationError(f"Unknown choice “{overlap}”: replace or add.")
    layer = unit.layer
    if layer.is_gold:
        raise AnnotationError("This unit is already in the gold layer.")
    gold = gold_layer(layer.article, user)
    units.ensure_open(gold)
    text = layer.article.text
    in_gold = _gold_units(gold)
    keys = _keys_of(layer_content.read_one(layer, relations=False))
    key = keys[unit.pk]
    gold_unit, created = in_gold.get(key), key not in in_gold
    replaced, carried, dropped, restated = [], 0, 0, False
    if not created and gold_unit.attributes != unit.attributes:
        gold_unit.layer = gold
        cleared = {name: "" for name in gold_unit.attributes}
        units.update_unit(unit=gold_unit, user=user, attributes={**cleared, **unit.attributes})
        restated = True
    if not created and unit.note and gold_unit.note != unit.note:
        gold_unit.layer = gold
        units.update_unit(unit=gold_unit, user=user, note=unit.note)
    if created:
        rivals = _same_label_overlaps(in_gold, key)
        if rivals and overlap == ASK:
            quotes = [_quote(text, rival[1]) for rival in rivals]
            name = unit.label.name
            some = f"a {name} that overlaps" if len(rivals) == 1 else f"{len(rivals)} {name} units that overlap"
            raise OverlapError(f"Gold already has {some} this one: {', '.join(f'“{q}”' for q in quotes)}.", quotes)
        gold_unit = units.create_unit(
            layer=gold, label=unit.label, spans=list(key[1]), user=user, attributes=unit.attributes, note=unit.note
        ).unit
        if rivals and overlap == REPLACE:
            replaced = [_quote(text, rival[1]) for rival in rivals]
            carried, dropped = _replace(gold, gold_unit, [in_gold.pop(rival) for rival in rivals], user)
        in_gold[key] = gold_unit
    copied = []
    linked = Relation.objects.filter(Q(source=unit) | Q(target=unit), layer=layer).select_related("type")
    for relation in linked.order_by("pk"):
        source, target = in_gold.get(keys[relation.source_id]), in_gold.get(keys[relation.target_id])
        if source and target and (copy := _link(gold, relation.type, source, target, user)):
            copied.append(copy)
    return Adoption(gold_unit, created, copied, _quote(text, key[1]), replaced, carried, dropped, restated)


@dataclass
class MajorityResult:
    units: int  # units added to gold
    relations: int  # relations added to gold
    left_out: int = 0  # units agreed on but left out: they overlap a gold unit of the same label
    split: int = 0  # units agreed on but left out: no majority of their annotators agrees on an attribute
    wordless: int = 0  # units agreed on but left out: no letter or digit, so never a unit (units.has_word)


@transaction.atomic
@changes.one_step()
def adopt_majority(*, article: Article, user, minimum: int) -> MajorityResult:
    """Adopt every unit that at least `minimum` annotators of the article marked alike,
    then every relation that at least `minimum` annotators drew (same type) between
    units gold now has. Units and relations gold already has are left as they are.

    A unit takes the value a strict majority of the annotators who marked it gave each
    attribute (`majority_attributes`); a unit they split on (ann For, ben Against) is
    left out and counted, for the curator to adopt the one they choose.
    A unit that overlaps a gold unit of the same label is left out (and counted), so
    adopting never puts two overlapping units of one label into gold unasked: the
    units most annotators agree on go first, and of two equally agreed overlapping
    units the earlier in the text. Refused with `LayerFinishedError` when curation is
    finished. One step: one Ctrl+Z in gold undoes all of it."""
    annotator_layers = list(article.layers.annotator_layers().order_by("annotator__username"))
    if not 1 <= minimum <= max(len(annotator_layers), 1):
        raise AnnotationError(f"The minimum must be between 1 and {len(annotator_layers)} annotators.")
    gold = gold_layer(article, user)
    units.ensure_open(gold)
    in_gold = _gold_units(gold)
    labels = {label.pk: label for label in Label.objects.filter(project=article.project)}
    votes: Counter[UnitKey] = Counter()
    attributes: dict[UnitKey, list[dict]] = {}
    link_votes: Counter[RelationKey] = Counter()
    for content in layer_content.read([layer.pk for layer in annotator_layers]).values():
        keys = _keys_of(content)
        votes.update(set(keys.values()))
        for row in content.units:
            attributes.setdefault(keys[row.id], []).append(row.attributes)
        link_votes.update({(keys[r.source_id], keys[r.target_id], r.type_id) for r in content.relations})
    added = left_out = split = wordless = 0
    text = article.text
    for key, count in sorted(votes.items(), key=lambda item: (-item[1], item[0][1])):
        if count < minimum or key in in_gold:
            continue
        if not units.has_word(text, key[1]):  # imported, or made before units needed a word
            wordless += 1
            continue
        if _same_label_overlaps(in_gold, key):
            left_out += 1
            continue
        common = majority_attributes(attributes[key])
        if common is None:
            split += 1
            continue
        in_gold[key] = units.create_unit(
            layer=gold, label=labels[key[0]], spans=list(key[1]), user=user, attributes=common
        ).unit
        added += 1
    relation_types = {rt.pk: rt for rt in RelationType.objects.filter(project=article.project)}
    linked = 0
    for (source, target, type_id), count in link_votes.items():
        if count >= minimum and source in in_gold and target in in_gold:
            linked += bool(_link(gold, relation_types[type_id], in_gold[source], in_gold[target], user))
    return MajorityResult(added, linked, left_out, split, wordless)


def majority_attributes(given: list[dict]) -> dict | None:
    """The attributes more than half of `given` (the attributes of one unit as each of
    its annotators gave them) agree on, attribute by attribute, a value left unset
    counting as a value; None when some attribute has no such majority."""
    common = {}
    for name in sorted({name for attributes in given for name in attributes}):
        value, count = Counter(attributes.get(name) for attributes in given).most_common(1)[0]
        if 2 * count <= len(given):
            return None
        if value is not None:
            common[name] = value
    return common


# --- Gold's suggestions ------------------------------------------------------------------


@dataclass
class Decision:
    changed: Changed
    what: str  # the suggestion, in words: "Claim “…”"


def _decide(article: Article, suggestion_id: int, decide) -> Decision:
    gold = Layer.objects.select_for_update().filter(article=article, annotator__isnull=True).order_by("pk").first()
    if gold is None:
        raise units.NotFoundError("There is no gold layer yet, so no suggestion for it: reload the page.")
    gold.article = article
    suggestion = (
        Suggestion.objects.filter(pk=suggestion_id, layer=gold).select_related("label", "relation_type").first()
    )
    if suggestion is None:
        raise units.NotFoundError("That suggestion is no longer there: reload the page.")
    text = article.text
    if suggestion.kind == Suggestion.Kind.UNIT:
        what = f"{suggestion.label.name} “{_quote(text, (suggestion.span,))}”"
    else:
        ends = (_quote(text, (suggestion.span,)), _quote(text, (suggestion.target_span,)))
        what = f"{suggestion.relation_type.name} from “{ends[0]}” to “{ends[1]}”"
    return Decision(decide(layer=gold, suggestion_id=suggestion_id), what)


@transaction.atomic
def adopt_suggestion(*, article: Article, suggestion_id: int, user) -> Decision:
    """Accept one of gold's suggestions into gold (`suggestions.accept`): one step of
    gold's history, its change record naming the suggestion. Refused when there is no
    gold, the suggestion is not gold's, or curation is finished."""
    return _decide(article, suggestion_id, lambda **kwargs: suggestions.accept(**kwargs, user=user))


@transaction.atomic
def reject_suggestion(*, article: Article, suggestion_id: int, user) -> Decision:
    """Reject one of gold's suggestions (`suggestions.reject`): a change of gold, undone there."""
    return _decide(article, suggestion_id, lambda **kwargs: suggestions.reject(**kwargs, user=user))


@transaction.atomic
def finish_curation(*, article: Article, user) -> Layer:
    """Mark the article's gold layer finished: curation of this article is done."""
    gold = gold_layer(article, user)
    if gold.status != Layer.Status.FINISHED:
        set_status(layer=gold, status=Layer.Status.FINISHED, user=user)
    return gold


@transaction.atomic
def reopen_curation(*, article: Article, user) -> bool:
    """Reopen the article's finished gold layer, so that it can be changed again.
    Returns whether there was a finished gold layer to reopen."""
    gold = Layer.objects.select_for_update().filter(article=article, annotator__isnull=True).order_by("pk").first()
    if gold is None or gold.status != Layer.Status.FINISHED:
        return False
    gold.article = article
    set_status(layer=gold, status=Layer.Status.IN_PROGRESS, user=user)
    return True
