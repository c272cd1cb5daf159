"""A server's own feeds: follow, unfollow, list, health, OPML export and import.

Every call is scoped to one server (``guild_id``): no server sees or changes another's list.
The fetch check that tells a feed from anything else is given once, at construction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.feed_checks import check_candidates
from bot.domain.feed_import import (
    FeedImportReport,
    FeedsExport,
    ImportedFeed,
    ImportOutcome,
    OpmlRefused,
    plan_import,
    settle_import,
)
from bot.domain.feed_status import FeedHealthView, FeedsHealthReport, health_report
from bot.domain.following import (
    FeedCheck,
    FollowOutcome,
    FollowResult,
    GuildFeedList,
    UnfollowResult,
)
from bot.errors import OpmlError
from bot.ingest.opml import OpmlFeed, read_opml_document, write_opml
from bot.ingest.sources import is_http_url
from bot.storage.guilds import GuildStore

log = logging.getLogger(__name__)


class GuildFeeds:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, check_feed: FeedCheck | None = None
    ) -> None:
        """``check_feed`` fetches a candidate URL once; without it (tests, offline) a URL is
        accepted once it is well-formed http(s), new to the server and within the cap."""
        self._sessions = sessions
        self._check_feed = check_feed

    async def listing(self, guild_id: int, *, cap: int) -> GuildFeedList:
        """The feeds one server follows itself; never another server's."""
        async with self._sessions() as session:
            store = GuildStore(session)
            followed = await store.followed(guild_id)
            instance_count = await store.instance_feed_count()
        return GuildFeedList(tuple(followed), instance_count, cap)

    async def follow(
        self,
        guild_id: int,
        url: str,
        *,
        guild_name: str,
        added_by: int | None,
        now: datetime,
        cap: int,
    ) -> FollowResult:
        """Add a feed to a server's list after the cheap checks, then the (slow) fetch check."""
        url = url.strip()
        if not is_http_url(url):
            return FollowResult(FollowOutcome.NOT_A_URL, url)
        refusal = await self._follow_refusal(guild_id, url, cap)
        if refusal is not None:
            return refusal
        title = ""
        if self._check_feed is not None:
            checked = await self._check_feed(url)
            if not checked.ok:
                return FollowResult(FollowOutcome.CHECK_FAILED, url, detail=checked.problem)
            title = checked.title or ""
            if checked.feed_url is not None and checked.feed_url != url:
                url = checked.feed_url  # a site's page: follow the feed it links
                refusal = await self._follow_refusal(guild_id, url, cap)
                if refusal is not None:
                    return refusal
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

    async def unfollow(self, guild_id: int, reference: str) -> UnfollowResult:
        """Stop following a feed given by id or URL; the archive keeps its items."""
        async with self._sessions.begin() as session:
            store = GuildStore(session)
            feed = await store.find_followed(guild_id, reference)
            if feed is not None:
                await store.unfollow(guild_id, feed.feed_id)
        return UnfollowResult(reference, feed)

    async def choices(self, guild_id: int, typed: str, *, limit: int) -> GuildFeedList:
        """A server's feeds whose title or URL contains ``typed`` (for autocomplete)."""
        listing = await self.listing(guild_id, cap=0)
        needle = typed.strip().casefold()
        matching = tuple(
            feed
            for feed in listing.followed
            if needle in feed.title.casefold() or needle in feed.url.casefold()
        )
        return GuildFeedList(matching[:limit], listing.instance_feed_count, 0)

    async def health_report(self, guild_id: int, *, now: datetime) -> FeedsHealthReport:
        """Health, schedule and items per day of every feed one server added (``/feeds status``)."""
        async with self._sessions() as session:
            feeds = await GuildStore(session).health(guild_id, now=now)
        return health_report(feeds, at=now)

    async def health(
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

    async def export(self, guild_id: int, *, title: str, now: datetime) -> FeedsExport:
        """The feeds one server added, as OPML any feed reader (or ``/feeds import``) reads."""
        listing = await self.listing(guild_id, cap=0)
        document = write_opml(
            (OpmlFeed(feed.url, feed.title, feed.site_url) for feed in listing.followed),
            title=title,
            now=now,
        )
        return FeedsExport(len(listing.followed), document.encode("utf-8"))

    async def import_opml(
        self,
        guild_id: int,
        document: bytes,
        *,
        label: str,
        guild_name: str,
        added_by: int | None,
        now: datetime,
        cap: int,
        concurrency: int = 4,
        budget: float = 60.0,
    ) -> FeedImportReport | OpmlRefused:
        """Follow an OPML file's feeds by the rules of ``follow``, and say what happened.

        Fetch checks run a few at a time within ``budget`` seconds; the additions are written
        in one transaction afterwards, so either all of the reported ones are added or none.
        """
        try:
            opml = await asyncio.to_thread(read_opml_document, document, label=label)
        except OpmlError as exc:
            log.info("feeds import refused guild=%s reason=%s", guild_id, exc)
            return OpmlRefused(str(exc))
        titles = {feed.url: feed.title for feed in opml.feeds}
        listing = await self.listing(guild_id, cap=cap)
        plan = plan_import(
            [feed.url for feed in opml.feeds],
            followed=[feed.url for feed in listing.followed],
            followed_count=len(listing.followed),
            cap=cap,
        )
        checks = None
        if self._check_feed is not None:
            checks = await check_candidates(
                plan.candidates,
                self._check_feed,
                slots=plan.free_slots,
                concurrency=concurrency,
                budget=budget,
            )
        settled = settle_import(
            plan,
            titles=titles,
            not_http=opml.not_http,
            checks=checks.results if checks is not None else None,
            timed_out=checks.timed_out if checks is not None else frozenset(),
            budget=budget,
        )
        outcomes = dict(settled.decided)
        async with self._sessions.begin() as session:
            for url, title in settled.to_add:
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
                    FollowOutcome.IN_INSTANCE_LIST: ImportOutcome.ALREADY_FOLLOWED,
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

    async def _follow_refusal(
        self, guild_id: int, url: str, cap: int, *, session: AsyncSession | None = None
    ) -> FollowResult | None:
        if session is None:
            async with self._sessions() as own_session:
                return await self._follow_refusal(guild_id, url, cap, session=own_session)
        store = GuildStore(session)
        if await store.follows(guild_id, url):
            return FollowResult(FollowOutcome.DUPLICATE, url)
        if await store.in_instance_list(url):  # before the cap: it would take no slot anyway
            return FollowResult(FollowOutcome.IN_INSTANCE_LIST, url)
        if await store.followed_count(guild_id) >= cap:
            return FollowResult(FollowOutcome.OVER_CAP, url, cap=cap)
        return None
