"""Digest times on APScheduler 3.x: one ``CronTrigger`` job per digest time, in its timezone.

The database is the truth. ``DigestJobs.rebuild`` brings the digest jobs in line with the
subscriptions as they are stored (at start-up, after every change, and now and then for changes
another process made); a paused subscription is in no job, and a job whose time is still wanted
keeps its next fire time (only its list of subscriptions changes), so a rebuild never skips a
fire time due that moment. A job
runs with ``coalesce`` and one instance at a time, so a late loop fires it once, never once per
missed slot; a run missed while the process was down is found by ``missed`` (its next fire
time after its last run is already past) and run once at start-up.
A run interrupted by a transient failure gets a one-off retry job at its backoff time.

APScheduler is imported by the functions that use it: the command-line tools that import the
facade never pay for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.domain.digest.cadence import Cadence
from bot.domain.digest.subscription import ScheduledSubscription
from bot.domain.model import DigestCadence
from bot.errors import PolicybotError, raise_if_cancelled

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
    """The digest jobs of one scheduler: one job per digest time (cadence, time of day and
    timezone), which runs every subscription due then, ``concurrency`` at a time.

    A thousand subscriptions at 09:00 in three timezones are three jobs, not a thousand: the
    scheduler's pass over due jobs, synchronous on the event loop, stays short at the busiest
    minute. ``run`` is called with one subscription id at a time.
    """

    def __init__(
        self,
        scheduler: BaseScheduler,
        run: Callable[[int], Awaitable[Any]],
        *,
        concurrency: int = 8,
    ) -> None:
        self._scheduler = scheduler
        self._run = run
        self._concurrency = concurrency
        self._members: dict[str, tuple[int, ...]] = {}  # job id -> subscription ids
        self._job_of: dict[int, str] = {}  # subscription id -> job id

    def rebuild(self, subscriptions: Iterable[ScheduledSubscription]) -> int:
        """One job per digest time of the active subscriptions; how many subscriptions."""
        groups: dict[str, list[ScheduledSubscription]] = {}
        for scheduled in subscriptions:
            if not scheduled.subscription.paused:
                groups.setdefault(_job_id(scheduled), []).append(scheduled)
        changed = 0
        for job in self._scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in groups:
                job.remove()
                self._members.pop(job.id, None)
                changed += 1
        for job_id, members in groups.items():
            ids = tuple(sorted(member.id for member in members))
            job = self._scheduler.get_job(job_id)
            if job is not None:  # its time is unchanged: keep its next fire time as it is
                if self._members.get(job_id) != ids:
                    job.modify(args=[ids], name=_job_name(ids))
                    self._members[job_id] = ids
                    changed += 1
                continue
            first = members[0]
            self._scheduler.add_job(
                self._run_all,
                trigger=cron_trigger(first.subscription.cadence, first.timezone),
                args=[ids],
                id=job_id,
                name=_job_name(ids),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                replace_existing=True,
            )
            self._members[job_id] = ids
            changed += 1
        self._job_of = {i: job_id for job_id, ids in self._members.items() for i in ids}
        if changed:
            log.info("digest jobs rebuilt jobs=%d subscriptions=%d", len(groups), len(self._job_of))
        return len(self._job_of)

    async def _run_all(self, subscription_ids: Sequence[int]) -> None:
        """Every subscription of one digest time, ``concurrency`` runs at a time; one run's
        failure is logged and the others go on."""
        waiting = iter(subscription_ids)

        async def runner() -> None:
            for subscription_id in waiting:
                try:
                    await self._run(subscription_id)
                except Exception as exc:
                    raise_if_cancelled()
                    log.error(
                        "digest run failed subscription=%s error=%s",
                        subscription_id,
                        exc,
                        exc_info=None if isinstance(exc, PolicybotError) else exc,
                    )

        await asyncio.gather(
            *(runner() for _ in range(min(self._concurrency, len(subscription_ids))))
        )

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
        job_id = self._job_of.get(subscription_id)
        job = None if job_id is None else self._scheduler.get_job(job_id)
        return None if job is None else job.next_run_time


def _job_id(scheduled: ScheduledSubscription) -> str:
    """``digest:daily 09:00 Europe/Brussels``, ``digest:weekly fri 18:30 UTC``: one per time."""
    cadence = scheduled.subscription.cadence
    day = f" {_WEEKDAY_NAMES[cadence.weekday or 0]}" if cadence.kind is DigestCadence.WEEKLY else ""
    return (
        f"{JOB_PREFIX}{cadence.kind.value}{day} {cadence.hour:02d}:{cadence.minute:02d} "
        f"{scheduled.timezone}"
    )


def _job_name(subscription_ids: Sequence[int]) -> str:
    return f"digests {', '.join(map(str, subscription_ids[:5]))}" + (
        f" and {len(subscription_ids) - 5} more" if len(subscription_ids) > 5 else ""
    )
