"""What the archive remembers about one item (``/why``): its copies, analysis and digests.

Receives a session and never commits; every query is a lookup by indexed URL or item id.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.explanation import DigestAppearance, ItemClaim, Sighting, StoredAnalysis
from bot.domain.model import EntityKind
from bot.storage.schema import Digest, DigestEntry, Feed, Item, Mention, StanceClaim
from bot.storage.schema import ItemAnalysis as ItemAnalysisRow


class ItemHistoryStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def sightings(self, urls: Sequence[str]) -> list[Sighting]:
        """Every stored item whose link is one of ``urls``, with its feed."""
        if not urls:
            return []
        rows = await self._session.execute(
            select(Item, Feed.title, Feed.url)
            .join(Feed, Feed.id == Item.feed_id)
            .where(Item.url.in_(list(urls)))
            .order_by(Item.fetched_at, Item.id)
        )
        return [
            Sighting(
                item_id=item.id,
                feed_title=feed_title or feed_url,
                feed_url=feed_url,
                title=item.title,
                url=item.url or "",
                published_at=item.published_at,
                fetched_at=item.fetched_at,
                is_backlog=item.is_backlog,
            )
            for item, feed_title, feed_url in rows
        ]

    async def analyses(self, item_ids: Sequence[int]) -> list[StoredAnalysis]:
        """The stored analysis of each analysed item, with its mentions and claims."""
        if not item_ids:
            return []
        ids = list(item_ids)
        rows = await self._session.scalars(
            select(ItemAnalysisRow).where(ItemAnalysisRow.item_id.in_(ids))
        )
        mentions = await self._session.execute(
            select(Mention.item_id, Mention.kind, Mention.entity_id)
            .where(Mention.item_id.in_(ids))
            .order_by(Mention.item_id, Mention.count.desc(), Mention.id)
        )
        named: dict[tuple[int, EntityKind], list[str]] = {}
        for item_id, kind, entity_id in mentions:
            named.setdefault((item_id, kind), []).append(entity_id)
        claims = await self._session.scalars(
            select(StanceClaim)
            .where(StanceClaim.item_id.in_(ids))
            .order_by(StanceClaim.item_id, StanceClaim.sentence_index, StanceClaim.id)
        )
        said: dict[int, list[ItemClaim]] = {}
        for claim in claims:
            said.setdefault(claim.item_id, []).append(
                ItemClaim(
                    company_id=claim.company_id,
                    target_id=claim.target_id,
                    stance=claim.stance,
                    evidence=claim.evidence,
                    attribution=claim.attribution,
                    confidence=claim.confidence,
                )
            )
        return [
            StoredAnalysis(
                item_id=row.item_id,
                is_relevant=row.is_relevant,
                score=row.relevance,
                reasons=tuple(row.reasons),
                analysed_at=row.analysed_at,
                company_ids=tuple(named.get((row.item_id, EntityKind.COMPANY), ())),
                law_ids=tuple(named.get((row.item_id, EntityKind.LAW), ())),
                claims=tuple(said.get(row.item_id, ())),
            )
            for row in rows
        ]

    async def digest_appearances(
        self, item_ids: Sequence[int], *, guild_id: int | None
    ) -> list[DigestAppearance]:
        """The digests that included any of the items: one server's, or every server's."""
        if not item_ids:
            return []
        statement = (
            select(Digest, DigestEntry.disposition, DigestEntry.message_id)
            .join(DigestEntry, DigestEntry.digest_id == Digest.id)
            .where(DigestEntry.item_id.in_(list(item_ids)))
        )
        if guild_id is not None:
            statement = statement.where(DigestEntry.guild_id == guild_id)
        rows = await self._session.execute(statement.order_by(Digest.created_at, Digest.id))
        return [
            DigestAppearance(
                digest_id=digest.id,
                subscription_id=digest.subscription_id,
                guild_id=digest.guild_id,
                channel_id=digest.channel_id,
                status=digest.status,
                disposition=disposition,
                created_at=digest.created_at,
                posted_at=digest.posted_at,
                message_id=message_id,
            )
            for digest, disposition, message_id in rows
        ]
