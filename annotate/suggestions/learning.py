"""The suggestion model: a sequence tagger and a relation classifier trained on a
project's own finished layers (docs/suggestions.md, "The model").

- The tagger is a linear-chain CRF (CRFsuite) over the tokens of
  `annotate.tokens.tokenize`, one sequence a paragraph, tagged BIO over the project's
  labels exactly as the CoNLL export writes them (`annotate.formats.conll`).
- The relation classifier is a softmax regression (numpy) over ordered pairs of units
  of one paragraph or of adjacent ones, whose classes are "none" and the project's
  relation types.

`train` reads what a model may learn from (`training_layers`: finished gold layers, and
finished annotator layers only in a project that is not blind), holds out a fifth of
the articles to measure it, then trains again on all of them for the version it
stores. `predict` tags one article with a stored version, fast enough to run when the
workspace opens (the tagger is opened once per process and version).
"""

from __future__ import annotations

import hashlib
import os
import resource
import tempfile
import time
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pycrfsuite
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annotate import job_limits, tokens
from annotate.agreement import align_units
from annotate.formats import conll
from annotate.formats.records import LayerRecord, SpanRecord, UnitRecord
from annotate.models import (
    ArgumentUnit,
    Cancelled,
    Label,
    Layer,
    Project,
    Relation,
    RelationType,
    Span,
    Suggestion,
    SuggestionModel,
)
from annotate.suggestions import markers as marker_hints

NONE = "none"
HELD_OUT_SHARE = 0.2
WINDOW = 1  # a relation pair's units are at most this many paragraphs apart
FIXED_PAIR_FEATURES = 12  # the pair features before the markers' and the labels'


class TrainingError(Exception):
    """A training that cannot go on; its message is stored with the failed version."""


@dataclass
class Predicted:
    units: list[tuple[Label, tuple[int, int], float]] = field(default_factory=list)
    relations: list[tuple[RelationType, tuple[int, int], tuple[int, int], float]] = field(default_factory=list)


# --- An article's text, read once --------------------------------------------------------


@dataclass
class Text:
    """What features are made from: the tokens of a text with their paragraph and
    sentence, and the markers in it."""

    text: str
    tokens: list[tuple[int, int]]
    paragraph_of: list[int]
    sentence_of: list[int]
    paragraphs: list[list[int]]  # token indexes of each paragraph
    sentence_count: int
    marker_of: list[str]  # per token: "" or the kind of marker it is part of
    marker_starts: list[tuple[int, str]]  # (offset, kind) of every marker, in order

    @cached_property
    def marker_offsets(self) -> list[int]:
        return [offset for offset, _ in self.marker_starts]

    @classmethod
    def read(cls, text: str, markers: dict[str, list[str]]) -> Text:
        found = tokens.tokenize(text)
        starts = [start for start, _ in found]
        breaks = [match.start() for match in conll.PARAGRAPH_BREAK.finditer(text)]
        paragraph_of = [bisect_right(breaks, start) for start in starts]
        sentence_starts = [start for start, _ in marker_hints.sentences(text)]
        sentence_of = [max(0, bisect_right(sentence_starts, start) - 1) for start in starts]
        paragraphs: list[list[int]] = []
        for index in range(len(found)):
            if index == 0 or paragraph_of[index] != paragraph_of[index - 1]:
                paragraphs.append([])
            paragraphs[-1].append(index)
        marker_of = [""] * len(found)
        marker_starts = []
        pattern = marker_hints._pattern(markers)
        if pattern is not None:
            kind_of = {marker: kind for kind in reversed(marker_hints.KINDS) for marker in markers[kind]}
            for match in pattern.finditer(text):
                kind = kind_of.get(" ".join(match.group().lower().split()), "")
                marker_starts.append((match.start(), kind))
                first = bisect_right(starts, match.start()) - 1
                for index in range(max(first, 0), len(found)):
                    if found[index][0] >= match.end():
                        break
                    if found[index][1] > match.start():
                        marker_of[index] = kind
        return cls(text, found, paragraph_of, sentence_of, paragraphs, len(sentence_starts), marker_of, marker_starts)


def _shape(word: str) -> str:
    shape = []
    for character in word:
        kind = "X" if character.isupper() else "x" if character.isalpha() else "d" if character.isdigit() else character
        if not shape or shape[-1] != kind:
            shape.append(kind)
    return "".join(shape)[:6]


