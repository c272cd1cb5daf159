"""Analysis use cases: analysing stored items, and the questions asked of the results.

Items wait in a durable queue (``bot.storage.analysis_queue``) from the transaction that
stores them to the one that saves their analysis; ``drain`` empties it after every cycle
(the first one runs right after start-up). Each batch is leased first, so drains of several
pollers sharing a database analyse disjoint items. Saving analyses queues the (company,
target) pairs whose claims changed (``bot.storage.position_queue``); the drain then weighs
them again and stores their positions, which ``/stance`` reads instead of weighing every claim
of a name (only queued pairs, and fading pairs last weighed on an earlier day, are weighed per
answer). ``/stance``, ``/why`` and their command-line twins read what the analyser stored; the
rules and the weighing run in a worker thread so the event loop keeps serving Discord.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.analysis import ANALYSER_VERSION, Analyser, AnalysisRun, ItemAnalysis
from bot.domain.catalog import Catalog, Company, Law
from bot.domain.clustering import StoryItem, cluster_batch
from bot.domain.explanation import UnseenUrl, WhyAnswer, explain, lookup_urls
from bot.domain.positions import (
    ClaimFact,
    CompanyStance,
    LawStance,
    Position,
    StanceAnswer,
    UnknownName,
    Weighed,
    by_label,
    ranked,
    settle,
    weigh_pairs,
    with_texts,
)
from bot.domain.relevance import Relevance
from bot.errors import StorageError
from bot.polling import dead_local_owners, new_lease_owner
from bot.storage.analyses import AnalysedItem, AnalysisStore, ItemText
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.claims_cache import ClaimsCache
from bot.storage.item_history import ItemHistoryStore
from bot.storage.position_queue import LeasedPair, Pair, PositionQueue
from bot.storage.positions import PositionStore

log = logging.getLogger(__name__)
# Items per drain transaction: its ORM flush runs on the event loop the Discord gateway shares.
DRAIN_BATCH = 100
# Item ids per re-queue transaction (one INSERT ... SELECT each).
REQUEUE_BATCH = 10_000
# How long a drain holds its batch: many times what a batch takes to analyse and save, so a
# live drain never loses it; a dead one's batch waits this long (less on its own host).
DRAIN_LEASE_SECONDS = 300.0
# (company, target) pairs per position refresh: a common pair has thousands of claims.
REFRESH_BATCH = 20


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Analysis:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        *,
        lease_owner: str | None = None,
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        """``lease_owner`` names this process's batch leases (default: a new one); ``clock``
        is the wall clock they are taken by."""
        self._sessions = sessions
        self._analyser = Analyser(catalog)
        self._claims = ClaimsCache()
        self._lease_owner = lease_owner or new_lease_owner()
        self._clock = clock

    @property
    def catalog(self) -> Catalog:
        return self._analyser.catalog

    async def analyse_items(self, item_ids: Sequence[int], *, now: datetime) -> AnalysisRun:
        """Analyse these stored items now, replacing earlier results.

        They go through the queue like any other: queued, then analysed batch by batch.
        """
        ids = sorted(set(item_ids))
        async with self._sessions.begin() as session:
            await AnalysisQueue(session).add(ids)
        total = AnalysisRun()
        for start in range(0, len(ids), DRAIN_BATCH):
            total += await self._analyse_queued(ids[start : start + DRAIN_BATCH], now=now)
        self._log_run(total)
        await self.refresh_positions(now=now)
        return total

    async def drain(
        self,
        *,
        now: datetime,
        batch_size: int = DRAIN_BATCH,
        budget_seconds: float | None = None,
    ) -> AnalysisRun:
        """Analyse queued items, new before backlog, a batch per transaction, until the queue is
        empty or (with ``budget_seconds``) the batch that used up the budget is saved.

        What is left stays queued for the next drain, as does a batch that fails
        (``StorageError``, which ends the drain). ``now`` is recorded as the analyses' time.
        """
        started = time.monotonic()
        total = AnalysisRun()
        await self._reclaim_dead_leases()
        while True:
            batch = await self._lease(batch_size)
            if not batch:
                break
            total += await self._analyse_queued(batch, now=now)
            if budget_seconds is not None and time.monotonic() - started >= budget_seconds:
                break
        self._log_run(total)
        await self.refresh_positions(now=now)
        return total

    async def _lease(self, limit: int) -> list[int]:
        leased_at = self._clock()
        async with self._sessions.begin() as session:
            return await AnalysisQueue(session).lease_batch(
                limit=limit,
                owner=self._lease_owner,
                now=leased_at,
                until=leased_at + timedelta(seconds=DRAIN_LEASE_SECONDS),
            )

    async def _reclaim_dead_leases(self) -> None:
        """Free the batches of drains of this host that died, rather than wait out their lease."""
        async with self._sessions() as session:
            owners = await AnalysisQueue(session).lease_owners(now=self._clock())
        dead = dead_local_owners(owners)
        if dead:
            async with self._sessions.begin() as session:
                released = await AnalysisQueue(session).release_owners(dead)
            log.info("analysis leases of a dead drain released items=%d", released)

    async def queued(self) -> int:
        """How many items wait for analysis."""
        async with self._sessions() as session:
            return await AnalysisQueue(session).size()

    async def requeue_stale(self) -> int:
        """Queue the items with no analysis by this ``ANALYSER_VERSION`` (an older version's,
        or none at all); how many were queued. Run at start-up, so a rules change reaches
        the archive without a manual step."""
        queued = await self._requeue(version=ANALYSER_VERSION)
        if queued:
            log.info("analysis requeued items=%d version=%s", queued, ANALYSER_VERSION)
        return queued

    async def reanalyse_all(self, *, now: datetime, batch_size: int = DRAIN_BATCH) -> AnalysisRun:
        """Recompute every stored analysis (after the catalog or the rules changed): queue
        every item, then drain the queue."""
        await self._requeue(version=None)
        return await self.drain(now=now, batch_size=batch_size)

    async def _requeue(self, *, version: str | None) -> int:
        """``AnalysisQueue.add_stale`` over id ranges, each range its own short transaction,
        so other writers (a poll cycle) never wait for a whole archive's re-queue."""
        async with self._sessions() as session:
            last = await AnalysisQueue(session).last_item_id()
        queued = 0
        for after in range(0, last, REQUEUE_BATCH):
            async with self._sessions.begin() as session:
                queued += await AnalysisQueue(session).add_stale(
                    version=version, after=after, upto=after + REQUEUE_BATCH
                )
        return queued

    async def _analyse_queued(self, item_ids: Sequence[int], *, now: datetime) -> AnalysisRun:
        """Analyse one batch of queued items; each leaves the queue with its saved analysis.

        The rules and the clustering run in a worker thread, between a read and a write
        transaction. An item another drain took meanwhile is skipped; one whose text changed
        meanwhile stays queued, so the next batch reads its new text.
        """
        async with self._sessions() as session:
            store = AnalysisStore(session)
            texts = await store.item_texts(item_ids)
            moments = [text.published_at for text in texts if text.story_key is None]
            recent = await store.stories_near(moments) if moments else []
        analysed = await asyncio.to_thread(self._analyse_texts, texts, recent)
        async with self._sessions.begin() as session:
            queue = AnalysisQueue(session)
            store = AnalysisStore(session)
            taken = await queue.take(item_ids)  # every id: an item deleted meanwhile goes too
            current = await store.content_hashes(taken)
            saved, changed = [], []
            for entry in analysed:
                stored_hash = current.get(entry.item.item_id)
                if stored_hash == entry.item.content_hash:
                    saved.append(entry)
                elif stored_hash is not None:
                    changed.append(entry.item.item_id)
            await store.save_many(saved, now=now, version=ANALYSER_VERSION)
            await queue.add(changed)
        if saved:
            self._claims.clear()
        results = [entry.analysis for entry in saved]
        return AnalysisRun(
            analysed=len(results),
            relevant=sum(r.relevance.is_relevant for r in results),
            claims=sum(len(r.claims) for r in results),
        )

    async def refresh_positions(self, *, now: datetime, batch_size: int = REFRESH_BATCH) -> int:
        """Weigh the queued (company, target) pairs again and store their positions, a batch
        per transaction, until no pair is left that another drain does not hold; how many
        positions were refreshed. ``drain`` runs this after analysis, which queues the pairs
        whose claims it changed."""
        async with self._sessions.begin() as session:  # a new day: fading weights moved
            await PositionQueue(session).add_faded(now)
        refreshed = 0
        while True:
            leased = await self._lease_pairs(batch_size)
            if not leased:
                break
            refreshed += await self._refresh(leased, now=now)
        if refreshed:
            log.info("stance positions refreshed pairs=%d", refreshed)
        return refreshed

    async def _lease_pairs(self, limit: int) -> list[LeasedPair]:
        leased_at = self._clock()
        async with self._sessions.begin() as session:
            return await PositionQueue(session).lease_batch(
                limit=limit,
                owner=self._lease_owner,
                now=leased_at,
                until=leased_at + timedelta(seconds=DRAIN_LEASE_SECONDS),
            )

    async def _refresh(self, leased: Sequence[LeasedPair], *, now: datetime) -> int:
        """Weigh the leased pairs' claims (in a worker thread) and store the positions of those
        whose claims did not change meanwhile (``PositionQueue.finish``)."""
        targets: dict[str, list[str]] = {}
        for pair in leased:
            targets.setdefault(pair.company_id, []).append(pair.target_id)
        facts: list[ClaimFact] = []
        async with self._sessions() as session:
            store = AnalysisStore(session)
            for company_id, target_ids in targets.items():
                facts += await store.claim_facts(company_id=company_id, target_ids=target_ids)
        settled = await asyncio.to_thread(settle, facts, now=now)
        async with self._sessions.begin() as session:
            done = await PositionQueue(session).finish(leased)
            await PositionStore(session).replace(done, settled)
        return len(done)

    @staticmethod
    def _log_run(run: AnalysisRun) -> None:
        if run.analysed:
            log.info(
                "items analysed count=%d relevant=%d claims=%d",
                run.analysed,
                run.relevant,
                run.claims,
            )

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
            if not isinstance(law, Law):
                return self._not_a_law(target)
            target_ids = [law.id]
        company_id = entry.id if isinstance(entry, Company) else None
        children: tuple[str, ...] = ()
        if company_id is None:
            # A law's answer rolls up the laws below it (EU regulation takes in the AI Act).
            children = tuple(self.catalog.descendants(entry.id))
            target_ids = [entry.id, *children]
        async with self._sessions() as session:
            if since is None:
                found = await self._stored_positions(
                    session, now=now, company_id=company_id, target_ids=target_ids
                )
            else:  # light facts weighed in a thread; text only for the claims it shows
                found = await self._claims.positions(
                    AnalysisStore(session),
                    now=now,
                    company_id=company_id,
                    target_ids=target_ids,
                    since=since,
                )
        if isinstance(entry, Company):
            return CompanyStance(entry.id, entry.name, found)
        return LawStance(entry.id, entry.name, by_label(entry.id, found, children=children))

    async def _stored_positions(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        company_id: str | None,
        target_ids: Sequence[str] | None,
    ) -> tuple[Position, ...]:
        """What weighing every claim of the name gives, from the stored positions.

        Weighed live, as before: the pairs still queued (their claims changed since), those
        with fading claims last weighed on an earlier day than ``now``'s, and those whose shown
        claims another process replaced meanwhile. An answer that finds even a live pair's
        claims replaced is read again, once.
        """
        for _ in range(2):
            found = await self._read_positions(
                session, now=now, company_id=company_id, target_ids=target_ids
            )
            if found is not None:
                return found
        raise StorageError("stance claims were replaced while being read; ask again")

    async def _read_positions(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        company_id: str | None,
        target_ids: Sequence[str] | None,
    ) -> tuple[Position, ...] | None:
        store = AnalysisStore(session)
        settled = await PositionStore(session).settled(company_id=company_id, target_ids=target_ids)
        live: set[Pair] = await PositionQueue(session).pairs(
            company_id=company_id, target_ids=target_ids
        )
        kept = []
        for position in settled:
            if position.pair not in live and position.holds_at(now):
                kept.append(position)
            else:
                live.add(position.pair)
        facts, texts = await store.shown_claims(
            {claim_id for position in kept for claim_id in position.shown_claim_ids}
        )
        found: list[tuple[Weighed[ClaimFact], tuple[datetime, int]]] = []
        for position in kept:
            weighed = position.weighed(facts)
            if weighed is None:
                live.add(position.pair)
            else:
                found.append((weighed, position.first_claim))
        if live:
            # A company's live pairs are exactly its claims on their targets; a law's are
            # some companies' claims on its targets, picked out in the thread. The facts come
            # through the claims cache, as every answer's did before positions were stored.
            read = await self._claims.claims(
                store, company_id=company_id, target_ids=sorted({target for _, target in live})
            )
            weighed_live = await asyncio.to_thread(_weigh_live, read, live, now=now)
            shown = {fact.claim_id for weighed, _ in weighed_live for fact in weighed.shown}
            live_texts = await self._claims.texts(store, shown)
            if len(live_texts) != len(shown):  # cached facts of claims since replaced
                self._claims.clear()
                return None
            texts |= live_texts
            found += weighed_live
        return with_texts(ranked(found), texts)

    def unknown_stance_name(self, name: str, *, target: str | None = None) -> UnknownName | None:
        """The name (or target) ``stance`` would not know, checked in memory before any work.

        The chat layer answers an unknown name privately, before it defers the real answer.
        """
        if self.catalog.resolve(name) is None:
            return UnknownName(name, self.catalog.close_matches(name))
        if target is not None and not isinstance(self.catalog.resolve(target), Law):
            return self._not_a_law(target)
        return None

    def _not_a_law(self, target: str) -> UnknownName:
        entry = self.catalog.resolve(target)
        company = entry.name if isinstance(entry, Company) else None
        return UnknownName(target, self.catalog.close_matches(target), company=company)

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

    def _analyse_texts(
        self, texts: Sequence[ItemText], recent: Sequence[StoryItem]
    ) -> list[AnalysedItem]:
        """The rules for every text, and a story for those that have none yet (pure work,
        run in a thread)."""
        unclustered = [text for text in texts if text.story_key is None]
        keys = cluster_batch(
            [StoryItem(t.url, t.title, t.text, t.published_at) for t in unclustered], recent
        )
        story = dict(zip((text.item_id for text in unclustered), keys, strict=True))
        return [
            AnalysedItem(text, self._analyse_one(text), story.get(text.item_id, text.story_key))
            for text in texts
        ]

    def _analyse_one(self, text: ItemText) -> ItemAnalysis:
        """The rules' verdict; a defect the item's text triggers in them is logged and stored
        as "not relevant" with the error as its reason, so one item never stops the queue
        (a rules fix bumps ``ANALYSER_VERSION``, which queues it again)."""
        try:
            return self._analyser.analyse(text.title, text.text)
        except Exception as error:
            log.exception("analysis of item %d failed; stored as not relevant", text.item_id)
            reason = f"analysis failed: {type(error).__name__}"
            return ItemAnalysis(Relevance(0.0, False, (reason,)), (), ())


def _weigh_live(
    facts: Sequence[ClaimFact], pairs: set[Pair], *, now: datetime
) -> list[tuple[Weighed[ClaimFact], tuple[datetime, int]]]:
    """The positions of ``pairs`` weighed from ``facts`` (pure work, run in a thread)."""
    wanted = (fact for fact in facts if (fact.company_id, fact.target_id) in pairs)
    return [
        (weighed, (first.reported_at, first.claim_id))
        for weighed, first in weigh_pairs(wanted, now=now)
    ]
