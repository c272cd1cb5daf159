"""The application facade: every use case the command line and the Discord client call.

``Application`` is one object per subject, each given its dependencies once:

- ``cycle``: one ingestion cycle (poll -> index for search -> analyse), for ``run`` and
  ``poll --once`` alike;
- ``feeds``: the instance's ``feeds.yaml`` list, its health, single-URL checks;
- ``guild_feeds``: a server's own feeds (``/feeds ...``);
- ``archive``: search and the newest items;
- ``analysis``: analysing items, ``/stance`` and ``/why``;
- ``catalog_review``: the laws the archive names that the catalog lacks.
- ``digests``: digest subscriptions and server settings, composing, delivering and scheduling
  digests, and telling admins about feed health.

The parts own their sessions (one transaction per use case) and never talk to Discord.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.analysis import Analysis
from bot.app.archive import Archive
from bot.app.cycle import IngestionCycle
from bot.app.instance_feeds import InstanceFeeds
from bot.catalog import load_catalog
from bot.domain.catalog import Catalog
from bot.domain.following import FeedCheck
from bot.polling import FeedPoller, Fetcher

if TYPE_CHECKING:
    from bot.app.catalog_review import CatalogReview
    from bot.app.digests import Digests
    from bot.app.guild_feeds import GuildFeeds


class Application:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        poller: FeedPoller | None = None,
        catalog: Catalog | None = None,
        check_feed: FeedCheck | None = None,
        page_fetcher: Fetcher | None = None,
        heartbeat: Path | None = None,
        default_timezone: str = "UTC",
    ) -> None:
        """``poller`` is the ingestion engine (the composition root gives one; without it
        there is no cycle and no fetch check). ``catalog`` defaults to the shipped one;
        ``check_feed`` to fetching through the poller; ``page_fetcher`` lets checks follow a
        site's page to the feed it links; ``heartbeat`` is the file each cycle stamps for
        ``policybot health``; ``default_timezone`` is the digests' (POLICYBOT_TIMEZONE)."""
        self._sessions = sessions
        self.analysis = Analysis(sessions, catalog if catalog is not None else load_catalog())
        self.archive = Archive(sessions)
        self.feeds = InstanceFeeds(sessions, poller, page_fetcher=page_fetcher)
        if check_feed is None and poller is not None:
            check_feed = self.feeds.check
        self._check_feed = check_feed
        self._default_timezone = default_timezone
        self._cycle = (
            IngestionCycle(poller, self.archive, self.analysis, heartbeat=heartbeat)
            if poller is not None
            else None
        )

    # Built (and imported) on first use: `policybot poll --once` from cron needs none of
    # these, and their modules were a tenth of its start-up.

    @cached_property
    def guild_feeds(self) -> GuildFeeds:
        from bot.app.guild_feeds import GuildFeeds

        return GuildFeeds(self._sessions, check_feed=self._check_feed)

    @cached_property
    def digests(self) -> Digests:
        from bot.app.digests import Digests

        return Digests(
            self._sessions,
            self.catalog,
            default_timezone=self._default_timezone,
            cycle=self._cycle,
        )

    @cached_property
    def catalog_review(self) -> CatalogReview:
        from bot.app.catalog_review import CatalogReview

        return CatalogReview(self._sessions, self.analysis.catalog)

    @property
    def cycle(self) -> IngestionCycle:
        if self._cycle is None:
            raise RuntimeError("this Application was built without a feed poller")
        return self._cycle

    @property
    def catalog(self) -> Catalog:
        return self.analysis.catalog
