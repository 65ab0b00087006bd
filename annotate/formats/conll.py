"""CoNLL/BIO export: one token per line, the input of sequence-tagging research code.

Each layer of each article is one document::

    # article: 17 Did Trump Flinch?
    # layer: gold
    1	We	B-Claim
    2	must	I-Claim
    3	act	I-Claim
    4	.	O
    <blank line>
    1	So	O
    …
    <blank line>

The two comment lines name the article (id, then title) and the layer's owner
(annotator or "gold") so a reader can map predictions back; a `# left out: …` line
follows for each unit or relation of the layer the document does not write, or writes
in part (see below). Then come the paragraphs,
each ended by a blank line, one token a line: `index<TAB>token<TAB>tag`, the index
counting from 1 in each paragraph. A paragraph is the text between blank lines (lines
holding only white space count as blank); a single line break does not end one. An
article without layers writes nothing.

Tokens are those of `annotate.tokens.tokenize`, the ones the workspace snaps
selections to: a word (letters, digits and their combining marks, with inner
apostrophes, hyphens or dots: "don’t", "face-saving", "U.S") or any other single
grapheme that is not white space (a punctuation mark, an emoji such as 👍🏽 with its
skin-tone modifier). Tokens never hold white space, so a line always has three fields.

Tags are `O`, `B-Label` and `I-Label`, and always valid BIO: an `I-X` only ever follows
a `B-X` or `I-X` of the same unit. A reader sees one unit per segment (a `B-` and the
`I-`s after it), so every segment the file holds is exactly one unit, whole or its
first piece, and a unit is never written as two segments. What BIO can say:

- A token counts as inside a unit if any of its characters is inside one of the
  unit's spans (a selection that cuts a word still tags the word).
- A unit's tokens fall in pieces: runs of consecutive tokens in one paragraph. A
  unit of one piece is written whole. A discontinuous unit, or one that crosses a
  paragraph break, is written as its first piece; its other pieces are tagged `O`
  (or with another unit) and listed as left out: "T3 (Premise, discontinuous) is
  written as its first piece; 1 more piece left out".
- BIO gives a token one unit. Units claim their tokens in text order (by start, of
  units starting together the longest first, then the earlier in the layer); a unit
  whose first piece shares a token with a unit written before it is not written at
  all and is listed: "T4 (Premise) lies inside T1 (Claim); …" (nested: it is one
  piece, all of whose tokens are written already) or "… overlaps …", naming the unit
  that holds its first such token.
- Label names with white space have it written as "_" (readers split on it).

The encodings of Eger, Daxenberger & Gurevych (2017), "Neural End-to-End Learning
for Computational Argumentation Mining", are options:

- `stance=True` appends a unit's `stance` attribute: `B-Claim:For`.
- `relations=True` appends, for a written unit that is the source of a relation, the
  distance to its target in segments of the document (the written units in text
  order; negative when the target comes earlier) and the relation type as Eger et al.
  name it ("supports" → Support, "attacks" → Attack, another type capitalised):
  `B-Premise:-1:Support`. A distance always counts the segments a reader sees and
  lands on the target's. A relation whose source or target is not written is left
  out and listed; so is every relation after the first (in the layer's order) from
  the same source, as a tag holds one. With both options the stance comes first.
"""

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotate.formats.losses import Loss, LossReport
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, UnitRecord
from annotate.tokens import tokenize

EXTENSION = ".conll"
CONTENT_TYPE = "text/plain; charset=utf-8"
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
RELATION_NAMES = {"supports": "Support", "attacks": "Attack"}


def export(
    articles: Iterable[ArticleRecord],
    *,
    stance: bool = False,
    relations: bool = False,
    report: LossReport | None = None,
) -> Iterator[str]:
    """Yield one document (see the module docstring) per layer of each article, lazily;
    what each leaves out goes to `report` as well as to the document's header."""
    for article in articles:
        # Tokenising is most of the work, and the layers of an article share their tokens.
        tokens = tokenize(article.text)
        for layer in article.layers:
            yield document(article, layer, stance=stance, relations=relations, tokens=tokens, report=report)


