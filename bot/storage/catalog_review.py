"""What ``policybot catalog unknown`` reads: the relevant items' titles, texts and links.

Read in pages by item id (keyset), so a 50,000-item archive is never in memory at once.
Receives a session and never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.unknown_laws import ItemText
from bot.storage.schema import Item
from bot.storage.schema import ItemAnalysis as ItemAnalysisRow


class RelevantTextStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def page(self, *, after_id: int, limit: int) -> list[tuple[int, ItemText]]:
        """The next ``limit`` relevant items after ``after_id``, oldest id first."""
        rows = await self._session.execute(
            select(Item.id, Item.title, Item.summary, Item.url)
            .join(ItemAnalysisRow, ItemAnalysisRow.item_id == Item.id)
            .where(ItemAnalysisRow.is_relevant.is_(True), Item.id > after_id)
            .order_by(Item.id)
            .limit(limit)
        )
        return [
            (item_id, ItemText(title or "", summary or "", url))
            for item_id, title, summary, url in rows
        ]
