"""Fetch checks of candidate feeds: one URL that may be a site's page (``probe_discovering``),
and many at once (``/feeds import``).

A page that is not a feed but links one (``bot.ingest.discovery``) is followed to that feed,
so ``/feeds add`` and ``feeds check`` accept a site's address. Many checks: a few run at a
time, the whole run has a time budget, and no check starts once the passing and running ones
fill the server's free slots, so one slow or dead site never holds up the rest and no feed
is fetched only to be refused for the cap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.feed_errors import FeedErrorKind, internal_error
from bot.domain.following import FeedCheck, FeedCheckResult
from bot.domain.responses import FetchedFeed
from bot.errors import FeedError
from bot.ingest.discovery import feed_links
from bot.polling import FeedPoller, FeedProbe, Fetcher

log = logging.getLogger(__name__)


async def probe_discovering(poller: FeedPoller, fetcher: Fetcher | None, url: str) -> FeedProbe:
    """Probe ``url``; if it is a page rather than a feed, probe the feeds it links instead.

    A followed link's probe has that feed's URL as ``url`` (so it differs from the one asked
    about); when no linked feed works, the page's own refusal stands.
    """
    probe = await poller.probe(url)
    if fetcher is None or probe.error is None or probe.error.kind is not FeedErrorKind.NOT_A_FEED:
        return probe
    try:
        page = await fetcher.fetch(url)
    except FeedError:
        return probe
    if not isinstance(page, FetchedFeed):
        return probe
    for link in feed_links(page.body, page.final_url):
        linked = await poller.probe(link)
        if linked.ok:
            log.info("feed discovered page=%s feed=%s", url, link)
            return linked
    return probe


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
