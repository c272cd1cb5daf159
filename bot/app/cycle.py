"""The ingestion cycle: poll due feeds, index what they brought for search, analyse it.

``policybot run``'s loop and ``policybot poll --once`` both run exactly this, so an item is
searchable and analysed however it was fetched. Both steps drain durable queues filled in
the transactions that store items, so what a crash or a failure left undone is done by the
next cycle. The report it returns is what later stages
(digests, admin notices) are handed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.app.analysis import Analysis
from bot.app.archive import Archive
from bot.domain.analysis import AnalysisRun
from bot.errors import PolicybotError, raise_if_cancelled
from bot.polling import FeedPoller, FeedPollResult, PollReport

__all__ = ["CycleReport", "FeedPollResult", "IngestionCycle"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleReport:
    """One cycle: what polling did, how many items became searchable, what analysis found."""

    poll: PollReport
    indexed: int = 0
    analysis: AnalysisRun = field(default_factory=AnalysisRun)


class IngestionCycle:
    def __init__(self, poller: FeedPoller, archive: Archive, analysis: Analysis) -> None:
        self._poller = poller
        self._archive = archive
        self._analysis = analysis
        self._idle = asyncio.Event()
        self._idle.set()

    async def wait_idle(self, *, within: float) -> bool:
        """Wait (at most ``within`` seconds) for a cycle in progress to finish; True when no
        cycle runs. A digest due mid-cycle waits, so it carries what the cycle brings."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within)
        return self._idle.is_set()

    async def start(self, *, now: datetime) -> int:
        """Before the first cycle of a long run: warm the parser up, scatter the feeds fetched
        before the restart, queue what another analyser version left behind and index what an
        interrupted run left unindexed; returns the feeds spread.

        The first cycle follows at once and drains the analysis queue after its poll: feeds
        never fetched (still due) are fetched first, not after a re-queued archive (minutes
        of analysis after a version bump).
        """
        await self._poller.start()
        spread = await self._poller.spread_due(now=now)
        await self.requeue_stale()
        await self._index()
        return spread

    async def requeue_stale(self) -> int:
        """Queue items analysed by another analyser version (or not at all) for the next drain;
        ``start`` does this, and so does a one-off cycle (``poll --once``) before it runs."""
        return await self._analysis.requeue_stale()

    async def run(
        self,
        *,
        now: datetime,
        only_due: bool = True,
        on_feed: Callable[[FeedPollResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> CycleReport:
        """Poll (due feeds, or all), then index and analyse everything queued: what this
        poll stored or changed, and whatever earlier runs left in the queues.

        ``now`` is the cycle's clock for every feed and for the analyses it records.
        """
        self._idle.clear()
        try:
            return await self._run(now=now, only_due=only_due, on_feed=on_feed, on_start=on_start)
        finally:
            self._idle.set()

    async def _run(
        self,
        *,
        now: datetime,
        only_due: bool,
        on_feed: Callable[[FeedPollResult], None] | None,
        on_start: Callable[[int], None] | None,
    ) -> CycleReport:
        report = await self._poller.poll(
            now=now, only_due=only_due, on_feed=on_feed, on_start=on_start
        )
        if report.feeds:
            log.info(
                "poll cycle feeds=%d new=%d updated=%d events=%d outcomes=%s",
                len(report.feeds),
                len(report.new_item_ids),
                len(report.updated_item_ids),
                len(report.events),
                report.outcomes,
            )
        indexed = await self._index()
        analysed = await self._analyse(now=now)  # before anyone reads the report (digests)
        return CycleReport(report, indexed, analysed)

    async def _index(self) -> int:
        """New items become searchable here, after the cycle that stored them."""
        try:
            indexed = await self._archive.index_search()
        except PolicybotError:
            raise_if_cancelled()
            log.exception("search indexing failed; the queue is kept for the next cycle")
            return 0
        if indexed:
            log.info("search indexed items=%d", indexed)
        return indexed

    async def _analyse(self, *, now: datetime) -> AnalysisRun:
        """Drain the analysis queue; what a failure leaves queued waits for the next drain."""
        try:
            return await self._analysis.drain(now=now)
        except PolicybotError:
            raise_if_cancelled()
            log.exception("analysis failed; the queue is kept for the next cycle")
            return AnalysisRun()
