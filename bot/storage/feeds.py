"""FeedStore: feed rows in and out. Receives a session; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    last_error: str | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    item_count: int


@dataclass(frozen=True, slots=True)
class FeedSyncResult:
    """What a feeds.yaml sync changed, by URL."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]


# The columns feeds.yaml describes (``_description``'s keys), and the URL to match rows by.
_DESCRIBED = (
    Feed.url,
    Feed.title,
    Feed.kind,
    Feed.jurisdictions,
    Feed.tags,
    Feed.interval_minutes,
    Feed.in_instance_list,
)


class FeedStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
                last_error=feed.last_error,
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

        The comparison reads plain columns (every ``poll --once`` syncs, and a thousand ORM
        rows cost it 100 ms); only feeds that changed are loaded as ORM objects.
        """
        wanted = {source.url: source for source in sources}
        rows = (await self._session.execute(select(Feed.id, *_DESCRIBED).order_by(Feed.id))).all()
        existing = {row.url: row for row in rows}
        added: list[str] = []
        updated: dict[int, FeedSource] = {}
        removed: dict[int, str] = {}
        for url, source in wanted.items():
            row = existing.get(url)
            if row is None:
                self._session.add(_new_feed(source, now))
                added.append(url)
            elif any(getattr(row, name) != value for name, value in _description(source).items()):
                updated[row.id] = source
        for url, row in existing.items():
            if row.in_instance_list and url not in wanted:
                removed[row.id] = url
        if updated or removed:
            changed = select(Feed).where(Feed.id.in_([*updated, *removed]))
            for feed in await self._session.scalars(changed):
                if feed.id in updated:
                    _describe(feed, updated[feed.id])
                else:
                    feed.in_instance_list = False
        await self._session.flush()
        return FeedSyncResult(
            tuple(added),
            tuple(source.url for source in updated.values()),
            tuple(removed.values()),
        )


def _new_feed(source: FeedSource, now: datetime) -> Feed:
    feed = Feed(
        url=source.url,
        created_at=now,
    )
    _describe(feed, source)
    return feed


def _description(source: FeedSource) -> dict[str, object]:
    """What feeds.yaml says about a feed, as the row's attributes (and its columns) hold it."""
    return {
        "title": source.name,
        "kind": source.kind.value,
        "jurisdictions": list(source.jurisdictions),
        "tags": list(source.tags),
        "interval_minutes": source.interval_minutes,
        "in_instance_list": True,
    }


def _describe(feed: Feed, source: FeedSource) -> None:
    """Copy the file's description onto the row."""
    for attribute, value in _description(source).items():
        if getattr(feed, attribute, None) != value:
            setattr(feed, attribute, value)