@dataclass(frozen=True)
class _Word:
    """A word's features as CRFsuite attributes ("name:value", or "name" for a flag;
    each weighs 1.0, as CRFsuite reads a dict's {"name": "value"} and {"name": 1.0}):
    its own, and those it gives the tokens two before and after it (`near[offset]`)."""

    own: tuple[str, ...]
    near: dict[int, tuple[str, ...]]


NEAR = (-2, -1, 1, 2)


@lru_cache(maxsize=100_000)
def _word(word: str) -> _Word:
    lower = word.lower()
    own = [f"w:{lower}", f"s3:{lower[-3:]}", f"s2:{lower[-2:]}", f"shape:{_shape(word)}"]
    punct = not any(character.isalnum() for character in word)
    if punct:
        own.append("punct")
    if word[:1].isupper():
        own.append("title")
    near = {offset: (f"{offset}:w:{lower}", *([f"{offset}:punct"] if punct else [])) for offset in NEAR}
    return _Word(tuple(own), near)


def sequence_features(read: Text, paragraph: list[int]) -> list[list[str]]:
    """The CRF's features of each token of one paragraph, as attributes: a word's own and
    its neighbours', its marker, and where it stands in its sentence, paragraph and text."""
    text, spans, marker_of = read.text, read.tokens, read.marker_of
    words = [_word(text[spans[index][0] : spans[index][1]]) for index in paragraph]
    sentence_of, paragraph_of = read.sentence_of, read.paragraph_of
    last_index = len(read.tokens) - 1
    last_paragraph = paragraph_of[-1] if paragraph_of else 0
    last_sentence = read.sentence_count - 1
    first_of_paragraph, last_of_paragraph = sentence_of[paragraph[0]], sentence_of[paragraph[-1]]
    length = len(paragraph)
    features = []
    for position, index in enumerate(paragraph):
        sentence = sentence_of[index]
        feature = ["bias", *words[position].own]
        if marker_of[index]:
            feature.append(f"marker:{marker_of[index]}")
        if index == 0 or sentence_of[index - 1] != sentence:
            feature.append("first_token_of_sentence")
        if index == last_index or sentence_of[index + 1] != sentence:
            feature.append("last_token_of_sentence")
        if paragraph_of[index] == 0:
            feature.append("first_paragraph")
        if paragraph_of[index] == last_paragraph:
            feature.append("last_paragraph")
        if sentence == 0:
            feature.append("first_sentence")
        if sentence == last_sentence:
            feature.append("last_sentence")
        if sentence == first_of_paragraph:
            feature.append("first_sentence_of_paragraph")
        if sentence == last_of_paragraph:
            feature.append("last_sentence_of_paragraph")
        for offset in NEAR:
            near = position + offset
            if 0 <= near < length:
                feature += words[near].near[offset]
                other = paragraph[near]
                if marker_of[other]:
                    feature.append(f"{offset}:marker:{marker_of[other]}")
                if sentence_of[other] != sentence:
                    feature.append(f"{offset}:other_sentence")
            else:
                feature.append(f"{offset}:edge")
        features.append(feature)
    return features


# --- Training data ------------------------------------------------------------------------


@dataclass
class Example:
    """One layer of one article, as the model learns from it."""

    article_id: int
    layer_id: int
    read: Text
    tags: list[list[str]]  # per paragraph, as the CoNLL export writes them
    units: list[tuple[str, tuple[int, int]]]  # (label, span) of each written segment
    relations: list[tuple[str, tuple[int, int], tuple[int, int]]]  # (type, source span, target span)
    rejected_units: list[tuple[int, int]] = field(default_factory=list)
    rejected_relations: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return len(self.read.tokens)


def training_layers(project: Project):
    """The layers a model of `project` may learn from: its finished gold layers, and in a
    project that is not blind its finished annotator layers too. A model never learns
    from a layer its viewer could not see: in a blind project an annotator sees only
    their own layer, so suggestions there come only from gold."""
    finished = Layer.objects.filter(article__project=project, status=Layer.Status.FINISHED)
    if project.blind:
        finished = finished.filter(annotator__isnull=True)
    return finished.order_by("article_id", "pk")


