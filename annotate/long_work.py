"""What long work (a job in the worker: an import, an export, the agreement and team
figures) changes about the process it runs in, in one place with the reasons.

1. **A second connection** (`progress_cursor`). A job's work is one transaction, so
   that a failed or cancelled import writes nothing. Its progress must still be seen
   while it runs: the page that polls reads it, and a cancel request must not wait
   behind the work's lock on the job's row. So progress is written through a second
   connection to the same database, in autocommit, one per thread (Django's own
   connections are per thread too), opened on the first report and closed when the work
   ends (`close_progress_connection`, called by the job's runner however it ends).
   SQLite allows one writer at a time, so there progress inside a transaction is not
   written at all.
2. **The garbage collector paused** while records are built in bulk
   (`annotate.formats.records.collector_paused`, kept beside the records because the
   formats are Django-free; the reasons and the measured gain are in its docstring). The
   switch is process-wide: in the worker one job runs at a time, and in a web process
   (gunicorn's sync workers) one request, so nothing else waits for its garbage meanwhile.

This module imports nothing of ours but the Django-free records, so the models (`Job.report_progress`) and the jobs
can both use it without an import cycle.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, connections

from annotate.formats.records import collector_paused

__all__ = ["close_progress_connection", "collector_paused", "progress_cursor"]

_local = threading.local()


@contextmanager
def progress_cursor() -> Iterator:
    """A cursor that writes outside the transaction the work runs in, or None.

    Outside a transaction that is the ordinary connection. Inside one, a connection of
    this thread's own, in autocommit; on SQLite, None (progress is not written).
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


def close_progress_connection() -> None:
    """Close this thread's progress connection, if it has one (when its work ends)."""
    side = getattr(_local, "connection", None)
    if side is not None:
        side.close()
        del _local.connection
