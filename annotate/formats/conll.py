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
(annotator or "gold") so a reader can map predictions back. Then come the paragraphs,
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
a `B-X` or `I-X` of the same unit. Choices:

- A token counts as inside a unit if any of its characters is inside one of the
  unit's spans (a selection that cuts a word still tags the word).
- Units may overlap; BIO cannot. A token goes to the unit that starts first, and of
  units starting at the same offset to the longest (most characters), then the
  earlier in the layer. A unit whose tokens all go to others does not appear; one
  that loses tokens in its middle continues with a new `B-` after them, as does a
  discontinuous unit after its gap and a unit that crosses a paragraph break.
- Label names with white space have it written as "_" (readers split on it).

The encodings of Eger, Daxenberger & Gurevych (2017), "Neural End-to-End Learning
for Computational Argumentation Mining", are options:

- `stance=True` appends a unit's `stance` attribute: `B-Claim:For`.
- `relations=True` appends, for a unit that is the source of a relation, the distance
  to its target in units (all units of the layer in text order: by start, then
  longest first; negative when the target comes earlier) and the relation type as
  Eger et al. name it ("supports" → Support, "attacks" → Attack, another type
  capitalised): `B-Premise:-1:Support`. A unit that is the source of several
  relations takes the first in the layer. With both options the stance comes first.
"""

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

from annotate.formats.records import ArticleRecord, LayerRecord, UnitRecord
from annotate.tokens import tokenize

EXTENSION = ".conll"
CONTENT_TYPE = "text/plain; charset=utf-8"
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
RELATION_NAMES = {"supports": "Support", "attacks": "Attack"}


def export(articles: Iterable[ArticleRecord], *, stance: bool = False, relations: bool = False) -> Iterator[str]:
    """Yield one document (see the module docstring) per layer of each article, lazily."""
    for article in articles:
        # Tokenising is most of the work, and the layers of an article share their tokens.
        tokens = tokenize(article.text)
        for layer in article.layers:
            yield document(article, layer, stance=stance, relations=relations, tokens=tokens)


def document(
    article: ArticleRecord,
    layer: LayerRecord,
    *,
    stance: bool = False,
    relations: bool = False,
    tokens: list[tuple[int, int]] | None = None,
) -> str:
    """The CoNLL document of one layer of `article`: comment lines, then its paragraphs.
    `tokens` are the article text's, when the caller has them already."""
    title = " ".join(article.title.split())
    lines = [f"# article: {article.id} {title}".rstrip(), f"# layer: {layer.owner}"]
    paragraphs = tagged_paragraphs(article.text, layer, stance=stance, relations=relations, tokens=tokens)
    for paragraph in paragraphs:
        lines += [f"{index}\t{token}\t{tag}" for index, (token, tag) in enumerate(paragraph, start=1)]
        lines.append("")
    if not paragraphs:
        lines.append("")
    return "".join(line + "\n" for line in lines)


def tagged_paragraphs(
    text: str,
    layer: LayerRecord,
    *,
    stance: bool = False,
    relations: bool = False,
    tokens: list[tuple[int, int]] | None = None,
) -> list[list[tuple[str, str]]]:
    """The `(token, tag)` pairs of each paragraph of `text`, tagged from `layer`."""
    tokens = tokenize(text) if tokens is None else tokens
    owners = _token_owners(tokens, layer.units)
    names = _tag_names(layer, stance=stance, relations=relations)
    breaks = [match.start() for match in PARAGRAPH_BREAK.finditer(text)]
    paragraphs: list[list[tuple[str, str]]] = []
    previous_paragraph = None
    for index, (start, end) in enumerate(tokens):
        paragraph = bisect_right(breaks, start)
        new_paragraph = paragraph != previous_paragraph
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
        previous_paragraph = paragraph
    return paragraphs


def _text_order(units: list[UnitRecord]) -> list[int]:
    """Unit indexes in text order, which is also the order in which units claim tokens."""

    def key(index: int) -> tuple[int, int, int]:
        spans = units[index].spans
        return (min(span.start for span in spans), -sum(span.end - span.start for span in spans), index)

    return sorted((index for index, unit in enumerate(units) if unit.spans), key=key)


def _token_owners(tokens: list[tuple[int, int]], units: list[UnitRecord]) -> list[int | None]:
    """For each token, the index of the unit it is tagged with, or None."""
    starts = [start for start, _ in tokens]
    ends = [end for _, end in tokens]
    owners: list[int | None] = [None] * len(tokens)
    for unit_index in _text_order(units):
        for span in units[unit_index].spans:
            # The tokens that share at least one character with the span.
            for token_index in range(bisect_right(ends, span.start), bisect_left(starts, span.end)):
                if owners[token_index] is None:
                    owners[token_index] = unit_index
    return owners


def _tag_names(layer: LayerRecord, *, stance: bool, relations: bool) -> list[str]:
    """The tag of each unit, without its B-/I- prefix."""
    rank = {layer.units[index].id: position for position, index in enumerate(_text_order(layer.units))}
    outgoing = {}
    for relation in layer.relations:
        outgoing.setdefault(relation.source, relation)
    names = []
    for unit in layer.units:
        name = _no_space(unit.label)
        if stance and unit.attributes.get("stance"):
            name += f":{_no_space(unit.attributes['stance'])}"
        if relations and (relation := outgoing.get(unit.id)):
            distance = rank[relation.target] - rank[unit.id]
            type_name = RELATION_NAMES.get(relation.type, relation.type[:1].upper() + relation.type[1:])
            name += f":{distance}:{_no_space(type_name)}"
        names.append(name)
    return names


def _no_space(name: str) -> str:
    return re.sub(r"\s+", "_", name)