def _segments_of(tags: list[str]) -> list[tuple[str, int, int]]:
    """The `(label name as tagged, first, last)` positions of each segment of one
    paragraph's BIO `tags`: a B- and the I-s of the same name after it; an I- with
    nothing to continue begins one."""
    found = []
    current: list = []
    for position, tag in enumerate(tags):
        prefix, _, name = tag.partition("-")
        if prefix == "I" and current and current[0] == name:
            current[2] = position
            continue
        if current:
            found.append(tuple(current))
            current = []
        if prefix in ("B", "I"):
            current = [name, position, position]
    if current:
        found.append(tuple(current))
    return found


def segments(read: Text, tags: list[list[str]]) -> list[tuple[str, tuple[int, int]]]:
    """The `(label name as tagged, span)` of each segment of BIO `tags` (per paragraph of
    `read`)."""
    found = []
    for paragraph, paragraph_tags in zip(read.paragraphs, tags, strict=True):
        if len(paragraph) != len(paragraph_tags):
            raise ValueError("a paragraph's tags and tokens differ in number")
        for name, first, last in _segments_of(paragraph_tags):
            found.append((name, (read.tokens[paragraph[first]][0], read.tokens[paragraph[last]][1])))
    return found


def read_examples(project: Project, layers: list[Layer], progress=None) -> list[Example]:
    """The examples of `layers` (with their article): tags, units, relations and the
    rejected suggestions on them, in four queries whatever their number."""
    markers = marker_hints.markers_of(project.suggestion_markers)
    layer_ids = [layer.pk for layer in layers]
    label_names = {label.pk: label.name for label in project.scheme_labels}
    type_names = {each.pk: each.name for each in project.scheme_relation_types}
    spans: dict[int, list[tuple[int, int]]] = {}
    for unit_id, start, end in Span.objects.filter(unit__layer_id__in=layer_ids).values_list("unit_id", "start", "end"):
        spans.setdefault(unit_id, []).append((start, end))
    units_of: dict[int, list] = {}
    for unit_id, layer_id, label_id in ArgumentUnit.objects.filter(layer_id__in=layer_ids).values_list(
        "pk", "layer_id", "label_id"
    ):
        units_of.setdefault(layer_id, []).append(
            (unit_id, label_names.get(label_id, ""), sorted(spans.get(unit_id, [])))
        )
    relations_of: dict[int, list] = {}
    for layer_id, type_id, source, target in Relation.objects.filter(layer_id__in=layer_ids).values_list(
        "layer_id", "type_id", "source_id", "target_id"
    ):
        relations_of.setdefault(layer_id, []).append((type_names.get(type_id, ""), source, target))
    rejected_of: dict[int, list] = {}
    for row in Suggestion.objects.filter(layer_id__in=layer_ids, status=Suggestion.Status.REJECTED).values_list(
        "layer_id", "kind", "start", "end", "target_start", "target_end"
    ):
        rejected_of.setdefault(row[0], []).append(row[1:])
    examples = []
    texts: dict[int, Text] = {}
    for number, layer in enumerate(layers):
        if progress:
            progress("reading", number, len(layers))
        text = layer.article.text
        read = texts.get(layer.article_id) or texts.setdefault(layer.article_id, Text.read(text, markers))
        unit_rows = [row for row in units_of.get(layer.pk, []) if row[1] and row[2]]
        record = LayerRecord(
            owner="layer",
            units=[
                UnitRecord(id=str(pk), label=name, spans=[SpanRecord(s, e) for s, e in unit_spans])
                for pk, name, unit_spans in unit_rows
            ],
        )
        tagging = conll.tag(conll.ArticleRecord(title="", text=text), record, tokens=read.tokens)
        tags = [[tag for _, tag in paragraph] for paragraph in tagging.paragraphs]
        written = segments(read, tags)
        # A written unit's span as the tags say it (its first piece), by unit id.
        span_of = {}
        for unit_id, (_, span) in zip(tagging.written, written, strict=True):
            span_of[int(unit_id)] = span
        relations = [
            (name, span_of[source], span_of[target])
            for name, source, target in relations_of.get(layer.pk, [])
            if name and source in span_of and target in span_of
        ]
        example = Example(layer.article_id, layer.pk, read, tags, written, relations)
        for kind, start, end, target_start, target_end in rejected_of.get(layer.pk, []):
            if kind == Suggestion.Kind.UNIT:
                example.rejected_units.append((start, end))
            else:
                example.rejected_relations.append(((start, end), (target_start, target_end)))
        examples.append(example)
    return examples


