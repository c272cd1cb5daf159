"""Storing what analysis concluded about items, and reading claims back for positions.

The store receives a session and never commits: the facade owns the transaction. Each stored
claim carries copies of its item's verdict, story and date, so ``claim_facts`` (what
``/stance`` weighs) reads a covering index only; ``claim_texts`` then fetches quotes, links
and titles for the few claims an answer shows. ``claims`` is the plain read of full records
from the items themselves, the reference the fast path is tested against.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import NullType

from bot.domain.analysis import ItemAnalysis, MentionCount
from bot.domain.clustering import STORY_WINDOW, StoryItem
from bot.domain.model import Attribution, StanceLabel
from bot.domain.positions import ClaimFact, ClaimRecord, ClaimText
from bot.storage.position_queue import PositionQueue
from bot.storage.schema import Item, Mention, StanceClaim, UTCDateTime
from bot.storage.schema import ItemAnalysis as ItemAnalysisRow

if TYPE_CHECKING:  # the rules load only where items are analysed
    from bot.domain.stance import StanceClaim as DomainClaim


@dataclass(frozen=True, slots=True)
class ItemText:
    """What analysis reads of a stored item."""

    item_id: int
    title: str
    text: str
    url: str | None
    published_at: datetime | None
    fetched_at: datetime
    story_key: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class AnalysedItem:
    """An item with its new analysis and the story it belongs to (None: leave it as it is)."""

    item: ItemText
    analysis: ItemAnalysis
    story_key: str | None


class AnalysisStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def item_texts(self, item_ids: Sequence[int]) -> list[ItemText]:
        if not item_ids:
            return []
        rows = await self._session.execute(
            select(
                Item.id,
                Item.title,
                Item.summary,
                Item.url,
                Item.published_at,
                Item.fetched_at,
                Item.story_key,
                Item.content_hash,
            )
            .where(Item.id.in_(list(item_ids)))
            .order_by(Item.id)
        )
        return [ItemText(*row) for row in rows]

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
        """Replace whatever an earlier analysis stored for the item (its story as stored)."""
        (text,) = await self.item_texts([item_id])
        await self.save_many(
            [AnalysedItem(text, analysis, text.story_key)], now=now, version=version
        )

    async def save_many(
        self, analysed: Sequence[AnalysedItem], *, now: datetime, version: str
    ) -> None:
        """Replace whatever earlier analyses stored for these items, and set their stories.

        A handful of statements for the whole batch: this runs on the event loop Discord
        shares. Claims copy the item's story and date (the dates never change after the
        first fetch).
        """
        if not analysed:
            return
        ids = [entry.item.item_id for entry in analysed]
        positions = PositionQueue(self._session)
        await positions.add_items(ids)  # the pairs of the claims replaced, and below the new
        for table in (StanceClaim, Mention, ItemAnalysisRow):
            await self._session.execute(delete(table).where(table.item_id.in_(ids)))
        keys = [
            {"id": entry.item.item_id, "story_key": entry.story_key}
            for entry in analysed
            if entry.story_key is not None and entry.story_key != entry.item.story_key
        ]
        if keys:
            await self._session.execute(update(Item), keys)
        verdicts = [_verdict_row(entry, now=now, version=version) for entry in analysed]
        mentions = [
            _mention_row(entry.item.item_id, m)
            for entry in analysed
            for m in entry.analysis.mentions
        ]
        claims = [_claim_row(entry, claim) for entry in analysed for claim in entry.analysis.claims]
        for table, rows in (
            (ItemAnalysisRow, verdicts),
            (Mention, mentions),
            (StanceClaim, claims),
        ):
            if rows:
                await self._session.execute(insert(table), rows)
        if claims:
            await positions.add_items(ids)

    async def stories_near(
        self,
        moments: Collection[datetime | None],
        *,
        window: timedelta = STORY_WINDOW,
        limit: int = 500,
    ) -> list[StoryItem]:
        """Clustered items published within ``window`` of any of ``moments``, newest first,
        at most ``limit`` (the newest ones when a moment is unknown)."""
        when = func.coalesce(Item.published_at, Item.fetched_at)
        # Columns, not ORM rows: clustering reads five of them for up to ``limit`` items.
        statement = select(
            Item.url, Item.title, Item.summary, Item.published_at, Item.story_key
        ).where(Item.story_key.is_not(None))
        known = [moment for moment in moments if moment is not None]
        if known and len(known) == len(moments):
            statement = statement.where(when >= min(known) - window, when <= max(known) + window)
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
            select(*_FACT_COLUMNS)
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

    async def shown_claims(
        self, claim_ids: Collection[int]
    ) -> tuple[dict[int, ClaimFact], dict[int, ClaimText]]:
        """Facts and texts of the given claims (those stored positions show), by claim id."""
        if not claim_ids:
            return {}, {}
        statement = (
            select(
                *_FACT_COLUMNS,
                StanceClaim.evidence,
                Item.url,
                Item.title,
            )
            .join(Item, Item.id == StanceClaim.item_id)
            .where(
                _id_among(StanceClaim.id, claim_ids, self._session),
                StanceClaim.is_relevant.is_(True),
            )
        )
        connection = await self._session.connection()
        rows = (await connection.execute(statement)).all()
        return await asyncio.to_thread(_shown_claims, rows)

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


# What weighing reads of a claim (``ClaimFact``), raw where SQLAlchemy's processing is slow.
_FACT_COLUMNS = (
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
_STANCES = {label.value: label for label in StanceLabel}
_ATTRIBUTIONS = {attribution.value: attribution for attribution in Attribution}


def _id_among(
    column: QueryableAttribute[int], ids: Collection[int], session: AsyncSession
) -> ColumnElement[bool]:
    """``column IN ids`` in one parameter, since rendering a law's thousand shown claim ids
    as parameters took longer than the query: an array (``= ANY``) on PostgreSQL, a JSON list
    (``json_each``) on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))
    listed = func.json_each(bindparam("ids", json.dumps(sorted(ids)), type_=String))
    return column.in_(select(literal_column("value")).select_from(listed))


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


