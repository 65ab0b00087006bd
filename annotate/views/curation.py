"""Curation on one text: the article's lines as the workspace splits them
(`highlight.line_starts`), each followed by one lane per layer, gold on top and then
the annotators, holding that layer's units on the line.

A lane says which characters of the line each unit covers, in UTF-16 code units from
the start of the line (what the browser counts), so the page can draw each unit under
the words it covers. Every lane of a line has the same height, whatever it holds: a
unit that overlaps another unit of the same layer on a line gets a depth of its own
within its lane (`highlight.lanes`, as the workspace nests them) and is drawn inside
the lane beside it, so a layer's nested units never move the lanes under it. Lines
that no layer has a unit on get no lanes at all.

With suggestions on, gold's suggestions (what the workspace draws as ghosts in gold) get
a lane of their own under gold's, "Suggestions": hollow, dashed bars that adopt the
suggestion into gold, never counted as anyone's units.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from annotate import suggestions
from annotate.models import Label, RelationType
from annotate.offsets import code_point_to_utf16
from annotate.review import Review, ReviewLayer, ReviewUnit
from annotate.views import highlight, panel

SUGGESTED = "suggested"  # the verdict of a suggestion's bar


@dataclass
class LaneUnit:
    """A unit's pieces on one line of its layer's lane."""

    unit: ReviewUnit
    pieces: list[tuple[int, int]]  # (start, end) in UTF-16 code units from the line's start
    first: bool  # the unit begins on this line: the line where it is chosen and adopted
    row: int  # its lane's place among the line's lanes, 0 just under the text
    depth: int = 0  # within its lane: 0, or 1, 2, … for units nested in (overlapping) others

    @property
    def pieces_attribute(self) -> str:
        """The pieces as the page's script reads them: "0-12 30-45"."""
        return " ".join(f"{start}-{end}" for start, end in self.pieces)


@dataclass
class Lane:
    layer: ReviewLayer | None  # None: gold's suggestions
    depths: int = 1  # units that overlap within the layer are drawn at depths of their own
    units: list[LaneUnit] = field(default_factory=list)
    html: str = ""  # its units as the page shows them (`draw`)

    @property
    def is_gold(self) -> bool:
        return self.layer is not None and self.layer.layer.is_gold

    @property
    def is_suggestions(self) -> bool:
        return self.layer is None

    @property
    def name(self) -> str:
        if self.layer is None:
            return "Suggestions"
        return "Gold" if self.is_gold else self.layer.layer.owner_name


@dataclass
class Line:
    start: int  # code points into the article text
    text: str  # the line without its "\n"
    lanes: list[Lane] = field(default_factory=list)  # gold first; none when no layer has a unit here

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def rows(self) -> int:
        """The lanes under each row of the line's words: one per layer, however deep."""
        return len(self.lanes)


@dataclass
class SuggestedLink:
    """A suggested relation for gold, as the review lists it."""

    id: int
    type: RelationType
    source: str  # its ends' words
    target: str
    origin: str  # where it came from, in words


@dataclass
class GoldSuggestions:
    units: list[ReviewUnit]  # the suggestions' lane
    relations: list[SuggestedLink]
    # The model's are still to be made: the page asks for them once it is shown.
    pending: bool = False

    def __bool__(self) -> bool:
        return bool(self.units or self.relations)


