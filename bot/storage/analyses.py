"""Storing what analysis concluded about items, and reading claims back for positions.

The store receives a session and never commits: the facade owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.analysis import ItemAnalysis
from bot.domain.clustering import STORY_WINDOW, StoryItem
from bot.domain.positions import ClaimRecord
from bot.storage.schema import Item, Mention, StanceClaim, UTCDateTime
from bot.storage.schema import ItemAnalysis as ItemAnalysisRow


@dataclass(frozen=True, slots=True)
class ItemText:
    """What analysis reads of a stored item."""

    item_id: int
    title: str
    text: str
    url: str | None
    published_at: datetime | None
    story_key: str | None


class AnalysisStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def item_texts(self, item_ids: Sequence[int]) -> list[ItemText]:
        if not item_ids:
            return []
        rows = await self._session.scalars(
            select(Item).where(Item.id.in_(list(item_ids))).order_by(Item.id)
        )
        return [_item_text(item) for item in rows]

    async def item_ids(self, *, after: int = 0, limit: int = 500) -> list[int]:
        """Item ids in order, a batch at a time (``reanalyse`` walks the whole archive)."""
        statement = select(Item.id).where(Item.id > after).order_by(Item.id).limit(limit)
        return list(await self._session.scalars(statement))

    async def save(
        self, item_id: int, analysis: ItemAnalysis, *, now: datetime, version: str
    ) -> None:
        """Replace whatever an earlier analysis stored for the item."""
        for table in (StanceClaim, Mention, ItemAnalysisRow):
            await self._session.execute(delete(table).where(table.item_id == item_id))
        self._session.add(
            ItemAnalysisRow(
                item_id=item_id,
                is_relevant=analysis.relevance.is_relevant,
                relevance=analysis.relevance.score,
                reasons=list(analysis.relevance.reasons),
                analysed_at=now,
                analyser_version=version,
            )
        )
        for mention in analysis.mentions:
            self._session.add(
                Mention(
                    item_id=item_id,
                    kind=mention.kind,
                    entity_id=mention.entity_id,
                    surface=mention.surface[:256],
                    count=mention.count,
                )
            )
        for claim in analysis.claims:
            self._session.add(
                StanceClaim(
                    item_id=item_id,
                    company_id=claim.company_id,
                    target_id=claim.target_id,
                    stance=claim.stance,
                    evidence=claim.evidence,
                    sentence_index=claim.sentence_index,
                    confidence=claim.confidence,
                    attribution=claim.attribution,
                )
            )
        await self._session.flush()

    async def set_story_key(self, item_id: int, story_key: str) -> None:
        item = await self._session.get(Item, item_id)
        if item is not None:
            item.story_key = story_key

    async def stories_near(
        self, moment: datetime | None, *, window: timedelta = STORY_WINDOW, limit: int = 500
    ) -> list[StoryItem]:
        """Clustered items published within ``window`` of ``moment`` (the newest when undated)."""
        when = func.coalesce(Item.published_at, Item.fetched_at)
        statement = select(Item).where(Item.story_key.is_not(None))
        if moment is not None:
            statement = statement.where(when >= moment - window, when <= moment + window)
        rows = await self._session.scalars(statement.order_by(when.desc()).limit(limit))
        return [
            StoryItem(item.url, item.title, item.summary, item.published_at, item.story_key)
            for item in rows
        ]

    async def claims(
        self,
        *,
        company_id: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> list[ClaimRecord]:
        """Stored claims of relevant items, with each item's link, date and story.

        Plain columns, not ORM objects, and sorted here rather than by the database: a common
        name has thousands of claims, and entities (with the items' summaries) and a sort
        on an expression were most of ``/stance``'s time (``bench/stance.py``).
        """
        when = type_coerce(func.coalesce(Item.published_at, Item.fetched_at), UTCDateTime)
        statement = (
            select(
                StanceClaim.id,
                StanceClaim.company_id,
                StanceClaim.target_id,
                StanceClaim.stance,
                StanceClaim.evidence,
                StanceClaim.confidence,
                StanceClaim.attribution,
                Item.id,
                Item.story_key,
                when,
                Item.url,
                Item.title,
            )
            .join(Item, Item.id == StanceClaim.item_id)
            .join(ItemAnalysisRow, ItemAnalysisRow.item_id == Item.id)
            .where(ItemAnalysisRow.is_relevant.is_(True))
        )
        if company_id is not None:
            statement = statement.where(StanceClaim.company_id == company_id)
        if target_ids is not None:
            statement = statement.where(StanceClaim.target_id.in_(list(target_ids)))
        if since is not None:
            statement = statement.where(when >= since)
        # Core, not the ORM: no per-row entity bookkeeping for thousands of plain rows.
        connection = await self._session.connection()
        rows = sorted(await connection.execute(statement), key=lambda row: (row[9], row[0]))
        return [
            ClaimRecord(
                company_id=company,
                target_id=target,
                stance=stance,
                evidence=evidence,
                confidence=confidence,
                attribution=attribution,
                item_id=item_id,
                story_key=story or f"item:{item_id}",
                reported_at=reported_at,
                url=url,
                title=title,
            )
            for (
                _,
                company,
                target,
                stance,
                evidence,
                confidence,
                attribution,
                item_id,
                story,
                reported_at,
                url,
                title,
            ) in rows
        ]


def _item_text(item: Item) -> ItemText:
    return ItemText(
        item_id=item.id,
        title=item.title,
        text=item.summary,
        url=item.url,
        published_at=item.published_at,
        story_key=item.story_key,
    )
