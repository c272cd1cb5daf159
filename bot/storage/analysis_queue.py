"""AnalysisQueue: which items still need analysis, as rows of ``items_analysis_pending``.

"Needs analysis" is durable state, like the search queue: ``ItemStore.save`` queues new and
changed items in the transaction that stores them, and the analysis of an item leaves the
queue only in the transaction that saves it (``take``), so a crash or a failed analysis in
between leaves the item queued for the next drain. The same statements run on SQLite and
PostgreSQL. Receives a session; the caller commits.

Concurrent drains (several pollers on one PostgreSQL database) take disjoint batches: a drain
leases its batch (``lease_batch``, rows picked ``FOR UPDATE SKIP LOCKED``), and a lease that
lapses (its drain died) lets the items go to the next one. ``take`` stays the guard that saves
an item's analysis once, whatever happened to its lease.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, delete, exists, func, or_, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import upsert_into
from bot.storage.schema import Item, ItemAnalysis, PendingAnalysis

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

_TABLE = cast(Table, PendingAnalysis.__table__)


class AnalysisQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        return upsert_into(self._session, _TABLE)

    async def add(self, item_ids: Collection[int]) -> None:
        """Queue these items (those already queued stay where they are)."""
        if not item_ids:
            return
        statement = self._insert().on_conflict_do_nothing(index_elements=["item_id"])
        await self._session.execute(statement, [{"item_id": item_id} for item_id in item_ids])

    async def add_stale(self, *, version: str | None, after: int, upto: int) -> int:
        """Queue the items with ``after < id <= upto`` that have no analysis by ``version``
        (with ``version=None``, every one of them); how many were not queued yet."""
        condition = Item.id > after
        if version is not None:
            current = exists().where(
                ItemAnalysis.item_id == Item.id, ItemAnalysis.analyser_version == version
            )
            condition = condition & ~current
        # The SELECT keeps its WHERE clause: SQLite needs one before ON CONFLICT.
        rows = select(Item.id).where(condition, Item.id <= upto)
        statement = self._insert().from_select(["item_id"], rows).on_conflict_do_nothing()
        result = await self._session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def last_item_id(self) -> int:
        """The highest item id (0 for an empty archive): where a re-queue by ranges stops."""
        return int(await self._session.scalar(select(func.max(Item.id))) or 0)

    async def lease_batch(
        self, *, limit: int, owner: str, now: datetime, until: datetime
    ) -> list[int]:
        """Lease up to ``limit`` queued items nobody holds at ``now`` to ``owner`` until
        ``until``; their ids, in order. The batch is new items before backlog (what a feed's
        first fetch found), oldest first within each, so a cold archive's backlog never holds
        up the news that digests wait for."""
        chosen = (
            select(PendingAnalysis.item_id)
            .join(Item, Item.id == PendingAnalysis.item_id)
            .where(
                or_(
                    PendingAnalysis.lease_expires_at.is_(None),
                    PendingAnalysis.lease_expires_at <= now,
                )
            )
            .order_by(Item.is_backlog, PendingAnalysis.item_id)
            .limit(limit)
            .with_for_update(of=PendingAnalysis, skip_locked=True)
        )
        statement = (
            update(PendingAnalysis)
            .where(PendingAnalysis.item_id.in_(chosen.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=until)
            .returning(PendingAnalysis.item_id)
            .execution_options(synchronize_session=False)
        )
        return sorted((await self._session.scalars(statement)).all())

    async def lease_owners(self, *, now: datetime) -> set[str]:
        """The drains holding a lease on some queued item at ``now``."""
        query = (
            select(PendingAnalysis.lease_owner)
            .where(PendingAnalysis.lease_expires_at > now)
            .distinct()
        )
        return {owner for owner in await self._session.scalars(query) if owner is not None}

    async def release_owners(self, owners: Sequence[str]) -> int:
        """Drop every lease these (dead) drains hold; how many items they held."""
        if not owners:
            return 0
        statement = (
            update(PendingAnalysis)
            .where(PendingAnalysis.lease_owner.in_(list(owners)))
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def take(self, item_ids: Collection[int]) -> set[int]:
        """Remove these items from the queue; the ones that were still queued.

        The caller saves analyses only for those: a concurrent drain that took them first
        (one whose lease on them had lapsed) has already saved theirs.
        """
        if not item_ids:
            return set()
        statement = (
            delete(PendingAnalysis)
            .where(PendingAnalysis.item_id.in_(list(item_ids)))
            .returning(PendingAnalysis.item_id)
        )
        return set((await self._session.scalars(statement)).all())

    async def size(self) -> int:
        return int(
            await self._session.scalar(select(func.count()).select_from(PendingAnalysis)) or 0
        )
