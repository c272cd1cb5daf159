"""The application facade: every use case the CLI and the chat layer call.

It owns sessions (one transaction per use case) and is handed its resources by the
composition root; it never talks to Discord.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import load_catalog
from bot.domain.analysis import ANALYSER_VERSION, Analyser, AnalysisRun, ItemAnalysis
from bot.domain.archive import ArchivePage
from bot.domain.catalog import Catalog, Company, Law
from bot.domain.clustering import StoryItem, story_key
from bot.domain.explanation import UnseenUrl, WhyAnswer, explain, lookup_urls
from bot.domain.feed_import import (
    URL_MAX_LENGTH,
    FeedImportReport,
    FeedsExport,
    ImportedFeed,
    ImportOutcome,
    OpmlRefused,
    plan_import,
)
from bot.domain.feed_status import FeedHealthView, FeedsHealthReport, health_report
from bot.domain.following import (
    FeedCheck,
    FeedCheckResult,
    FollowOutcome,
    FollowResult,
    GuildFeedList,
    UnfollowResult,
)
from bot.domain.model import FeedSource
from bot.domain.positions import (
    CompanyStance,
    LawStance,
    StanceAnswer,
    UnknownName,
    by_label,
)
from bot.errors import OpmlError
from bot.feed_checks import check_candidates
from bot.ingest.opml import OpmlFeed, read_opml_document, write_opml
from bot.ingest.sources import is_http_url
from bot.polling import FeedPoller, FeedPollResult, FeedProbe, PollReport
from bot.storage.analyses import AnalysisStore, ItemText
from bot.storage.archive import archive_entries, latest_items
from bot.storage.claims_cache import ClaimsCache
from bot.storage.feeds import FeedOverview, FeedStore, FeedSyncResult
from bot.storage.guilds import GuildStore
from bot.storage.item_history import ItemHistoryStore
from bot.storage.schema import Item
from bot.storage.search import index_pending, search_items

log = logging.getLogger(__name__)
REANALYSE_BATCH = 200


class Application:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        poller: FeedPoller | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self._sessions = sessions
        self._poller = poller
        # The composition root passes the operator's catalog; tests get the shipped one.
        self._analyser = Analyser(catalog if catalog is not None else load_catalog())
        self._claims = ClaimsCache()

    @property
    def catalog(self) -> Catalog:
        return self._analyser.catalog

    async def analyse_items(self, item_ids: Sequence[int], *, now: datetime) -> AnalysisRun:
        """Analyse stored items (new ones after a poll), replacing earlier results.

        The rules run in a worker thread so the event loop keeps serving Discord; items
        without a story get one (the same story from several feeds shares a key).
        """
        async with self._sessions() as session:
            texts = await AnalysisStore(session).item_texts(item_ids)
        if not texts:
            return AnalysisRun()
        results = await asyncio.to_thread(self._analyse_texts, texts)
        async with self._sessions.begin() as session:
            store = AnalysisStore(session)
            for text, analysis in zip(texts, results, strict=True):
                if text.story_key is None:
                    recent = await store.stories_near(text.published_at)
                    item = StoryItem(text.url, text.title, text.text, text.published_at)
                    await store.set_story_key(text.item_id, story_key(item, recent))
                await store.save(text.item_id, analysis, now=now, version=ANALYSER_VERSION)
        self._claims.clear()
        run = AnalysisRun(
            analysed=len(results),
            relevant=sum(r.relevance.is_relevant for r in results),
            claims=sum(len(r.claims) for r in results),
        )
        log.info(
            "items analysed count=%d relevant=%d claims=%d", run.analysed, run.relevant, run.claims
        )
        return run

    async def reanalyse_all(
        self, *, now: datetime, batch_size: int = REANALYSE_BATCH
    ) -> AnalysisRun:
        """Recompute every stored analysis (after the catalog or the rules changed)."""
        total = AnalysisRun()
        last_id = 0
        while True:
            async with self._sessions() as session:
                batch = await AnalysisStore(session).item_ids(after=last_id, limit=batch_size)
            if not batch:
                return total
            total += await self.analyse_items(batch, now=now)
            last_id = batch[-1]

    async def stance(
        self,
        name: str,
        *,
        now: datetime,
        target: str | None = None,
        since: datetime | None = None,
    ) -> StanceAnswer:
        """A company's positions law by law, or a law's supporters and opponents.

        ``target`` narrows a company's answer to one law (id or name); ``since`` ignores
        older reports. An unknown name gets close matches for a "did you mean".
        """
        entry = self.catalog.resolve(name)
        if entry is None:
            return UnknownName(name, self.catalog.close_matches(name))
        target_ids: list[str] | None = None
        if target is not None:
            law = self.catalog.resolve(target)
            if law is None or isinstance(law, Company):
                return UnknownName(target, self.catalog.close_matches(target))
            target_ids = [law.id]
        async with self._sessions() as session:
            store = AnalysisStore(session)
            # Light facts weighed in a thread; text only for the claims the answer shows.
            if isinstance(entry, Company):
                found = await self._claims.positions(
                    store, now=now, company_id=entry.id, target_ids=target_ids, since=since
                )
                return CompanyStance(entry.id, entry.name, found)
            found = await self._claims.positions(store, now=now, target_ids=[entry.id], since=since)
        return LawStance(entry.id, entry.name, by_label(entry.id, found))

    def unknown_stance_name(self, name: str, *, target: str | None = None) -> UnknownName | None:
        """The name (or target) ``stance`` would not know, checked in memory before any work.

        The chat layer answers an unknown name privately, before it defers the real answer.
        """
        if self.catalog.resolve(name) is None:
            return UnknownName(name, self.catalog.close_matches(name))
        if target is not None and not isinstance(self.catalog.resolve(target), Law):
            return UnknownName(target, self.catalog.close_matches(target))
        return None

    async def why(self, url: str, *, now: datetime, guild_id: int | None = None) -> WhyAnswer:
        """Was the item at ``url`` seen, is it relevant and why, which digest carried it.

        Matched on the canonical URL (and its usual other spellings); digests are those of
        ``guild_id`` when asked from a server, else every server's.
        """
        urls = lookup_urls(url)
        if not urls:
            return UnseenUrl(url)
        async with self._sessions() as session:
            store = ItemHistoryStore(session)
            sightings = await store.sightings(urls)
            item_ids = [sighting.item_id for sighting in sightings]
            analyses = await store.analyses(item_ids)
            digests = await store.digest_appearances(item_ids, guild_id=guild_id)
        return explain(urls[0], sightings, analyses, digests, now=now)

    def _analyse_texts(self, texts: Sequence[ItemText]) -> list[ItemAnalysis]:
        return [self._analyser.analyse(text.title, text.text) for text in texts]

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

    async def resume_feed(self, reference: str, *, now: datetime) -> str | None:
        """Un-pause a feed (after a 410, or a failing one) by id or URL; polled at once."""
        return await self.poller.resume(reference, now=now)

    async def probe_feed(self, url: str) -> FeedProbe:
        """Fetch and parse ``url`` once, storing nothing (``policybot feeds check``)."""
        return await self.poller.probe(url)

    async def check_feed(self, url: str) -> FeedCheckResult:
        """Fetch ``url`` once to see whether it is a feed (``/feeds add``); stores nothing."""
        probe = await self.probe_feed(url)
        error = probe.error.info if probe.error is not None else None
        return FeedCheckResult(ok=probe.ok, title=probe.title or None, error=error)

    async def feed_overview(self) -> list[FeedOverview]:
        """Every feed with its health and schedule (``policybot feeds list``, OPML export)."""
        async with self._sessions() as session:
            return await FeedStore(session).overview()

    async def sync_instance_feeds(
        self, sources: tuple[FeedSource, ...], *, now: datetime
    ) -> FeedSyncResult:
        async with self._sessions.begin() as session:
            return await FeedStore(session).sync_instance_list(sources, now=now)

    async def index_search(self) -> int:
        """Bring the full-text index up to date (after a poll cycle); items indexed.

        Batch by batch, each its own transaction, so other writers never wait long.
        """
        indexed = 0
        while True:
            async with self._sessions.begin() as session:
                batch = await index_pending(session)
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

    async def guild_feeds(self, guild_id: int, *, cap: int) -> GuildFeedList:
        """The feeds one server follows itself; never another server's."""
        async with self._sessions() as session:
            store = GuildStore(session)
            followed = await store.followed(guild_id)
            instance_count = await store.instance_feed_count()
        return GuildFeedList(tuple(followed), instance_count, cap)

    async def follow_feed(
        self,
        guild_id: int,
        url: str,
        *,
        guild_name: str,
        added_by: int | None,
        now: datetime,
        cap: int,
        check_feed: FeedCheck | None = None,
    ) -> FollowResult:
        """Add a feed to a server's list after the cheap checks, then the (slow) fetch check.

        ``check_feed`` is the seam for fetching the URL once; without it the URL is accepted
        once it is a well-formed http(s) URL, new to this server and within the cap.
        """
        url = url.strip()
        if not is_http_url(url):
            return FollowResult(FollowOutcome.NOT_A_URL, url)
        refusal = await self._follow_refusal(guild_id, url, cap)
        if refusal is not None:
            return refusal
        title = ""
        if check_feed is not None:
            checked = await check_feed(url)
            if not checked.ok:
                return FollowResult(FollowOutcome.CHECK_FAILED, url, detail=checked.problem)
            title = checked.title or ""
        async with self._sessions.begin() as session:
            return await self._follow_checked(
                session,
                guild_id,
                url,
                title=title,
                guild_name=guild_name,
                added_by=added_by,
                now=now,
                cap=cap,
            )

    async def _follow_checked(
        self,
        session: AsyncSession,
        guild_id: int,
        url: str,
        *,
        title: str,
        guild_name: str,
        added_by: int | None,
        now: datetime,
        cap: int,
    ) -> FollowResult:
        """The write half of ``/feeds add`` (and of each feed of ``/feeds import``)."""
        # Checked again inside the write: another admin may have added it meanwhile.
        refusal = await self._follow_refusal(guild_id, url, cap, session=session)
        if refusal is not None:
            return refusal
        store = GuildStore(session)
        await store.ensure_guild(guild_id, guild_name, now=now)
        feed = await store.follow(guild_id, url, title=title, added_by=added_by, now=now)
        return FollowResult(FollowOutcome.ADDED, url, feed=feed, cap=cap)

    async def unfollow_feed(self, guild_id: int, reference: str) -> UnfollowResult:
        """Stop following a feed given by id or URL; the archive keeps its items."""
        async with self._sessions.begin() as session:
            store = GuildStore(session)
            feed = await store.find_followed(guild_id, reference)
            if feed is not None:
                await store.unfollow(guild_id, feed.feed_id)
        return UnfollowResult(reference, feed)

    async def followed_feed_choices(
        self, guild_id: int, typed: str, *, limit: int
    ) -> GuildFeedList:
        """A server's feeds whose title or URL contains ``typed`` (for autocomplete)."""
        listing = await self.guild_feeds(guild_id, cap=0)
        needle = typed.strip().casefold()
        matching = tuple(
            feed
            for feed in listing.followed
            if needle in feed.title.casefold() or needle in feed.url.casefold()
        )
        return GuildFeedList(matching[:limit], listing.instance_feed_count, 0)

    async def feeds_health(self, guild_id: int, *, now: datetime) -> FeedsHealthReport:
        """Health, schedule and items per day of every feed one server added (``/feeds status``)."""
        async with self._sessions() as session:
            feeds = await GuildStore(session).health(guild_id, now=now)
        return health_report(feeds, at=now)

    async def feed_health(
        self, guild_id: int, reference: str, *, now: datetime
    ) -> FeedHealthView | None:
        """One of the server's feeds by id or URL; None when this server does not follow it."""
        async with self._sessions() as session:
            store = GuildStore(session)
            feed = await store.find_followed(guild_id, reference)
            if feed is None:
                return None
            found = await store.health(guild_id, now=now, feed_id=feed.feed_id)
        return found[0] if found else None

    async def export_feeds(self, guild_id: int, *, title: str, now: datetime) -> FeedsExport:
        """The feeds one server added, as OPML any feed reader (or ``/feeds import``) reads."""
        listing = await self.guild_feeds(guild_id, cap=0)
        document = write_opml(
            (OpmlFeed(feed.url, feed.title, feed.site_url) for feed in listing.followed),
            title=title,
            now=now,
        )
        return FeedsExport(len(listing.followed), document.encode("utf-8"))

    async def import_feeds(
        self,
        guild_id: int,
        document: bytes,
        *,
        label: str,
        guild_name: str,
        added_by: int | None,
        now: datetime,
        cap: int,
        check_feed: FeedCheck | None = None,
        concurrency: int = 4,
        budget: float = 60.0,
    ) -> FeedImportReport | OpmlRefused:
        """Follow an OPML file's feeds by the rules of ``follow_feed``, and say what happened.

        Fetch checks run a few at a time within ``budget`` seconds; the additions are written
        in one transaction afterwards, so either all of the reported ones are added or none.
        """
        try:
            opml = await asyncio.to_thread(read_opml_document, document, label=label)
        except OpmlError as exc:
            log.info("feeds import refused guild=%s reason=%s", guild_id, exc)
            return OpmlRefused(str(exc))
        titles = {feed.url: feed.title for feed in opml.feeds}
        listing = await self.guild_feeds(guild_id, cap=cap)
        plan = plan_import(
            [feed.url for feed in opml.feeds],
            followed=[feed.url for feed in listing.followed],
            followed_count=len(listing.followed),
            cap=cap,
        )
        checks = None
        if check_feed is not None:
            checks = await check_candidates(
                plan.candidates,
                check_feed,
                slots=plan.free_slots,
                concurrency=concurrency,
                budget=budget,
            )
        outcomes: dict[str, ImportedFeed] = {
            url: ImportedFeed(url, url, ImportOutcome.REFUSED, "not an http(s) URL")
            for url in opml.not_http
        }
        for url in plan.already_followed:
            outcomes[url] = ImportedFeed(url, titles[url], ImportOutcome.ALREADY_FOLLOWED)
        for url in plan.too_long:
            reason = f"an address longer than {URL_MAX_LENGTH} characters"
            outcomes[url] = ImportedFeed(url, titles[url], ImportOutcome.REFUSED, reason)
        async with self._sessions.begin() as session:
            for url in plan.candidates:
                title = titles[url]
                checked = checks.results.get(url) if checks is not None else None
                if checks is not None and url in checks.timed_out:
                    reason = f"not checked within {budget:g} s; import the file again to retry"
                    outcomes[url] = ImportedFeed(url, title, ImportOutcome.REFUSED, reason)
                    continue
                if checks is not None and checked is None:
                    outcomes[url] = ImportedFeed(url, title, ImportOutcome.OVER_CAP)
                    continue
                if checked is not None and not checked.ok:
                    reason = checked.problem or "it is not a feed"
                    outcomes[url] = ImportedFeed(url, title, ImportOutcome.REFUSED, reason)
                    continue
                if checked is not None and checked.title:
                    title = checked.title
                result = await self._follow_checked(
                    session,
                    guild_id,
                    url,
                    title=title if title != url else "",
                    guild_name=guild_name,
                    added_by=added_by,
                    now=now,
                    cap=cap,
                )
                outcome = {
                    FollowOutcome.ADDED: ImportOutcome.ADDED,
                    FollowOutcome.DUPLICATE: ImportOutcome.ALREADY_FOLLOWED,
                }.get(result.outcome, ImportOutcome.OVER_CAP)
                outcomes[url] = ImportedFeed(url, title, outcome)
        order = [*(feed.url for feed in opml.feeds), *opml.not_http]
        report = FeedImportReport(tuple(outcomes[url] for url in order), cap)
        log.info(
            "feeds imported guild=%s added=%d already=%d refused=%d over_cap=%d",
            guild_id,
            len(report.having(ImportOutcome.ADDED)),
            len(report.having(ImportOutcome.ALREADY_FOLLOWED)),
            len(report.having(ImportOutcome.REFUSED)),
            len(report.having(ImportOutcome.OVER_CAP)),
        )
        return report

    async def _follow_refusal(
        self, guild_id: int, url: str, cap: int, *, session: AsyncSession | None = None
    ) -> FollowResult | None:
        if session is None:
            async with self._sessions() as own_session:
                return await self._follow_refusal(guild_id, url, cap, session=own_session)
        store = GuildStore(session)
        if await store.follows(guild_id, url):
            return FollowResult(FollowOutcome.DUPLICATE, url)
        if await store.followed_count(guild_id) >= cap:
            return FollowResult(FollowOutcome.OVER_CAP, url, cap=cap)
        return None
