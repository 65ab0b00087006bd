"""Keyset pagination: a page of a list is the rows after (or before) the last one seen,
in a fixed order, so that every page costs the same however long the list is (an OFFSET
reads and drops every row before the page).

The order is a tuple of fields ending in the primary key, all ascending or all
descending (e.g. ``("title", "id")`` or ``("-length", "-id")``). A cursor is the order's
values of a row, signed so that a page link cannot be made up; a cursor that does not
read (edited, or from another order) gives `BadCursor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from django.core import signing
from django.db.models import Q, QuerySet

SALT = "annotate.paging"


class BadCursor(ValueError):
    """A page link that cannot be read."""


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: str | None  # the cursor of the page after this one, if there is one
    previous_cursor: str | None  # the cursor of the page before this one, if there is one


def page_of(queryset: QuerySet, order: tuple[str, ...], *, after: str = "", before: str = "", size: int = 50) -> Page:
    """The page of `queryset` in `order` that follows the cursor `after`, or precedes the
    cursor `before`, or (neither given) the first page. One query."""
    descending = order[0].startswith("-")
    if any(field.startswith("-") != descending for field in order):
        raise ValueError("A keyset order runs one way: all fields ascending or all descending.")
    fields = [field.lstrip("-") for field in order]
    backwards = bool(before) and not after
    cursor = _read(after or before, order) if (after or before) else None
    if cursor is not None:
        queryset = queryset.filter(_beyond(fields, cursor, forwards=descending == backwards))
    ordering = [f"-{field}" if descending != backwards else field for field in fields]
    rows = list(queryset.order_by(*ordering)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows, None, None)
    first, last = (_write(row, order) for row in (rows[0], rows[-1]))
    if backwards:
        return Page(rows, next_cursor=last, previous_cursor=first if more else None)
    return Page(rows, next_cursor=last if more else None, previous_cursor=first if cursor is not None else None)


def _beyond(fields: list[str], values: list, *, forwards: bool) -> Q:
    """Rows after (`forwards`) or before the row with `values`, in the order of `fields`
    ascending: (a > x) or (a = x and b > y) or ..."""
    lookup = "gt" if forwards else "lt"
    alternatives = []
    for index, field in enumerate(fields):
        equal = {name: value for name, value in zip(fields[:index], values[:index], strict=True)}
        alternatives.append(Q(**equal, **{f"{field}__{lookup}": values[index]}))
    return reduce(lambda left, right: left | right, alternatives)


def _write(row, order: tuple[str, ...]) -> str:
    values = [getattr(row, field.lstrip("-")) for field in order]
    return signing.dumps({"order": list(order), "values": values}, salt=SALT, compress=True)


def _read(cursor: str, order: tuple[str, ...]) -> list:
    """The values a cursor holds, when it was written for `order`."""
    try:
        payload = signing.loads(cursor, salt=SALT)
    except signing.BadSignature:
        raise BadCursor("This page link cannot be read; here is the first page.") from None
    if payload.get("order") != list(order):
        raise BadCursor("This page link is for another order; here is the first page.")
    return payload["values"]