def held_out_articles(article_ids: list[int]) -> set[int]:
    """The articles held out to measure a model: a fifth (at least one), chosen by a hash
    of their ids, so the same articles give the same split every time."""
    ordered = sorted(set(article_ids), key=lambda pk: hashlib.sha256(str(pk).encode()).hexdigest())
    return set(ordered[: max(1, round(len(ordered) * HELD_OUT_SHARE))])


# --- The tagger ---------------------------------------------------------------------------


def _tag_sequences(examples: list[Example]) -> list[tuple[list[dict], list[str]]]:
    """(features, tags) of each paragraph, and once more each paragraph in which a
    rejected unit suggestion lies on tokens the layer leaves outside every unit: a
    rejection says "no unit here", so those O tags weigh twice."""
    sequences = []
    for example in examples:
        read = example.read
        for paragraph, tags in zip(read.paragraphs, example.tags, strict=True):
            sequences.append((sequence_features(read, paragraph), tags))
        for start, end in example.rejected_units:
            for paragraph, tags in zip(read.paragraphs, example.tags, strict=True):
                inside = [
                    position
                    for position, index in enumerate(paragraph)
                    if read.tokens[index][0] < end and start < read.tokens[index][1]
                ]
                if inside and all(tags[position] == "O" for position in inside):
                    sequences.append((sequence_features(read, paragraph), tags))
    return sequences


class _Trainer(pycrfsuite.Trainer):
    def __init__(self, report, total: int):
        super().__init__(verbose=False)
        self.report, self.total, self.cancelled = report, total, None

    def on_iteration(self, log, info):
        if self.report:
            try:
                self.report(min(info.get("num", 0), self.total), self.total)
            except Cancelled as error:  # raised again once training returns
                self.cancelled = error


def train_tagger(examples: list[Example], *, report=None) -> bytes:
    """Train the CRF on `examples`; its model, as CRFsuite writes it."""
    iterations = settings.ANNOTATE_SUGGESTION_CRF_ITERATIONS
    trainer = _Trainer(report, iterations)
    for features, tags in _tag_sequences(examples):
        trainer.append(features, tags)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": iterations, "feature.possible_transitions": True})
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "tagger.crfsuite")
        trainer.train(path)
        if trainer.cancelled is not None:
            raise trainer.cancelled
        with open(path, "rb") as model:
            return model.read()


class _Opened:
    """A tagger opened from bytes, with the bytes: CRFsuite reads the model from that
    buffer as long as the tagger is used, so it must live as long as the tagger."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.tagger = pycrfsuite.Tagger()
        if hasattr(self.tagger, "open_inmemory"):
            self.tagger.open_inmemory(self.data)
        else:  # an older python-crfsuite: from a file
            with tempfile.NamedTemporaryFile(suffix=".crfsuite") as file:
                file.write(self.data)
                file.flush()
                self.tagger.open(file.name)

    def tag(self, features):
        return self.tagger.tag(features)

    def marginal(self, tag: str, position: int) -> float:
        return self.tagger.marginal(tag, position)


def open_tagger(data: bytes) -> _Opened:
    return _Opened(data)


def tag_text(tagger: _Opened, read: Text) -> list[tuple[str, tuple[int, int], float]]:
    """The units `tagger` finds in `read`: (label name as tagged, span, score), the score
    the mean marginal probability of the unit's tags."""
    found = []
    for paragraph in read.paragraphs:
        tags = tagger.tag(sequence_features(read, paragraph))
        for name, first, last in _segments_of(tags):
            span = (read.tokens[paragraph[first]][0], read.tokens[paragraph[last]][1])
            score = sum(tagger.marginal(tags[position], position) for position in range(first, last + 1))
            found.append((name, span, score / (last - first + 1)))
    return found


# --- The relation classifier --------------------------------------------------------------


@dataclass
class Unit:
    label: str
    span: tuple[int, int]
    paragraph: int
    sentence: int
    order: int  # its place among the text's units


def _units(read: Text, found: list[tuple[str, tuple[int, int]]]) -> list[Unit]:
    starts = [start for start, _ in read.tokens]
    placed = []
    for order, (label, span) in enumerate(sorted(found, key=lambda each: each[1])):
        index = max(0, bisect_right(starts, span[0]) - 1)
        placed.append(Unit(label, span, read.paragraph_of[index], read.sentence_of[index], order))
    return placed


