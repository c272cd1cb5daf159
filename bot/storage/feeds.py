"""FeedStore: feed rows in and out. Receives a session; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.feed_errors import FeedErrorInfo
from bot.domain.model import FeedSource, FeedStatus
from bot.storage.schema import Feed, GuildFeed, Item


@dataclass(frozen=True, slots=True)
class FeedOverview:
    """A feed's description, health and schedule, for ``feeds list`` and OPML export."""

    id: int
    url: str
    title: str
    site_url: str | None
    kind: str | None
    in_instance_list: bool
    guild_count: int
    status: FeedStatus
    consecutive_errors: int
    last_error: FeedErrorInfo | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    item_count: int


@dataclass(frozen=True, slots=True)
class FeedSyncResult:
    """What a feeds.yaml sync changed, by URL."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]


class FeedStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self) -> Sequence[Feed]:
        return (await self._session.scalars(select(Feed).order_by(Feed.id))).all()

    async def overview(self) -> list[FeedOverview]:
        guilds = select(func.count()).where(GuildFeed.feed_id == Feed.id).scalar_subquery()
        items = select(func.count()).where(Item.feed_id == Feed.id).scalar_subquery()
        rows = await self._session.execute(select(Feed, guilds, items).order_by(Feed.id))
        return [
            FeedOverview(
                id=feed.id,
                url=feed.url,
                title=feed.title,
                site_url=feed.site_url,
                kind=feed.kind,
                in_instance_list=feed.in_instance_list,
                guild_count=guild_count,
                status=FeedStatus(feed.status),
                consecutive_errors=feed.consecutive_errors,
                last_error=last_error_of(feed),
                last_success_at=feed.last_success_at,
                next_check_at=feed.next_check_at,
                item_count=item_count,
            )
            for feed, guild_count, item_count in rows
        ]

    async def sync_instance_list(
        self, sources: Sequence[FeedSource], *, now: datetime
    ) -> FeedSyncResult:
        """Make the instance list in the database match ``sources``.

        Feeds dropped from the file leave the instance list but keep their rows and items:
        servers may still follow them, and the archive is never thrown away.
        """
        wanted = {source.url: source for source in sources}
        existing = {feed.url: feed for feed in await self.all()}
        added: list[str] = []
        updated: list[str] = []
        removed: list[str] = []
        for url, source in wanted.items():
            feed = existing.get(url)
            if feed is None:
                self._session.add(_new_feed(source, now))
                added.append(url)
            elif _describe(feed, source):
                updated.append(url)
        for url, feed in existing.items():
            if feed.in_instance_list and url not in wanted:
                feed.in_instance_list = False
                removed.append(url)
        await self._session.flush()
        return FeedSyncResult(tuple(added), tuple(updated), tuple(removed))


def last_error_of(feed: Feed) -> FeedErrorInfo | None:
    """A feed row's last error as a value; None if it has none (or no kind, from before 0004)."""
    if feed.last_error_kind is None or feed.last_error is None:
        return None
    return FeedErrorInfo(feed.last_error_kind, feed.last_error, feed.last_error_status)


def _new_feed(source: FeedSource, now: datetime) -> Feed:
    feed = Feed(
        url=source.url,
        created_at=now,
    )
    _describe(feed, source)
    return feed


def _describe(feed: Feed, source: FeedSource) -> bool:
    """Copy the file's description onto the row; True if anything changed."""
    wanted = {
        "title": source.name,
        "kind": source.kind.value,
        "jurisdictions": list(source.jurisdictions),
        "tags": list(source.tags),
        "interval_minutes": source.interval_minutes,
        "in_instance_list": True,
    }
    changed = False
    for attribute, value in wanted.items():
        if getattr(feed, attribute, None) != value:
            setattr(feed, attribute, value)
            changed = True
    return changed
