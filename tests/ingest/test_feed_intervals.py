"""A per-feed polling interval from feeds.yaml reaches the schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.errors import FeedsFileError
from bot.ingest.sources import parse_feed_sources
from bot.polling import FeedPoller
from bot.storage.schema import Feed
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import rss


def _document(url: str, **extra: object) -> dict[str, object]:
    return {"feeds": [{"name": "F", "url": url, "kind": "news", **extra}]}


def test_interval_is_optional_and_bounded() -> None:
    (plain,) = parse_feed_sources(_document("https://a.example/rss"))
    assert plain.interval_minutes is None
    (slow,) = parse_feed_sources(_document("https://a.example/rss", interval_minutes=180))
    assert slow.interval_minutes == 180
    for bad in (5, 2000, "60", 1.5, True):
        with pytest.raises(FeedsFileError, match="interval_minutes"):
            parse_feed_sources(_document("https://a.example/rss", interval_minutes=bad))


async def test_the_interval_is_synced_and_used_by_the_schedule(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=rss([("a", "A")]), content_type="application/rss+xml", headers={"ETag": '"1"'}
        )

    feed_server.routes["/feed"] = handler
    app = Application(sessions, poller=poller)
    sources = parse_feed_sources(_document(feed_server.url("/feed"), interval_minutes=180))
    await app.feeds.sync(sources, now=NOW)
    await app.cycle.run(now=NOW)
    async with sessions() as session:
        feed = (await session.scalars(select(Feed))).one()
    assert feed.interval_minutes == 180
    assert feed.next_check_at is not None
    assert NOW + timedelta(hours=3) <= feed.next_check_at <= NOW + timedelta(hours=3.6)
    await app.feeds.sync(parse_feed_sources(_document(feed.url)), now=NOW)
    async with sessions() as session:
        assert (await session.scalars(select(Feed.interval_minutes))).one() is None
