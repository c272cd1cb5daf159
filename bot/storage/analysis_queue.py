"""AnalysisQueue: which items still need analysis, as rows of ``items_analysis_pending``.

"Needs analysis" is durable state, like the search queue: ``ItemStore.save`` queues new and
changed items in the transaction that stores them, and the analysis of an item leaves the
queue only in the transaction that saves it (``take``), so a crash or a failed analysis in
between leaves the item queued for the next drain. The same statements run on SQLite and
PostgreSQL. Receives a session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, delete, exists, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.schema import Item, ItemAnalysis, PendingAnalysis

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

_TABLE = cast(Table, PendingAnalysis.__table__)


class AnalysisQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        if self._session.get_bind().dialect.name == "postgresql":
            # Imported here: SQLite installs never load the PostgreSQL dialect (~50 ms).
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(_TABLE)
        return sqlite.insert(_TABLE)

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

    async def next_batch(self, *, limit: int) -> list[int]:
        """Up to ``limit`` queued item ids: new items before backlog (what a feed's first
        fetch found), oldest first within each, so a cold archive's backlog never holds up
        the news that digests wait for."""
        statement = (
            select(PendingAnalysis.item_id)
            .join(Item, Item.id == PendingAnalysis.item_id)
            .order_by(Item.is_backlog, PendingAnalysis.item_id)
            .limit(limit)
        )
        return list(await self._session.scalars(statement))

    async def take(self, item_ids: Collection[int]) -> set[int]:
        """Remove these items from the queue; the ones that were still queued.

        The caller saves analyses only for those: a concurrent drain (``policybot reanalyse``
        beside a running service) that took them first has already saved theirs.
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
