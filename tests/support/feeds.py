"""Builders for ingestion tests: feed rows and small feed documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.schema import Feed


async def add_feed(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    *,
    now: datetime,
    interval_minutes: int | None = None,
) -> int:
    async with sessions.begin() as session:
        feed = Feed(
            url=url,
            title="",
            in_instance_list=True,
            created_at=now,
            interval_minutes=interval_minutes,
        )
        session.add(feed)
        await session.flush()
        return feed.id


async def load_feed(sessions: async_sessionmaker[AsyncSession], feed_id: int) -> Feed:
    async with sessions() as session:
        return await session.get_one(Feed, feed_id)


def rss(items: list[tuple[str, str]], *, title: str = "Test feed", extra: str = "") -> bytes:
    """A small RSS 2.0 document with (guid, title) items."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{t}</title>"
        f"<link>https://news.example/{guid}?utm_source=rss</link>"
        f"<description>About {t}</description>"
        f"<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>"
        for guid, t in items
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{title}</title><link>https://news.example/</link>{extra}{body}"
        f"</channel></rss>"
    ).encode()