def _shown_claims(
    rows: Sequence[Sequence[Any]],
) -> tuple[dict[int, ClaimFact], dict[int, ClaimText]]:
    """Raw ``shown_claims`` rows as facts and texts, by claim id."""
    facts = _claim_facts([row[:9] for row in rows])
    return (
        {fact.claim_id: fact for fact in facts},
        {row[0]: ClaimText(row[9], row[10], row[11]) for row in rows},
    )


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite keeps UTC as naive text; parsing with "+00:00" is
        return datetime.fromisoformat(value + "+00:00")  # several times faster than replace()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _verdict_row(entry: AnalysedItem, *, now: datetime, version: str) -> dict[str, Any]:
    relevance = entry.analysis.relevance
    return {
        "item_id": entry.item.item_id,
        "is_relevant": relevance.is_relevant,
        "relevance": relevance.score,
        "reasons": list(relevance.reasons),
        "analysed_at": now,
        "analyser_version": version,
    }


def _mention_row(item_id: int, mention: MentionCount) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "kind": mention.kind,
        "entity_id": mention.entity_id,
        "surface": mention.surface[:256],
        "count": mention.count,
    }


def _claim_row(entry: AnalysedItem, claim: DomainClaim) -> dict[str, Any]:
    item = entry.item
    return {
        "item_id": item.item_id,
        "company_id": claim.company_id,
        "target_id": claim.target_id,
        "stance": claim.stance,
        "evidence": claim.evidence,
        "sentence_index": claim.sentence_index,
        "confidence": claim.confidence,
        "attribution": claim.attribution,
        "is_relevant": entry.analysis.relevance.is_relevant,
        "story_key": entry.story_key or item.story_key or f"item:{item.item_id}",
        "reported_at": item.published_at or item.fetched_at,
    }
