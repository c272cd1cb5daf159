"""The poll use case: due feeds -> fetch -> parse -> store -> reschedule.

Fetches run concurrently (bounded overall and per host by the HTTP session); parsing runs in
worker processes; a single writer task stores the results, committing whatever has queued up
as ONE transaction (group commit; SQLite has a single writer). A feed's items and its new
fetch state always commit together, so a crash mid-cycle loses nothing: feeds not yet
committed keep their old validators and due time and are fetched again, and insert-or-ignore
keeps the retry from duplicating anything.

Several pollers can share one PostgreSQL database. A cycle leases due feeds a batch at a time
(``FeedStore.lease_due``) as fetch slots free up, so a fast poller takes more of them; a
background task renews the leases of the feeds still in flight every third of the lease time,
and the write of a feed's outcome releases its lease. A poller that dies stops renewing, and
after ``lease_seconds`` the others take its feeds over. A cycle that stops early (a database
failure, a shutdown) releases what it did not write. A cycle walks the feeds once, by id, so
each is polled once per due time: a feed written is no longer due, and one in flight is held.

One broken feed never stops the others: expected failures (``FeedError``) become that
feed's error state and a line in the report; so does any other exception while fetching,
parsing or storing that one feed (an ``internal`` error naming the exception's class, backed
off like any error). Only a failing database (``StorageError``) ends a cycle. Health
transitions become events.

The package, like reader's ``_update``: this module runs a cycle (due feeds -> fetch and parse,
a bounded number at a time -> the writer); ``writer`` is the group-commit writer, which asks
the pure decider (``bot.domain.feed_update``) what each outcome means and stores it through
``FeedStore``; ``probe`` looks at one URL and stores nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import health as feed_health
from bot.domain import schedule
from bot.domain.entries import ParsedFeed
from bot.domain.feed_errors import FeedErrorInfo, internal_error
from bot.domain.feed_update import Failed, Fetched, Outcome, PollOutcome
from bot.domain.health import HealthEvent
from bot.domain.responses import FetchResult, NotModified
from bot.errors import FetchError, ParseError, StorageError, raise_if_cancelled
from bot.polling.probe import FeedProbe, probe_url
from bot.polling.writer import FeedWriter, PendingWrite, Written
from bot.storage.feeds import DueFeed, FeedStore
from bot.storage.retry import in_transaction

__all__ = [
    "FeedPollResult",
    "FeedPoller",
    "FeedProbe",
    "Fetcher",
    "Outcome",
    "Parser",
    "PollReport",
    "PollSettings",
    "dead_local_owners",
    "new_lease_owner",
]

log = logging.getLogger(__name__)


class Fetcher(Protocol):
    """Fetches a feed (``bot.ingest.fetch.FeedFetcher``); expected failures are ``FetchError``."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


class Parser(Protocol):
    """Parses fetched bytes (``bot.ingest.parse.ParserPool``); refusals are ``ParseError``."""

    async def parse(self, url: str, body: bytes, content_type: str | None) -> ParsedFeed: ...


@dataclass(frozen=True, slots=True)
class FeedPollResult:
    feed_id: int
    url: str
    outcome: Outcome
    new_items: int = 0
    updated_items: int = 0
    error: FeedErrorInfo | None = None
    next_check_at: datetime | None = None

    @property
    def error_kind(self) -> str | None:
        """The error's label, as the poll summary counts it (``http_404``, ``timeout`` ...)."""
        return self.error.label if self.error is not None else None


@dataclass(frozen=True, slots=True)
class PollReport:
    """One cycle: per-feed results, ids of new/updated items, and health events to announce."""

    started_at: datetime
    feeds: tuple[FeedPollResult, ...] = ()
    new_item_ids: tuple[int, ...] = ()
    updated_item_ids: tuple[int, ...] = ()
    events: tuple[HealthEvent, ...] = ()
    outcomes: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PollSettings:
    """``lease_seconds``: how long a feed stays leased to this poller without a renewal
    (renewed every third of it while in flight); a dead poller's feeds wait that long.
    ``lease_batch``: feeds leased per statement; by default as many as are fetched at once,
    so pollers sharing a database split a cycle finely. A lone poller (SQLite) can take a
    cycle in a few statements instead of waiting for the writer's lock before each one."""

    policy: schedule.SchedulePolicy = field(default_factory=schedule.SchedulePolicy)
    concurrency: int = 20
    failing_after_errors: int = feed_health.FAILING_AFTER_ERRORS
    lease_seconds: float = 120.0
    lease_batch: int | None = None


