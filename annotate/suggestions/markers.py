"""Suggestions without a model: argumentative discourse markers.

From the first article, before any gold exists, the words that signal an argument's
parts suggest where units begin and end (at clause level) and which way a relation
runs. The default lists come from the argument-mining literature: the indicators of
Stab & Gurevych (2014, "Identifying Argumentative Discourse Structures in Persuasive
Essays"), Knott's (1996) taxonomy of discourse markers and the explicit connectives of
the Penn Discourse Treebank. A project edits them on its scheme page.

Three kinds, by what the words after the marker are:

- premise ("because", "for example"): a reason for what comes before it;
- conclusion ("therefore", "as a result"): what follows from what comes before;
- objection ("however", "although"): what goes against the other side.

How a sentence is read, for a marker at a clause boundary (the sentence's start, or
after a comma, semicolon, colon or dash; "because" anywhere):

- ``X because Y`` (premise marker inside the sentence): Y is a premise supporting the
  claim X. ``Because Y, X`` (at the start, with a comma later): the same.
- ``For example, Y`` (at the start, a comma right after it; or no comma at all): Y is
  a premise supporting the sentence before.
- ``X, so Y`` / ``X; therefore Y``: X is a premise supporting the claim Y.
  ``Therefore, Y`` at the start: the sentence before supports the claim Y.
- ``X, but Y``: Y is a claim attacking X. ``However, Y`` at the start: Y attacks the
  sentence before. ``Although Y, X``: Y is a premise attacking the claim X.

The marker itself is never inside a unit (as annotators of the Argument Annotated
Essays left it out), nor is the punctuation around a clause. Plain data in, plain data
out; Django-free.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from annotate import tokens

PREMISE = "premise"
CONCLUSION = "conclusion"
OBJECTION = "objection"
KINDS = (PREMISE, CONCLUSION, OBJECTION)

DEFAULT: dict[str, list[str]] = {
    PREMISE: [
        "because",
        "since",
        "for example",
        "for instance",
        "in fact",
        "indeed",
        "given that",
        "as shown by",
        "as evidenced by",
        "the reason is that",
        "due to the fact that",
        "moreover",
        "furthermore",
        "in addition",
        "additionally",
        "besides",
        "firstly",
        "secondly",
        "first of all",
        "research shows",
        "studies show",
    ],
    CONCLUSION: [
        "therefore",
        "thus",
        "hence",
        "consequently",
        "as a result",
        "accordingly",
        "it follows that",
        "this means that",
        "so",
        "in conclusion",
        "to sum up",
        "clearly",
    ],
    OBJECTION: [
        "however",
        "but",
        "although",
        "though",
        "even though",
        "nevertheless",
        "nonetheless",
        "on the other hand",
        "admittedly",
        "yet",
        "whereas",
        "on the contrary",
        "critics argue",
        "opponents claim",
    ],
}

# Markers that begin a reason inside a sentence without a comma before them.
ANYWHERE = frozenset({"because", "given that", "due to the fact that"})

MAX_MARKERS = 200
MAX_MARKER_CHARS = 40

# Where a sentence ends: its closing marks and the quotation marks or brackets after
# them, before white space; or a paragraph break.
_SENTENCE_END = re.compile(r"(?<=[.!?…؟۔׃])[\"'”’»)\]]*\s+|\n\s*\n")
_CLAUSE_BREAK = frozenset(",;:—–")


@dataclass(frozen=True)
class Hint:
    """A unit the markers suggest: `role` "claim" or "premise", one span."""

    role: str
    span: tuple[int, int]


@dataclass(frozen=True)
class Link:
    """A relation the markers suggest, from one hinted span to another: "supports" or "attacks"."""

    source: tuple[int, int]
    target: tuple[int, int]
    kind: str


SUPPORTS = "supports"
ATTACKS = "attacks"


def markers_of(stored: dict | None) -> dict[str, list[str]]:
    """A project's markers: its own lists (`Project.suggestion_markers`) where it has
    them, the default elsewhere."""
    stored = stored or {}
    return {kind: list(stored.get(kind, DEFAULT[kind])) for kind in KINDS}


def fingerprint(markers: dict[str, list[str]]) -> str:
    """What the hints of a text depend on besides the text: made again when it changes."""
    return hashlib.sha256(json.dumps(markers, sort_keys=True).encode()).hexdigest()[:32]


def clean(kind: str, text: str) -> list[str]:
    """The markers one line each in `text`, as a project stores them: lower case, single
    spaces, no duplicates. Raises ValueError with a message for a list that cannot be."""
    found: list[str] = []
    for line in text.splitlines():
        marker = " ".join(line.lower().split())
        if not marker or marker in found:
            continue
        if len(marker) > MAX_MARKER_CHARS:
            raise ValueError(f"“{marker[:30]}…” is longer than {MAX_MARKER_CHARS} characters: a marker is a few words.")
        if not any(character.isalpha() for character in marker):
            raise ValueError(f"“{marker}” has no letter: a marker is a word or a few words.")
        found.append(marker)
    if len(found) > MAX_MARKERS:
        raise ValueError(f"At most {MAX_MARKERS} {kind} markers; this list has {len(found)}.")
    return found


def sentences(text: str) -> list[tuple[int, int]]:
    """The `[start, end)` of every sentence of `text` that holds a word."""
    found, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        found.append((start, match.start()))
        start = match.end()
    found.append((start, len(text)))
    return [(s, e) for s, e in found if any(character.isalnum() for character in text[s:e])]


def _pattern(markers: dict[str, list[str]]) -> re.Pattern | None:
    words = sorted({marker for kind in KINDS for marker in markers[kind]}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in word.split()) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The clause `[start, end)` without white space and punctuation at its edges, or
    None when no word is left."""
    if not any(character.isalnum() for character in text[start:end]):
        return None
    return tokens.snap(text, start, end)


