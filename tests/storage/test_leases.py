"""Feed and analysis-queue leases on SQLite and PostgreSQL: pollers sharing a database take
disjoint work, a lapsed lease goes to the next taker, a written outcome releases its feed."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.analysis import Analysis
from bot.catalog import load_catalog
from bot.domain.clustering import StoryItem
from bot.domain.entries import key_entries
from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.feed_update import Failed, decide
from bot.domain.model import FeedKind, FeedSource
from bot.domain.schedule import SchedulePolicy
from bot.polling import dead_local_owners, new_lease_owner
from bot.storage.analyses import AnalysedItem, ItemText
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.feeds import FeedStore
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, ItemAnalysis
from tests.storage.test_analysis_queue import _entries
from tests.support.clock import NOW
from tests.support.feeds import add_feed

LEASE = timedelta(seconds=60)


async def _feeds(sessions: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    return [
        await add_feed(sessions, f"https://desk{number}.example/rss", now=NOW)
        for number in range(count)
    ]


async def _lease(
    sessions: async_sessionmaker[AsyncSession],
    owner: str,
    *,
    at: datetime = NOW,
    limit: int = 100,
    after_id: int = 0,
) -> list[int]:
    async with sessions.begin() as session:
        leased = await FeedStore(session).lease_due(
            owner=owner, now=NOW, leased_at=at, until=at + LEASE, limit=limit, after_id=after_id
        )
    return [feed.id for feed in leased]


async def test_two_leasers_never_get_the_same_feed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _feeds(sessions, 7)
    first = await _lease(sessions, "a", limit=3)
    second = await _lease(sessions, "b")
    assert first == ids[:3]  # by id
    assert second == ids[3:]
    assert await _lease(sessions, "c") == []  # every feed is held
    assert await _lease(sessions, "a") == []  # by its own holder too


async def test_a_lease_held_open_is_skipped_by_a_concurrent_leaser(
    sessions: async_sessionmaker[AsyncSession], database_url: URL
) -> None:
    """The first leaser's transaction has not committed yet: the second one does not wait for
    it and does not take its rows (PostgreSQL's SKIP LOCKED; SQLite's one writer simply
    makes the second wait its turn, then see them leased)."""
    ids = await _feeds(sessions, 6)
    concurrent = database_url.get_backend_name() == "postgresql"
    async with sessions.begin() as session:
        held = await FeedStore(session).lease_due(
            owner="a", now=NOW, leased_at=NOW, until=NOW + LEASE, limit=3
        )
        if concurrent:
            assert await _lease(sessions, "b") == ids[3:]
    assert [feed.id for feed in held] == ids[:3]
    assert await _lease(sessions, "c") == ([] if concurrent else ids[3:])
    async with sessions() as session:
        owners = dict((await session.execute(select(Feed.id, Feed.lease_owner))).all())
    rest = "b" if concurrent else "c"
    assert owners == {feed_id: "a" if feed_id in ids[:3] else rest for feed_id in ids}


async def test_an_expired_lease_is_taken_over_and_renewing_extends_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _feeds(sessions, 4)
    assert await _lease(sessions, "a") == ids
    async with sessions.begin() as session:  # "a" still works on the first two
        kept = await FeedStore(session).renew(ids[:2], owner="a", until=NOW + 3 * LEASE)
        assert await FeedStore(session).renew(ids, owner="b", until=NOW + 3 * LEASE) == set()
    assert kept == set(ids[:2])
    later = NOW + LEASE  # the first lease ends here
    assert await _lease(sessions, "b", at=later - timedelta(seconds=1)) == []
    assert await _lease(sessions, "b", at=later) == ids[2:]  # "a" stopped renewing these
    renewed = NOW + 3 * LEASE
    assert await _lease(sessions, "c", at=renewed - timedelta(seconds=1)) == ids[2:]  # b's lapsed
    assert await _lease(sessions, "d", at=renewed) == ids[:2]
    async with sessions.begin() as session:  # "a" comes back: its renewal finds nothing held
        assert await FeedStore(session).renew(ids, owner="a", until=NOW + 9 * LEASE) == set()


async def test_writing_the_outcome_releases_the_lease_of_its_writer_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second = await _feeds(sessions, 2)
    assert await _lease(sessions, "a") == [first, second]
    async with sessions.begin() as session:  # "b" took the second over after a's lease lapsed
        await session.execute(update(Feed).where(Feed.id == second).values(lease_owner="b"))
    failed = Failed(FeedErrorInfo(FeedErrorKind.FETCH_TIMEOUT, "read timed out"))
    async with sessions.begin() as session:
        store = FeedStore(session)
        states = await store.states_for_update([first, second])
        for feed_id in (first, second):
            update_ = decide(states[feed_id], failed, now=NOW, policy=SchedulePolicy(), jitter=0.5)
            await store.apply(update_, lease_owner="a")
    async with sessions() as session:
        rows = {
            row.id: (row.lease_owner, row.lease_expires_at is None, row.last_checked_at)
            for row in await session.execute(
                select(Feed.id, Feed.lease_owner, Feed.lease_expires_at, Feed.last_checked_at)
            )
        }
    assert rows == {first: (None, True, NOW), second: ("b", False, NOW)}
    assert await _lease(sessions, "c") == []  # both written: neither is due any more
    async with sessions.begin() as session:  # every active feed (``poll --all``): b still holds one
        everything = await FeedStore(session).lease_due(
            owner="c", now=NOW, leased_at=NOW, until=NOW + LEASE, limit=10, only_due=False
        )
    assert [feed.id for feed in everything] == [first]


async def test_a_released_lease_goes_at_once_and_a_dead_local_owner_is_found(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _feeds(sessions, 3)
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()  # a pid that no process has now
    dead = f"{socket.gethostname()}:{child.pid}:00000000"
    alive = new_lease_owner()
    assert await _lease(sessions, dead, limit=1) == ids[:1]
    assert await _lease(sessions, alive, limit=1) == ids[1:2]
    assert await _lease(sessions, "elsewhere:1:00000000") == ids[2:]
    async with sessions.begin() as session:
        store = FeedStore(session)
        owners = await store.lease_owners(now=NOW)
        assert dead_local_owners(owners) == [dead]  # alive here, or on another host: kept
        assert await store.release_owners([dead]) == 1
        assert await store.release(ids[1:], owner=alive) == 1  # not the other host's
    assert await _lease(sessions, "d") == ids[:2]


async def test_concurrent_leasers_on_separate_connections_get_disjoint_feeds(
    sessions: async_sessionmaker[AsyncSession], postgres_only: None
) -> None:
    """Many tasks, each on a connection of its own (the pool's), lease small batches until
    none is left: every feed is leased once, and more than one leaser got some."""
    ids = await _feeds(sessions, 300)
    got: dict[str, list[int]] = {f"leaser-{n}": [] for n in range(12)}

    async def leaser(owner: str) -> None:
        while batch := await _lease(sessions, owner, limit=5):
            got[owner].extend(batch)
            await asyncio.sleep(0)

    await asyncio.gather(*(leaser(owner) for owner in got))
    leased = [feed_id for batch in got.values() for feed_id in batch]
    assert sorted(leased) == ids  # each once: no feed twice, none missed
    assert sum(1 for batch in got.values() if batch) > 1


@pytest.fixture
def postgres_only(database_url: URL) -> None:
    if database_url.get_backend_name() != "postgresql":
        pytest.skip("SKIP LOCKED under contention needs PostgreSQL (SQLite has one writer)")


async def test_pollers_starting_together_sync_and_spread_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two start-ups at once: the same new feeds.yaml entries are added once, with no unique
    violation, and overdue feeds are spread once (the second spread finds none overdue)."""
    sources = tuple(
        FeedSource(url=f"https://new{n}.example/rss", name=f"New {n}", kind=FeedKind.NEWS)
        for n in range(20)
    )

    async def sync() -> Sequence[str]:
        async with sessions.begin() as session:
            return (await FeedStore(session).sync_instance_list(sources, now=NOW)).added

    added = await asyncio.gather(sync(), sync())
    assert sorted(len(batch) for batch in added) == [0, 20]
    async with sessions.begin() as session:  # all fetched long ago: overdue after a restart
        await session.execute(
            update(Feed).values(last_checked_at=NOW - timedelta(days=2), next_check_at=NOW)
        )
    leased = await _lease(sessions, "in-flight", limit=5)  # another poller works on these

    async def spread() -> int:
        async with sessions.begin() as session:
            return await FeedStore(session).spread_due(
                now=NOW, policy=SchedulePolicy(), jitter=lambda: 0.5
            )

    assert sorted(await asyncio.gather(spread(), spread())) == [0, 15]
    async with sessions() as session:
        due = set(await session.scalars(select(Feed.id).where(Feed.next_check_at <= NOW)))
    assert due == set(leased)


async def _queue_items(sessions: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    async with sessions.begin() as session:
        saved = await ItemStore(session).save(
            feed_id,
            key_entries(_entries(*(f"Item {n}" for n in range(count)))),
            now=NOW,
            backlog=False,
        )
    return sorted(saved.new_ids)


async def test_analysis_leases_are_disjoint_and_lapse(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _queue_items(sessions, 7)

    async def lease(owner: str, at: datetime, limit: int = 4) -> list[int]:
        async with sessions.begin() as session:
            return await AnalysisQueue(session).lease_batch(
                limit=limit, owner=owner, now=at, until=at + LEASE
            )

    assert await lease("a", NOW) == ids[:4]
    assert await lease("b", NOW) == ids[4:]
    assert await lease("c", NOW) == []
    assert await lease("c", NOW + LEASE, limit=10) == ids  # both drains died
    async with sessions() as session:
        assert await AnalysisQueue(session).lease_owners(now=NOW + LEASE) == {"c"}


async def test_two_concurrent_drains_analyse_disjoint_items_each_once(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _queue_items(sessions, 60)
    catalog = load_catalog()
    drains = [Analysis(sessions, catalog, lease_owner=f"drain-{n}") for n in range(2)]
    analysed: dict[int, list[int]] = {0: [], 1: []}
    for number, drain in enumerate(drains):
        real = drain._analyse_texts

        def spy(
            texts: Sequence[ItemText],
            recent: Sequence[StoryItem],
            number: int = number,
            real: Callable[..., list[AnalysedItem]] = real,
        ) -> list[AnalysedItem]:
            """The real rules; the ids each drain analysed are noted on the way."""
            analysed[number].extend(text.item_id for text in texts)
            return real(texts, recent)

        monkeypatch.setattr(drain, "_analyse_texts", spy)

    runs = await asyncio.gather(*(drain.drain(now=NOW, batch_size=5) for drain in drains))

    assert sorted(analysed[0] + analysed[1]) == ids  # every item analysed once, by one drain
    assert sum(run.analysed for run in runs) == len(ids)
    async with sessions() as session:
        saved = await session.scalar(select(func.count()).select_from(ItemAnalysis))
        assert await AnalysisQueue(session).size() == 0
    assert saved == len(ids)


async def test_pollers_starting_together_requeue_stale_analyses_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The start-up re-queue is idempotent: two at once queue each stale item once, no error."""
    ids = await _queue_items(sessions, 30)
    catalog = load_catalog()
    first, second = (Analysis(sessions, catalog, lease_owner=f"start-{n}") for n in range(2))
    assert (await first.drain(now=NOW)).analysed == len(ids)
    async with sessions.begin() as session:  # a rules change made every analysis stale
        await session.execute(update(ItemAnalysis).values(analyser_version="rules-0"))
    queued = await asyncio.gather(first.requeue_stale(), second.requeue_stale())
    assert sum(queued) == len(ids)
    async with sessions() as session:
        assert await AnalysisQueue(session).size() == len(ids)
