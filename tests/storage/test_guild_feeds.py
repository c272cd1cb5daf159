"""The feeds each server follows: scoped by server, sharing one feed row per URL."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.following import FollowOutcome
from bot.domain.model import FeedSource
from bot.storage.schema import Feed, Guild, Item
from tests.support.archive import Story, archive_of
from tests.support.clock import NOW

GUILD_A, GUILD_B = 1001, 1002


async def follow(app: Application, guild_id: int, url: str, *, cap: int = 10) -> FollowOutcome:
    result = await app.guild_feeds.follow(
        guild_id, url, guild_name=f"guild {guild_id}", added_by=7, now=NOW, cap=cap
    )
    return result.outcome


async def test_a_followed_feed_joining_the_instance_list_shares_its_row(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert await follow(app, GUILD_A, "https://eu.example/feed") is FollowOutcome.ADDED
    await app.feeds.sync((FeedSource("https://eu.example/feed", "EU"),), now=NOW)

    # Every server gets it now: adding it again is refused as already there, before the cap.
    assert await follow(app, GUILD_B, " https://eu.example/feed ", cap=0) is (
        FollowOutcome.IN_INSTANCE_LIST
    )

    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Feed)) == 1
        guild = await session.get_one(Guild, GUILD_A)
    assert guild.name == f"guild {GUILD_A}"
    (followed,) = (await app.guild_feeds.listing(GUILD_A, cap=10)).followed
    assert followed.in_instance_list
    assert followed.title == "EU"


async def test_unfollowing_keeps_the_feed_and_its_archive(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await archive_of(
        sessions, [Story("kept")], feed_url="https://kept.example/feed", in_instance_list=False
    )
    await follow(app, GUILD_A, "https://kept.example/feed")

    removed = await app.guild_feeds.unfollow(GUILD_A, str(feed_id))
    again = await app.guild_feeds.unfollow(GUILD_A, str(feed_id))

    assert removed.feed is not None
    assert again.feed is None
    async with sessions() as session:
        assert await session.get(Feed, feed_id) is not None
        assert await session.scalar(select(func.count()).select_from(Item)) == 1


async def test_references_are_scoped_to_the_server(app: Application) -> None:
    await follow(app, GUILD_A, "https://a.example/feed")
    (feed,) = (await app.guild_feeds.listing(GUILD_A, cap=10)).followed

    assert (await app.guild_feeds.unfollow(GUILD_B, str(feed.feed_id))).feed is None
    assert (await app.guild_feeds.unfollow(GUILD_B, feed.url)).feed is None
    assert (await app.guild_feeds.choices(GUILD_B, "", limit=25)).followed == ()
    assert [f.url for f in (await app.guild_feeds.choices(GUILD_A, "A.EX", limit=25)).followed] == [
        "https://a.example/feed"
    ]


async def test_the_cap_counts_only_this_servers_feeds(app: Application) -> None:
    assert await follow(app, GUILD_B, "https://b.example/1", cap=1) is FollowOutcome.ADDED
    assert await follow(app, GUILD_A, "https://a.example/1", cap=1) is FollowOutcome.ADDED
    assert await follow(app, GUILD_A, "https://a.example/2", cap=1) is FollowOutcome.OVER_CAP
    assert await follow(app, GUILD_A, "https://a.example/1", cap=1) is FollowOutcome.DUPLICATE