def _pairs(units: list[Unit]) -> list[tuple[int, int]]:
    """The ordered pairs of units (indexes into `units`, by source then target) a
    relation is looked for between: two units at most WINDOW paragraphs apart."""
    paragraph = np.array([unit.paragraph for unit in units], dtype=int)
    near = np.abs(paragraph[:, None] - paragraph[None, :]) <= WINDOW
    np.fill_diagonal(near, False)
    return list(zip(*(each.tolist() for each in np.nonzero(near)), strict=True))


def _markers_between(read: Text, low: int, high: int) -> set[str]:
    """The kinds of the markers starting in `[low, high)` (found by halving)."""
    first, last = bisect_left(read.marker_offsets, low), bisect_left(read.marker_offsets, high)
    return {kind for _, kind in read.marker_starts[first:last]}


def _unit_markers(read: Text, unit: Unit) -> list[float]:
    """Whether a marker of each kind starts just before the unit (within 40 characters),
    then whether one starts inside it."""
    before = _markers_between(read, max(0, unit.span[0] - 40), unit.span[0] + 1)
    inside = _markers_between(read, unit.span[0], unit.span[1])
    return [float(kind in before) for kind in marker_hints.KINDS] + [
        float(kind in inside) for kind in marker_hints.KINDS
    ]


def pair_features(read: Text, units: list[Unit], pairs: list[tuple[int, int]], labels: list[str]) -> np.ndarray:
    """The classifier's features of each pair `(source, target)` of indexes into
    `units`, a row each: distance and order, paragraph and sentence, the markers before
    and inside each unit and between the two, and the two labels. Built a column at a
    time: a long article asks for thousands of pairs when it opens."""
    width = FIXED_PAIR_FEATURES + 5 * len(marker_hints.KINDS) + 2 * len(labels) + len(labels) ** 2
    if not pairs:
        return np.zeros((0, width))
    index = np.array(pairs, dtype=int)
    source, target = index[:, 0], index[:, 1]
    order = np.array([unit.order for unit in units], dtype=float)
    sentence = np.array([unit.sentence for unit in units], dtype=float)
    paragraph = np.array([unit.paragraph for unit in units], dtype=float)
    starts = np.array([unit.span[0] for unit in units], dtype=float)
    ends = np.array([unit.span[1] for unit in units], dtype=float)
    last_paragraph = read.paragraph_of[-1] if read.paragraph_of else 0
    step = order[target] - order[source]
    earlier = np.array([units[s].span < units[t].span for s, t in pairs], dtype=float)
    columns = [
        np.ones(len(pairs)),
        step / 5,
        np.abs(step) / 5,
        np.abs(step) == 1,
        np.minimum(np.abs(sentence[target] - sentence[source]), 10) / 5,
        sentence[source] == sentence[target],
        paragraph[source] == paragraph[target],
        earlier,
        paragraph[source] == 0,
        paragraph[target] == 0,
        paragraph[source] == last_paragraph,
        paragraph[target] == last_paragraph,
    ]
    # Between: from the source's end to the target's start when the source comes first
    # (the two ends in order), else from the target's end to the source's start.
    low = np.where(earlier == 1, np.minimum(ends[source], starts[target]), ends[target])
    high = np.where(earlier == 1, np.maximum(ends[source], starts[target]), starts[source])
    own = np.array([_unit_markers(read, unit) for unit in units], dtype=float)
    between = []
    for kind in marker_hints.KINDS:
        offsets = np.array([offset for offset, each in read.marker_starts if each == kind], dtype=float)
        between.append(np.searchsorted(offsets, high, side="left") > np.searchsorted(offsets, low, side="left"))
    label_of = np.array([labels.index(unit.label) if unit.label in labels else -1 for unit in units], dtype=int)
    one_hot = np.vstack([np.eye(len(labels)), np.zeros((1, len(labels)))])  # row -1: no label of the list
    pair_label = np.zeros((len(pairs), len(labels) ** 2))
    known = (label_of[source] >= 0) & (label_of[target] >= 0)
    pair_label[np.flatnonzero(known), (label_of[source] * len(labels) + label_of[target])[known]] = 1.0
    matrix = np.column_stack(
        [np.asarray(column, dtype=float) for column in columns]
        + [own[source], own[target], np.column_stack(between).astype(float)]
        + [one_hot[label_of[source]], one_hot[label_of[target]], pair_label]
    )
    return matrix


