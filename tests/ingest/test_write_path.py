"""The writer's fast paths: batched transactions and insert-first on a feed's first fetch."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.entries import ParsedEntry, key_entries
from bot.polling import FeedPoller, Outcome
from bot.storage.items import ItemStore
from bot.storage.schema import Item
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed, load_feed, rss


def _entries(*pairs: tuple[str, str]) -> tuple[ParsedEntry, ...]:
    return tuple(ParsedEntry(guid, None, title, f"text of {title}") for guid, title in pairs)


async def test_insert_first_gives_the_same_outcome_as_lookup_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A first fetch whose keys partly exist (a retried write, say): same ids, same updates."""
    outcomes = []
    for expect_new in (False, True):
        feed_id = await add_feed(sessions, f"https://first.example/{expect_new}", now=NOW)
        async with sessions.begin() as session:
            before = await ItemStore(session).save(
                feed_id, key_entries(_entries(("a", "A"), ("b", "B"))), now=NOW, backlog=True
            )
        later = key_entries(_entries(("a", "A"), ("b", "B changed"), ("c", "C")))
        async with sessions.begin() as session:
            saved = await ItemStore(session).save(
                feed_id, later, now=NOW, backlog=True, expect_new=expect_new
            )
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(Item.key, Item.id, Item.title, Item.revision)
                    .where(Item.feed_id == feed_id)
                    .order_by(Item.key)
                )
            ).all()
        b_id = next(row.id for row in rows if row.key == "g:b")
        c_id = next(row.id for row in rows if row.key == "g:c")
        assert saved.new_ids == (c_id,)
        assert saved.updated_ids == (b_id,)
        assert set(before.new_ids) == {row.id for row in rows if row.key in ("g:a", "g:b")}
        outcomes.append([(row.key, row.title, row.revision) for row in rows])
    assert (
        outcomes[0]
        == outcomes[1]
        == [
            ("g:a", "A", 0),
            ("g:b", "B changed", 1),
            ("g:c", "C", 0),
        ]
    )


async def test_insert_first_on_an_empty_feed_returns_every_id_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    feed_id = await add_feed(sessions, "https://fresh.example/rss", now=NOW)
    entries = key_entries(_entries(*((f"k{n}", f"T{n}") for n in range(30))))
    async with sessions.begin() as session:
        saved = await ItemStore(session).save(
            feed_id, entries, now=NOW, backlog=True, expect_new=True
        )
    async with sessions() as session:
        ids = (await session.scalars(select(Item.id).where(Item.feed_id == feed_id))).all()
    assert saved.new_ids == tuple(sorted(ids))
    assert len(ids) == 30
    assert saved.updated_ids == ()


async def test_a_cycle_writes_its_feeds_in_few_transactions(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    """Feeds that finish one by one still share transactions (the gather window)."""
    feeds = 12

    for number in range(feeds):

        async def handler(request: web.Request, number: int = number) -> web.Response:
            await asyncio.sleep(0.005 * number)  # trickle in, as parsed feeds do
            return web.Response(
                body=rss([(f"{number}-a", "A"), (f"{number}-b", "B")]),
                content_type="application/rss+xml",
            )

        feed_server.routes[f"/f{number}"] = handler
    ids = [await add_feed(sessions, feed_server.url(f"/f{n}"), now=NOW) for n in range(feeds)]

    commits: list[object] = []

    def on_commit(connection: object) -> None:
        commits.append(connection)

    event.listen(engine.sync_engine, "commit", on_commit)
    try:
        report = await poller.poll(now=NOW)
    finally:
        event.remove(engine.sync_engine, "commit", on_commit)

    assert report.outcomes == {Outcome.FETCHED.value: feeds}
    assert len(report.new_item_ids) == 2 * feeds
    assert len(commits) <= 1 + 3, len(commits)  # the feeds' lease, then at most three writes
    for feed_id in ids:
        feed = await load_feed(sessions, feed_id)
        assert feed.last_success_at is not None
        assert feed.etag is None
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Item)) == 2 * feeds
