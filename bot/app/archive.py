"""Archive use cases: full-text search, the newest items, and keeping the index current."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.archive import ArchivePage
from bot.storage.archive import archive_entries, latest_items
from bot.storage.retry import in_transaction
from bot.storage.schema import Item
from bot.storage.search import index_pending, search_items


class Archive:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def index_search(self) -> int:
        """Bring the full-text index up to date (after a poll cycle); items indexed.

        Batch by batch, each its own transaction, so other writers never wait long; a batch
        is retried while another program holds the database's lock.
        """
        indexed = 0
        while True:
            batch = await in_transaction(self._sessions, index_pending)
            indexed += batch
            if batch == 0:
                return indexed

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[Item]:
        async with self._sessions() as session:
            return await search_items(session, query, limit=limit, offset=offset)

    async def search_page(self, query: str, *, page: int, per_page: int) -> ArchivePage:
        """One page of full-text results, best match first (``/search``)."""
        async with self._sessions() as session:
            offset = (page - 1) * per_page
            items = await search_items(session, query, limit=per_page + 1, offset=offset)
            entries = await archive_entries(session, items[:per_page])
        return ArchivePage(tuple(entries), page, per_page, has_more=len(items) > per_page)

    async def latest_page(self, topic: str | None, *, page: int, per_page: int) -> ArchivePage:
        """One page of the newest items, optionally only those matching ``topic`` (``/latest``)."""
        async with self._sessions() as session:
            offset = (page - 1) * per_page
            items = await latest_items(session, topic, limit=per_page + 1, offset=offset)
            entries = await archive_entries(session, items[:per_page])
        return ArchivePage(tuple(entries), page, per_page, has_more=len(items) > per_page)
