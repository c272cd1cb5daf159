"""Reading the archive for people: newest items, optionally about a topic, with feed names."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.archive import ArchiveEntry
from bot.storage.schema import Feed, Item
from bot.storage.search import search_condition


async def latest_items(
    session: AsyncSession, topic: str | None, *, limit: int, offset: int = 0
) -> list[Item]:
    """Items newest first (publication date, else fetch time); only those matching ``topic``."""
    statement = select(Item)
    if topic:
        condition = search_condition(session.get_bind().dialect.name, topic)
        if condition is None:
            return []
        statement = statement.where(condition)
    newest = func.coalesce(Item.published_at, Item.fetched_at)
    statement = statement.order_by(newest.desc(), Item.id.desc()).limit(limit).offset(offset)
    return list(await session.scalars(statement))


async def archive_entries(session: AsyncSession, items: Sequence[Item]) -> list[ArchiveEntry]:
    """The items as immutable entries, each with its feed's title (one query for all feeds)."""
    feed_ids = {item.feed_id for item in items}
    titles: dict[int, str] = {}
    if feed_ids:
        rows = await session.execute(
            select(Feed.id, Feed.title, Feed.url).where(Feed.id.in_(feed_ids))
        )
        titles = {feed_id: title or url for feed_id, title, url in rows.all()}
    return [
        ArchiveEntry(
            title=item.title,
            url=item.url,
            summary=item.summary,
            feed_title=titles.get(item.feed_id, ""),
            published_at=item.published_at,
        )
        for item in items
    ]