def document(
    article: ArticleRecord,
    layer: LayerRecord,
    *,
    stance: bool = False,
    relations: bool = False,
    tokens: list[tuple[int, int]] | None = None,
    report: LossReport | None = None,
) -> str:
    """The CoNLL document of one layer of `article`: comment lines (what it leaves out
    among them), then its paragraphs. `tokens` are the article text's, when the caller
    has them already."""
    tagging = tag(article, layer, stance=stance, relations=relations, tokens=tokens)
    title = " ".join(article.title.split())
    lines = [f"# article: {article.id} {title}".rstrip(), f"# layer: {layer.owner}"]
    for loss in tagging.losses:
        lines.append(f"# left out: {loss.says}")
        if report is not None:
            report.add(loss)
    for paragraph in tagging.paragraphs:
        lines += [f"{index}\t{token}\t{tag}" for index, (token, tag) in enumerate(paragraph, start=1)]
        lines.append("")
    if not tagging.paragraphs:
        lines.append("")
    return "".join(line + "\n" for line in lines)


@dataclass
class Tagging:
    # The `(token, tag)` pairs of each paragraph.
    paragraphs: list[list[tuple[str, str]]]
    # The ids of the units written, in the order of their segments.
    written: list[str]
    losses: list[Loss]


def tagged_paragraphs(
    text: str,
    layer: LayerRecord,
    *,
    stance: bool = False,
    relations: bool = False,
    tokens: list[tuple[int, int]] | None = None,
) -> list[list[tuple[str, str]]]:
    """The `(token, tag)` pairs of each paragraph of `text`, tagged from `layer`."""
    article = ArticleRecord(title="", text=text)
    return tag(article, layer, stance=stance, relations=relations, tokens=tokens).paragraphs


def tag(
    article: ArticleRecord,
    layer: LayerRecord,
    *,
    stance: bool = False,
    relations: bool = False,
    tokens: list[tuple[int, int]] | None = None,
) -> Tagging:
    """Tag the tokens of `article` from `layer` as the module docstring says, with
    what the tags leave out."""
    text = article.text
    tokens = tokenize(text) if tokens is None else tokens
    breaks = [match.start() for match in PARAGRAPH_BREAK.finditer(text)]
    paragraph_of = [bisect_right(breaks, start) for start, _ in tokens]
    owners, written, losses = _segments(article, layer, tokens, paragraph_of)
    names, relation_losses = _tag_names(article, layer, written, stance=stance, relations=relations)
    paragraphs: list[list[tuple[str, str]]] = []
    for index, (start, end) in enumerate(tokens):
        new_paragraph = index == 0 or paragraph_of[index] != paragraph_of[index - 1]
        if new_paragraph:
            paragraphs.append([])
        owner = owners[index]
        if owner is None:
            tag = "O"
        elif new_paragraph or owners[index - 1] != owner:
            tag = f"B-{names[owner]}"
        else:
            tag = f"I-{names[owner]}"
        paragraphs[-1].append((text[start:end], tag))
    return Tagging(paragraphs, [layer.units[index].id for index in written], losses + relation_losses)


def _pieces(unit: UnitRecord, starts: list[int], ends: list[int], paragraph_of: list[int]) -> list[list[int]]:
    """The unit's tokens (those sharing a character with one of its spans; `starts` and
    `ends` are the tokens') in runs that are one segment each: consecutive tokens of one
    paragraph."""
    ranges = [range(bisect_right(ends, span.start), bisect_left(starts, span.end)) for span in unit.spans]
    # Two spans of one unit may share a token, each cutting the same word.
    indexes = list(ranges[0]) if len(ranges) == 1 else sorted({index for tokens in ranges for index in tokens})
    pieces: list[list[int]] = []
    for index in indexes:
        if pieces and pieces[-1][-1] == index - 1 and paragraph_of[index] == paragraph_of[index - 1]:
            pieces[-1].append(index)
        else:
            pieces.append([index])
    return pieces


