"""Template helpers for what every page shows alike: text typed in paragraphs (a
project's guidelines) and times, shown in the viewer's own time zone."""

import re
from datetime import UTC, datetime

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# White space at the end of each line: a line of nothing but spaces is an empty line.
TRAILING_SPACE = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)


@register.filter(is_safe=True, needs_autoescape=True)
def paragraphs(text: str, autoescape: bool = True) -> SafeString:
    """`text` as paragraphs, as `linebreaks` draws them (a blank line between two
    paragraphs, a line break within one), without the blank lines white space would
    add: none before the first paragraph or after the last, a line of spaces between
    two paragraphs parts them as an empty line does, and no empty paragraph."""
    text = TRAILING_SPACE.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    return linebreaks_filter(text, autoescape=autoescape) if text.strip() else SafeString("")


# What each shape shows, as the server writes it (in UTC, the fallback) and as
# static/annotate/local-time.js rewrites it in the browser's zone.
TIME_SHAPES = {"datetime": "j F Y, H:i", "time": "H:i"}


@register.simple_tag
def local_time(moment: datetime | None, shape: str = "datetime") -> SafeString:
    """`moment` as a `<time>` naming the instant (ISO 8601 in UTC) and showing it in UTC,
    with the zone named; static/annotate/local-time.js shows it in the viewer's zone
    instead. `shape`: "datetime" (5 March 2025, 14:30) or "time" (14:30). Nothing for no moment."""
    if moment is None:
        return SafeString("")
    utc = moment.astimezone(UTC)
    return format_html(
        '<time datetime="{}" data-local="{}">{} UTC</time>',
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        shape,
        format_date(utc, TIME_SHAPES[shape]),
    )
