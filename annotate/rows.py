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
the same round trip, if asked), `insert_with_parts` a new instance and the new instances
that belong to it (a unit and its spans) at once, with a record that names it (its
change record) if asked; `nested` reads rows of another table with a statement.
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def _fields(model: type[models.Model], without: tuple[str, ...]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.name not in without]


def columns(model: type[models.Model], alias: str, without: tuple[str, ...] = ()) -> str:
    """The model's columns, as `alias."column", …`, in the order `instance` reads them;
    without the fields named in `without` (which the instance then loads if asked)."""
    return ", ".join(f'{alias}."{field.column}"' for field in _fields(model, without))


def width(model: type[models.Model], without: tuple[str, ...] = ()) -> int:
    """How many values of a row `columns(model, …)` names."""
    return len(_fields(model, without))


@cache
def _converters(
    model: type[models.Model], vendor: str, without: tuple[str, ...]
) -> tuple[list[str], list[tuple[int, Any, list[Callable]]]]:
    """The model's field names, and (index, column, converters) of the fields whose values
    the database backend or the field converts (on PostgreSQL: only JSON)."""
    fields = _fields(model, without)
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            converters.append((index, column, functions))
    return [field.attname for field in fields], converters


def instance(model: type[M], values: Sequence, without: tuple[str, ...] = ()) -> M:
    """An instance of `model` from the values of `columns(model, …, without)`, as read
    from the database (the fields in `without` deferred, as `QuerySet.defer` leaves them)."""
    names, converters = _converters(model, connection.vendor, without)
    if len(values) != len(names):
        raise ValueError(f"{model.__name__} has {len(names)} columns, not {len(values)}")
    converted = list(values)
    for index, column, functions in converters:
        value = converted[index]
        for function in functions:
            value = function(value, column, connection)
        converted[index] = value
    return model.from_db(connection.alias, names, converted)


def _order_by(model: type[models.Model]) -> str:
    """The model's `Meta.ordering` (fields of its own, ascending) as SQL on its table as `t`."""
    columns_of = {field.name: field.column for field in model._meta.concrete_fields}
    return ", ".join(f't."{columns_of[name]}"' for name in model._meta.ordering)


def select(model: type[M], where: str, params: Sequence) -> list[M]:
    """The instances of `model` whose row meets `where` (SQL on the model's own table,
    as `t`, with %s for each of `params`), in the model's `Meta.ordering`."""
    order_by = _order_by(model)
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


def _prepared(obj: models.Model, fields: list[models.Field]) -> list:
    """The values of `obj`'s `fields` as `save()` writes them: each field's `pre_save`
    (such as `auto_now_add`) and database preparation applied; but a time an
    `auto_now_add` field holds already is kept (one given to quote it before the row is
    written, as a change record quotes the unit it makes)."""
    return [
        field.get_db_prep_save(
            getattr(obj, field.attname)
            if getattr(field, "auto_now_add", False) and getattr(obj, field.attname) is not None
            else field.pre_save(obj, True),
            connection,
        )
        for field in fields
    ]


def insert(*objects: M, along: tuple[str, Sequence] | None = None) -> None:
    """Write new instances of one model in one INSERT, as `save()` would (each field's
    `pre_save`, such as `auto_now_add`, and its database preparation applied; no
    signals are sent, as nothing here listens to them), and give them their ids.

    `along` is another statement (SQL and its parameters) that returns no rows, such as
    an UPDATE, to run with the INSERT: on PostgreSQL in the same statement (a
    data-modifying WITH), one round trip instead of two; elsewhere just before it."""
    sql, fields = _insert_sql(type(objects[0]), connection.vendor, len(objects))
    values = [value for obj in objects for value in _prepared(obj, fields)]
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


