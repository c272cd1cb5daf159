"""Storing what analysis concluded about items, and reading claims back for positions.

The store receives a session and never commits: the facade owns the transaction. Each stored
claim carries copies of its item's verdict, story and date, so ``claim_facts`` (what
``/stance`` weighs) reads a covering index only; ``claim_texts`` then fetches quotes, links
and titles for the few claims an answer shows. ``claims`` is the plain read of full records
from the items themselves, the reference the fast path is tested against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, delete, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from bot.domain.analysis import ItemAnalysis
from bot.domain.clustering import STORY_WINDOW, StoryItem
from bot.domain.model import Attribution, StanceLabel
from bot.domain.positions import ClaimFact, ClaimRecord, ClaimText
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
    content_hash: str


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

    async def content_hashes(self, item_ids: Collection[int]) -> dict[int, str]:
        """The items' content hashes now, to tell whether an analysis read their latest text."""
        if not item_ids:
            return {}
        rows = await self._session.execute(
            select(Item.id, Item.content_hash).where(Item.id.in_(list(item_ids)))
        )
        return {item_id: content_hash for item_id, content_hash in rows}

    async def save(
        self, item_id: int, analysis: ItemAnalysis, *, now: datetime, version: str
    ) -> None:
        """Replace whatever an earlier analysis stored for the item.

        Claims copy the item's story and date as they are now (a story key is set just
        before, by the same analysis; the dates never change after the first fetch).
        """
        for table in (StanceClaim, Mention, ItemAnalysisRow):
            await self._session.execute(delete(table).where(table.item_id == item_id))
        item = (
            await self._session.execute(
                select(Item.story_key, Item.published_at, Item.fetched_at).where(Item.id == item_id)
            )
        ).one()
        story_key = item.story_key or f"item:{item_id}"
        reported_at = item.published_at or item.fetched_at
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
                    is_relevant=analysis.relevance.is_relevant,
                    story_key=story_key,
                    reported_at=reported_at,
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
        # Columns, not ORM rows: clustering reads five of them, for up to ``limit`` items
        # per analysed item.
        statement = select(
            Item.url, Item.title, Item.summary, Item.published_at, Item.story_key
        ).where(Item.story_key.is_not(None))
        if moment is not None:
            statement = statement.where(when >= moment - window, when <= moment + window)
        rows = await self._session.execute(statement.order_by(when.desc()).limit(limit))
        return [StoryItem(*row) for row in rows]

    async def claim_facts(
        self,
        *,
        company_id: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> list[ClaimFact]:
        """Light facts of relevant claims, by report date then id, from a covering index.

        Stance, attribution and date are read raw and converted in a worker thread:
        SQLAlchemy's per-row processing (a regex per SQLite date) cost more than the query.
        """
        statement = (
            select(
                StanceClaim.id,
                StanceClaim.company_id,
                StanceClaim.target_id,
                type_coerce(StanceClaim.stance, String),
                StanceClaim.confidence,
                type_coerce(StanceClaim.attribution, String),
                StanceClaim.item_id,
                StanceClaim.story_key,
                type_coerce(StanceClaim.reported_at, _RawValue),
            )
            .where(StanceClaim.is_relevant.is_(True))
            .order_by(StanceClaim.reported_at, StanceClaim.id)
        )
        if company_id is not None:
            statement = statement.where(StanceClaim.company_id == company_id)
        if target_ids is not None:
            statement = statement.where(StanceClaim.target_id.in_(list(target_ids)))
        if since is not None:
            statement = statement.where(StanceClaim.reported_at >= since)
        # Core, not the ORM: thousands of plain rows for a common name.
        connection = await self._session.connection()
        rows = (await connection.execute(statement)).all()
        return await asyncio.to_thread(_claim_facts, rows)

    async def claim_texts(self, claim_ids: Collection[int]) -> dict[int, ClaimText]:
        """Quote, link and title of the given claims (the few an answer shows), by claim id."""
        if not claim_ids:
            return {}
        statement = (
            select(StanceClaim.id, StanceClaim.evidence, Item.url, Item.title)
            .join(Item, Item.id == StanceClaim.item_id)
            .where(StanceClaim.id.in_(list(claim_ids)))
        )
        connection = await self._session.connection()
        return {
            claim_id: ClaimText(evidence, url, title)
            for claim_id, evidence, url, title in await connection.execute(statement)
        }

    async def claims(
        self,
        *,
        company_id: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> list[ClaimRecord]:
        """Stored claims of relevant items, full records read from the items themselves.

        The plain path: what ``claim_facts`` and ``claim_texts`` must add up to (tests compare
        the answers). Sorted here, not by the database (a sort on an expression is slow).
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


class _RawValue(NullType):
    """A column read as the driver gives it: SQLite's date text, asyncpg's aware datetime."""

    cache_ok = True


_STANCES = {label.value: label for label in StanceLabel}
_ATTRIBUTIONS = {attribution.value: attribution for attribution in Attribution}


def _claim_facts(rows: Sequence[Sequence[Any]]) -> list[ClaimFact]:
    """Raw ``claim_facts`` rows as facts, with what ``UTCDateTime`` would make of the dates."""
    stances, attributions, make = _STANCES, _ATTRIBUTIONS, ClaimFact._make
    return [
        make(
            (
                claim_id,
                company_id,
                target_id,
                stances[stance],
                confidence,
                attributions[attribution],
                item_id,
                story_key,
                _utc(reported_at),
            )
        )
        for (
            claim_id,
            company_id,
            target_id,
            stance,
            confidence,
            attribution,
            item_id,
            story_key,
            reported_at,
        ) in rows
    ]


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite keeps UTC as naive text; parsing with "+00:00" is
        return datetime.fromisoformat(value + "+00:00")  # several times faster than replace()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _item_text(item: Item) -> ItemText:
    return ItemText(
        item_id=item.id,
        title=item.title,
        text=item.summary,
        url=item.url,
        published_at=item.published_at,
        story_key=item.story_key,
        content_hash=item.content_hash,
    )