def _relation_data(examples: list[Example], labels: list[str], classes: list[str]):
    blocks, answers, weights = [], [], []
    for example in examples:
        units = _units(example.read, example.units)
        truth = {(source, target): name for name, source, target in example.relations}
        rejected = set(example.rejected_relations)
        pairs = _pairs(units)
        blocks.append(pair_features(example.read, units, pairs, labels))
        for source, target in pairs:
            spans = (units[source].span, units[target].span)
            name = truth.get(spans, NONE)
            answers.append(classes.index(name) if name in classes else 0)
            # A rejected suggestion between these units says "not this": a negative that weighs more.
            weights.append(3.0 if name == NONE and spans in rejected else 1.0)
    rows = np.vstack(blocks) if answers else np.zeros((0, 0))
    return rows, np.array(answers, dtype=int), np.array(weights, dtype=float)


def train_relations(examples: list[Example], labels: list[str], types: list[str]) -> dict:
    """A softmax regression over the pairs of `examples` (classes: none and `types`),
    by gradient descent with an L2 penalty: its weights as JSON."""
    classes = [NONE, *types]
    x, y, w = _relation_data(examples, labels, classes)
    weights = np.zeros((x.shape[1] if len(x) else 0, len(classes)))
    if len(x) and len(set(y.tolist())) > 1:
        # Balance the classes: relations are rare among all pairs.
        counts = np.bincount(y, minlength=len(classes)).astype(float)
        balance = np.where(counts > 0, len(y) / (len(classes) * np.maximum(counts, 1)), 0.0)
        w = w * balance[y]
        target = np.eye(len(classes))[y]
        rate, penalty = 0.5, 1e-3
        for _ in range(settings.ANNOTATE_SUGGESTION_RELATION_ITERATIONS):
            scores = x @ weights
            scores -= scores.max(axis=1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(axis=1, keepdims=True)
            gradient = x.T @ ((p - target) * w[:, None]) / w.sum() + penalty * weights
            weights -= rate * gradient
    # The labels a relation ever starts from in training (a Premise, not a MajorClaim):
    # no pair from another label is ever suggested.
    sources = sorted({source for example in examples for source in _source_labels(example)})
    return {"classes": classes, "labels": labels, "weights": weights.round(6).tolist(), "sources": sources}


def _source_labels(example: Example) -> set[str]:
    label_of = {span: label for label, span in example.units}
    return {label_of[source] for _, source, _ in example.relations if source in label_of}


def relation_scores(model: dict, read: Text, units: list[Unit]) -> list[tuple[Unit, Unit, str, float]]:
    """Each pair's most likely class and its probability, for the pairs whose most
    likely class is a relation type."""
    pairs = _pairs(units)
    if "sources" in model:
        pairs = [(source, target) for source, target in pairs if units[source].label in model["sources"]]
    if not pairs or not model.get("weights"):
        return []
    weights = np.array(model["weights"])
    scores = pair_features(read, units, pairs, model["labels"]) @ weights
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    best = p.argmax(axis=1)
    return [
        (units[source], units[target], model["classes"][best[row]], float(p[row, best[row]]))
        for row, (source, target) in enumerate(pairs)
        if best[row] != 0
    ]


def choose_relations(found: list[tuple[Unit, Unit, str, float]]) -> list[tuple[Unit, Unit, str, float]]:
    """At most one relation from each unit (its likeliest), and one per pair of units."""
    chosen: dict[tuple[int, int], tuple] = {}
    sources: set[int] = set()
    for each in sorted(found, key=lambda each: -each[3]):
        source, target = each[0], each[1]
        if source.order in sources or (target.order, source.order) in chosen:
            continue
        chosen[(source.order, target.order)] = each
        sources.add(source.order)
    return sorted(chosen.values(), key=lambda each: (each[0].span, each[1].span))


# --- Measuring ----------------------------------------------------------------------------


def _f1(matched: int, predicted: int, gold: int) -> dict:
    precision = matched / predicted if predicted else 0.0
    recall = matched / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "gold": gold,
        "predicted": predicted,
    }


