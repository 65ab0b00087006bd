"""Model instances read and written by SQL written by hand.

For the few statements on the path of every change (the layer, locked with the
member's role; the project's labels; what Undo and Redo would do; the unit, its
spans and the change record written), where Django takes longer to build the
statement than PostgreSQL takes to run it (docs/benchmarks.md, "Where a save's time
goes"). A hand-written statement
names the columns with `columns`, and `instance` turns a row's values back into a
model instance exactly as the ORM would (each field's and the database backend's
converters applied: JSON decoded, dates parsed on SQLite); `select` reads instances
of one table, `insert` writes new ones as `save()` would (with another statement in
the same round trip, if asked).
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def columns(model: type[models.Model], alias: str) -> str:
    """The model's columns, as `alias."column", …`, in the order `instance` reads them."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many values of a row `columns(model, …)` names."""
    return len(model._meta.concrete_fields)


@cache
def _converters(model: type[models.Model], vendor: str) -> tuple[list[str], list[tuple[Any, list[Callable]]]]:
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters.append((column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)))
    return [field.attname for field in fields], converters


def instance(model: type[M], values: Sequence) -> M:
    """An instance of `model` from the values of `columns(model, …)`, as read from the database."""
    names, converters = _converters(model, connection.vendor)
    converted = []
    for value, (column, functions) in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def select(model: type[M], where: str, params: Sequence) -> list[M]:
    """The instances of `model` whose row meets `where` (SQL on the model's own table,
    as `t`, with %s for each of `params`), in the model's `Meta.ordering`."""
    columns_of = {field.name: field.column for field in model._meta.concrete_fields}
    order_by = ", ".join(f't."{columns_of[name]}"' for name in model._meta.ordering)
    sql = f"SELECT {columns(model, 't')} FROM {model._meta.db_table} t WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY {order_by}" if order_by else sql, params)
        return [instance(model, row) for row in cursor.fetchall()]


@cache
def _insert_sql(model: type[models.Model], vendor: str, count: int) -> tuple[str, list[models.Field]]:
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    names = ", ".join(f'"{field.column}"' for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = model._meta.pk.column
    sql = f'INSERT INTO {model._meta.db_table} ({names}) VALUES {", ".join([row] * count)} RETURNING "{pk}"'
    return sql, fields


def insert(*objects: M, along: tuple[str, Sequence] | None = None) -> None:
    """Write new instances of one model in one INSERT, as `save()` would (each field's
    `pre_save`, such as `auto_now_add`, and its database preparation applied; no
    signals are sent, as nothing here listens to them), and give them their ids.

    `along` is another statement (SQL and its parameters) that returns no rows, such as
    an UPDATE, to run with the INSERT: on PostgreSQL in the same statement (a
    data-modifying WITH), one round trip instead of two; elsewhere just before it."""
    sql, fields = _insert_sql(type(objects[0]), connection.vendor, len(objects))
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objects for field in fields]
    with connection.cursor() as cursor:
        if along is not None:
            along_sql, along_values = along
            if connection.vendor == "postgresql":
                sql, values = f"WITH along AS ({along_sql}) {sql}", [*along_values, *values]
            else:
                cursor.execute(along_sql, along_values)
        cursor.execute(sql, values)
        ids = [pk for (pk,) in cursor.fetchall()]
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
