"""Fetch checks for many candidate feeds at once (``/feeds import``).

A few checks run at a time, the whole run has a time budget, and no check starts once the
passing and running ones fill the server's free slots, so one slow or dead site never holds
up the rest and no feed is fetched only to be refused for the cap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.feed_errors import internal_error
from bot.domain.following import FeedCheck, FeedCheckResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckRun:
    """Checked URLs with their results; URLs left out were never started (no room, no time)."""

    results: dict[str, FeedCheckResult]
    timed_out: frozenset[str]


async def check_candidates(
    urls: Sequence[str],
    check_feed: FeedCheck,
    *,
    slots: int,
    concurrency: int,
    budget: float,
) -> CheckRun:
    """Check ``urls`` in order, at most ``concurrency`` at once, stopping after ``budget`` s."""
    results: dict[str, FeedCheckResult] = {}
    running: set[str] = set()
    queue = list(reversed(urls))

    async def worker() -> None:
        while queue:
            passed = sum(result.ok for result in results.values())
            if passed + len(running) >= slots:
                return  # a running check that fails sends its worker back for the next URL
            url = queue.pop()
            running.add(url)
            try:
                results[url] = await check_feed(url)
            except Exception as exc:  # one broken check never stops the rest
                log.exception("feed check crashed url=%s", url)
                results[url] = FeedCheckResult(ok=False, error=internal_error(exc))
            finally:
                running.discard(url)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    _done, late = await asyncio.wait(workers, timeout=budget)
    interrupted = set(running)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    passed = sum(result.ok for result in results.values())
    # Unstarted URLs ran out of time only if there was still room for them.
    unstarted = set(queue) if late and passed < slots else set()
    timed_out = frozenset(interrupted | unstarted)
    if late:
        log.info(
            "feed checks over budget budget=%s checked=%d unchecked=%d",
            budget,
            len(results),
            len(timed_out),
        )
    return CheckRun(results, timed_out)
