"""Reviewing the catalog against the archive: the laws the news names that it lacks.

``unknown_laws`` reads the relevant items page by page and tallies the act, bill and order
names no catalog entry matches (``bot.domain.unknown_laws``), for an admin to add to the
catalog file (``POLICYBOT_CATALOG_FILE``) before ``policybot reanalyse``.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.catalog import Catalog
from bot.domain.unknown_laws import ItemText, UnknownLaw, UnknownLawFinder, tally
from bot.storage.catalog_review import RelevantTextStore

PAGE = 1_000


class CatalogReview:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: Catalog) -> None:
        self._sessions = sessions
        self._catalog = catalog

    async def unknown_laws(self, *, limit: int = 20) -> tuple[UnknownLaw, ...]:
        """The most mentioned unknown law names in relevant items, with a sample and a link."""
        texts: list[ItemText] = []
        after = 0
        async with self._sessions() as session:
            store = RelevantTextStore(session)
            while True:
                page = await store.page(after_id=after, limit=PAGE)
                if not page:
                    break
                texts.extend(text for _, text in page)
                after = page[-1][0]
        finder = await asyncio.to_thread(UnknownLawFinder, self._catalog)
        return await asyncio.to_thread(lambda: tally(texts, finder, limit=limit))
