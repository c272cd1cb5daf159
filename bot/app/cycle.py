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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.app.analysis import Analysis
from bot.app.archive import Archive
from bot.domain.analysis import AnalysisRun
from bot.errors import PolicybotError, raise_if_cancelled
from bot.polling import FeedPoller, FeedPollResult, PollReport

__all__ = ["CycleReport", "FeedPollResult", "IngestionCycle"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleReport:
    """One cycle: what polling did, how many items became searchable, what analysis found,
    and how many items still wait for analysis (a backlog beyond the cycle's budget)."""

    poll: PollReport
    indexed: int = 0
    analysis: AnalysisRun = field(default_factory=AnalysisRun)
    analysis_queued: int = 0
    analysis_seconds: float = 0.0


class IngestionCycle:
    def __init__(
        self,
        poller: FeedPoller,
        archive: Archive,
        analysis: Analysis,
        *,
        heartbeat: Path | None = None,
    ) -> None:
        """``heartbeat`` is a file each finished cycle rewrites with its time, which
        ``policybot health`` (a container's health check) reads from another process."""
        self._poller = poller
        self._archive = archive
        self._analysis = analysis
        self._heartbeat = heartbeat
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
        analysis_budget: float | None = None,
        slice_seconds: float | None = None,
    ) -> CycleReport:
        """Poll (due feeds, or all), then index and analyse what is queued: what this poll
        stored or changed, and whatever earlier runs left in the queues.

        ``now`` is the cycle's clock for every feed and for the analyses it records. With
        ``slice_seconds``, the cycle's slice, analysis gets what polling and indexing left of
        it (one batch at least); with ``analysis_budget``, that many seconds of analysis. The
        rest stays queued for the next cycle, so a cold archive of many thousand items holds
        up neither polling nor a cron job, whose cycle takes about the slice whatever it
        fetched. Neither: analysis until the queue is empty.
        """
        self._idle.clear()
        try:
            return await self._run(
                now=now,
                only_due=only_due,
                on_feed=on_feed,
                on_start=on_start,
                analysis_budget=analysis_budget,
                slice_seconds=slice_seconds,
            )
        finally:
            self._idle.set()

    async def _run(
        self,
        *,
        now: datetime,
        only_due: bool,
        on_feed: Callable[[FeedPollResult], None] | None,
        on_start: Callable[[int], None] | None,
        analysis_budget: float | None,
        slice_seconds: float | None,
    ) -> CycleReport:
        cycle_started = time.monotonic()
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
                ",".join(f"{kind}:{count}" for kind, count in sorted(report.outcomes.items())),
            )
        indexed = await self._index()
        # Before anyone reads the report (digests), so new items arrive analysed.
        started = time.monotonic()
        budget = analysis_budget
        if budget is None and slice_seconds is not None:
            budget = max(slice_seconds - (started - cycle_started), 0.0)
        analysed, queued = await self._analyse(now=now, budget=budget)
        seconds = time.monotonic() - started
        await self._beat(now)
        return CycleReport(report, indexed, analysed, queued, seconds)

    async def _beat(self, now: datetime) -> None:
        if self._heartbeat is None:
            return
        try:
            await asyncio.to_thread(write_heartbeat, self._heartbeat, now)
        except OSError as exc:  # a health signal must never stop ingestion
            log.warning("heartbeat not written file=%s error=%s", self._heartbeat, exc.strerror)

    async def _index(self) -> int:
        """New items become searchable here, after the cycle that stored them."""
        try:
            indexed = await self._archive.index_search()
        except PolicybotError as exc:
            raise_if_cancelled()
            log.error("search indexing failed; the queue is kept for the next cycle error=%s", exc)
            return 0
        if indexed:
            log.info("search indexed items=%d", indexed)
        return indexed

    async def _analyse(self, *, now: datetime, budget: float | None) -> tuple[AnalysisRun, int]:
        """Drain the analysis queue (what a failure leaves queued waits for the next drain);
        what was analysed, and how many items are left."""
        try:
            run = await self._analysis.drain(now=now, budget_seconds=budget)
            return run, await self._analysis.queued()
        except PolicybotError as exc:
            raise_if_cancelled()
            log.error("analysis failed; the queue is kept for the next cycle error=%s", exc)
            return AnalysisRun(), 0


def write_heartbeat(path: Path, now: datetime) -> None:
    """Replace ``path`` with ``now`` (ISO 8601) in one rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(now.isoformat(), encoding="utf-8")
    temporary.replace(path)


def read_heartbeat(path: Path) -> datetime | None:
    """The last cycle's time, or None before the first (or when the file is unreadable)."""
    try:
        return datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
