"""Two pollers on one database: a feed in flight stays its poller's while the poller renews its
lease, however long the fetch takes; a cycle that stops early gives its leases back."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ingest.fetch import FeedFetcher, FetchLimits
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller, PollSettings
from bot.storage.schema import Feed
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed, rss

PATIENT = FetchLimits(total_timeout=60, connect_timeout=5, read_timeout=60, max_bytes=512 * 1024)
LEASE_SECONDS = 0.3  # renewed every 0.1 s of real time; the clocks below are the tests'


class HandClock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def _lease_ends(sessions: async_sessionmaker[AsyncSession], feed_id: int) -> datetime | None:
    async with sessions() as session:
        return await session.scalar(select(Feed.lease_expires_at).where(Feed.id == feed_id))


async def test_a_slow_feed_stays_with_the_poller_that_renews_its_lease(
    feed_server: FeedServer,
    sessions: async_sessionmaker[AsyncSession],
    http_session: aiohttp.ClientSession,
    parser_pool: ParserPool,
) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=rss([("a", "A")]), content_type="application/rss+xml")

    feed_server.routes["/slow"] = slow
    feed_id = await add_feed(sessions, feed_server.url("/slow"), now=NOW)
    clock = HandClock()
    settings = PollSettings(lease_seconds=LEASE_SECONDS)
    fetcher = FeedFetcher(http_session, PATIENT)
    first = FeedPoller(sessions, fetcher, parser_pool, settings, lease_owner="first", clock=clock)
    second = FeedPoller(sessions, fetcher, parser_pool, settings, lease_owner="second", clock=clock)

    polling = asyncio.create_task(first.poll(now=NOW))
    async with asyncio.timeout(30):
        while not feed_server.hits("/slow"):  # noqa: ASYNC110 - the first poller's fetch
            await asyncio.sleep(0.01)
    clock.now = NOW + timedelta(minutes=10)  # far past the lease it took
    async with asyncio.timeout(30):  # until its renewal has seen the new time
        while (await _lease_ends(sessions, feed_id) or NOW) <= clock.now:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    report = await second.poll(now=NOW)  # the feed is due, but held

    assert report.feeds == ()
    release.set()
    done = await polling
    assert [result.feed_id for result in done.feeds] == [feed_id]
    assert len(feed_server.hits("/slow")) == 1
    assert await _lease_ends(sessions, feed_id) is None  # the write released it


async def test_a_cancelled_cycle_releases_the_feeds_it_did_not_write(
    feed_server: FeedServer,
    sessions: async_sessionmaker[AsyncSession],
    http_session: aiohttp.ClientSession,
    parser_pool: ParserPool,
) -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    feed_server.routes["/hang"] = hang
    feed_id = await add_feed(sessions, feed_server.url("/hang"), now=NOW)
    poller = FeedPoller(
        sessions, FeedFetcher(http_session, PATIENT), parser_pool, lease_owner="stopping"
    )
    polling = asyncio.create_task(poller.poll(now=NOW))
    async with asyncio.timeout(30):
        while not feed_server.hits("/hang"):  # noqa: ASYNC110 - the poller's fetch
            await asyncio.sleep(0.01)
    assert await _lease_ends(sessions, feed_id) is not None
    polling.cancel()
    await asyncio.wait({polling})
    async with sessions() as session:
        owner = await session.scalar(select(Feed.lease_owner).where(Feed.id == feed_id))
    assert (owner, await _lease_ends(sessions, feed_id)) == (None, None)
