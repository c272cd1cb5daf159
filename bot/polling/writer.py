"""The poll cycle's single writer: group commit of decided feeds and their new items.

Fetched (or failed) feeds queue up here; the writer takes what arrived within a short window,
and in ONE transaction reads those feeds' state, asks the pure decider
(``bot.domain.feed_update.decide``) what each outcome means, stores new items and writes the
decision through ``FeedStore``. A feed's items and its new fetch state always commit together.

A batch that fails for any reason but the database's (``StorageError``) is written again one
feed at a time; the feed whose write fails on its own gets that exception recorded as its
error (an ``internal`` error), so one feed's data never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import schedule
from bot.domain.entries import key_entries
from bot.domain.feed_errors import internal_error
from bot.domain.feed_update import Failed, FeedState, FeedUpdate, Fetched, PollOutcome, decide
from bot.domain.health import HealthEvent
from bot.errors import StorageError, raise_if_cancelled
from bot.storage.feeds import FeedStore
from bot.storage.health_notices import HealthNoticeStore
from bot.storage.items import ItemStore
from bot.storage.retry import in_transaction

log = logging.getLogger(__name__)

# At most this many feeds per transaction: committing a batch runs the ORM's flush on the
# event loop, and a hundred feeds' rows made it a 30 ms turn on a slow machine.
WRITE_BATCH = 25
# While other feeds of the cycle are still in flight, the writer waits this long for more to
# join a batch: a transaction has a fixed cost (connection, the feeds' rows, commit) that a
# cold cycle, whose parsed feeds trickle in one by one, otherwise paid once per feed.
WRITE_GATHER_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class Written:
    """One feed's poll, committed: the decision, the feed's URL after it, the items stored."""

    update: FeedUpdate
    url: str
    new_ids: tuple[int, ...] = ()
    updated_ids: tuple[int, ...] = ()
    event: HealthEvent | None = None


@dataclass(slots=True)
class PendingWrite:
    """A fetched (or failed) feed waiting for the writer; ``done`` receives the outcome."""

    feed_id: int
    outcome: PollOutcome
    done: asyncio.Future[Written]


class FeedWriter:
    """Writes queued feeds in batches; one per poller, so concurrent cycles take turns."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        policy: schedule.SchedulePolicy,
        failing_after: int,
        rng: random.Random,
        lease_owner: str | None = None,
    ) -> None:
        """``lease_owner``: the poller whose feed leases a write releases."""
        self._sessions = sessions
        self._policy = policy
        self._failing_after = failing_after
        self._rng = rng
        self._lease_owner = lease_owner
        self._lock = asyncio.Lock()

    async def write_batches(
        self, queue: asyncio.Queue[PendingWrite], *, now: datetime, more: Callable[[], bool]
    ) -> None:
        """The single writer: what queues up within a short window is written in ONE transaction.

        Group commit keeps SQLite's one writer busy with work, not with per-feed commits;
        a batch is atomic, so a crash still loses or duplicates nothing. The window closes
        early once ``more()`` says no other feed of the cycle is on its way.
        """
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + WRITE_GATHER_SECONDS
            while len(batch) < WRITE_BATCH and (more() or not queue.empty()):
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                try:
                    async with asyncio.timeout_at(deadline):
                        batch.append(await queue.get())
                except TimeoutError:
                    break
            await self._write(batch, now=now)

    async def _write(self, batch: Sequence[PendingWrite], *, now: datetime) -> None:
        """Write ``batch`` in one transaction and hand each feed its outcome.

        A database failure fails every feed of the batch; any other failure is one feed's:
        the batch is written again feed by feed, and the feed that fails alone records it.
        """
        try:
            written = await self._transaction(batch, now=now)
        except StorageError as exc:  # the batch failed as a whole: every feed in it says so
            _fail(batch, exc)
            raise_if_cancelled()  # a cancel mid-batch can surface as the rollback's error
            return
        except Exception as exc:
            raise_if_cancelled()
            if len(batch) > 1:
                for pending in batch:
                    await self._write([pending], now=now)
            else:
                await self._record_failure(batch[0], exc, now=now)
            return
        for pending, outcome in zip(batch, written, strict=True):
            _log(outcome)
            if not pending.done.done():  # its task may have been cancelled
                pending.done.set_result(outcome)

    async def _record_failure(
        self, pending: PendingWrite, exc: Exception, *, now: datetime
    ) -> None:
        """Storing this feed's outcome raised ``exc``: store that as its error instead."""
        log.error("feed store failed unexpectedly feed_id=%d", pending.feed_id, exc_info=exc)
        failed = PendingWrite(pending.feed_id, Failed(internal_error(exc)), pending.done)
        try:
            written = await self._transaction([failed], now=now)
        except Exception as again:  # even the error cannot be stored: the cycle's problem
            _fail([pending], again)
            raise_if_cancelled()
            return
        _log(written[0])
        if not pending.done.done():
            pending.done.set_result(written[0])

    async def _transaction(self, batch: Sequence[PendingWrite], *, now: datetime) -> list[Written]:
        async def write(session: AsyncSession) -> list[Written]:
            store = FeedStore(session)
            states = await store.states_for_update([pending.feed_id for pending in batch])
            return [
                await self._record(session, store, states[pending.feed_id], pending, now=now)
                for pending in batch
            ]

        async with self._lock:  # retried as a whole while another program holds the lock
            return await in_transaction(self._sessions, write)

    async def _record(
        self,
        session: AsyncSession,
        store: FeedStore,
        state: FeedState,
        pending: PendingWrite,
        *,
        now: datetime,
    ) -> Written:
        outcome = pending.outcome
        update = decide(
            state,
            outcome,
            now=now,
            policy=self._policy,
            jitter=self._rng.random(),
            failing_after=self._failing_after,
        )
        new_ids: tuple[int, ...] = ()
        updated_ids: tuple[int, ...] = ()
        if isinstance(outcome, Fetched) and outcome.parsed is not None:
            # The feed rows' changes are flushed once, at commit, not before the item queries.
            with session.no_autoflush:
                saved = await ItemStore(session).save(
                    state.id,
                    key_entries(outcome.parsed.entries),
                    now=now,
                    backlog=update.backlog,
                    expect_new=update.backlog,
                )
            new_ids, updated_ids = saved.new_ids, saved.updated_ids
        url = await store.apply(update, lease_owner=self._lease_owner)
        event = update.event
        if event is not None and event.url != url:  # a redirect was adopted in this very poll
            event = replace(event, url=url)
        if event is not None:  # told by the bot process, from the database
            await HealthNoticeStore(session).record(event)
        return Written(update, url, new_ids, updated_ids, event)


def _log(written: Written) -> None:
    """One feed's poll, once it is committed."""
    update, url = written.update, written.url
    if update.error is None:
        log.info(
            "feed polled url=%s outcome=%s new=%d updated=%d",
            url,
            update.outcome.value,
            len(written.new_ids),
            len(written.updated_ids),
        )
    else:
        next_check = update.feed.next_check_at
        log.info(
            "feed failed url=%s outcome=%s kind=%s reason=%s next=%s",
            url,
            update.outcome.value,
            update.error.label,
            update.error.reason,
            next_check.isoformat() if next_check else None,
        )
    event = written.event
    if event is not None:
        log.info("feed health url=%s event=%s reason=%s", url, event.kind.value, event.reason)


def _fail(batch: Sequence[PendingWrite], exc: BaseException) -> None:
    for pending in batch:
        if not pending.done.done():  # its task may have been cancelled
            pending.done.set_exception(exc)
