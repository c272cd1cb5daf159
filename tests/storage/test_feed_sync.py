"""Syncing feeds.yaml into the database: added feeds start, removed ones stop, items stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.model import FeedKind, FeedSource
from bot.storage.schema import Feed, Item
from tests.support.clock import NOW

EU = FeedSource("https://eu.example/rss", "EU news", ("eu",), FeedKind.OFFICIAL, ("ai-act",))
US = FeedSource("https://us.example/atom", "US news", ("us",), FeedKind.NEWS)


async def test_first_sync_adds_every_feed(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    result = await app.feeds.sync((EU, US), now=NOW)
    assert result.added == (EU.url, US.url)
    assert result.updated == result.removed == ()
    async with sessions() as session:
        feed = await session.scalar(select(Feed).where(Feed.url == EU.url))
    assert feed is not None
    assert (feed.title, feed.kind, feed.jurisdictions, feed.tags) == (
        "EU news",
        "official",
        ["eu"],
        ["ai-act"],
    )
    assert feed.in_instance_list
    assert feed.created_at == NOW


async def test_second_sync_is_a_no_op(app: Application) -> None:
    await app.feeds.sync((EU, US), now=NOW)
    result = await app.feeds.sync((EU, US), now=NOW + timedelta(hours=1))
    assert result.added == result.updated == result.removed == ()


async def test_changed_description_updates_in_place(app: Application) -> None:
    await app.feeds.sync((EU,), now=NOW)
    renamed = FeedSource(EU.url, "EU official news", ("eu",), FeedKind.OFFICIAL)
    result = await app.feeds.sync((renamed,), now=NOW)
    assert result.updated == (EU.url,)


async def test_removed_feed_leaves_the_list_but_keeps_its_items(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await app.feeds.sync((EU, US), now=NOW)
    async with sessions.begin() as session:
        feed = await session.scalar(select(Feed).where(Feed.url == US.url))
        assert feed is not None
        session.add(
            Item(
                feed_id=feed.id,
                key="k1",
                title="Kept",
                summary="",
                fetched_at=NOW,
                content_hash="h",
                revision=0,
                is_backlog=False,
            )
        )
    result = await app.feeds.sync((EU,), now=NOW)
    assert result.removed == (US.url,)
    async with sessions() as session:
        feed = await session.scalar(select(Feed).where(Feed.url == US.url))
        assert feed is not None
        assert not feed.in_instance_list
        assert await session.scalar(select(func.count()).select_from(Item)) == 1
    # Listing it again brings the same row back, with its archive.
    result = await app.feeds.sync((EU, US), now=NOW)
    assert result.updated == (US.url,)
    assert result.added == ()