def measure(tagger_bytes: bytes, relation_model: dict, examples: list[Example]) -> dict:
    """Span F1 (exact and overlap, as the agreement measures define them) and relation
    F1 of a model on `examples`, in all and by label and relation type. Relations are
    predicted between the examples' own (gold) units."""
    tagger = open_tagger(tagger_bytes)
    exact, overlap, predicted_n, gold_n = Counter(), Counter(), Counter(), Counter()
    relation_hits, relation_predicted, relation_gold = Counter(), Counter(), Counter()
    for example in examples:
        predicted = [(name, span) for name, span, _ in tag_text(tagger, example.read)]
        gold = example.units
        for name, _ in predicted:
            predicted_n[name] += 1
        for name, _ in gold:
            gold_n[name] += 1
        # Matched as the agreement page matches two annotators' units (`align_units`):
        # "exact" the same label and characters, "overlap" the same label and more than
        # half the longer unit's characters shared, one-to-one.
        for criterion, matched in (("exact", exact), ("overlap", overlap)):
            for one, _ in align_units(predicted, gold, criterion=criterion):
                matched[predicted[one][0]] += 1
        units = _units(example.read, gold)
        truth = {(source, target, name) for name, source, target in example.relations}
        for name, _, _ in example.relations:
            relation_gold[name] += 1
        for source, target, name, _ in choose_relations(relation_scores(relation_model, example.read, units)):
            relation_predicted[name] += 1
            if (source.span, target.span, name) in truth:
                relation_hits[name] += 1
    names = sorted(set(gold_n) | set(predicted_n))
    types = sorted(set(relation_gold) | set(relation_predicted))
    return {
        "exact": _f1(sum(exact.values()), sum(predicted_n.values()), sum(gold_n.values())),
        "overlap": _f1(sum(overlap.values()), sum(predicted_n.values()), sum(gold_n.values())),
        "relations": _f1(sum(relation_hits.values()), sum(relation_predicted.values()), sum(relation_gold.values())),
        "labels": {
            name: {
                "exact": _f1(exact[name], predicted_n[name], gold_n[name]),
                "overlap": _f1(overlap[name], predicted_n[name], gold_n[name]),
            }
            for name in names
        },
        "relation_types": {
            name: _f1(relation_hits[name], relation_predicted[name], relation_gold[name]) for name in types
        },
    }


# --- Training a version -------------------------------------------------------------------


def too_little_message(articles: int) -> str:
    needed = settings.ANNOTATE_SUGGESTION_MIN_ARTICLES
    return (
        f"Trained on {articles} curated article{'s' if articles != 1 else ''}; at least {needed} are needed "
        "before suggestions come from a model. Marker hints continue."
    )


def next_version(project: Project) -> SuggestionModel:
    """A new version of the project's model, in training, numbered after the last one
    (under the project's lock, so two trainings never take the same number)."""
    with transaction.atomic():
        job_limits.lock_project(project)
        last = SuggestionModel.objects.filter(project=project).aggregate(last=Max("version"))["last"] or 0
        return SuggestionModel.objects.create(project=project, version=last + 1, gold_only=project.blind)


def train(project: Project, *, job=None) -> SuggestionModel:
    """Train the next version of the project's model from what it may learn from now
    (`training_layers`), measure it on held-out articles, retrain on all of them and
    store it: READY, TOO_LITTLE (and never used) or FAILED (the one before stays in use)."""
    model = next_version(project)
    if job is not None:
        SuggestionModel.objects.filter(pk=model.pk).update(job=job)
        model.job = job
    started = time.monotonic()
    try:
        _train(project, model, job)
    except Exception as error:
        model.status = SuggestionModel.Status.FAILED
        model.message = str(error) if isinstance(error, TrainingError) else f"Training failed: {error!r}"
        model.tagger, model.relation_weights = b"", None
        if isinstance(error, Cancelled):
            model.message = "Training was cancelled."
        model.seconds = round(time.monotonic() - started, 3)
        model.finished_at = timezone.now()
        model.save()
        raise
    model.seconds = round(time.monotonic() - started, 3)
    model.peak_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model.finished_at = timezone.now()
    model.save()
    return model