def _segments(
    article: ArticleRecord, layer: LayerRecord, tokens: list[tuple[int, int]], paragraph_of: list[int]
) -> tuple[list[int | None], list[int], list[Loss]]:
    """Which unit (by index) each token is tagged with; the units written, in text
    order; and the units left out or written in part."""
    units = layer.units
    starts = [start for start, _ in tokens]
    ends = [end for _, end in tokens]
    owners: list[int | None] = [None] * len(tokens)
    written: list[int] = []
    losses: list[Loss] = []
    for unit_index in _text_order(units):
        unit = units[unit_index]
        pieces = _pieces(unit, starts, ends, paragraph_of)
        if not pieces:
            continue
        taken = [owners[index] for index in pieces[0] if owners[index] is not None]
        if taken:
            other = units[taken[0]]
            inside = len(pieces) == 1 and len(taken) == len(pieces[0])
            kind, verb = ("nested", "lies inside") if inside else ("overlapping", "overlaps")
            says = f"{unit.id} ({unit.label}) {verb} {other.id} ({other.label}); BIO gives a token one unit"
            losses.append(Loss(article.id, layer.owner, kind, unit.id, says))
            continue
        for index in pieces[0]:
            owners[index] = unit_index
        written.append(unit_index)
        if len(pieces) > 1:
            shape = "discontinuous" if len(unit.spans) > 1 else "across a paragraph break"
            more = len(pieces) - 1
            says = (
                f"{unit.id} ({unit.label}, {shape}) is written as its first piece; "
                f"{more} more piece{'s' if more > 1 else ''} left out"
            )
            losses.append(Loss(article.id, layer.owner, "split", unit.id, says))
    return owners, written, losses


def _text_order(units: list[UnitRecord]) -> list[int]:
    """Unit indexes in text order, which is also the order in which units claim tokens."""

    def key(index: int) -> tuple[int, int, int]:
        spans = units[index].spans
        return (min(span.start for span in spans), -sum(span.end - span.start for span in spans), index)

    return sorted((index for index, unit in enumerate(units) if unit.spans), key=key)


def _tag_names(
    article: ArticleRecord, layer: LayerRecord, written: list[int], *, stance: bool, relations: bool
) -> tuple[dict[int, str], list[Loss]]:
    """The tag of each written unit (by index), without its B-/I- prefix, and the
    relations left out."""
    rank = {layer.units[index].id: position for position, index in enumerate(written)}
    outgoing: dict[str, RelationRecord] = {}
    losses = []
    if relations:
        for relation in layer.relations:
            says = f"{relation.id} ({relation.source} {relation.type} {relation.target})"
            missing = [unit for unit in (relation.source, relation.target) if unit not in rank]
            if missing:
                says += f": {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not written"
            elif relation.source in outgoing:
                says += f": {relation.source} has {outgoing[relation.source].id}, and a tag holds one relation"
            else:
                outgoing[relation.source] = relation
                continue
            losses.append(Loss(article.id, layer.owner, "relation", relation.id, says))
    names = {}
    for index in written:
        unit = layer.units[index]
        name = _no_space(unit.label)
        if stance and unit.attributes.get("stance"):
            name += f":{_no_space(unit.attributes['stance'])}"
        if relation := outgoing.get(unit.id):
            distance = rank[relation.target] - rank[unit.id]
            type_name = RELATION_NAMES.get(relation.type, relation.type[:1].upper() + relation.type[1:])
            name += f":{distance}:{_no_space(type_name)}"
        names[index] = name
    return names, losses


@functools.lru_cache(maxsize=256)  # a scheme's few names, asked for once a unit
def _no_space(name: str) -> str:
    return re.sub(r"\s+", "_", name)
