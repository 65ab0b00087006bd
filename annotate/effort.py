"""Active time, read from the change log (docs/team.md, "Active time").

Nobody clocks in: a person is taken to be working while their changes to a project's
layers follow each other closely. Their changes in the project are put in time order; the
gap before a change counts as active time, on the layer of that change, when it is shorter
than ANNOTATE_IDLE_SECONDS. A longer gap is a break and counts nothing, and so does the
first change after one (the reading before it cannot be told from a break). Moving on to
the next article is work: the gap counts on the new article's layer.

The time is kept per person, layer and day (`Effort`), so a refresh recomputes only the
days that can have changed: those from a little before the last refresh on
(ANNOTATE_TEAM_SETTLE_SECONDS, enough for a transaction that was still writing its changes
then to have committed).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotate.models import Change, Effort, Project

ROWS_AT_ONCE = 5_000


def first_day_to_recompute(last_refresh: datetime | None) -> date | None:
    """The first day whose effort a refresh recomputes after one at ``last_refresh`` (None:
    every day, for a project never refreshed)."""
    if last_refresh is None:
        return None
    return timezone.localdate(last_refresh - timedelta(seconds=settings.ANNOTATE_TEAM_SETTLE_SECONDS))


def refresh(project: Project, *, from_day: date | None) -> int:
    """Recompute the project's `Effort` rows of ``from_day`` and after (every day when None)
    from its change log, in one transaction; returns how many changes were read."""
    idle = settings.ANNOTATE_IDLE_SECONDS
    changes = Change.objects.filter(project=project, layer__isnull=False, user__isnull=False)
    start = None
    if from_day is not None:
        start = timezone.make_aware(datetime.combine(from_day, time.min))
        # The change before each counted one, when it is close enough to count.
        changes = changes.filter(created_at__gte=start - timedelta(seconds=idle))
    found: dict[tuple[int, int, date], list] = defaultdict(lambda: [0.0, 0])
    previous_user, previous_at, read = None, None, 0
    ordered = changes.order_by("user_id", "created_at", "id").values_list("user_id", "layer_id", "created_at")
    for user_id, layer_id, created_at in ordered.iterator(chunk_size=ROWS_AT_ONCE):
        read += 1
        if start is None or created_at >= start:
            entry = found[(user_id, layer_id, timezone.localdate(created_at))]
            entry[1] += 1
            if user_id == previous_user and (gap := (created_at - previous_at).total_seconds()) < idle:
                entry[0] += gap
        previous_user, previous_at = user_id, created_at
    with transaction.atomic():
        stored = Effort.objects.filter(project=project)
        (stored if from_day is None else stored.filter(day__gte=from_day)).delete()
        Effort.objects.bulk_create(
            (
                Effort(project=project, user_id=user_id, layer_id=layer_id, day=day, active_seconds=seconds, changes=n)
                for (user_id, layer_id, day), (seconds, n) in found.items()
            ),
            batch_size=ROWS_AT_ONCE,
        )
    return read