def _train(project: Project, model: SuggestionModel, job) -> None:
    def progress(phase: str, done: int, total: int) -> None:
        if job is not None:
            job.report_progress(phase, done, total)

    layers = list(training_layers(project).select_related("article"))
    labels = [label.name for label in project.scheme_labels]
    types = [each.name for each in project.scheme_relation_types]
    examples = read_examples(project, layers, progress)
    with_units = sorted({example.article_id for example in examples if example.units})
    rejections = sum(len(each.rejected_units) + len(each.rejected_relations) for each in examples)
    model.trained_on = {
        "layers": [layer.pk for layer in layers],
        "articles": len({layer.article_id for layer in layers}),
        "gold": sum(1 for layer in layers if layer.annotator_id is None),
        "finished": sum(1 for layer in layers if layer.annotator_id is not None),
        "rejections": rejections,
        "tokens": sum(example.tokens for example in examples),
        "at": timezone.now().isoformat(),
    }
    limit = settings.ANNOTATE_SUGGESTION_MAX_TOKENS
    if model.trained_on["tokens"] > limit:
        raise TrainingError(
            f"The training set has {model.trained_on['tokens']:,} tokens, more than the {limit:,} "
            "ANNOTATE_SUGGESTION_MAX_TOKENS allows: nothing was trained, and the model before stays in use."
        )
    tagged = {name for example in examples for name, _ in example.units}
    missing = [name for name in labels if conll._no_space(name) not in tagged]
    if len(with_units) < settings.ANNOTATE_SUGGESTION_MIN_ARTICLES:
        model.status = SuggestionModel.Status.TOO_LITTLE
        model.message = too_little_message(len(with_units))
        return
    held = held_out_articles(with_units)
    learning = [each for each in examples if each.article_id not in held]
    testing = [each for each in examples if each.article_id in held]
    model.held_out = {
        "articles": sorted(held),
        "layers": [each.layer_id for each in testing],
    }
    tagger = train_tagger(learning, report=lambda done, total: progress("measuring the tagger", done, total))
    progress("measuring the relations", 0, 1)
    tagged_labels = [conll._no_space(name) for name in labels]
    relations = train_relations(learning, tagged_labels, types)
    progress("measuring", 0, len(testing))
    figures = measure(tagger, relations, testing)
    model.span_f1_exact = figures["exact"]["f1"]
    model.span_f1_overlap = figures["overlap"]["f1"]
    model.relation_f1 = figures["relations"]["f1"]
    model.scores = figures
    model.tagger = train_tagger(examples, report=lambda done, total: progress("training the tagger", done, total))
    progress("training the relations", 0, 1)
    model.relation_weights = train_relations(examples, tagged_labels, types)
    model.status = SuggestionModel.Status.READY
    if missing:
        model.message = (
            f"No unit of {', '.join(missing)} in the training set: "
            f"{'it is' if len(missing) == 1 else 'they are'} never suggested."
        )


# --- Predicting ---------------------------------------------------------------------------

_taggers: OrderedDict[int, tuple[_Opened, dict]] = OrderedDict()
TAGGERS_KEPT = 8


def _loaded(model: SuggestionModel) -> tuple[_Opened, dict]:
    """The version's tagger and relation weights, opened once per process (the last
    TAGGERS_KEPT versions used)."""
    if model.pk in _taggers:
        _taggers.move_to_end(model.pk)
        return _taggers[model.pk]
    stored = SuggestionModel.objects.filter(pk=model.pk).values_list("tagger", "relation_weights").get()
    loaded = (open_tagger(bytes(stored[0])), stored[1] or {})
    _taggers[model.pk] = loaded
    while len(_taggers) > TAGGERS_KEPT:
        _taggers.popitem(last=False)
    return loaded


def predict(model: SuggestionModel, text: str, project: Project) -> Predicted:
    """The units and relations version `model` suggests for `text`: spans in code
    points, snapped as the project snaps selections; relations between those units."""
    tagger, relation_model = _loaded(model)
    read = Text.read(text, marker_hints.markers_of(project.suggestion_markers))
    labels = {conll._no_space(label.name): label for label in project.scheme_labels}
    types = {each.name: each for each in project.scheme_relation_types}
    found = []
    for name, span, score in tag_text(tagger, read):
        if name not in labels or not any(character.isalnum() for character in text[span[0] : span[1]]):
            continue
        snapped = tokens.trim(text, *span, keep_punctuation=project.snap_keeps_punctuation)  # tags are on tokens
        found.append((name, snapped, score))
    predicted = Predicted(units=[(labels[name], span, round(score, 4)) for name, span, score in found])
    if relation_model.get("weights") and found:
        units = _units(read, [(name, span) for name, span, _ in found])
        for source, target, name, score in choose_relations(relation_scores(relation_model, read, units)):
            if name in types:
                predicted.relations.append((types[name], source.span, target.span, round(score, 4)))
    return predicted


__all__ = ["Predicted", "TrainingError", "predict", "train", "training_layers"]
