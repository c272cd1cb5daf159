"""Digest use cases: subscriptions, composing, delivering part by part, and their schedule.

- ``add``/``listing``/``remove``/``pause``/``resume``/``settings``: what ``/digest`` and
  ``/settings`` change; every change rebuilds the scheduler's jobs from the database.
- ``preview``: exactly what the next run would post now, recorded nowhere.
- ``run``: one run of a subscription. A run left pending (a crash, a transient failure)
  resumes at its first unsent part; otherwise a digest is composed from the candidates, stored
  with its plan, and sent part by part through a ``DigestChannel``. The ledger rows of a part
  are written in the transaction that records the message id Discord returned for it, never
  before; each part carries a nonce derived from (run, part), so a part resent after a crash
  within Discord's nonce window comes back as the message already created. A 403/404 pauses
  the subscription once and tells the admin channel; a 5xx, a 429 beyond the client's retries
  or a timeout leaves the rest pending, retried with backoff.
- ``console_digest``: the instance list's digest, for ``policybot digest`` (nothing recorded).
- ``tell_admins``: the feed-health notices the poll writer stored, once each, in the admin
  channels of the servers that follow those feeds.

Runs wait for an ingestion cycle in progress to finish first (up to ``CYCLE_WAIT``), so a digest
due mid-cycle carries what that cycle fetched and analysed.

Several bot processes may share one database. A run first takes the subscription's lease (a
conditional UPDATE, ``RUN_LEASE`` long, renewed with every part sent) and lets it go when done:
a second run meanwhile, here or in another process, is skipped and retried when the lease
ends; a process killed mid-run loses the lease when it expires, and the next run resumes the
pending run from its first unsent part. A scheduled run whose time another process already
ran is skipped. With ``shards``, a process schedules, and tells admins, only for the servers
on its Discord shards.

At most ``CONCURRENT_RUNS`` run at once; the runs of a busy minute share one read of the
instance list's candidates (``digest_candidates``), and every write of a run is retried while
SQLite is busy with another's (``storage.retry``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
import socket
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.cycle import IngestionCycle
from bot.app.digest_candidates import CandidateSnapshot, SharedCandidates
from bot.app.digest_schedule import DigestJobs, missed, next_fire_time
from bot.domain.admin import AdminNotice, DigestPaused, ServerSettings
from bot.domain.catalog import Catalog
from bot.domain.digest.cadence import Cadence, canonical_timezone, close_timezones
from bot.domain.digest.codec import PlanError, digest_from_plan, digest_to_plan
from bot.domain.digest.compose import Candidate, Digest, compose_digest
from bot.domain.digest.delivery import RunOutcome, RunResult, part_nonce, retry_delay
from bot.domain.digest.subscription import (
    DEFAULT_MAX_STORIES,
    RequestRefused,
    ScheduledSubscription,
    Subscription,
    SubscriptionRequest,
    SubscriptionView,
    check_request,
)
from bot.domain.digest.topics import Topics, describe_topics, known_jurisdictions
from bot.domain.model import DigestCadence, DigestDisposition, StanceLabel
from bot.domain.name_choices import TopicChoice, topic_choices
from bot.domain.positions import ClaimFact, weigh
from bot.domain.shards import Shards
from bot.errors import ChannelRefused, DeliveryError, DeliveryFailed
from bot.storage.analyses import AnalysisStore
from bot.storage.digests import DigestStore
from bot.storage.guilds import GuildStore
from bot.storage.health_notices import HealthNoticeStore
from bot.storage.retry import in_transaction
from bot.storage.schema import Digest as DigestRun

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

FIRST_RUN_WINDOW = timedelta(days=7)
# An item fetched shortly before the previous run but analysed only after it is still new.
LATE_ANALYSIS_GRACE = timedelta(days=1)
CYCLE_WAIT = 300.0  # seconds a due run waits for a cycle in progress
CONCURRENT_RUNS = 8
# A run's hold on its subscription, renewed with each part sent; a process killed mid-run
# holds it this long at most.
RUN_LEASE = timedelta(minutes=2)
# A teller's hold on the notices it claimed; told notices are kept this long, then pruned.
NOTICE_CLAIM = timedelta(minutes=2)
NOTICE_KEEP = timedelta(days=7)
RUN_IN_PROGRESS = "another run of this digest is in progress"
Clock = Callable[[], datetime]


def process_name() -> str:
    """This process among the ones sharing the database: host, pid and a random tag."""
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{secrets.token_hex(4)}"


class RenderedPart(Protocol):
    """One message of a rendered digest, as the chat layer built it."""

    @property
    def item_ids(self) -> tuple[int, ...]: ...


PartT = TypeVar("PartT", bound=RenderedPart)
P = ParamSpec("P")
R = TypeVar("R")


class DigestChannel(Protocol[PartT]):
    """Where digests go (``bot.chat.delivery.DiscordDigestChannel``).

    ``send`` returns the message id Discord gave the part, or raises ``ChannelRefused``
    (403/404), ``DeliveryFailed`` (may pass) or ``DeliveryError`` (a 400).
    """

    def render(self, digest: Digest) -> Sequence[PartT]: ...

    async def send(self, channel_id: int, part: PartT, *, nonce: str) -> int: ...

    async def notify(self, channel_id: int, notice: AdminNotice) -> bool: ...


@dataclass(frozen=True, slots=True)
class SettingsRefused:
    """``/settings timezone:`` named no IANA zone; close matches for a "did you mean"."""

    timezone: str
    suggestions: tuple[str, ...]


class Digests:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        *,
        default_timezone: str = "UTC",
        cycle: IngestionCycle | None = None,
        lease_clock: Clock | None = None,
    ) -> None:
        """``default_timezone`` is POLICYBOT_TIMEZONE; ``cycle`` the ingestion cycle a due run
        waits for; ``lease_clock`` the time leases are measured on (the real clock; a run's
        ``now`` may be a test's fixed time)."""
        self._sessions = sessions
        self._catalog = catalog
        self._default_timezone = default_timezone
        self._cycle = cycle
        self._lease_clock = lease_clock or _utc_now
        self._process = process_name()
        self._tokens = itertools.count(1)
        self._runs = asyncio.Semaphore(CONCURRENT_RUNS)
        # One run's pure work (weighing, composing, rendering) in a worker thread at a time:
        # threads share one GIL, so more of them add no speed, only make the event loop wait
        # longer for it between callbacks.
        self._pure_work = asyncio.Semaphore(1)
        self._telling = asyncio.Lock()
        self._jobs: DigestJobs | None = None
        self._shards: Shards | None = None
        self._timezones: frozenset[str] | None = None
        self._shared = SharedCandidates()

    async def _in_worker(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._pure_work:
            return await asyncio.to_thread(function, *args, **kwargs)

    # -- subscriptions -------------------------------------------------------------------

    async def topic_choices(self, typed: str, *, limit: int) -> tuple[TopicChoice, ...]:
        """Autocomplete for ``topics:``: the list typed so far, its last topic completed."""
        async with self._sessions() as session:
            labels = await DigestStore(session).feed_jurisdictions()
        jurisdictions = known_jurisdictions(self._catalog, labels)
        return topic_choices(self._catalog, typed, jurisdictions=jurisdictions, limit=limit)

    async def add(
        self,
        guild_id: int,
        request: SubscriptionRequest,
        *,
        guild_name: str,
        created_by: int | None,
        now: datetime,
    ) -> SubscriptionView | RequestRefused:
        """Check ``request`` (time, day, timezone, topics, duplicates) and store it."""
        async with self._sessions.begin() as session:
            store = DigestStore(session)
            settings = await GuildStore(session).settings(guild_id)
            existing = [
                self._scheduled(sub, settings.timezone) for sub in await store.of_guild(guild_id)
            ]
            checked = check_request(
                request,
                catalog=self._catalog,
                jurisdictions=known_jurisdictions(self._catalog, await store.feed_jurisdictions()),
                timezones=self.timezones,
                default_timezone=settings.timezone or self._default_timezone,
                existing=existing,
            )
            if isinstance(checked, RequestRefused):
                log.info("digest refused guild=%s reason=%s", guild_id, checked.reason)
                return checked
            await GuildStore(session).ensure_guild(guild_id, guild_name, now=now)
            subscription = await store.add(guild_id, checked, created_by=created_by, now=now)
        log.info(
            "digest added guild=%s subscription=%s channel=%s cadence=%s",
            guild_id,
            subscription.id,
            subscription.channel_id,
            subscription.cadence.describe(),
        )
        await self.reschedule()
        return self._view(self._scheduled(subscription, settings.timezone), now=now)

    async def listing(self, guild_id: int, *, now: datetime) -> tuple[SubscriptionView, ...]:
        async with self._sessions() as session:
            settings = await GuildStore(session).settings(guild_id)
            subscriptions = await DigestStore(session).of_guild(guild_id)
        return tuple(
            self._view(self._scheduled(sub, settings.timezone), now=now) for sub in subscriptions
        )

    async def get(self, guild_id: int, subscription_id: int) -> Subscription | None:
        async with self._sessions() as session:
            return await DigestStore(session).get(subscription_id, guild_id=guild_id)

    async def remove(self, guild_id: int, subscription_id: int) -> bool:
        async with self._sessions.begin() as session:
            removed = await DigestStore(session).remove(subscription_id, guild_id=guild_id)
        if removed:
            log.info("digest removed guild=%s subscription=%s", guild_id, subscription_id)
            await self.reschedule()
        return removed

    async def pause(
        self, guild_id: int, subscription_id: int, *, by: str, now: datetime
    ) -> Subscription | None:
        """Pause by an admin; None when the server has no such digest. Pausing twice is fine."""
        async with self._sessions.begin() as session:
            store = DigestStore(session)
            if await store.get(subscription_id, guild_id=guild_id) is None:
                return None
            await store.pause(subscription_id, reason=f"paused by {by}", now=now)
            found = await store.get(subscription_id)
        await self.reschedule()
        return found

    async def resume(
        self, guild_id: int, subscription_id: int, *, now: datetime
    ) -> Subscription | None:
        async with self._sessions.begin() as session:
            store = DigestStore(session)
            if await store.get(subscription_id, guild_id=guild_id) is None:
                return None
            await store.resume(subscription_id, now=now)
            found = await store.get(subscription_id)
        await self.reschedule()
        return found

    async def settings(self, guild_id: int) -> ServerSettings:
        async with self._sessions() as session:
            return await GuildStore(session).settings(guild_id)

    async def update_settings(
        self,
        guild_id: int,
        *,
        guild_name: str,
        now: datetime,
        timezone: str | None = None,
        admin_channel_id: int | None = None,
    ) -> ServerSettings | SettingsRefused:
        """Set the server's default timezone and/or admin channel; the schedule follows."""
        if timezone is not None:
            canonical = canonical_timezone(timezone, self.timezones)
            if canonical is None:
                return SettingsRefused(timezone, close_timezones(timezone, self.timezones))
            timezone = canonical
        async with self._sessions.begin() as session:
            found = await GuildStore(session).update_settings(
                guild_id,
                name=guild_name,
                now=now,
                timezone=timezone,
                admin_channel_id=admin_channel_id,
            )
        if timezone is not None:
            await self.reschedule()
        return found

    @property
    def timezones(self) -> frozenset[str]:
        """The IANA names this machine knows (read once)."""
        if self._timezones is None:
            self._timezones = frozenset(zoneinfo.available_timezones())
        return self._timezones

    @property
    def default_timezone(self) -> str:
        return self._default_timezone

    # -- composing -----------------------------------------------------------------------

    async def preview(
        self, guild_id: int, subscription_id: int | None, *, now: datetime
    ) -> Digest | None:
        """What the next run would post now (resuming a pending run shows what is left of it
        as a whole). Without an id: the server's first digest, or a new daily digest's first
        run. None when the server has no such digest."""
        async with self._sessions() as session:
            store = DigestStore(session)
            settings = await GuildStore(session).settings(guild_id)
            if subscription_id is None:
                subscriptions = await store.of_guild(guild_id)
                subscription = subscriptions[0] if subscriptions else None
                if subscription is None:
                    return await self._compose_new(session, guild_id, settings, now=now)
            else:
                subscription = await store.get(subscription_id, guild_id=guild_id)
                if subscription is None:
                    return None
            pending = await store.pending_run(subscription.id)
            if pending is not None:
                digest = _plan_of(pending)
                if digest is not None:
                    return digest
            scheduled = self._scheduled(subscription, settings.timezone)
            return await self._compose(session, scheduled, now=now)

    async def console_digest(self, *, since: datetime, now: datetime) -> Digest:
        """The digest of the instance list's feeds over (since, now]; nothing is recorded."""
        async with self._sessions() as session:
            return await self._compose_over(
                session,
                since=since,
                as_of_previous=since,
                now=now,
                guild_id=None,
                subscription_id=None,
                max_stories=DEFAULT_MAX_STORIES,
                topics=Topics(),
                first_run=False,
                timezone=self._default_timezone,
            )

    async def _compose(
        self, session: AsyncSession, scheduled: ScheduledSubscription, *, now: datetime
    ) -> Digest:
        """The subscription's next digest: since its previous run (a day's grace for items
        analysed late), or over the past week the first time."""
        subscription = scheduled.subscription
        if subscription.last_run_at is None:
            since = as_of_previous = now - FIRST_RUN_WINDOW
        else:
            since = subscription.last_run_at - LATE_ANALYSIS_GRACE
            as_of_previous = subscription.last_run_at
        return await self._compose_over(
            session,
            since=since,
            as_of_previous=as_of_previous,
            now=now,
            guild_id=subscription.guild_id,
            subscription_id=subscription.id,
            max_stories=subscription.max_stories,
            topics=subscription.topics,
            first_run=subscription.last_run_at is None,
            timezone=scheduled.timezone,
        )

    async def _compose_over(
        self,
        session: AsyncSession,
        *,
        since: datetime,
        as_of_previous: datetime,
        now: datetime,
        guild_id: int | None,
        subscription_id: int | None,
        max_stories: int,
        topics: Topics,
        first_run: bool,
        timezone: str,
    ) -> Digest:
        """Gather the candidates and what composing needs, then compose in a worker thread."""
        store = DigestStore(session)
        snapshot: CandidateSnapshot | None = None
        if subscription_id is not None:  # the instance list: what this minute's runs all read
            snapshot = await self._shared.snapshot(session, since=since, now=now)
            ledgered = await store.ledgered_since(subscription_id, since=since)
            candidates = snapshot.of_run(since=since, ledgered=ledgered)
            if guild_id is not None and await store.follows_own_feeds(guild_id):
                own = await store.candidates(
                    since=since,
                    until=now,
                    guild_id=guild_id,
                    subscription_id=subscription_id,
                    own_feeds_only=True,
                )
                candidates = sorted([*candidates, *own], key=lambda item: item.item_id)
        else:
            candidates = await store.candidates(
                since=since, until=now, guild_id=guild_id, subscription_id=subscription_id
            )
        previous = await self._previous_positions(
            session, candidates, before=as_of_previous, snapshot=snapshot
        )
        posted: frozenset[str] = frozenset()
        if subscription_id is not None:
            posted = await store.posted_story_keys(subscription_id, now=now)
        failing = await store.failing_feed_count(guild_id)
        return await self._in_worker(
            compose_digest,
            candidates,
            catalog=self._catalog,
            now=now,
            max_stories=max_stories,
            topics=topics,
            previous_positions=previous,
            already_posted=posted,
            failing_feeds=failing,
            first_run=first_run,
            timezone=timezone,
        )

    async def _compose_new(
        self, session: AsyncSession, guild_id: int, settings: ServerSettings, *, now: datetime
    ) -> Digest:
        """A daily digest's first run, for a server that has none yet."""
        draft = Subscription(
            id=0,
            guild_id=guild_id,
            channel_id=0,
            cadence=Cadence(DigestCadence.DAILY, 9, 0),
            timezone=None,
            topics=Topics(),
            max_stories=DEFAULT_MAX_STORIES,
            created_at=now,
        )
        return await self._compose(session, self._scheduled(draft, settings.timezone), now=now)

    async def _previous_positions(
        self,
        session: AsyncSession,
        candidates: Sequence[Candidate],
        *,
        before: datetime,
        snapshot: CandidateSnapshot | None = None,
    ) -> dict[tuple[str, str], StanceLabel]:
        """Each (company, law) the candidates take a side on, as the claims reported before
        ``before`` (the candidates' own aside) weighed it; read once per ``snapshot``."""
        pairs = {(c.company_id, c.target_id) for item in candidates for c in item.claims}
        if not pairs:
            return {}
        own = {item.item_id for item in candidates}
        store = AnalysisStore(session)
        facts: list[ClaimFact] = []
        for company in sorted({company for company, _ in pairs}):
            targets = sorted({target for who, target in pairs if who == company})
            if snapshot is not None:
                found = await snapshot.claim_facts(session, company, targets)
            else:
                found = await store.claim_facts(company_id=company, target_ids=targets)
            facts += [f for f in found if f.reported_at < before and f.item_id not in own]
        weighed = await self._in_worker(weigh, facts, now=before)  # thousands of facts
        return {(p.company_id, p.target_id): p.label for p in weighed}

    # -- running -------------------------------------------------------------------------

    async def run(
        self,
        subscription_id: int,
        channel: DigestChannel[Any],
        *,
        now: datetime,
        scheduled: bool = False,
    ) -> RunResult:
        """One run: finish a run left pending (from its first unsent part), else compose and
        send a new digest. ``scheduled`` (the scheduler's runs, not ``/digest now``) skips a
        run whose time has been run already, by another process."""
        if self._cycle is not None:
            await self._cycle.wait_idle(within=CYCLE_WAIT)
        async with self._runs:
            owner = f"{self._process}/{next(self._tokens)}"
            lease = RunLease(self._sessions, self._lease_clock, subscription_id, owner)
            held_until = await lease.take()
            if held_until is not None:
                log.info(
                    "digest run skipped subscription=%s reason=lease held until=%s",
                    subscription_id,
                    held_until.isoformat(),
                )
                if self._jobs is not None:  # whatever the holder leaves undone is run then
                    wait = held_until - self._lease_clock() + timedelta(seconds=1)
                    self._jobs.retry(subscription_id, after=max(wait, timedelta(0)))
                return RunResult(subscription_id, RunOutcome.SKIPPED, reason=RUN_IN_PROGRESS)
            try:
                return await self._run(
                    subscription_id, channel, lease, now=now, scheduled=scheduled
                )
            finally:
                await lease.release()

    async def _run(
        self,
        subscription_id: int,
        channel: DigestChannel[Any],
        lease: RunLease,
        *,
        now: datetime,
        scheduled: bool,
    ) -> RunResult:
        async with self._sessions() as session:
            store = DigestStore(session)
            subscription = await store.get(subscription_id)
            if subscription is None:
                return RunResult(subscription_id, RunOutcome.SKIPPED, reason="removed")
            if subscription.paused:
                return RunResult(
                    subscription_id, RunOutcome.SKIPPED, reason=subscription.paused_reason
                )
            settings = await GuildStore(session).settings(subscription.guild_id)
            pending = await store.pending_run(subscription_id)
        if pending is not None:  # the next run of an interrupted one finishes it first
            digest = _plan_of(pending)
            if digest is not None:
                return await self._deliver(
                    subscription, settings, pending, digest, channel, now, lease
                )
            await in_transaction(  # its unsent items are offered again
                self._sessions,
                lambda session: DigestStore(session).give_up(pending.id, error="unreadable plan"),
            )
        planned = self._scheduled(subscription, settings.timezone)
        if scheduled and pending is None and not missed(planned, now=now):
            return RunResult(
                subscription_id, RunOutcome.SKIPPED, reason="this time was run already"
            )
        async with self._sessions() as session:
            digest = await self._compose(session, planned, now=now)
        if digest.is_empty:
            await self._record_empty(subscription, digest, now=now)
            return RunResult(subscription_id, RunOutcome.NOTHING_NEW)
        parts, plan = await self._in_worker(_render_and_plan, channel, digest)
        run = await in_transaction(
            self._sessions,
            lambda session: DigestStore(session).create_run(
                subscription, plan=plan, parts_total=len(parts), now=now
            ),
        )
        log.info(
            "digest composed subscription=%s run=%s stories=%d parts=%d",
            subscription_id,
            run.id,
            digest.story_count,
            len(parts),
        )
        return await self._deliver(subscription, settings, run, digest, channel, now, lease, parts)

    async def _deliver(
        self,
        subscription: Subscription,
        settings: ServerSettings,
        run: DigestRun,
        digest: Digest,
        channel: DigestChannel[Any],
        now: datetime,
        lease: RunLease,
        parts: Sequence[RenderedPart] | None = None,
    ) -> RunResult:
        """Send the run's parts from its first unsent one; each accepted part is recorded,
        and the lease renewed with it (a run that lost its lease stops: its holder goes on)."""
        if parts is None:
            parts = channel.render(digest)
        dispositions = digest.dispositions()
        assigned = {item_id for part in parts for item_id in part.item_ids}
        sent = 0
        for index in range(run.parts_sent, len(parts)):
            part = parts[index]
            try:
                message_id = await channel.send(
                    subscription.channel_id,
                    part,
                    nonce=part_nonce(run.id, index, run.created_at),
                )
            except DeliveryError as exc:
                outcome, retry_at = await self._failed(
                    subscription, settings, run, exc, channel, now
                )
                return RunResult(
                    subscription.id,
                    outcome,
                    parts_sent=sent,
                    parts_total=len(parts),
                    run_id=run.id,
                    retry_at=retry_at,
                    reason=_reason(exc),
                )
            entries = {i: dispositions[i] for i in part.item_ids if i in dispositions}
            if index == len(parts) - 1:  # counted, covered, and anything no part carried
                entries |= {i: d for i, d in dispositions.items() if i not in assigned}
            kept = await self._record_part(run.id, index, message_id, entries, lease, now=now)
            sent += 1
            if not kept and index < len(parts) - 1:
                log.warning("digest run lease lost subscription=%s run=%s", subscription.id, run.id)
                return RunResult(
                    subscription.id,
                    RunOutcome.SKIPPED,
                    parts_sent=sent,
                    parts_total=len(parts),
                    run_id=run.id,
                    reason=RUN_IN_PROGRESS,
                )
        result = RunResult(
            subscription.id,
            RunOutcome.POSTED,
            parts_sent=sent,
            parts_total=len(parts),
            stories=digest.story_count,
            run_id=run.id,
        )
        await in_transaction(
            self._sessions,
            lambda session: DigestStore(session).record_result(
                subscription.id, result=result.describe(), ran_at=digest.as_of, now=now
            ),
        )
        log.info(
            "digest posted subscription=%s run=%s parts=%d resumed_at=%d",
            subscription.id,
            run.id,
            len(parts),
            len(parts) - sent,
        )
        return result

    async def _record_part(
        self,
        run_id: int,
        index: int,
        message_id: int,
        entries: dict[int, DigestDisposition],
        lease: RunLease,
        *,
        now: datetime,
    ) -> bool:
        """The part Discord accepted, with the lease renewed, in a transaction of its own, run
        again while SQLite is busy with another run's write (recording a part twice records it
        once); False when the lease was lost meanwhile."""

        async def record(session: AsyncSession) -> bool:
            store = DigestStore(session)
            await store.record_part(run_id, index, message_id=message_id, entries=entries, now=now)
            return await lease.renew(store)

        return await in_transaction(self._sessions, record)

    async def _failed(
        self,
        subscription: Subscription,
        settings: ServerSettings,
        run: DigestRun,
        error: DeliveryError,
        channel: DigestChannel[Any],
        now: datetime,
    ) -> tuple[RunOutcome, datetime | None]:
        """A part Discord did not take: pause (403/404), retry later (may pass) or give up."""
        reason = _reason(error)
        if isinstance(error, ChannelRefused):

            async def pause(session: AsyncSession) -> bool:
                store = DigestStore(session)
                await store.record_attempt(run.id, error=reason)
                return await store.pause(subscription.id, reason=reason, now=now)

            newly = await in_transaction(self._sessions, pause)
            log.warning(
                "digest paused subscription=%s channel=%s status=%s code=%s",
                subscription.id,
                subscription.channel_id,
                error.status,
                error.code,
            )
            if newly:  # said once: a paused subscription has no job, so no second failure
                await self.reschedule()
                if settings.admin_channel_id is not None:
                    notice = DigestPaused(subscription.id, subscription.channel_id, reason)
                    await channel.notify(settings.admin_channel_id, notice)
            return RunOutcome.PAUSED, None
        if isinstance(error, DeliveryFailed):
            retry_at = now + retry_delay(subscription.failures + 1)

            async def interrupt(session: AsyncSession) -> None:
                store = DigestStore(session)
                await store.record_attempt(run.id, error=reason)
                await store.record_failure(
                    subscription.id, reason=reason, retry_at=retry_at, now=now
                )

            await in_transaction(self._sessions, interrupt)
            log.warning(
                "digest interrupted subscription=%s run=%s status=%s retry_at=%s",
                subscription.id,
                run.id,
                error.status,
                retry_at.isoformat(),
            )
            if self._jobs is not None:
                self._jobs.retry(subscription.id, after=retry_at - now)
            return RunOutcome.RETRYING, retry_at
        # Discord refused the message as built (a 400): a bug to fix, not to retry forever.
        # The unsent items stay out of the ledger, so the next run offers them again.
        log.error(
            "digest refused by Discord subscription=%s run=%s status=%s code=%s reason=%s",
            subscription.id,
            run.id,
            error.status,
            error.code,
            error.reason,
        )

        async def give_up(session: AsyncSession) -> None:
            store = DigestStore(session)
            await store.give_up(run.id, error=reason)
            await store.record_result(
                subscription.id, result=f"failed: {reason}", ran_at=None, now=now
            )

        await in_transaction(self._sessions, give_up)
        return RunOutcome.FAILED, None

    async def _record_empty(
        self, subscription: Subscription, digest: Digest, *, now: datetime
    ) -> None:
        """Nothing to post: the covered items go in the ledger (no message), the run is done."""

        async def record(session: AsyncSession) -> None:
            store = DigestStore(session)
            if digest.covered_item_ids:
                run = await store.create_run(
                    subscription, plan=digest_to_plan(digest), parts_total=1, now=now
                )
                await store.record_part(
                    run.id,
                    0,
                    message_id=None,
                    entries=dict.fromkeys(digest.covered_item_ids, DigestDisposition.COVERED),
                    now=now,
                )
            await store.record_result(
                subscription.id,
                result=RunResult(subscription.id, RunOutcome.NOTHING_NEW).describe(),
                ran_at=digest.as_of,
                now=now,
            )

        await in_transaction(self._sessions, record)

    # -- the schedule --------------------------------------------------------------------

    async def start_schedule(
        self,
        scheduler: BaseScheduler,
        channel: DigestChannel[Any],
        *,
        clock: Clock,
        shards: Shards | None = None,
    ) -> None:
        """Build the jobs from the database (only the servers on ``shards``, when given);
        runs missed while down (and runs left pending) are handed to the scheduler to run
        once, now."""
        self._shards = shards

        async def fire(subscription_id: int) -> None:
            result = await self.run(subscription_id, channel, now=clock(), scheduled=True)
            log.info("digest run subscription=%s outcome=%s", subscription_id, result.outcome.value)

        self._jobs = DigestJobs(scheduler, fire, concurrency=CONCURRENT_RUNS)
        scheduled = await self._every_scheduled()
        self._jobs.rebuild(scheduled)
        for subscription_id in await self.due_at_start(now=clock(), scheduled=scheduled):
            self._jobs.retry(subscription_id)

    async def due_at_start(
        self, *, now: datetime, scheduled: Sequence[ScheduledSubscription] | None = None
    ) -> list[int]:
        """Subscriptions to run once at start-up: a run pending, or a fire time missed while
        the process was down (coalesced: once, however many were missed)."""
        if scheduled is None:
            scheduled = await self._every_scheduled()
        async with self._sessions() as session:
            pending = {run.subscription_id for run in await DigestStore(session).pending_runs()}
        return [
            s.id
            for s in scheduled
            if not s.subscription.paused and (s.id in pending or missed(s, now=now))
        ]

    async def reschedule(self) -> None:
        """Rebuild the jobs from the database (after any change); nothing without a schedule."""
        if self._jobs is not None:
            self._jobs.rebuild(await self._every_scheduled())

    def next_run(self, subscription_id: int) -> datetime | None:
        return None if self._jobs is None else self._jobs.next_run(subscription_id)

    async def _every_scheduled(self) -> list[ScheduledSubscription]:
        async with self._sessions() as session:
            every = await DigestStore(session).every()
        return [
            self._scheduled(sub, timezone)
            for sub, timezone in every
            if self._shards is None or self._shards.covers(sub.guild_id)
        ]

    # -- admin notices -------------------------------------------------------------------

    async def tell_admins(self, channel: DigestChannel[Any], *, shards: Shards | None) -> int:
        """The stored feed-health notices not yet told, each once, in the admin channel of its
        server (only servers on ``shards``, when given); how many were delivered.

        Each pass claims its notices first, so two processes never tell one twice; a notice
        is marked told once tried (a server with no admin channel, or one Discord refused,
        is not asked again). A pass that dies leaves its claim to expire.
        """
        async with self._telling:
            owner = f"{self._process}/{next(self._tokens)}"
            wall = self._lease_clock()
            async with self._sessions.begin() as session:
                store = HealthNoticeStore(session)
                claimed = await store.claim(
                    owner=owner, now=wall, until=wall + NOTICE_CLAIM, shards=shards
                )
                await store.prune(told_before=wall - NOTICE_KEEP)
                admin = await GuildStore(session).admin_channels({n.guild_id for n in claimed})
            told = 0
            for notice in claimed:
                channel_id = admin.get(notice.guild_id)
                if channel_id is not None and await channel.notify(channel_id, notice.event):
                    told += 1
            async with self._sessions.begin() as session:
                await HealthNoticeStore(session).mark_told(
                    [n.id for n in claimed], owner=owner, now=self._lease_clock()
                )
        return told

    # -- helpers -------------------------------------------------------------------------

    def _scheduled(
        self, subscription: Subscription, server_timezone: str | None
    ) -> ScheduledSubscription:
        return ScheduledSubscription(
            subscription, subscription.timezone or server_timezone or self._default_timezone
        )

    def _view(self, scheduled: ScheduledSubscription, *, now: datetime) -> SubscriptionView:
        return SubscriptionView(
            scheduled,
            next_fire_time(scheduled, after=now),
            describe_topics(scheduled.subscription.topics, self._catalog),
        )


class RunLease:
    """One run's hold on its subscription (``DigestStore``'s conditional updates)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        subscription_id: int,
        owner: str,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.subscription_id = subscription_id
        self.owner = owner

    async def take(self) -> datetime | None:
        """None when taken; else when the live lease another run holds ends."""
        wall = self._clock()
        async with self._sessions.begin() as session:
            return await DigestStore(session).take_run_lease(
                self.subscription_id, owner=self.owner, now=wall, until=wall + RUN_LEASE
            )

    async def renew(self, store: DigestStore) -> bool:
        until = self._clock() + RUN_LEASE
        return await store.renew_run_lease(self.subscription_id, owner=self.owner, until=until)

    async def release(self) -> None:
        async with self._sessions.begin() as session:
            await DigestStore(session).release_run_lease(self.subscription_id, owner=self.owner)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _render_and_plan(
    channel: DigestChannel[Any], digest: Digest
) -> tuple[Sequence[RenderedPart], dict[str, Any]]:
    """The digest's messages and its stored plan: pure work, done in a worker thread so a
    minute of digests does not hold the event loop."""
    return channel.render(digest), digest_to_plan(digest)


def _plan_of(run: DigestRun) -> Digest | None:
    try:
        return digest_from_plan(run.plan)
    except PlanError:
        log.warning("digest plan unreadable run=%s", run.id)
        return None


def _reason(error: DeliveryError) -> str:
    """A delivery failure in an admin's words."""
    if isinstance(error, ChannelRefused):
        if error.status == 404:
            return "the channel no longer exists (Discord answered 404)"
        return "the bot may no longer post in the channel (Discord answered 403)"
    if error.status is not None:
        return f"Discord answered {error.status}: {error.reason}"
    return error.reason


__all__ = [
    "CYCLE_WAIT",
    "FIRST_RUN_WINDOW",
    "DigestChannel",
    "Digests",
    "RenderedPart",
    "SettingsRefused",
]
