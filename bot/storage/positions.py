"""PositionStore: each (company, target) pair's weighed position, as rows of
``stance_positions``.

Written only by a refresh of queued pairs (``bot.storage.position_queue``), read by
``/stance``: a common name's answer reads its few dozen rows and the handful of claims they
show, instead of weighing thousands of claims. Receives a session and never commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.positions import SettledPosition
from bot.storage.schema import StancePosition

_COLUMNS = (
    StancePosition.company_id,
    StancePosition.target_id,
    StancePosition.label,
    StancePosition.score,
    StancePosition.reports,
    StancePosition.changed,
    StancePosition.conflicting,
    StancePosition.shown_claim_ids,
    StancePosition.oldest_reported_at,
    StancePosition.oldest_claim_id,
    StancePosition.computed_at,
)


class PositionStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def settled(
        self, *, company_id: str | None = None, target_ids: Sequence[str] | None = None
    ) -> list[SettledPosition]:
        """The stored positions of a company (on some targets), or on some targets."""
        query = select(*_COLUMNS)
        if company_id is not None:
            query = query.where(StancePosition.company_id == company_id)
        if target_ids is not None:
            query = query.where(StancePosition.target_id.in_(list(target_ids)))
        rows = await self._session.execute(query)
        return [
            SettledPosition(
                company_id=company,
                target_id=target,
                label=label,
                score=float(score),
                reports=reports,
                changed=changed,
                conflicting=conflicting,
                shown_claim_ids=tuple(shown),
                oldest_reported_at=oldest_at,
                oldest_claim_id=oldest_id,
                weighed_at=weighed_at,
            )
            for (
                company,
                target,
                label,
                score,
                reports,
                changed,
                conflicting,
                shown,
                oldest_at,
                oldest_id,
                weighed_at,
            ) in rows
        ]

    async def replace(
        self,
        pairs: Collection[tuple[str, str]],
        settled: Sequence[SettledPosition],
    ) -> None:
        """Store ``settled`` as the positions of ``pairs``; a pair without one (no relevant
        claim left) loses its row."""
        if not pairs:
            return
        await self._session.execute(
            delete(StancePosition).where(
                tuple_(StancePosition.company_id, StancePosition.target_id).in_(list(pairs))
            )
        )
        rows = [_row(position) for position in settled if position.pair in pairs]
        if rows:
            await self._session.execute(insert(StancePosition), rows)


def _row(position: SettledPosition) -> dict[str, Any]:
    return {
        "company_id": position.company_id,
        "target_id": position.target_id,
        "label": position.label,
        "score": repr(position.score),  # exact, -0.0 too
        "reports": position.reports,
        "changed": position.changed,
        "conflicting": position.conflicting,
        "shown_claim_ids": list(position.shown_claim_ids),
        "oldest_reported_at": position.oldest_reported_at,
        "oldest_claim_id": position.oldest_claim_id,
        "computed_at": position.weighed_at,
    }
