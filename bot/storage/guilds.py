"""GuildStore: servers and the feeds each follows. Receives a session; the caller commits.

Every query is scoped by ``guild_id``, so one server can never read or change another's list.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.admin import ServerSettings
from bot.domain.feed_status import MONTH, WEEK, FeedHealthView
from bot.domain.following import FollowedFeed
from bot.domain.model import FeedStatus
from bot.storage.feeds import known_as, last_error_of
from bot.storage.schema import Feed, Guild, GuildFeed, Item


class GuildStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ensure_guild(self, guild_id: int, name: str, *, now: datetime) -> Guild:
        """The server's row, created on first use; the name follows renames."""
        guild = await self._session.get(Guild, guild_id)
        if guild is None:
            guild = Guild(id=guild_id, name=name[:100], created_at=now, updated_at=now)
            self._session.add(guild)
            await self._session.flush()  # rows that refer to it may be flushed first otherwise
        elif name and guild.name != name[:100]:
            guild.name = name[:100]
            guild.updated_at = now
        return guild

    async def settings(self, guild_id: int) -> ServerSettings:
        """The server's ``/settings``; defaults for a server never seen."""
        guild = await self._session.get(Guild, guild_id)
        if guild is None:
            return ServerSettings(guild_id)
        return ServerSettings(guild_id, guild.timezone, guild.admin_channel_id)

    async def update_settings(
        self,
        guild_id: int,
        *,
        name: str,
        now: datetime,
        timezone: str | None = None,
        admin_channel_id: int | None = None,
    ) -> ServerSettings:
        """Set what is given (None leaves a setting as it is)."""
        guild = await self.ensure_guild(guild_id, name, now=now)
        if timezone is not None:
            guild.timezone = timezone
        if admin_channel_id is not None:
            guild.admin_channel_id = admin_channel_id
        guild.updated_at = now
        await self._session.flush()
        return ServerSettings(guild_id, guild.timezone, guild.admin_channel_id)

    async def admin_channels(self, guild_ids: Collection[int]) -> dict[int, int]:
        """The admin channel of each of these servers that has set one."""
        if not guild_ids:
            return {}
        rows = await self._session.execute(
            select(Guild.id, Guild.admin_channel_id).where(
                Guild.id.in_(list(guild_ids)), Guild.admin_channel_id.is_not(None)
            )
        )
        return {guild_id: channel_id for guild_id, channel_id in rows if channel_id is not None}

    async def followed(self, guild_id: int) -> list[FollowedFeed]:
        rows = await self._session.execute(
            select(Feed, GuildFeed.added_at)
            .join(GuildFeed, GuildFeed.feed_id == Feed.id)
            .where(GuildFeed.guild_id == guild_id)
            .order_by(GuildFeed.added_at, Feed.id)
        )
        return [_followed(feed, added_at) for feed, added_at in rows.all()]

    async def followed_count(self, guild_id: int) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(GuildFeed).where(GuildFeed.guild_id == guild_id)
        )
        return int(count or 0)

    async def instance_feed_count(self) -> int:
        count = await self._session.scalar(
            select(func.count()).select_from(Feed).where(Feed.in_instance_list.is_(True))
        )
        return int(count or 0)

    async def follows(self, guild_id: int, url: str) -> bool:
        found = await self._session.scalar(
            select(GuildFeed.feed_id)
            .join(Feed, GuildFeed.feed_id == Feed.id)
            .where(GuildFeed.guild_id == guild_id, known_as(url))
        )
        return found is not None

    async def in_instance_list(self, url: str) -> bool:
        """Whether every server already gets ``url`` from feeds.yaml."""
        found = await self._session.scalar(
            select(Feed.id).where(Feed.url == url, Feed.in_instance_list)
        )
        return found is not None

    async def follow(
        self, guild_id: int, url: str, *, title: str, added_by: int | None, now: datetime
    ) -> FollowedFeed:
        """Follow ``url``, creating the feed row if no server or feeds.yaml has it yet."""
        feed = await self._session.scalar(select(Feed).where(known_as(url)))
        if feed is None:
            feed = Feed(
                url=url,
                title=title[:512],
                jurisdictions=[],
                tags=[],
                in_instance_list=False,
                status=FeedStatus.OK,
                created_at=now,
            )
            self._session.add(feed)
            await self._session.flush()
        self._session.add(
            GuildFeed(guild_id=guild_id, feed_id=feed.id, added_by=added_by, added_at=now)
        )
        await self._session.flush()
        return _followed(feed, now)

    async def find_followed(self, guild_id: int, reference: str) -> FollowedFeed | None:
        """The followed feed named by ``reference``: its id (from autocomplete) or its URL."""
        reference = reference.strip()
        by_reference = known_as(reference)
        if reference.isdigit():
            by_reference = or_(by_reference, Feed.id == int(reference))
        row = (
            await self._session.execute(
                select(Feed, GuildFeed.added_at)
                .join(GuildFeed, GuildFeed.feed_id == Feed.id)
                .where(GuildFeed.guild_id == guild_id, by_reference)
            )
        ).first()
        return None if row is None else _followed(row[0], row[1])

    async def health(
        self, guild_id: int, *, now: datetime, feed_id: int | None = None
    ) -> list[FeedHealthView]:
        """The server's feeds (or one of them) with their health and items of the last 30 days.

        Items are dated by publication, else by fetch, and only dates up to ``now`` count.
        """
        dated = func.coalesce(Item.published_at, Item.fetched_at)
        recent = (
            select(
                Item.feed_id.label("feed_id"),
                func.count().label("month"),
                func.sum(case((dated >= now - WEEK, 1), else_=0)).label("week"),
            )
            .join(GuildFeed, GuildFeed.feed_id == Item.feed_id)
            .where(GuildFeed.guild_id == guild_id, dated >= now - MONTH, dated <= now)
            .group_by(Item.feed_id)
            .subquery()
        )
        query = (
            select(Feed, GuildFeed.added_at, recent.c.week, recent.c.month)
            .join(GuildFeed, GuildFeed.feed_id == Feed.id)
            .outerjoin(recent, recent.c.feed_id == Feed.id)
            .where(GuildFeed.guild_id == guild_id)
            .order_by(GuildFeed.added_at, Feed.id)
        )
        if feed_id is not None:
            query = query.where(Feed.id == feed_id)
        rows = await self._session.execute(query)
        return [
            FeedHealthView(
                feed_id=feed.id,
                url=feed.url,
                title=feed.title or feed.url,
                status=FeedStatus(feed.status),
                consecutive_errors=feed.consecutive_errors or 0,
                error=last_error_of(feed),
                last_error_at=feed.last_error_at,
                last_success_at=feed.last_success_at,
                next_check_at=feed.next_check_at,
                added_at=added_at,
                items_last_week=int(week or 0),
                items_last_month=int(month or 0),
            )
            for feed, added_at, week, month in rows.all()
        ]

    async def unfollow(self, guild_id: int, feed_id: int) -> None:
        """Stop following; the feed row and its items stay in the archive."""
        link = await self._session.get(GuildFeed, (guild_id, feed_id))
        if link is not None:
            await self._session.delete(link)
            await self._session.flush()


def _followed(feed: Feed, added_at: datetime) -> FollowedFeed:
    return FollowedFeed(
        feed_id=feed.id,
        url=feed.url,
        title=feed.title or feed.url,
        status=feed.status,
        in_instance_list=feed.in_instance_list,
        added_at=added_at,
        last_success_at=feed.last_success_at,
        site_url=feed.site_url,
    )