@dataclass
class _Found:
    kind: str
    start: int
    end: int


def _markers_in(text: str, sentence: tuple[int, int], pattern: re.Pattern, kind_of: dict[str, str]) -> list[_Found]:
    """The markers of `sentence` at a clause boundary, in order."""
    start, end = sentence
    found = []
    for match in pattern.finditer(text, start, end):
        marker = " ".join(match.group().lower().split())
        before = text[start : match.start()].rstrip()
        at_start = not any(character.isalnum() for character in before)
        if at_start or before[-1:] in _CLAUSE_BREAK or marker in ANYWHERE:
            after = text[match.end() : match.end() + 1]
            if marker == "since" and text[match.end() :].lstrip()[:1].isdigit():
                continue  # "since 2010": a time, not a reason
            if after and (after.isalnum() or after == "-"):
                continue
            found.append(_Found(kind_of[marker], match.start(), match.end()))
    return found


def hints(text: str, markers: dict[str, list[str]]) -> tuple[list[Hint], list[Link]]:
    """The units and relations the markers suggest in `text`, units in text order, none
    overlapping another."""
    pattern = _pattern(markers)
    if pattern is None:
        return [], []
    kind_of = {marker: kind for kind in reversed(KINDS) for marker in markers[kind]}
    units: dict[tuple[int, int], str] = {}
    links: list[Link] = []
    previous: tuple[int, int] | None = None  # the last unit of the sentence before, or that sentence

    def unit(span: tuple[int, int] | None, role: str) -> tuple[int, int] | None:
        if span is None:
            return None
        if any(s < span[1] and span[0] < e for s, e in units if (s, e) != span):
            return None
        units.setdefault(span, role)
        return span

    def link(source, target, kind: str) -> None:
        if source and target and source != target:
            links.append(Link(source, target, kind))

    for sentence in sentences(text):
        start, end = sentence
        found = _markers_in(text, sentence, pattern, kind_of)
        if not found:
            previous = sentence
            continue
        last = None
        first = found[0]
        opening = not any(character.isalnum() for character in text[start : first.start])
        # The clauses between markers: each marker governs the text up to the next one.
        for index, marker in enumerate(found):
            clause_end = found[index + 1].start if index + 1 < len(found) else end
            after = (marker.end, clause_end)
            if index == 0 and opening:
                comma = text.find(",", marker.end, clause_end)
                right_after = (
                    not any(character.isalnum() for character in text[marker.end : comma]) if comma >= 0 else False
                )
                earlier = previous if previous is None or previous in units else _trim(text, *previous)
                if comma >= 0 and not right_after and marker.kind in (PREMISE, OBJECTION):
                    # "Because Y, X" / "Although Y, X"
                    reason = unit(_trim(text, marker.end, comma), "premise")
                    claim = unit(_trim(text, comma + 1, clause_end), "claim")
                    link(reason, claim, SUPPORTS if marker.kind == PREMISE else ATTACKS)
                    last = claim or reason
                    continue
                if marker.kind == PREMISE:
                    reason = unit(_trim(text, *after), "premise")
                    link(reason, unit(earlier, "claim") if earlier else None, SUPPORTS)
                    last = reason
                elif marker.kind == CONCLUSION:
                    claim = unit(_trim(text, *after), "claim")
                    link(unit(earlier, "premise") if earlier else None, claim, SUPPORTS)
                    last = claim
                else:
                    claim = unit(_trim(text, *after), "claim")
                    link(claim, unit(earlier, "claim") if earlier else None, ATTACKS)
                    last = claim
                continue
            # A marker inside the sentence: the clause before it and the one after.
            before_start = found[index - 1].end if index else start
            before = last if last is not None else _trim(text, before_start, marker.start)
            if marker.kind == PREMISE:
                claim = unit(before, units.get(before, "claim")) if before else None
                reason = unit(_trim(text, *after), "premise")
                link(reason, claim, SUPPORTS)
                last = reason
            elif marker.kind == CONCLUSION:
                reason = unit(before, "premise") if before else None
                claim = unit(_trim(text, *after), "claim")
                link(reason, claim, SUPPORTS)
                last = claim
            else:
                other = unit(before, units.get(before, "claim")) if before else None
                claim = unit(_trim(text, *after), "claim")
                link(claim, other, ATTACKS)
                last = claim
        previous = last if last is not None else sentence
    ordered = [Hint(role, span) for span, role in sorted(units.items())]
    kept = {hint.span for hint in ordered}
    return ordered, [each for each in links if each.source in kept and each.target in kept]
