"""The application facade: every use case the CLI and the chat layer call.

It owns sessions (one transaction per use case) and is handed its resources by the
composition root; it never talks to Discord.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.model import FeedSource
from bot.storage.feeds import FeedStore, FeedSyncResult
from bot.storage.schema import Item
from bot.storage.search import search_items


class Application:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def sync_instance_feeds(
        self, sources: tuple[FeedSource, ...], *, now: datetime
    ) -> FeedSyncResult:
        async with self._sessions.begin() as session:
            return await FeedStore(session).sync_instance_list(sources, now=now)

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[Item]:
        async with self._sessions() as session:
            return await search_items(session, query, limit=limit, offset=offset)
