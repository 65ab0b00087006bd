"""The argument map drawn as SVG text, from a layout (`annotate.argument_map`). Plain
data in, text out; nothing from Django.

Everything is drawn with presentation attributes (`fill`, `stroke-dasharray`,
`font-family`), no CSS: the same SVG obeys the page's Content-Security-Policy, which
allows no inline style, and stands alone as a file. Every text is XML-escaped, and
characters XML 1.0 cannot hold become U+FFFD, so the file always parses.
"""

import re
from html import escape

from annotate.argument_map import ATTACK, HEADER, LINE, MARGIN, OTHER, STANCE, SUPPORT, Box, MapLayout, MapLink
from annotate.contrast import text_colour

INK = "#1d2330"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
# Characters XML 1.0 does not allow, whatever their escaping.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """`value` escaped for XML text and attributes, without what XML cannot hold."""
    return escape(NOT_XML.sub("\ufffd", value), quote=True)


def _path(points: list[tuple[float, float]]) -> str:
    """A smooth path through `points`, leaving and entering each one vertically."""
    (x, y), *rest = points
    d = [f"M{x:.1f},{y:.1f}"]
    for next_x, next_y in rest:
        middle = (y + next_y) / 2
        d.append(f"C{x:.1f},{middle:.1f} {next_x:.1f},{middle:.1f} {next_x:.1f},{next_y:.1f}")
        x, y = next_x, next_y
    return " ".join(d)


STROKES = {
    SUPPORT: "",
    ATTACK: ' stroke-dasharray="7 4"',
    OTHER: ' stroke-dasharray="2 3"',
    STANCE: ' stroke-dasharray="1 3"',
}


def _marker(name: str, link: MapLink) -> str:
    colour = _text(link.colour)
    shape = {
        SUPPORT: f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>',
        ATTACK: f'<path d="M0,0 L10,5 L0,10 z" fill="#ffffff" stroke="{colour}" stroke-width="1.5"/>'
        f'<path d="M11,0 L11,10" stroke="{colour}" stroke-width="2"/>',
        OTHER: f'<path d="M0,0 L10,5 L0,10" fill="none" stroke="{colour}" stroke-width="1.5"/>',
        STANCE: f'<circle cx="6" cy="5" r="3.5" fill="{colour}"/>',
    }[link.kind]
    return (
        f'<marker id="{name}" viewBox="-1 -1 13 12" refX="11" refY="5" markerWidth="12" markerHeight="12" '
        f'orient="auto" markerUnits="userSpaceOnUse">{shape}</marker>'
    )


def draw(layout: MapLayout, *, title: str, href: str = "") -> str:
    """The map as an SVG element. With `href` (the workspace's address), each box links
    to its unit in the text (`href#u-<id>`); without it, the SVG is a document of its
    own (a download), with its XML declaration."""
    markers = {}
    for arrow in layout.arrows:
        markers.setdefault((arrow.link.type, arrow.link.kind, arrow.link.colour), f"map-head-{len(markers)}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width:.0f}" height="{layout.height:.0f}" '
        f'viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" font-family="{_text(FONT)}" font-size="12" '
        f'class="argument-map" role="group" aria-label="{_text(title)}">',
        f"<title>{_text(title)}</title>",
        "<defs>",
        *(_marker(name, MapLink(0, 0, kind=k, type=t, colour=c)) for (t, k, c), name in markers.items()),
        "</defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        _legend(layout, markers),
    ]
    parts.append('<g class="arrows" fill="none" stroke-width="1.6">')
    for arrow in layout.arrows:
        link = arrow.link
        parts.append(
            f'<path d="{_path(arrow.points)}" stroke="{_text(link.colour)}"{STROKES[link.kind]} '
            f'marker-end="url(#{markers[link.type, link.kind, link.colour]})" data-source="{link.source}" '
            f'data-target="{link.target}" data-type="{_text(link.type)}" data-kind="{link.kind}">'
            f"<title>{_text(link.type)}</title></path>"
        )
        if link.kind == STANCE:
            x, y = _midpoint(arrow.points)
            parts.append(
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{INK}" stroke="#ffffff" '
                f'stroke-width="3" paint-order="stroke" font-size="11">{_text(link.type)}</text>'
            )
    parts.append("</g>")
    if layout.loose_top is not None:
        parts.append(
            f'<g class="loose"><line x1="{MARGIN}" y1="{layout.loose_top:.1f}" x2="{layout.width - MARGIN:.1f}" '
            f'y2="{layout.loose_top:.1f}" stroke="#dde2e8"/><text x="{MARGIN}" y="{layout.loose_top + 18:.1f}" '
            f'fill="{INK}" font-weight="600">Loose units: no relation touches them</text></g>'
        )
    parts.append('<g class="units">')
    parts += [_box(box, href) for box in layout.boxes]
    parts.append("</g></svg>")
    svg = "".join(parts)
    return svg if href else f'<?xml version="1.0" encoding="UTF-8"?>\n{svg}\n'


def _midpoint(points: list[tuple[float, float]]) -> tuple[float, float]:
    (x1, y1), (x2, y2) = points[0], points[1]
    return (x1 + x2) / 2, (y1 + y2) / 2


def _legend(layout: MapLayout, markers: dict) -> str:
    parts, x, y = [], MARGIN, MARGIN + 4
    for link in layout.legend:
        name = "stance of a claim" if link.kind == STANCE else link.type
        marker = markers[link.type, link.kind, link.colour]
        parts.append(
            f'<path d="M{x},{y} h34" stroke="{_text(link.colour)}" stroke-width="1.6"{STROKES[link.kind]} '
            f'marker-end="url(#{marker})"/><text x="{x + 42}" y="{y + 4}" fill="{INK}">{_text(name)}</text>'
        )
        x += 52 + 7 * len(name) + 24
    return f'<g class="legend" fill="none">{"".join(parts)}</g>'


def _box(box: Box, href: str) -> str:
    unit = box.unit
    x, y, w = box.x, box.y, box.width
    colour = _text(unit.colour)
    body = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w}" height="{box.height}" rx="5" fill="#ffffff" stroke="{colour}" '
        f'stroke-width="1.5"/>'
        f'<path d="M{x:.1f},{y + HEADER:.1f} v-{HEADER - 5} a5,5 0 0 1 5,-5 h{w - 10} a5,5 0 0 1 5,5 v{HEADER - 5} z" '
        f'fill="{colour}"/>'
        f'<text x="{x + 8:.1f}" y="{y + 14:.1f}" fill="{text_colour(unit.colour)}" font-weight="600">'
        f"{_text(unit.tag)}</text>"
        + "".join(
            f'<text x="{x + 8:.1f}" y="{y + HEADER + 16 + i * LINE:.1f}" fill="{INK}">{_text(line)}</text>'
            for i, line in enumerate(box.lines)
        )
    )
    rank = "" if box.rank is None else f' data-rank="{box.rank}"'
    attributes = f'class="unit" data-unit="{unit.id}"{rank}'
    if not href:
        return f"<g {attributes}><title>{_text(unit.tag)}: {_text(unit.quote)}</title>{body}</g>"
    name = f"{unit.tag}: {unit.quote}"
    link = f'href="{_text(href)}#u-{unit.id}" aria-label="{_text(name)}"'
    return f"<a {attributes} {link}><title>{_text(name)}</title>{body}</a>"
