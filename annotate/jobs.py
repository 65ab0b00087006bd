"""Jobs: long work queued for a worker, and what people see of it (`models.Job`).

A job's progress is written while the work's own transaction is still open, so it goes
through a second connection to the same database: the page that polls sees it at once,
and a cancel request is not kept waiting behind the work's lock on the row.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, connections

_local = threading.local()


@contextmanager
def progress_cursor() -> Iterator:
    """A cursor that writes outside the transaction the work runs in, or None.

    Outside a transaction that is the ordinary connection. Inside one, a connection of
    this thread's own, in autocommit; SQLite allows one writer at a time, so there the
    progress of work inside a transaction is not written (None).
    """
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            yield cursor
        return
    if connection.vendor == "sqlite":
        yield None
        return
    side = getattr(_local, "connection", None)
    if side is None:
        side = _local.connection = connections.create_connection("default")
    with side.cursor() as cursor:
        yield cursor
