"""Feed health for /feeds status, from the feeds and items tables, one server at a time."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.storage.schema import Item
from tests.support.clock import NOW

GUILD_A, GUILD_B = 1001, 1002
FEED = "https://shared.example/feed"


async def follow(app: Application, guild_id: int, url: str) -> int:
    result = await app.guild_feeds.follow(
        guild_id, url, guild_name="g", added_by=None, now=NOW, cap=10
    )
    assert result.feed is not None
    return result.feed.feed_id


async def items_dated(
    sessions: async_sessionmaker[AsyncSession],
    feed_id: int,
    published: list[timedelta | None],
    *,
    fetched_ago: timedelta = timedelta(0),
) -> None:
    async with sessions.begin() as session:
        for number, age in enumerate(published):
            session.add(
                Item(
                    feed_id=feed_id,
                    key=f"{feed_id}-{number}-{fetched_ago}",
                    url=None,
                    title="t",
                    summary="",
                    published_at=None if age is None else NOW - age,
                    fetched_at=NOW - fetched_ago,
                    content_hash=hashlib.sha256(str(number).encode()).hexdigest(),
                    revision=0,
                    is_backlog=False,
                )
            )


async def test_items_are_counted_by_their_own_dates_within_7_and_30_days(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await follow(app, GUILD_A, FEED)
    day = timedelta(days=1)
    await items_dated(
        sessions,
        feed_id,
        [day * 0, day * 6.9, day * 7.1, day * 29.9, day * 31, day * -1, None],
    )
    await items_dated(sessions, feed_id, [None], fetched_ago=day * 20)

    (feed,) = (await app.guild_feeds.health_report(GUILD_A, now=NOW)).feeds

    # this week: now, 6.9 days ago, undated fetched now; this month adds 7.1, 29.9, fetched 20.
    assert (feed.items_last_week, feed.items_last_month) == (3, 6)


async def test_a_feed_two_servers_follow_is_counted_once_for_each(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await follow(app, GUILD_A, FEED)
    await follow(app, GUILD_B, FEED)
    await follow(app, GUILD_B, "https://b-only.example/feed")
    await items_dated(sessions, feed_id, [timedelta(hours=1)] * 4)

    (in_a,) = (await app.guild_feeds.health_report(GUILD_A, now=NOW)).feeds
    in_b = (await app.guild_feeds.health_report(GUILD_B, now=NOW)).feeds

    assert in_a.items_last_week == 4
    assert [(f.url, f.items_last_week) for f in in_b] == [
        ("https://b-only.example/feed", 0),
        (FEED, 4),
    ]


async def test_one_feed_by_id_or_url_only_among_this_servers(app: Application) -> None:
    feed_id = await follow(app, GUILD_A, FEED)

    by_id = await app.guild_feeds.health(GUILD_A, str(feed_id), now=NOW)
    by_url = await app.guild_feeds.health(GUILD_A, FEED, now=NOW)

    assert by_id is not None
    assert by_id == by_url
    assert await app.guild_feeds.health(GUILD_B, str(feed_id), now=NOW) is None
    assert await app.guild_feeds.health(GUILD_A, "nonsense", now=NOW) is None
