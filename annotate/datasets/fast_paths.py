"""The queries written for PostgreSQL alone, each beside the path every database runs
(SQLite, the zero-setup default). Why each is worth it: docs/benchmarks.md, Datasets."""

import json

from django.db import connection
from django.utils import timezone

from annotate.models import ArgumentUnit


def postgresql() -> bool:
    """Whether the database is PostgreSQL."""
    return connection.vendor == "postgresql"


# Units, spans and relations are most of an import's rows (a 10,000-article corpus has
# 1.2 million units): on PostgreSQL they are written with COPY, without a model instance
# per row, which bulk_create needs and spends most of an import's time preparing.


def insert_units(rows: list[tuple[int, int, dict, str]]) -> list[int]:
    """Insert units given as (layer id, label id, attributes, note); their ids, in order."""
    if not postgresql():
        units = [
            ArgumentUnit(layer_id=layer_id, label_id=label_id, attributes=attributes, note=note)
            for layer_id, label_id, attributes, note in rows
        ]
        return [unit.pk for unit in ArgumentUnit.objects.bulk_create(units, batch_size=2000)]
    table = connection.ops.quote_name(ArgumentUnit._meta.db_table)
    with connection.cursor() as cursor:
        # COPY returns no ids: they are taken from the table's sequence first.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [ArgumentUnit._meta.db_table, len(rows)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        now = timezone.now()
        with cursor.copy(f"COPY {table} (id, layer_id, label_id, attributes, note, created_at) FROM STDIN") as copy:
            for pk, (layer_id, label_id, attributes, note) in zip(ids, rows, strict=True):
                copy.write_row((pk, layer_id, label_id, json.dumps(attributes), note, now))
    return ids


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert `rows` of values for `fields` (column names) of `model`, and `created_at`
    where the model has it."""
    stamped = any(field.name == "created_at" for field in model._meta.fields)
    if not postgresql():
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000)
        return
    columns = ", ".join(connection.ops.quote_name(name) for name in [*fields, *(["created_at"] if stamped else [])])
    now = (timezone.now(),) if stamped else ()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + now)


def insert_with_ids(model, fields: list[str], rows: list[tuple]) -> list[int]:
    """Insert `rows` as `insert_rows` does: their ids, in order. Suggestions use it: the
    first opening of a long article writes hundreds (docs/suggestions.md, "Latency")."""
    if not rows:
        return []
    if not postgresql():
        made = model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows])
        return [each.pk for each in made]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(rows)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    insert_rows(model, ["id", *fields], [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
    return ids


def advisory_lock(key: int, value: int) -> None:
    """Take PostgreSQL's transaction-level advisory lock (`key`, `value`): wait for the
    transaction that holds it to end, and keep others waiting until the current one
    ends. SQLite needs none: it writes one transaction at a time anyway."""
    if postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [key, value])


def check_foreign_keys_as_written() -> None:
    """Check the foreign keys of what the current transaction writes from here on as
    each row is written, not all at its commit: Django declares them deferred on
    PostgreSQL, so a large import would spend its last minute in the commit, with
    nothing to report meanwhile. PostgreSQL only: SQLite keeps them to the commit."""
    if postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def try_advisory_lock(key: int, value: int) -> bool:
    """Take the transaction-level advisory lock (`key`, `value`) if it is free: whether
    it was. A worker waits for its turn with this, so it can say it is still alive
    meanwhile. SQLite (no advisory locks) always has its turn."""
    if not postgresql():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s::integer, %s::integer)", [key, value])
        return cursor.fetchone()[0]
