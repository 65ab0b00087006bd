"""The worker: django-tasks-db's `db_worker`, with its options, which outlives its
database. When the database goes away (restarted, failed over, its network down) the
worker waits and connects again, where `db_worker` would exit; and an error it cannot
go on from is logged, like everything else it says, rather than printed.

A job running when the database went away was rolled back with its transaction; it ends
as a stopped worker's does (`annotate.jobs.fail_stale`): failed, once it has not
reported for ANNOTATE_JOB_STALE_SECONDS.
"""

import logging
import os
import time

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, connection, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from annotate import long_work
from annotate.logs import describe

log = logging.getLogger("annotate.worker")

# How long the worker waits before it tries the database again: doubled after each try
# that fails, up to the longest.
FIRST_WAIT = 0.5
LONGEST_WAIT = 30.0
# What a database that does not answer raises (a lost connection is an InterfaceError
# when it is used again); any other error is a fault of the code or the schema.
UNAVAILABLE = (OperationalError, InterfaceError)


class Command(db_worker.Command):
    help = "Run a worker for queued jobs (django-tasks-db's db_worker) that waits for its database when it goes away"

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        log.setLevel(db_worker.logger.level)

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        # As db_worker's own handle, with `work` in place of the worker's run.
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = db_worker.Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # in the reloader's child only
            run_with_reloader(work, worker)
        else:
            worker.configure_signals()
            work(worker)


def work(worker: db_worker.Worker) -> None:
    """Run the worker until it stops, waiting for the database whenever it does not
    answer. An error of any other kind is logged and stops the worker (exit status 1)."""
    try:
        while True:
            try:
                worker.run()
                return
            except UNAVAILABLE as error:
                if not worker.running:  # asked to stop while its job ran
                    return
                wait_for_database(error)
    except Exception:
        log.exception("The worker stopped on an error")
        raise SystemExit(1) from None


def wait_for_database(error: Exception) -> None:
    """Wait until the database answers: FIRST_WAIT, then twice as long after each try
    that fails, up to LONGEST_WAIT; each wait logged once, as a WARNING, and the
    database's return too. A stop signal meanwhile ends the worker at once (db_worker's
    handler exits when no job runs)."""
    wait = FIRST_WAIT
    while True:
        # Every connection the worker holds, its job's progress connection too (which a
        # job whose end could not be written may have left open).
        connections.close_all()
        long_work.close_progress_connection()
        log.warning("The database does not answer (%s); the worker tries again in %g s", describe(error), wait)
        time.sleep(wait)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except UNAVAILABLE as again:
            error, wait = again, min(wait * 2, LONGEST_WAIT)
        else:
            log.warning("The database answers again; the worker goes on")
            return