def suggested(data: Review, *, defer_model: bool = False) -> GoldSuggestions | None:
    """Gold's suggestions (`suggestions.shown`, what the workspace draws as ghosts in
    gold): its units as the units of the suggestions' lane, and its relations; None when
    there is no gold to suggest for, or curation is finished (gold is read-only), so
    there is no such lane. `defer_model`: pending rather than wait for the model to tag
    the article."""
    if data.gold is None or data.finished or not data.article.project.suggestions:
        return None
    shown = suggestions.shown(data.gold.layer, data.gold.units, data.gold.relations, defer_model=defer_model)
    if shown.pending:
        return GoldSuggestions([], [], pending=True)
    text = data.article.text
    units = [
        ReviewUnit(
            id=ghost.id,
            layer_id=data.gold.layer.pk,
            number=0,
            label=ghost.label,
            attributes={},
            spans=(ghost.span,),
            quote=text[ghost.span[0] : ghost.span[1]],
            verdict=SUGGESTED,
            badge=f"from {panel.source_name(ghost.source, ghost.model_version)}",
        )
        for ghost in shown.units
    ]
    links = [
        SuggestedLink(
            link.id,
            link.type,
            Truncator(text[link.source_span[0] : link.source_span[1]]).chars(40),
            Truncator(text[link.target_span[0] : link.target_span[1]]).chars(40),
            f"from {panel.source_name(link.origin, link.model_version)}",
        )
        for link in shown.relations
    ]
    return GoldSuggestions(units, links)


def lines(data: Review, ghosts: list[ReviewUnit] | None = None) -> list[Line]:
    """The article's lines with the lanes of every layer of `data` on them, and under
    gold's, when `ghosts` (`suggested`) is given, the lane of gold's suggestions."""
    text = data.article.text
    starts = highlight.line_starts(text)
    ends = [*starts[1:], len(text)]
    result = [Line(start, text[start:end].removesuffix("\n")) for start, end in zip(starts, ends, strict=True)]
    layers = [*([data.gold] if data.gold else []), *([None] if ghosts is not None else []), *data.annotators]
    held = [ghosts if entry is None else entry.units for entry in layers]
    # Per layer: line index → unit id → the unit's pieces on that line.
    on_lines = [highlight.line_pieces(starts, ends, highlight.of(units)) for units in held]
    for index, line in enumerate(result):
        if not any(index in pieces for pieces in on_lines):
            continue
        line.lanes = [Lane(entry) for entry in layers]
    for lane_index, units in enumerate(held):
        by_id = {unit.id: unit for unit in units}
        seen: set[int] = set()
        for index, line in enumerate(result):
            cut = {}
            for unit_id, pieces in on_lines[lane_index].get(index, {}).items():
                # A unit that runs over a line break covers the "\n", which the line does not show.
                if shown := [(start, min(end, line.end)) for start, end in pieces if start < line.end]:
                    cut[unit_id] = shown
            if not cut:
                continue
            lane = line.lanes[lane_index]
            rows = highlight.lanes(
                [highlight.Highlight(unit_id, 0, "", tuple(pieces)) for unit_id, pieces in cut.items()]
            )
            lane.depths = max(rows.values()) + 1
            for unit_id, pieces in sorted(cut.items(), key=lambda item: (item[1][0], item[0])):
                utf16 = [(_utf16(line, start), _utf16(line, end)) for start, end in pieces]
                lane.units.append(LaneUnit(by_id[unit_id], utf16, unit_id not in seen, lane_index, rows[unit_id]))
                seen.add(unit_id)
    return result


# A lane's units, drawn in Python: a template partial per unit took most of the review's
# time (docs/benchmarks.md, "The review page"). Where a unit begins, a button that
# adopts it (in gold and in finished curation, a span), named by words only screen
# readers read (its verdict, then its attributes unless the verdict lists them); on later
# lines, its continuation. static/annotate/curation.js draws the bars.
CONTINUED = (
    '<span class="lane-unit label-{} verdict-{}{}" data-unit="{}" data-row="{}" data-depth="{}" data-pieces="{}" '
    'aria-hidden="true"></span>'
)
SHOWN = (
    '<span class="lane-unit label-{} verdict-{}{}" data-unit="{}" data-row="{}" data-depth="{}" '
    'data-pieces="{}" data-first{}>'
    '<span class="visually-hidden">{} “{}”: {}{}{}</span></span>'
)
ADOPTABLE = (
    '<button type="button" class="lane-unit label-{} verdict-{}{}" data-unit="{}" data-row="{}" data-depth="{}" '
    'data-pieces="{}" data-first data-start="{}" data-lane="{}" tabindex="-1" hx-post="{}" hx-target="#review" '
    'hx-swap="outerHTML"{}><span class="visually-hidden">Adopt {} “{}” from {}: {}{}{}{}</span></button>'
)
NOTED = ' title="Note: {}"'  # a unit with a note: the note shows as its title (and is read out)
# A suggestion for gold (its id "s7", apart from units' ids): adopted as a unit is, and
# rejected (`x`) at the address in data-reject.
SUGGESTION = (
    '<button type="button" class="lane-unit label-{} verdict-{}{}" data-unit="{}" data-row="{}" data-depth="{}" '
    'data-pieces="{}" data-first data-start="{}" data-lane="{}" tabindex="-1" hx-post="{}" data-reject="{}" '
    'hx-target="#review" hx-swap="outerHTML"><span class="visually-hidden">Adopt suggested {} “{}” ({}); '
    "x rejects it</span></button>"
)


