"""Analysis use cases: analysing stored items, and the questions asked of the results.

``/stance``, ``/why`` and their command-line twins read what the analyser stored; the rules
run in a worker thread so the event loop keeps serving Discord.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.analysis import ANALYSER_VERSION, Analyser, AnalysisRun, ItemAnalysis
from bot.domain.catalog import Catalog, Company, Law
from bot.domain.clustering import StoryItem, story_key
from bot.domain.explanation import UnseenUrl, WhyAnswer, explain, lookup_urls
from bot.domain.positions import CompanyStance, LawStance, StanceAnswer, UnknownName, by_label
from bot.storage.analyses import AnalysisStore, ItemText
from bot.storage.claims_cache import ClaimsCache
from bot.storage.item_history import ItemHistoryStore

log = logging.getLogger(__name__)
REANALYSE_BATCH = 200


class Analysis:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: Catalog) -> None:
        self._sessions = sessions
        self._analyser = Analyser(catalog)
        self._claims = ClaimsCache()

    @property
    def catalog(self) -> Catalog:
        return self._analyser.catalog

    async def analyse_items(self, item_ids: Sequence[int], *, now: datetime) -> AnalysisRun:
        """Analyse stored items (new ones after a poll), replacing earlier results.

        Items without a story get one (the same story from several feeds shares a key).
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
