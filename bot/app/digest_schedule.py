"""Digest times on APScheduler 3.x: one ``CronTrigger`` job per subscription, in its timezone.

The database is the truth. ``DigestJobs.rebuild`` brings the digest jobs in line with the
subscriptions as they are stored (at start-up, after every change, and now and then for changes
another process made); a paused subscription has no job, and a job whose time and timezone
did not change is left as it is, so a rebuild never skips a fire time due that moment. A job
runs with ``coalesce`` and one instance at a time, so a late loop fires it once, never once per
missed slot; a run missed while the process was down is found by ``missed`` (its next fire
time after its last run is already past) and run once at start-up.
A run interrupted by a transient failure gets a one-off retry job at its backoff time.

APScheduler is imported by the functions that use it: the command-line tools that import the
facade never pay for it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.domain.digest.cadence import Cadence
from bot.domain.digest.subscription import ScheduledSubscription
from bot.domain.model import DigestCadence

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler
    from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

JOB_PREFIX = "digest:"
RETRY_PREFIX = "digest-retry:"
# How late a job may still start (a busy event loop, a slow start-up): an hour, then the
# start-up catch-up takes over.
MISFIRE_GRACE_SECONDS = 3600
_DAYS = {DigestCadence.WEEKDAYS: "mon-fri"}
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(cadence: Cadence, timezone: str) -> CronTrigger:
    """The subscription's fire times: its local time of day, on its days, DST included."""
    from apscheduler.triggers.cron import CronTrigger

    if cadence.kind is DigestCadence.WEEKLY:
        days: str | None = _WEEKDAY_NAMES[cadence.weekday or 0]
    else:
        days = _DAYS.get(cadence.kind)
    return CronTrigger(
        day_of_week=days, hour=cadence.hour, minute=cadence.minute, timezone=ZoneInfo(timezone)
    )


def next_fire_time(scheduled: ScheduledSubscription, *, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after`` (None when paused)."""
    if scheduled.subscription.paused:
        return None
    trigger = cron_trigger(scheduled.subscription.cadence, scheduled.timezone)
    found: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return found


def fire_times(
    scheduled: ScheduledSubscription, *, after: datetime, until: datetime
) -> list[datetime]:
    """Every fire time in (after, until]: what the scheduler will do over a span of time."""
    times: list[datetime] = []
    moment = after
    while (found := next_fire_time(scheduled, after=moment)) is not None and found <= until:
        times.append(found)
        moment = found
    return times


def missed(scheduled: ScheduledSubscription, *, now: datetime) -> bool:
    """Whether a fire time passed since the subscription last ran (or was created)."""
    subscription = scheduled.subscription
    since = subscription.last_run_at or subscription.created_at
    found = next_fire_time(scheduled, after=since)
    return found is not None and found <= now


class DigestJobs:
    """The digest jobs of one scheduler; ``run`` is called with a subscription id."""

    def __init__(self, scheduler: BaseScheduler, run: Callable[[int], Awaitable[Any]]) -> None:
        self._scheduler = scheduler
        self._run = run
        self._built: dict[str, tuple[Cadence, str]] = {}

    def rebuild(self, subscriptions: Iterable[ScheduledSubscription]) -> int:
        """One digest job per active subscription, each on its current time; how many."""
        wanted = {f"{JOB_PREFIX}{s.id}": s for s in subscriptions if not s.subscription.paused}
        changed = 0
        for job in self._scheduler.get_jobs():
            if not job.id.startswith(JOB_PREFIX):
                continue
            scheduled = wanted.get(job.id)
            if scheduled is None or self._built.get(job.id) != _timing(scheduled):
                job.remove()
                self._built.pop(job.id, None)
                changed += 1
        for job_id, scheduled in wanted.items():
            if job_id in self._built:
                continue
            self._built[job_id] = _timing(scheduled)
            changed += 1
            self._scheduler.add_job(
                self._run,
                trigger=cron_trigger(scheduled.subscription.cadence, scheduled.timezone),
                args=[scheduled.id],
                id=job_id,
                name=f"digest {scheduled.id}",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                replace_existing=True,
            )
        if changed:
            log.info("digest jobs rebuilt jobs=%d", len(wanted))
        return len(wanted)

    def retry(self, subscription_id: int, *, after: timedelta = timedelta(0)) -> None:
        """One extra run ``after`` from now (a backoff retry; a catch-up at once).

        APScheduler fires on the real clock, so the delay is placed on that clock.
        """
        from apscheduler.triggers.date import DateTrigger

        run_date = datetime.now(self._scheduler.timezone) + after
        self._scheduler.add_job(
            self._run,
            trigger=DateTrigger(run_date=run_date),
            args=[subscription_id],
            id=f"{RETRY_PREFIX}{subscription_id}",
            name=f"digest {subscription_id} retry",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )

    def next_run(self, subscription_id: int) -> datetime | None:
        job = self._scheduler.get_job(f"{JOB_PREFIX}{subscription_id}")
        return None if job is None else job.next_run_time

    def job_ids(self) -> list[str]:
        return sorted(
            job.id
            for job in self._scheduler.get_jobs()
            if job.id.startswith((JOB_PREFIX, RETRY_PREFIX))
        )


def _timing(scheduled: ScheduledSubscription) -> tuple[Cadence, str]:
    return scheduled.subscription.cadence, scheduled.timezone
