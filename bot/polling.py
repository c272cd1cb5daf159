"""The poll use case: due feeds -> fetch -> parse -> store -> reschedule.

Fetches run concurrently (bounded overall and per host by the HTTP session); parsing runs in
worker processes; a single writer task stores the results, committing whatever has queued up
as ONE transaction (group commit; SQLite has a single writer). A feed's items and its new
fetch state always commit together, so a crash mid-cycle loses nothing: feeds not yet
committed keep their old validators and due time and are fetched again, and insert-or-ignore
keeps the retry from duplicating anything.

One broken feed never stops the others: expected failures (``PolicybotError``) become that
feed's error state and a line in the report; health transitions become events.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.domain import health as feed_health
from bot.domain import schedule
from bot.domain.entries import ParsedFeed, key_entries
from bot.domain.health import Health, HealthEvent, HealthEventKind
from bot.domain.model import FeedStatus
from bot.errors import FetchError, ParseError, PolicybotError
from bot.ingest.fetch import FetchedFeed, FetchResult, NotModified
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, GuildFeed

log = logging.getLogger(__name__)

ADOPT_REDIRECT_AFTER = 3
THROTTLE_STATUSES = frozenset({429, 503})


class Fetcher(Protocol):
    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


class Parser(Protocol):
    async def parse(self, url: str, body: bytes, content_type: str | None) -> ParsedFeed: ...


class Outcome(StrEnum):
    FETCHED = "fetched"  # 200, parsed and stored
    NOT_MODIFIED = "not_modified"  # 304
    UNCHANGED = "unchanged"  # 200 with the same body as last time: not parsed
    THROTTLED = "throttled"  # 429/503: asked to wait
    GONE = "gone"  # 410: paused
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class FeedPollResult:
    feed_id: int
    url: str
    outcome: Outcome
    new_items: int = 0
    updated_items: int = 0
    error_kind: str | None = None
    error: str | None = None
    next_check_at: datetime | None = None


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
class FeedProbe:
    """What fetching a URL once showed (``feeds check``); nothing is stored."""

    url: str
    ok: bool
    final_url: str | None = None
    title: str = ""
    version: str = ""
    entry_count: int = 0
    sample_titles: tuple[str, ...] = ()
    has_validators: bool = False
    cache_control: str | None = None
    problem: str | None = None


_Written = tuple[FeedPollResult, tuple[int, ...], tuple[int, ...], HealthEvent | None]
# At most this many feeds per transaction: committing a batch runs the ORM's flush on the
# event loop, and a hundred feeds' rows made it a 30 ms turn on a slow machine.
WRITE_BATCH = 25
# While other feeds of the cycle are still in flight, the writer waits this long for more to
# join a batch: a transaction has a fixed cost (connection, the feeds' rows, commit) that a
# cold cycle, whose parsed feeds trickle in one by one, otherwise paid once per feed.
WRITE_GATHER_SECONDS = 0.1


@dataclass(slots=True)
class _PendingWrite:
    """A fetched (or failed) feed waiting for the writer; ``done`` receives the outcome."""

    feed_id: int
    done: asyncio.Future[_Written]
    fetched: FetchResult | None = None
    parsed: ParsedFeed | None = None
    body_hash: str | None = None
    error: PolicybotError | None = None


@dataclass(frozen=True, slots=True)
class _FeedState:
    """What a cycle needs from a feed row, read before any network I/O."""

    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval_minutes: int | None


@dataclass(frozen=True, slots=True)
class PollSettings:
    policy: schedule.SchedulePolicy = field(default_factory=schedule.SchedulePolicy)
    concurrency: int = 20
    failing_after_errors: int = feed_health.FAILING_AFTER_ERRORS


class FeedPoller:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        fetcher: Fetcher,
        parser: Parser,
        settings: PollSettings | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self._fetcher = fetcher
        self._parser = parser
        self._settings = settings or PollSettings()
        self._rng = rng or random.Random()
        self._writer = asyncio.Lock()

    async def poll(
        self,
        *,
        now: datetime,
        only_due: bool = True,
        on_feed: Callable[[FeedPollResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> PollReport:
        """Poll due feeds (or every active feed); ``now`` is the cycle's clock for every feed."""
        feeds = await self._select(now=now, only_due=only_due)
        if on_start is not None:
            on_start(len(feeds))
        limit = asyncio.Semaphore(self._settings.concurrency)
        results: list[_Written] = []
        queue: asyncio.Queue[_PendingWrite] = asyncio.Queue()

        async def one(feed: _FeedState) -> None:
            try:
                pending = await self._fetch_and_parse(feed)
            finally:
                limit.release()
            queue.put_nowait(pending)
            outcome = await pending.done
            results.append(outcome)
            if on_feed is not None:
                on_feed(outcome[0])

        writer = asyncio.create_task(self._write_batches(queue, now=now, expected=len(feeds)))
        try:
            async with asyncio.TaskGroup() as group:  # a failure in one task cancels the rest
                for feed in feeds:
                    # A task per feed only once a fetch slot is free, and one task per turn
                    # of the event loop: starting many fetches at once is one long turn, and
                    # the Discord gateway waits for it.
                    await limit.acquire()
                    group.create_task(one(feed))
                    await asyncio.sleep(0)
        except* Exception as failures:
            # Callers handle plain errors (e.g. the database went away), not groups of them.
            raise failures.exceptions[0] from failures
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        results.sort(key=lambda r: r[0].feed_id)
        per_feed = tuple(r[0] for r in results)
        return PollReport(
            started_at=now,
            feeds=per_feed,
            new_item_ids=tuple(i for r in results for i in r[1]),
            updated_item_ids=tuple(i for r in results for i in r[2]),
            events=tuple(r[3] for r in results if r[3] is not None),
            outcomes=dict(Counter(r.outcome.value for r in per_feed)),
            errors_by_kind=dict(Counter(r.error_kind for r in per_feed if r.error_kind)),
        )

    async def start(self) -> None:
        """Warm the parser up (worker processes) before the first cycle."""
        start = getattr(self._parser, "start", None)
        if start is not None:
            await start()

    async def probe(self, url: str) -> FeedProbe:
        """Fetch (unconditionally) and parse ``url``; report, store nothing."""
        try:
            fetched = await self._fetcher.fetch(url)
            if not isinstance(fetched, FetchedFeed):
                return FeedProbe(url, ok=False, problem="304 to an unconditional request")
            parsed = await self._parser.parse(fetched.final_url, fetched.body, fetched.content_type)
        except PolicybotError as exc:
            return FeedProbe(url, ok=False, problem=str(exc))
        return FeedProbe(
            url,
            ok=True,
            final_url=fetched.final_url,
            title=parsed.title,
            version=parsed.version,
            entry_count=len(parsed.entries),
            sample_titles=tuple(entry.title for entry in parsed.entries[:5]),
            has_validators=bool(fetched.etag or fetched.last_modified),
            cache_control=fetched.cache_control,
        )

    async def resume(self, reference: str, *, now: datetime) -> str | None:
        """Un-pause a feed (by id or URL) and make it due now; its URL, or None if unknown."""
        query = select(Feed).where(
            Feed.id == int(reference) if reference.isdigit() else Feed.url == reference
        )
        async with self._sessions.begin() as session:
            feed = (await session.scalars(query)).one_or_none()
            if feed is None:
                return None
            feed.status = FeedStatus.OK
            feed.consecutive_errors = 0
            feed.next_check_at = now
            log.info("feed resumed url=%s", feed.url)
            return feed.url

    async def spread_due(self, *, now: datetime) -> int:
        """After a restart, scatter overdue feeds over one interval; feeds never fetched
        stay due, so a fresh install fetches them in its first cycle."""
        async with self._sessions.begin() as session:
            feeds = (
                await session.scalars(
                    select(Feed).where(
                        Feed.status != FeedStatus.PAUSED,
                        _followed(),
                        or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now),
                        Feed.last_checked_at.is_not(None),
                    )
                )
            ).all()
            for feed in feeds:
                interval = self._settings.policy.interval_for(feed.interval_minutes)
                feed.next_check_at = schedule.spread_first_check(
                    now=now, interval=interval, jitter=self._rng.random()
                )
            return len(feeds)

    async def _select(self, *, now: datetime, only_due: bool) -> list[_FeedState]:
        # Columns, not ORM entities: a thousand feeds load in a few ms instead of one long
        # stall of the event loop that the Discord gateway shares.
        query = (
            select(
                Feed.id,
                Feed.url,
                Feed.title,
                Feed.etag,
                Feed.last_modified,
                Feed.body_hash,
                Feed.interval_minutes,
            )
            .where(Feed.status != FeedStatus.PAUSED, _followed())
            .order_by(Feed.id)
        )
        if only_due:
            query = query.where(or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now))
        async with self._sessions() as session:
            return [_FeedState(*row) for row in await session.execute(query)]

    async def _fetch_and_parse(self, feed: _FeedState) -> _PendingWrite:
        """The network and CPU half of a feed's poll; nothing is written here."""
        pending = _PendingWrite(feed.id, asyncio.get_running_loop().create_future())
        try:
            fetched = await self._fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            pending.fetched = fetched
            if isinstance(fetched, FetchedFeed):
                pending.body_hash = hashlib.sha256(fetched.body).hexdigest()
                if pending.body_hash != feed.body_hash:
                    pending.parsed = await self._parser.parse(
                        fetched.final_url, fetched.body, fetched.content_type
                    )
        except PolicybotError as exc:
            pending.error = exc
        return pending

    async def _write_batches(
        self, queue: asyncio.Queue[_PendingWrite], *, now: datetime, expected: int
    ) -> None:
        """The single writer: what queues up within a short window is written in ONE transaction.

        Group commit keeps SQLite's one writer busy with work, not with per-feed commits;
        a batch is atomic, so a crash still loses or duplicates nothing. The window closes
        early once all ``expected`` feeds of the cycle have arrived.
        """
        loop = asyncio.get_running_loop()
        received = 0
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + WRITE_GATHER_SECONDS
            while len(batch) < WRITE_BATCH and received + len(batch) < expected:
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                try:
                    async with asyncio.timeout_at(deadline):
                        batch.append(await queue.get())
                except TimeoutError:
                    break
            received += len(batch)
            try:
                async with self._writer, self._sessions.begin() as session:
                    ids = [pending.feed_id for pending in batch]
                    # Held here so session.get() below finds them in the identity map.
                    loaded = (await session.scalars(select(Feed).where(Feed.id.in_(ids)))).all()
                    outcomes = [await self._record(session, pending, now=now) for pending in batch]
                    del loaded
            except Exception as exc:  # the batch failed as a whole: every feed in it says so
                for pending in batch:
                    if not pending.done.done():  # its task may have been cancelled
                        pending.done.set_exception(exc)
                continue
            for pending, outcome in zip(batch, outcomes, strict=True):
                if not pending.done.done():
                    pending.done.set_result(outcome)

    async def _record(
        self, session: AsyncSession, pending: _PendingWrite, *, now: datetime
    ) -> _Written:
        if pending.error is not None:
            return await self._record_failure(session, pending.feed_id, pending.error, now=now)
        assert pending.fetched is not None
        return await self._record_success(
            session, pending.feed_id, pending.fetched, pending.parsed, pending.body_hash, now=now
        )

    async def _record_success(
        self,
        session: AsyncSession,
        feed_id: int,
        fetched: FetchResult,
        parsed: ParsedFeed | None,
        body_hash: str | None,
        *,
        now: datetime,
    ) -> _Written:
        feed = await session.get_one(Feed, feed_id)
        first_success = feed.last_success_at is None
        new_ids: tuple[int, ...] = ()
        updated_ids: tuple[int, ...] = ()
        if isinstance(fetched, NotModified):
            outcome = Outcome.NOT_MODIFIED
            feed.etag = fetched.etag or feed.etag
            feed.last_modified = fetched.last_modified or feed.last_modified
        else:
            outcome = Outcome.FETCHED if parsed is not None else Outcome.UNCHANGED
            feed.etag = fetched.etag
            feed.last_modified = fetched.last_modified
            feed.body_hash = body_hash
        if parsed is not None:
            # The feed row's changes are flushed once, at commit, not before the item queries.
            with session.no_autoflush:
                saved = await ItemStore(session).save(
                    feed.id,
                    key_entries(parsed.entries),
                    now=now,
                    backlog=first_success,
                    expect_new=first_success,
                )
            new_ids, updated_ids = saved.new_ids, saved.updated_ids
            feed.ttl_minutes = parsed.ttl_minutes
            if not feed.title and parsed.title:
                feed.title = parsed.title[:512]
            if feed.site_url is None and parsed.site_url and len(parsed.site_url) <= 2048:
                feed.site_url = parsed.site_url
        await self._note_redirect(session, feed, fetched.permanent_url)
        state, event_kind = feed_health.after_success(self._health(feed))
        self._apply_health(feed, state)
        hints = schedule.CacheHints(
            cache_control=fetched.cache_control,
            expires=fetched.expires,
            ttl_minutes=feed.ttl_minutes,  # a 304 or an unchanged body keeps the last <ttl>
        )
        feed.next_check_at = schedule.next_check_after_success(
            now=now,
            interval=self._settings.policy.interval_for(feed.interval_minutes),
            hints=hints,
            has_validators=bool(feed.etag or feed.last_modified),
            policy=self._settings.policy,
            jitter=self._rng.random(),
        )
        feed.last_checked_at = now
        feed.last_success_at = now
        feed.fetch_count = (feed.fetch_count or 0) + 1
        log.info(
            "feed polled url=%s outcome=%s new=%d updated=%d",
            feed.url,
            outcome.value,
            len(new_ids),
            len(updated_ids),
        )
        result = FeedPollResult(
            feed_id=feed.id,
            url=feed.url,
            outcome=outcome,
            new_items=len(new_ids),
            updated_items=len(updated_ids),
            next_check_at=feed.next_check_at,
        )
        return result, new_ids, updated_ids, self._event(feed, event_kind, None, now)

    async def _record_failure(
        self, session: AsyncSession, feed_id: int, exc: PolicybotError, *, now: datetime
    ) -> _Written:
        feed = await session.get_one(Feed, feed_id)
        interval = self._settings.policy.interval_for(feed.interval_minutes)
        kind = exc.kind if isinstance(exc, FetchError | ParseError) else "error"
        status = exc.status if isinstance(exc, FetchError) else None
        reason = str(exc.reason) if isinstance(exc, FetchError | ParseError) else str(exc)
        jitter = self._rng.random()
        if status in THROTTLE_STATUSES:
            outcome = Outcome.THROTTLED
            assert isinstance(exc, FetchError)
            state, event_kind = feed_health.after_throttle(self._health(feed))
            feed.next_check_at = schedule.next_check_after_throttle(
                now=now,
                interval=interval,
                retry_after=schedule.parse_retry_after(exc.retry_after, now=now),
                jitter=jitter,
            )
        elif status == 410:
            outcome = Outcome.GONE
            state, event_kind = feed_health.after_gone(self._health(feed))
            feed.next_check_at = now + schedule.MAX_BACKOFF
        else:
            outcome = Outcome.ERROR
            state, event_kind = feed_health.after_error(
                self._health(feed), failing_after=self._settings.failing_after_errors
            )
            feed.next_check_at = schedule.next_check_after_error(
                now=now,
                interval=interval,
                consecutive_errors=state.consecutive_errors,
                jitter=jitter,
            )
            feed.error_count = (feed.error_count or 0) + 1
        self._apply_health(feed, state)
        error_kind = f"http_{status}" if status is not None else kind
        feed.last_error = f"{error_kind}: {reason}"[:2000]
        feed.last_error_at = now
        feed.last_checked_at = now
        feed.fetch_count = (feed.fetch_count or 0) + 1
        log.info(
            "feed failed url=%s outcome=%s kind=%s reason=%s next=%s",
            feed.url,
            outcome.value,
            error_kind,
            reason,
            feed.next_check_at.isoformat(),
        )
        result = FeedPollResult(
            feed_id=feed.id,
            url=feed.url,
            outcome=outcome,
            error_kind=error_kind,
            error=reason,
            next_check_at=feed.next_check_at,
        )
        return result, (), (), self._event(feed, event_kind, feed.last_error, now)

    @staticmethod
    def _health(feed: Feed) -> Health:
        return Health(FeedStatus(feed.status), feed.consecutive_errors or 0)

    @staticmethod
    def _apply_health(feed: Feed, state: Health) -> None:
        feed.status = state.status
        feed.consecutive_errors = state.consecutive_errors

    @staticmethod
    def _event(
        feed: Feed, kind: HealthEventKind | None, reason: str | None, now: datetime
    ) -> HealthEvent | None:
        if kind is None:
            return None
        log.info("feed health url=%s event=%s reason=%s", feed.url, kind.value, reason)
        return HealthEvent(feed.id, feed.url, feed.title, kind, reason, now)

    @staticmethod
    async def _note_redirect(session: AsyncSession, feed: Feed, permanent_url: str | None) -> None:
        """301/308 is adopted as the feed's URL only once it repeats; 302/307 never are."""
        if permanent_url is None or permanent_url == feed.url:
            feed.redirect_url = None
            feed.redirect_count = 0
            return
        if feed.redirect_url == permanent_url:
            feed.redirect_count = (feed.redirect_count or 0) + 1
        else:
            feed.redirect_url = permanent_url
            feed.redirect_count = 1
        if feed.redirect_count < ADOPT_REDIRECT_AFTER or len(permanent_url) > 2048:
            return
        taken = await session.scalar(select(Feed.id).where(Feed.url == permanent_url))
        if taken is not None:
            log.warning("feed moved to a known url url=%s new_url=%s", feed.url, permanent_url)
        else:
            log.info("feed moved url=%s new_url=%s", feed.url, permanent_url)
            feed.url = permanent_url
            feed.redirect_url = None
            feed.redirect_count = 0


def _followed() -> ColumnElement[bool]:
    """Feeds someone reads: on the instance list or followed by a server. Others stop."""
    return or_(
        Feed.in_instance_list.is_(True),
        exists().where(GuildFeed.feed_id == Feed.id),
    )
