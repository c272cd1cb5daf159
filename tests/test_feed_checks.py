"""Checking many candidate feeds: a few at a time, within a budget, never past the free slots."""

from __future__ import annotations

import asyncio

import pytest

from bot.app.feed_checks import check_candidates
from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.following import FeedCheckResult

URLS = [f"https://{n}.example/feed" for n in range(10)]


class Checker:
    """A fake fetch check that records how many ran at once."""

    def __init__(self, *, failing: set[str] = frozenset(), slow: set[str] = frozenset()) -> None:
        self.failing = failing
        self.slow = slow
        self.running = 0
        self.most_at_once = 0
        self.started: list[str] = []

    async def __call__(self, url: str) -> FeedCheckResult:
        self.started.append(url)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(3600 if url in self.slow else 0.01)
            if url == "https://boom.example/feed":
                raise RuntimeError("bug in the check")
            error = FeedErrorInfo(FeedErrorKind.NOT_A_FEED, "not a feed")
            return FeedCheckResult(ok=url not in self.failing, title="T", error=error)
        finally:
            self.running -= 1


async def test_at_most_concurrency_checks_run_at_once() -> None:
    checker = Checker()

    run = await check_candidates(URLS, checker, slots=100, concurrency=3, budget=5)

    assert checker.most_at_once == 3
    assert set(run.results) == set(URLS)
    assert run.timed_out == frozenset()


async def test_no_check_starts_once_the_free_slots_are_filled() -> None:
    checker = Checker()

    run = await check_candidates(URLS, checker, slots=2, concurrency=4, budget=5)

    assert checker.started == URLS[:2]
    assert set(run.results) == set(URLS[:2])
    assert run.timed_out == frozenset()


async def test_a_failed_check_frees_its_slot_for_the_next_url() -> None:
    checker = Checker(failing={URLS[0], URLS[2]})

    run = await check_candidates(URLS, checker, slots=2, concurrency=1, budget=5)

    assert checker.started == URLS[:4]
    assert [url for url, result in run.results.items() if result.ok] == [URLS[1], URLS[3]]


async def test_slow_checks_are_cut_at_the_budget_and_the_rest_still_run() -> None:
    checker = Checker(slow={URLS[0]})

    run = await check_candidates(URLS[:4], checker, slots=10, concurrency=2, budget=0.3)

    assert set(run.results) == set(URLS[1:4])
    assert run.timed_out == {URLS[0]}
    assert checker.running == 0  # the slow one was cancelled, not left behind


async def test_urls_never_started_for_lack_of_time_are_timed_out() -> None:
    checker = Checker(slow=set(URLS[:2]))

    run = await check_candidates(URLS[:5], checker, slots=10, concurrency=2, budget=0.2)

    assert run.results == {}
    assert run.timed_out == set(URLS[:5])


async def test_a_crashing_check_is_a_refusal_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    checker = Checker()
    urls = ["https://boom.example/feed", URLS[0]]

    run = await check_candidates(urls, checker, slots=10, concurrency=2, budget=5)

    assert not run.results["https://boom.example/feed"].ok
    crashed = run.results["https://boom.example/feed"]
    assert crashed.error is not None
    assert crashed.error.kind is FeedErrorKind.INTERNAL
    assert crashed.problem == (
        "policybot failed on this feed (an internal error); the log says more "
        "(RuntimeError: bug in the check)"
    )
    assert run.results[URLS[0]].ok
    assert "feed check crashed" in caplog.text
