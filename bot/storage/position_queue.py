"""PositionQueue: the (company, target) pairs whose stored position is out of date, as rows
of ``stance_positions_pending``.

Whatever changes a pair's relevant claims queues the pair in the same transaction
(``AnalysisStore.save_many`` for the claims of the items it replaces and of the new ones;
``FeedStore`` before a merge deletes a feed's duplicate items), and a refresh removes it in
the transaction that stores the new position. Each queuing writes a new ``token``; a refresh
removes a pair only if its token is still the one leased (``finish``), so a change that lands
while the pair is being weighed leaves it queued, however the two interleave: a change that
commits first changed the token, and one that comes later inserts the row again (on
PostgreSQL it waits for the refresh's row lock, then finds the row gone).

Concurrent refreshes (several pollers on one PostgreSQL database) lease disjoint batches
(rows picked ``FOR UPDATE SKIP LOCKED``); a change clears the pair's lease, so the next
refresh takes the pair again. The same statements run on SQLite and PostgreSQL. Receives a
session; the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, cast

from sqlalchemy import Select, String, Table, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.positions import FULL_WEIGHT_FOR, weighing_day
from bot.storage.engine import upsert_into
from bot.storage.schema import Item, PendingPosition, StanceClaim, StancePosition

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

_TABLE = cast(Table, PendingPosition.__table__)

Pair = tuple[str, str]  # (company_id, target_id)


class LeasedPair(NamedTuple):
    company_id: str
    target_id: str
    token: str  # the queuing this refresh answers; see ``PositionQueue.finish``


class PositionQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        return upsert_into(self._session, _TABLE)

    async def _queue(self, pairs: Select[str, str]) -> None:
        """Queue the distinct pairs ``pairs`` selects, each with a new token and no lease."""
        token = uuid.uuid4().hex
        insert = self._insert()
        statement = insert.from_select(
            ["company_id", "target_id", "token"], pairs.add_columns(literal(token, String))
        ).on_conflict_do_update(
            index_elements=["company_id", "target_id"],
            set_={
                "token": insert.excluded.token,
                "lease_owner": None,
                "lease_expires_at": None,
            },
        )
        await self._session.execute(statement)

    async def add_items(self, item_ids: Collection[int]) -> None:
        """Queue the pairs of these items' relevant claims, as stored now: call it before
        their claims are deleted and again after new ones are stored."""
        if not item_ids:
            return
        await self._queue(
            select(StanceClaim.company_id, StanceClaim.target_id)
            .where(StanceClaim.item_id.in_(list(item_ids)), StanceClaim.is_relevant.is_(True))
            .distinct()
        )

    async def add_feed_items(self, feed_id: int) -> None:
        """Queue the pairs of the relevant claims of every item of a feed about to go."""
        await self._queue(
            select(StanceClaim.company_id, StanceClaim.target_id)
            .join(Item, Item.id == StanceClaim.item_id)
            .where(Item.feed_id == feed_id, StanceClaim.is_relevant.is_(True))
            .distinct()
        )

    async def add_faded(self, now: datetime) -> None:
        """Queue the pairs whose stored position was weighed before ``now``'s day and has a
        claim old enough to fade: their weights moved at midnight."""
        day = weighing_day(now)
        await self._queue(
            select(StancePosition.company_id, StancePosition.target_id).where(
                StancePosition.computed_at < day,
                StancePosition.oldest_reported_at < day - FULL_WEIGHT_FOR,
            )
        )

    async def lease_batch(
        self, *, limit: int, owner: str, now: datetime, until: datetime
    ) -> list[LeasedPair]:
        """Lease up to ``limit`` queued pairs nobody holds at ``now`` to ``owner`` until
        ``until``; the pairs with their tokens, in order."""
        chosen = (
            select(PendingPosition.company_id, PendingPosition.target_id)
            .where(
                or_(
                    PendingPosition.lease_expires_at.is_(None),
                    PendingPosition.lease_expires_at <= now,
                )
            )
            .order_by(PendingPosition.company_id, PendingPosition.target_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(PendingPosition)
            .where(tuple_(PendingPosition.company_id, PendingPosition.target_id).in_(chosen))
            .values(lease_owner=owner, lease_expires_at=until)
            .returning(PendingPosition.company_id, PendingPosition.target_id, PendingPosition.token)
            .execution_options(synchronize_session=False)
        )
        rows = await self._session.execute(statement)
        return sorted(LeasedPair(*row) for row in rows)

    async def finish(self, leased: Sequence[LeasedPair]) -> set[Pair]:
        """Remove the leased pairs still queued with the leased token; those pairs.

        The caller stores positions only for them: a pair whose claims changed since it was
        leased stays queued, and its position is weighed again from its new claims.
        """
        if not leased:
            return set()
        statement = (
            delete(PendingPosition)
            .where(
                tuple_(
                    PendingPosition.company_id, PendingPosition.target_id, PendingPosition.token
                ).in_([tuple(pair) for pair in leased])
            )
            .returning(PendingPosition.company_id, PendingPosition.target_id)
        )
        return {(company, target) for company, target in await self._session.execute(statement)}

    async def pairs(
        self, *, company_id: str | None = None, target_ids: Sequence[str] | None = None
    ) -> set[Pair]:
        """The queued pairs of a company (on some targets), or on some targets."""
        query = select(PendingPosition.company_id, PendingPosition.target_id)
        if company_id is not None:
            query = query.where(PendingPosition.company_id == company_id)
        if target_ids is not None:
            query = query.where(PendingPosition.target_id.in_(list(target_ids)))
        return {(company, target) for company, target in await self._session.execute(query)}

    async def size(self) -> int:
        return int(
            await self._session.scalar(select(func.count()).select_from(PendingPosition)) or 0
        )
