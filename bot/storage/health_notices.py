"""HealthNoticeStore: feed-health events owed to admin channels, from the poller to the bot.

Receives a session and never commits. ``record`` runs in the poll writer's transaction, so a
feed's new state and the notices it owes commit together. ``claim`` hands a teller the rows
no live claim holds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two bot processes never
claim one row; SQLite has one process and ignores the clause), limited to its shards' servers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.health import HealthEvent
from bot.domain.shards import Shards
from bot.storage.schema import GuildFeed, HealthNotice

# Rows claimed per pass: a pass tells them one message at a time.
CLAIM_BATCH = 100


@dataclass(frozen=True, slots=True)
class ClaimedNotice:
    id: int
    guild_id: int
    event: HealthEvent


class HealthNoticeStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event: HealthEvent) -> int:
        """One notice per server that added the event's feed itself; how many."""
        guilds = list(
            await self._session.scalars(
                select(GuildFeed.guild_id).where(GuildFeed.feed_id == event.feed_id)
            )
        )
        for guild_id in guilds:
            self._session.add(
                HealthNotice(
                    guild_id=guild_id,
                    feed_id=event.feed_id,
                    kind=event.kind,
                    url=event.url,
                    title=event.title,
                    reason=event.reason,
                    at=event.at,
                )
            )
        return len(guilds)

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        until: datetime,
        shards: Shards | None,
        limit: int = CLAIM_BATCH,
    ) -> list[ClaimedNotice]:
        """Untold notices no live claim holds (oldest first), claimed for ``owner`` until
        ``until``; only servers on ``shards`` when given."""
        where: list[ColumnElement[bool]] = [
            HealthNotice.told_at.is_(None),
            or_(HealthNotice.claimed_until.is_(None), HealthNotice.claimed_until <= now),
        ]
        if shards is not None:
            # Discord's shard formula; 22 inline, as PostgreSQL has ``bigint >> integer`` only.
            shard = HealthNotice.guild_id.op(">>")(literal_column("22")) % shards.count
            where.append(shard.in_(shards.ids))
        rows = list(
            await self._session.scalars(
                select(HealthNotice)
                .where(*where)
                .order_by(HealthNotice.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            row.claimed_by = owner
            row.claimed_until = until
        await self._session.flush()
        return [
            ClaimedNotice(
                row.id,
                row.guild_id,
                HealthEvent(row.feed_id, row.url, row.title, row.kind, row.reason, row.at),
            )
            for row in rows
        ]

    async def mark_told(self, notice_ids: Collection[int], *, owner: str, now: datetime) -> None:
        """Told (or nowhere to tell): never claimed again. Only rows ``owner`` still holds."""
        if notice_ids:
            await self._session.execute(
                update(HealthNotice)
                .where(HealthNotice.id.in_(list(notice_ids)), HealthNotice.claimed_by == owner)
                .values(told_at=now)
                .execution_options(synchronize_session=False)
            )

    async def release(self, notice_ids: Collection[int], *, owner: str) -> None:
        """Not told this time (Discord failed): claimable again at once."""
        if notice_ids:
            await self._session.execute(
                update(HealthNotice)
                .where(HealthNotice.id.in_(list(notice_ids)), HealthNotice.claimed_by == owner)
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )

    async def prune(self, *, told_before: datetime) -> None:
        await self._session.execute(delete(HealthNotice).where(HealthNotice.told_at < told_before))

    async def untold(self) -> int:
        """How many notices wait to be told (for the operator and the tests)."""
        rows = await self._session.scalars(
            select(HealthNotice.id).where(HealthNotice.told_at.is_(None))
        )
        return len(list(rows))
