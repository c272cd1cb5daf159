"""Builders for chat tests: an archive of items to search, straight into the database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.schema import Feed, Item
from bot.storage.search import index_pending
from tests.support.clock import NOW


@dataclass(frozen=True)
class Story:
    title: str
    summary: str = ""
    url: str | None = None
    hours_ago: int = 0


async def archive_of(
    sessions: async_sessionmaker[AsyncSession],
    stories: list[Story],
    *,
    feed_title: str = "EU Policy Wire",
    feed_url: str = "https://wire.example/feed.xml",
    in_instance_list: bool = True,
) -> int:
    """One feed holding ``stories``; returns the feed id."""
    async with sessions.begin() as session:
        feed = Feed(
            url=feed_url,
            title=feed_title,
            in_instance_list=in_instance_list,
            created_at=NOW,
        )
        session.add(feed)
        await session.flush()
        for number, story in enumerate(stories):
            published: datetime = NOW - timedelta(hours=story.hours_ago)
            session.add(
                Item(
                    feed_id=feed.id,
                    key=f"item-{number}",
                    url=story.url or f"https://wire.example/{number}",
                    title=story.title,
                    summary=story.summary,
                    published_at=published,
                    fetched_at=published,
                    content_hash=hashlib.sha256(story.title.encode()).hexdigest(),
                    revision=0,
                    is_backlog=False,
                )
            )
        await session.flush()
        await index_pending(session)  # searchable, as after the service's poll cycle
        return feed.id