def new_lease_owner() -> str:
    """A name for this process's leases, unique across hosts and restarts: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_local_owners(owners: Iterable[str]) -> list[str]:
    """The lease owners that name a process of this host that is gone (killed, crashed): their
    leases need not wait out the lease time. Owners on other hosts, or whose process still
    runs (or whose pid another process now has), are left to expire."""
    host = socket.gethostname()
    dead = []
    for owner in owners:
        owner_host, _, rest = owner.rpartition(":")[0].rpartition(":")
        pid = int(rest) if rest.isdigit() else 0
        if owner_host != host or pid <= 0 or pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append(owner)
        except PermissionError:  # alive, another user's
            continue
    return dead


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class FeedPoller:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        fetcher: Fetcher,
        parser: Parser,
        settings: PollSettings | None = None,
        *,
        rng: random.Random | None = None,
        lease_owner: str | None = None,
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        """``lease_owner`` names this poller's feed leases (default: ``new_lease_owner()``);
        ``clock`` is the wall clock leases are taken and renewed by, which (unlike a cycle's
        ``now``) moves on while a cycle runs."""
        self._sessions = sessions
        self._fetcher = fetcher
        self._parser = parser
        self._settings = settings or PollSettings()
        self._rng = rng or random.Random()
        self.lease_owner = lease_owner or new_lease_owner()
        self._clock = clock
        self._lease_batch = self._settings.lease_batch or self._settings.concurrency
        self._writer = FeedWriter(
            sessions,
            policy=self._settings.policy,
            failing_after=self._settings.failing_after_errors,
            rng=self._rng,
            lease_owner=self.lease_owner,
        )

    async def poll(
        self,
        *,
        now: datetime,
        only_due: bool = True,
        on_feed: Callable[[FeedPollResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> PollReport:
        """Poll due feeds (or every active feed); ``now`` is the cycle's clock for every feed.

        Feeds are leased a batch at a time as fetch slots free up, until none is left that
        another poller does not hold; ``on_start`` receives how many are due in all.
        """
        await self._reclaim_dead_leases()
        if on_start is not None:
            async with self._sessions() as session:
                on_start(await FeedStore(session).count_due(now=now, only_due=only_due))
        limit = asyncio.Semaphore(self._settings.concurrency)
        results: list[tuple[FeedPollResult, Written]] = []
        queue: asyncio.Queue[PendingWrite] = asyncio.Queue()
        held: set[int] = set()  # leased and not written yet: renewed, released if unwritten
        fetching: set[int] = set()  # leased and not handed to the writer yet
        leasing = True

        failures: list[Exception] = []
        running: set[asyncio.Task[None]] = set()

        async def one(feed: DueFeed) -> None:
            try:
                try:
                    outcome = await self._fetch_and_parse(feed)
                finally:
                    limit.release()
                pending = PendingWrite(feed.id, outcome, asyncio.get_running_loop().create_future())
                queue.put_nowait(pending)
                fetching.discard(feed.id)
                written = await pending.done
                held.discard(feed.id)
                result = _poll_result(written)
                results.append((result, written))
                if on_feed is not None:
                    on_feed(result)
            except Exception as exc:  # the database failed (one feed's own errors are its state)
                if not failures:
                    failures.append(exc)
                    for task in running - {asyncio.current_task()}:
                        task.cancel()

        writer = asyncio.create_task(
            self._writer.write_batches(queue, now=now, more=lambda: leasing or bool(fetching))
        )
        renewal = asyncio.create_task(self._renew_leases(held, fetching))
        try:
            # The tasks never raise: a failure cancels the others by hand. A task group that
            # sees a task fail cancels this task too, and when that lands while it is already
            # waiting for the group to finish, Python 3.11 never takes the cancel back, so
            # the caller's next ``raise_if_cancelled`` would end the service's poll loop.
            async with asyncio.TaskGroup() as group:
                after_id = 0
                while not failures:
                    try:
                        batch = await self._lease(now=now, only_due=only_due, after_id=after_id)
                    except Exception as exc:  # raised here, the group would wrap it
                        failures.append(exc)
                        for task in running:
                            task.cancel()
                        break
                    if not batch:
                        break
                    after_id = batch[-1].id
                    last = len(batch) < self._lease_batch  # nothing more to lease now
                    held.update(feed.id for feed in batch)
                    fetching.update(feed.id for feed in batch)
                    for feed in batch:
                        # A task per feed only once a fetch slot is free, and one task per
                        # turn of the event loop: starting many fetches at once is one long
                        # turn, and the Discord gateway waits for it.
                        await limit.acquire()
                        if failures:
                            limit.release()
                            break
                        task = group.create_task(one(feed))
                        running.add(task)
                        task.add_done_callback(running.discard)
                        await asyncio.sleep(0)
                    if last:
                        break
                leasing = False
        finally:
            leasing = False
            writer.cancel()
            renewal.cancel()
            # Waited for, not awaited: awaiting would raise the writer's CancelledError, and
            # suppressing that would also swallow a cancel of this poll landing here.
            await asyncio.wait({writer, renewal})
            if held:
                await self._release(held)
        if failures:
            raise failures[0]
        results.sort(key=lambda r: r[0].feed_id)
        per_feed = tuple(result for result, _ in results)
        return PollReport(
            started_at=now,
            feeds=per_feed,
            new_item_ids=tuple(i for _, written in results for i in written.new_ids),
            updated_item_ids=tuple(i for _, written in results for i in written.updated_ids),
            events=tuple(written.event for _, written in results if written.event is not None),
            outcomes=dict(Counter(r.outcome.value for r in per_feed)),
            errors_by_kind=dict(Counter(r.error.label for r in per_feed if r.error is not None)),
        )

    async def start(self) -> None:
        """Warm the parser up (worker processes) before the first cycle."""
        start = getattr(self._parser, "start", None)
        if start is not None:
            await start()

    async def probe(self, url: str) -> FeedProbe:
        """Fetch (unconditionally) and parse ``url``; report, store nothing."""
        return await probe_url(self._fetcher, self._parser, url)

    async def spread_due(self, *, now: datetime) -> int:
        """After a restart, scatter overdue and never-checked feeds over one interval."""

        async def spread(session: AsyncSession) -> int:
            return await FeedStore(session).spread_due(
                now=now, policy=self._settings.policy, jitter=self._rng.random
            )

        return await in_transaction(self._sessions, spread)

    async def _reclaim_dead_leases(self) -> None:
        """Free the leases of pollers of this host that died (a crash, SIGKILL), so their
        feeds are fetched this cycle rather than after the lease time."""

        async with self._sessions() as session:
            dead = dead_local_owners(await FeedStore(session).lease_owners(now=self._clock()))
        if not dead:
            return

        async def reclaim(session: AsyncSession) -> int:
            return await FeedStore(session).release_owners(dead)

        reclaimed = await in_transaction(self._sessions, reclaim)
        if reclaimed:
            log.info("feed leases of a dead poller released feeds=%d", reclaimed)

    async def _lease(self, *, now: datetime, only_due: bool, after_id: int) -> list[DueFeed]:
        """The next batch of feeds for this poller: as many as it fetches at once."""
        leased_at = self._clock()
        until = leased_at + timedelta(seconds=self._settings.lease_seconds)

        async def lease(session: AsyncSession) -> list[DueFeed]:
            return await FeedStore(session).lease_due(
                owner=self.lease_owner,
                now=now,
                leased_at=leased_at,
                until=until,
                limit=self._lease_batch,
                after_id=after_id,
                only_due=only_due,
            )

        return await in_transaction(self._sessions, lease)

    async def _renew_leases(self, held: set[int], fetching: set[int]) -> None:
        """Every third of the lease time, extend the leases of the feeds not written yet; a
        feed whose lease was lost (this poller stalled past it) is said so, once per renewal."""
        every = self._settings.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            ids = sorted(held)
            if not ids:
                continue
            until = self._clock() + timedelta(seconds=self._settings.lease_seconds)
            try:
                async with self._sessions.begin() as session:
                    kept = await FeedStore(session).renew(ids, owner=self.lease_owner, until=until)
            except StorageError as exc:  # the next renewal tries again; the lease may lapse
                raise_if_cancelled()
                log.warning("feed leases not renewed feeds=%d error=%s", len(ids), exc)
                continue
            lost = sorted((set(ids) - kept) & fetching)
            if lost:
                log.warning(
                    "feed leases lost; another poller may fetch them too feeds=%d ids=%s",
                    len(lost),
                    ",".join(map(str, lost[:10])),
                )

    async def _release(self, ids: set[int]) -> None:
        """Give back the leases of feeds this cycle took and did not write (it stopped early);
        if even that fails they lapse after the lease time."""
        try:
            async with self._sessions.begin() as session:
                released = await FeedStore(session).release(sorted(ids), owner=self.lease_owner)
        except StorageError as exc:
            log.warning("feed leases not released feeds=%d error=%s", len(ids), exc)
            return
        log.info("feed leases released unwritten feeds=%d", released)

    async def _fetch_and_parse(self, feed: DueFeed) -> PollOutcome:
        """The network and CPU half of a feed's poll; nothing is written here."""
        try:
            fetched = await self._fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            if isinstance(fetched, NotModified):
                return fetched
            body_hash = hashlib.sha256(fetched.body).hexdigest()
            if body_hash == feed.body_hash:
                return Fetched(fetched, body_hash)
            parsed = await self._parser.parse(fetched.final_url, fetched.body, fetched.content_type)
            return Fetched(fetched, body_hash, parsed)
        except FetchError as exc:
            return Failed(exc.info, exc.retry_after)
        except ParseError as exc:
            return Failed(exc.info)
        except Exception as exc:  # unexpected: this feed's error, never the cycle's
            log.error("feed poll failed unexpectedly url=%s", feed.url, exc_info=exc)
            return Failed(internal_error(exc))


def _poll_result(written: Written) -> FeedPollResult:
    update = written.update
    return FeedPollResult(
        feed_id=update.feed.id,
        url=written.url,
        outcome=update.outcome,
        new_items=len(written.new_ids),
        updated_items=len(written.updated_ids),
        error=update.error,
        next_check_at=update.feed.next_check_at,
    )
