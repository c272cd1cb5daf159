"""The per-feed decider as a table: what each fetch outcome does to a feed's stored state.

No HTTP server and no process pool: a stored state, an outcome, ``now``, a policy and a
jitter of 0 go in; the feed's next state, the report's outcome and the health event come out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.entries import ParsedFeed
from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.feed_update import (
    ADOPT_REDIRECT_AFTER,
    Failed,
    FeedState,
    FeedUpdate,
    Fetched,
    Outcome,
    PollOutcome,
    decide,
)
from bot.domain.health import Health, HealthEventKind
from bot.domain.model import FeedStatus
from bot.domain.responses import FetchedFeed, NotModified
from bot.domain.schedule import SchedulePolicy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)
URL = "https://feed.example/rss"
MOVED = "https://new.example/rss"
HOUR = timedelta(hours=1)
POLICY = SchedulePolicy()

STATE = FeedState(
    id=7,
    url=URL,
    title="Feed",
    site_url=None,
    interval_minutes=None,
    etag='"v1"',
    last_modified=None,
    body_hash="old-hash",
    ttl_minutes=None,
    redirect_url=None,
    redirect_count=0,
    health=Health(FeedStatus.OK, 0),
    next_check_at=NOW,
    last_checked_at=EARLIER,
    last_success_at=EARLIER,
    last_error=None,
    last_error_at=None,
    fetch_count=10,
    error_count=2,
)
FAILING = Health(FeedStatus.FAILING, 3)


def ok(
    *, etag: str | None = '"v2"', permanent_url: str | None = None, body_hash: str = "new-hash"
) -> Fetched:
    parsed = ParsedFeed(
        title="Parsed title", site_url="https://site.example/", version="rss20", ttl_minutes=180
    )
    response = FetchedFeed(
        url=URL,
        final_url=permanent_url or URL,
        permanent_url=permanent_url,
        status=200,
        body=b"<rss/>",
        content_type="application/rss+xml",
        etag=etag,
        last_modified=None,
        cache_control=None,
        expires=None,
    )
    return Fetched(response, body_hash, None if body_hash == STATE.body_hash else parsed)


def not_modified(etag: str | None = None) -> NotModified:
    return NotModified(URL, None, etag, None, None, None)


def http(status: int, retry_after: str | None = None) -> Failed:
    return Failed(FeedErrorInfo(FeedErrorKind.HTTP, f"HTTP {status}", status), retry_after)


def failed(kind: FeedErrorKind, reason: str = "why") -> Failed:
    return Failed(FeedErrorInfo(kind, reason))


def run(outcome: PollOutcome, **stored: Any) -> FeedUpdate:
    return decide(replace(STATE, **stored), outcome, now=NOW, policy=POLICY, jitter=0.0)


# (case, stored state changes, outcome, expected outcome, expected fields of the next state)
CASES: list[tuple[str, dict[str, Any], PollOutcome, Outcome, dict[str, Any]]] = [
    (
        "200 stores the validators, the hash, the <ttl>, and fills in the site URL",
        {},
        ok(),
        Outcome.FETCHED,
        {
            "etag": '"v2"',
            "body_hash": "new-hash",
            "ttl_minutes": 180,
            "title": "Feed",  # a title the feed already has is kept
            "site_url": "https://site.example/",
            "next_check_at": NOW + timedelta(minutes=180),  # <ttl> beats the hour
            "health": Health(FeedStatus.OK, 0),
            "last_success_at": NOW,
            "last_checked_at": NOW,
            "fetch_count": 11,
            "error_count": 2,
        },
    ),
    (
        "200 without validators is asked again less often",
        {"title": ""},
        ok(etag=None),
        Outcome.FETCHED,
        {"etag": None, "title": "Parsed title", "next_check_at": NOW + timedelta(hours=6)},
    ),
    (
        "304 keeps the validators it did not repeat, and the last <ttl>",
        {"ttl_minutes": 120},
        not_modified(),
        Outcome.NOT_MODIFIED,
        {
            "etag": '"v1"',
            "body_hash": "old-hash",
            "ttl_minutes": 120,
            "next_check_at": NOW + timedelta(minutes=120),
            "fetch_count": 11,
        },
    ),
    (
        "304 takes fresher validators",
        {},
        not_modified('"v9"'),
        Outcome.NOT_MODIFIED,
        {"etag": '"v9"', "next_check_at": NOW + HOUR},
    ),
    (
        "200 with the body of last time is not parsed and changes no description",
        {"ttl_minutes": 90},
        ok(body_hash="old-hash"),
        Outcome.UNCHANGED,
        {"title": "Feed", "site_url": None, "ttl_minutes": 90, "last_success_at": NOW},
    ),
    (
        "301 is counted, not adopted at once",
        {},
        ok(permanent_url=MOVED),
        Outcome.FETCHED,
        {"url": URL, "redirect_url": MOVED, "redirect_count": 1},
    ),
    (
        "301 to a different target starts counting again",
        {"redirect_url": "https://elsewhere.example/", "redirect_count": 2},
        ok(permanent_url=MOVED),
        Outcome.FETCHED,
        {"redirect_url": MOVED, "redirect_count": 1},
    ),
    (
        "302 (no permanent hop) forgets a counted redirect",
        {"redirect_url": MOVED, "redirect_count": 2},
        ok(),
        Outcome.FETCHED,
        {"url": URL, "redirect_url": None, "redirect_count": 0},
    ),
    (
        "410 pauses the feed until an admin resumes it",
        {},
        http(410),
        Outcome.GONE,
        {
            "health": Health(FeedStatus.PAUSED, 1),
            "next_check_at": NOW + timedelta(days=7),
            "last_error": FeedErrorInfo(FeedErrorKind.HTTP, "HTTP 410", 410),
            "last_error_at": NOW,
            "error_count": 2,
            "fetch_count": 11,
        },
    ),
    (
        "429 waits what Retry-After asks, and is not the feed failing",
        {},
        http(429, retry_after="7200"),
        Outcome.THROTTLED,
        {
            "health": Health(FeedStatus.OK, 0),
            "next_check_at": NOW + timedelta(hours=2),
            "error_count": 2,
            "etag": '"v1"',
        },
    ),
    (
        "503 without Retry-After waits at least an hour",
        {},
        http(503),
        Outcome.THROTTLED,
        {"next_check_at": NOW + HOUR, "health": Health(FeedStatus.OK, 0)},
    ),
    (
        "5xx backs off exponentially and counts an error",
        {"health": Health(FeedStatus.OK, 1)},
        http(500),
        Outcome.ERROR,
        {
            "health": Health(FeedStatus.OK, 2),
            "next_check_at": NOW + 2 * HOUR,
            "error_count": 3,
            "last_error": FeedErrorInfo(FeedErrorKind.HTTP, "HTTP 500", 500),
            "last_success_at": EARLIER,
        },
    ),
    (
        "a timeout is an error like any other",
        {},
        failed(FeedErrorKind.FETCH_TIMEOUT, "no complete answer in time"),
        Outcome.ERROR,
        {
            "health": Health(FeedStatus.OK, 1),
            "next_check_at": NOW + HOUR,
            "last_error": FeedErrorInfo(FeedErrorKind.FETCH_TIMEOUT, "no complete answer in time"),
        },
    ),
    (
        "a parse error keeps the old validators, or the next poll's 304 would hide it",
        {},
        failed(FeedErrorKind.NOT_A_FEED, "an HTML page, not a feed"),
        Outcome.ERROR,
        {
            "etag": '"v1"',
            "body_hash": "old-hash",
            "last_error": FeedErrorInfo(FeedErrorKind.NOT_A_FEED, "an HTML page, not a feed"),
            "fetch_count": 11,
            "error_count": 3,
        },
    ),
]


@pytest.mark.parametrize(
    ("stored", "outcome", "result", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_an_outcome_decides_the_feeds_next_state(
    stored: dict[str, Any], outcome: PollOutcome, result: Outcome, expected: dict[str, Any]
) -> None:
    update = run(outcome, **stored)

    assert update.outcome is result
    assert {name: getattr(update.feed, name) for name in expected} == expected
    assert update.feed.id == STATE.id


def test_a_repeated_301_is_adopted_and_a_long_one_never() -> None:
    seen = STATE
    adopted: list[str | None] = []
    for _ in range(ADOPT_REDIRECT_AFTER):
        update = decide(seen, ok(permanent_url=MOVED), now=NOW, policy=POLICY, jitter=0.0)
        adopted.append(update.adopt_url)
        seen = update.feed
    too_long = "https://new.example/" + "p" * 2048

    late = run(ok(permanent_url=too_long), redirect_url=too_long, redirect_count=10)

    assert adopted == [None, None, MOVED]
    assert seen.url == URL  # the store adopts it, once it knows no other feed has the URL
    assert late.adopt_url is None
    assert late.feed.redirect_count == 11


def test_health_events_come_from_transitions_only() -> None:
    third = run(http(500), health=Health(FeedStatus.OK, 2))
    fourth = run(http(500), health=FAILING)
    recovered = run(not_modified(), health=FAILING, title="Feed")
    paused = run(http(410), health=Health(FeedStatus.PAUSED, 1))

    assert third.event is not None
    assert (third.event.kind, third.event.reason) == (HealthEventKind.FAILING, "http_500: HTTP 500")
    assert (third.event.feed_id, third.event.url, third.event.at) == (7, URL, NOW)
    assert fourth.event is None
    assert recovered.event is not None
    assert recovered.event.kind is HealthEventKind.RECOVERED
    assert recovered.feed.health == Health(FeedStatus.OK, 0)
    assert paused.event is None


def test_the_error_is_this_polls_and_the_last_error_outlives_a_recovery() -> None:
    error = FeedErrorInfo(FeedErrorKind.CONNECTION, "refused")
    failing = run(Failed(error), health=FAILING)
    recovered = decide(failing.feed, not_modified(), now=NOW, policy=POLICY, jitter=0.0)

    assert failing.error == error
    assert recovered.error is None
    assert recovered.feed.last_error == error
    assert recovered.feed.last_error_at == NOW


def test_the_first_success_is_the_backlog() -> None:
    assert run(ok(), last_success_at=None).backlog
    assert not run(ok()).backlog


def test_jitter_stretches_the_wait_and_a_long_reason_is_cut() -> None:
    stretched = decide(STATE, not_modified(), now=NOW, policy=POLICY, jitter=0.5)
    long = run(failed(FeedErrorKind.CONNECTION, "x" * 5000))

    assert stretched.feed.next_check_at == NOW + HOUR * 1.1
    assert long.feed.last_error is not None
    assert len(long.feed.last_error.reason) == 2000