def draw(
    lines: list[Line],
    *,
    finished: bool,
    adopt_url: Callable[[int], str],
    suggestion_url: Callable[[int, str], str] | None = None,
) -> None:
    """Give every lane of `lines` its units' HTML; `finished`: curation is, so nothing is
    adopted; `adopt_url(unit id)`: the address that adopts a unit;
    `suggestion_url(suggestion id, "accept" or "reject")`: the address that decides on a
    suggestion of the suggestions' lane."""
    for line in lines:
        for index, lane in enumerate(line.lanes):
            if lane.units:
                lane.html = format_html_join(
                    "",
                    "{}",
                    ((_unit_html(item, lane, index, finished, adopt_url, suggestion_url),) for item in lane.units),
                )


def _unit_html(
    item: LaneUnit,
    lane: Lane,
    index: int,
    finished: bool,
    adopt_url: Callable[[int], str],
    suggestion_url: Callable[[int, str], str] | None,
) -> str:
    unit = item.unit
    marks = (" in-gold" if unit.in_gold else "") + (" has-note" if unit.note else "")
    key = f"s{unit.id}" if lane.is_suggestions else unit.id
    where = (unit.label.pk, unit.verdict, marks, key, item.row, item.depth, item.pieces_attribute)
    if not item.first:
        return format_html(CONTINUED, *where)
    if lane.is_suggestions:
        urls = (suggestion_url(unit.id, "accept"), suggestion_url(unit.id, "reject"))
        quote = Truncator(unit.quote).chars(40)
        return format_html(SUGGESTION, *where, unit.start, index, *urls, unit.label.name, quote, unit.badge)
    quote = Truncator(unit.quote).chars(40)
    title = format_html(NOTED, unit.note) if unit.note else ""
    note = f", note: {unit.note}" if unit.note else ""
    if lane.is_gold or finished:
        return format_html(SHOWN, *where, title, unit.tag, quote, unit.badge, ", in gold" if unit.in_gold else "", note)
    gold = ", in gold" if unit.in_gold else ", gold differs" if unit.settled else ""
    attributes = (
        "" if unit.verdict == "attribute" else "".join(f", {name} {value}" for name, value in unit.attributes.items())
    )
    return format_html(
        ADOPTABLE,
        *where,
        unit.start,
        index,
        adopt_url(unit.id),
        title,
        unit.label.name,
        quote,
        lane.name,
        unit.badge,
        gold,
        attributes,
        note,
    )


def _utf16(line: Line, offset: int) -> int:
    """A code-point offset into the article as UTF-16 code units from the line's start."""
    return code_point_to_utf16(line.text, offset - line.start)


def labels(data: Review, ghosts: list[ReviewUnit] | None = None) -> list[Label]:
    """The labels the review's units (and gold's suggestions) use, in the scheme's order:
    the key to the lanes' colours."""
    layers = [*([data.gold] if data.gold else []), *data.annotators]
    used = {unit.label.pk: unit.label for entry in layers for unit in entry.units}
    used.update((unit.label.pk, unit.label) for unit in ghosts or [])
    return sorted(used.values(), key=lambda label: (label.order, label.name))
