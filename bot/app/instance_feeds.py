"""The instance's own feeds: the ``feeds.yaml`` list, its health, and single-URL checks.

These are the operator's tools (``policybot feeds ...``); a server's own feeds are in
``guild_feeds``. One URL is one feed row however many lists name it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.feed_checks import probe_discovering
from bot.domain.following import FeedCheckResult
from bot.domain.model import FeedSource
from bot.ingest.opml import OpmlFeed, read_opml, write_opml
from bot.ingest.sources import append_to_feeds_file, load_feed_sources
from bot.polling import FeedPoller, FeedProbe, Fetcher
from bot.storage.feeds import FeedOverview, FeedStore, FeedSyncResult
from bot.storage.retry import in_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedsFileSync:
    """A ``feeds.yaml`` read into the database: how many feeds it lists, what changed."""

    listed: int
    synced: FeedSyncResult


@dataclass(frozen=True, slots=True)
class OpmlAppended:
    """An OPML file appended to ``feeds.yaml``: the outlines read, the URLs new to the file."""

    outlines: int
    appended: tuple[str, ...]
    synced: FeedSyncResult


class InstanceFeeds:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        poller: FeedPoller | None = None,
        *,
        page_fetcher: Fetcher | None = None,
    ) -> None:
        """``page_fetcher`` reads a page that is not a feed, to follow the feeds it links."""
        self._sessions = sessions
        self._poller = poller
        self._page_fetcher = page_fetcher

    async def sync(self, sources: tuple[FeedSource, ...], *, now: datetime) -> FeedSyncResult:
        """Make the instance list exactly ``sources``; feeds dropped from it keep their items."""

        async def sync(session: AsyncSession) -> FeedSyncResult:
            return await FeedStore(session).sync_instance_list(sources, now=now)

        return await in_transaction(self._sessions, sync)

    async def sync_file(self, path: Path, *, now: datetime) -> FeedsFileSync:
        """Load ``feeds.yaml`` (validated whole: ``FeedsFileError`` changes nothing) and sync."""
        sources = await asyncio.to_thread(load_feed_sources, path)
        return FeedsFileSync(len(sources), await self.sync(sources, now=now))

    async def overview(self) -> list[FeedOverview]:
        """Every feed with its health and schedule (``policybot feeds list``)."""
        async with self._sessions() as session:
            return await FeedStore(session).overview()

    async def export_opml(self, *, now: datetime) -> str:
        """Every feed someone follows (the instance list or a server) as an OPML document."""
        feeds = await self.overview()
        return write_opml(
            (
                OpmlFeed(feed.url, feed.title or feed.url, feed.site_url, feed.kind)
                for feed in feeds
                if feed.in_instance_list or feed.guild_count
            ),
            title="policybot feeds",
            now=now,
        )

    async def append_opml(
        self, document: bytes, feeds_file: Path, *, label: str, kind: str, now: datetime
    ) -> OpmlAppended:
        """Append an OPML file's new feeds to ``feeds.yaml`` (comments kept), then sync."""
        outlines = read_opml(document, label=label)
        appended = await asyncio.to_thread(append_to_feeds_file, feeds_file, outlines, kind=kind)
        loaded = await self.sync_file(feeds_file, now=now)
        return OpmlAppended(len(outlines), tuple(appended), loaded.synced)

    async def resume(self, reference: str, *, now: datetime) -> str | None:
        """Un-pause a feed (after a 410, or a failing one) by id or URL; polled at once."""
        async with self._sessions.begin() as session:
            return await FeedStore(session).resume(reference, now=now)

    async def probe(self, url: str) -> FeedProbe:
        """Fetch and parse ``url`` once, storing nothing (``policybot feeds check``); a page
        that links a feed is followed to it."""
        return await probe_discovering(self._require_poller(), self._page_fetcher, url)

    async def check(self, url: str) -> FeedCheckResult:
        """Fetch ``url`` once to see whether it is a feed (``/feeds add``); stores nothing."""
        probe = await self.probe(url)
        error = probe.error.info if probe.error is not None else None
        found = probe.url if probe.ok and probe.url != url else None
        return FeedCheckResult(ok=probe.ok, title=probe.title or None, error=error, feed_url=found)

    def _require_poller(self) -> FeedPoller:
        if self._poller is None:
            raise RuntimeError("this Application was built without a feed poller")
        return self._poller
