"""The application facade: every use case the CLI and the chat layer call.

It owns sessions (one transaction per use case) and is handed its resources by the
composition root; it never talks to Discord.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.model import FeedSource
from bot.polling import FeedPoller, FeedPollResult, FeedProbe, PollReport
from bot.storage.feeds import FeedOverview, FeedStore, FeedSyncResult
from bot.storage.schema import Item
from bot.storage.search import search_items


class Application:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, poller: FeedPoller | None = None
    ) -> None:
        self._sessions = sessions
        self._poller = poller

    @property
    def poller(self) -> FeedPoller:
        """The ingestion engine; only the composition root gives one (tests may build one)."""
        if self._poller is None:
            raise RuntimeError("this Application was built without a feed poller")
        return self._poller

    async def poll(
        self,
        *,
        now: datetime,
        only_due: bool = True,
        on_feed: Callable[[FeedPollResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> PollReport:
        """One polling cycle; the report lists new item ids and health events to announce."""
        return await self.poller.poll(
            now=now, only_due=only_due, on_feed=on_feed, on_start=on_start
        )

    async def spread_due_feeds(self, *, now: datetime) -> int:
        """At start-up: scatter overdue feeds over one interval instead of polling all at once."""
        return await self.poller.spread_due(now=now)

    async def probe_feed(self, url: str) -> FeedProbe:
        """Fetch and parse ``url`` once, storing nothing (``policybot feeds check``)."""
        return await self.poller.probe(url)

    async def feed_overview(self) -> list[FeedOverview]:
        """Every feed with its health and schedule (``policybot feeds list``, OPML export)."""
        async with self._sessions() as session:
            return await FeedStore(session).overview()

    async def sync_instance_feeds(
        self, sources: tuple[FeedSource, ...], *, now: datetime
    ) -> FeedSyncResult:
        async with self._sessions.begin() as session:
            return await FeedStore(session).sync_instance_list(sources, now=now)

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> list[Item]:
        async with self._sessions() as session:
            return await search_items(session, query, limit=limit, offset=offset)