@cache
def _insert_with_parts_sql(
    owner: type[models.Model],
    part: type[models.Model],
    link: str,
    count: int,
    record: type[models.Model] | None = None,
    naming: tuple[str, ...] = (),
    along: str | None = None,
):
    owner_sql, owner_fields = _insert_sql(owner, connection.vendor, 1)
    owner_pk = owner._meta.pk.column
    part_fields = [field for field in part._meta.concrete_fields if not field.primary_key and field.name != link]
    names = ", ".join(f'"{field.column}"' for field in part_fields)
    # The parts' values, typed (a VALUES list outside an INSERT's own has no column
    # types), numbered to keep their order, joined to the owner's new id.
    casts = ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in part_fields)
    rows = ", ".join(f"({number}, {casts})" for number in range(count))
    aliases = [f"v{index}" for index in range(len(part_fields))]
    link_column = part._meta.get_field(link).column
    parts_sql = (
        f'INSERT INTO {part._meta.db_table} ("{link_column}", {names}) '
        f'SELECT owner."{owner_pk}", {", ".join(aliases)} '
        f"FROM owner, (VALUES {rows}) AS v(number, {', '.join(aliases)}) ORDER BY number "
        f'RETURNING "{link_column}", "{part._meta.pk.column}"'
    )
    if record is None:
        return f"WITH owner AS ({owner_sql}) {parts_sql}", owner_fields, part_fields, []
    # The record's values, those of the fields in `naming` completed with the owner's new id.
    record_fields = [field for field in record._meta.concrete_fields if not field.primary_key]
    record_columns = ", ".join(f'"{field.column}"' for field in record_fields)
    values = []
    for field in record_fields:
        if field.name not in naming:
            values.append("%s")
        elif field.get_internal_type() == "JSONField":
            values.append(f"jsonb_set(%s, '{{id}}', to_jsonb(owner.\"{owner_pk}\"))")
        else:
            values.append(f'CAST(%s AS text) || CAST(owner."{owner_pk}" AS text)')
    record_pk, part_pk = record._meta.pk.column, part._meta.pk.column
    sql = (
        f"WITH owner AS ({owner_sql}), parts AS ({parts_sql}), "
        + (f"along AS ({along}), " if along is not None else "")
        + f"record AS (INSERT INTO {record._meta.db_table} ({record_columns}) "
        f'SELECT {", ".join(values)} FROM owner RETURNING "{record_pk}") '
        f'SELECT parts."{link_column}", parts."{part_pk}", record."{record_pk}" FROM parts, record '
        f'ORDER BY parts."{part_pk}"'
    )
    return sql, owner_fields, part_fields, record_fields


def _name_owner(record: models.Model, naming: Sequence[str], owner_pk: int) -> None:
    """Complete `record`'s fields in `naming` with the owner's id, as the database did."""
    for name in naming:
        value = getattr(record, name)
        if isinstance(value, dict):
            value["id"] = owner_pk
        else:
            setattr(record, name, f"{value}{owner_pk}")


def insert_with_parts(
    owner: models.Model,
    parts: Sequence[models.Model],
    *,
    link: str,
    record: models.Model | None = None,
    naming: Sequence[str] = (),
    along: tuple[str, Sequence] | None = None,
) -> None:
    """Write a new instance and (one or more) new instances of another model whose
    `link` (a foreign key) points to it, as `insert` would, and give them their ids: on
    PostgreSQL in one statement (the owner's INSERT as a data-modifying WITH), one round
    trip instead of two; elsewhere one INSERT after the other.

    `record` is one more new instance, of a third model (such as the change record of
    the owner's making), written in the same statement, with `along` as `insert` takes
    it; its fields in `naming` name the owner, whose id is not known before: a JSON
    field's object gets it as "id", another field's text so far is followed by it
    ("unit:" becomes "unit:12")."""
    if connection.vendor != "postgresql":
        insert(owner)
        for part in parts:
            setattr(part, link, owner)
        insert(*parts)
        if record is not None:
            _name_owner(record, naming, owner.pk)
            insert(record, along=along)
        return
    sql, owner_fields, part_fields, record_fields = _insert_with_parts_sql(
        type(owner),
        type(parts[0]),
        link,
        len(parts),
        type(record) if record is not None else None,
        tuple(naming),
        along[0] if along is not None else None,
    )
    values = [*_prepared(owner, owner_fields), *(value for part in parts for value in _prepared(part, part_fields))]
    if record is not None:
        values += [*(along[1] if along is not None else ()), *_prepared(record, record_fields)]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        written = cursor.fetchall()
    owner.pk = written[0][0]
    for part, (_, pk, *_) in zip(parts, written, strict=True):
        part.pk = pk
        setattr(part, link, owner)
    written_objects = [owner, *parts]
    if record is not None:
        record.pk = written[0][2]
        _name_owner(record, naming, owner.pk)
        written_objects.append(record)
    for obj in written_objects:
        obj._state.adding = False
        obj._state.db = connection.alias
