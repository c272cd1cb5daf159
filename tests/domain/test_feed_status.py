"""Feed health as admins read it: plain words for errors, problems first, coarse times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.feed_errors import FeedErrorInfo
from bot.domain.feed_errors import FeedErrorKind as Kind
from bot.domain.feed_status import FeedHealthView, health_report, plain_error, relative_time
from bot.domain.model import FeedStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SLOW = FeedErrorInfo(Kind.FETCH_TIMEOUT, "slow")


def view(feed_id: int, title: str, status: FeedStatus, **values: object) -> FeedHealthView:
    fields: dict[str, object] = {
        "feed_id": feed_id,
        "url": f"https://{feed_id}.example/feed",
        "title": title,
        "status": status,
        "consecutive_errors": 0,
        "error": None,
        "last_error_at": None,
        "last_success_at": None,
        "next_check_at": None,
        "added_at": NOW,
        "items_last_week": 0,
        "items_last_month": 0,
    } | values
    return FeedHealthView(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        (FeedErrorInfo(Kind.FETCH_TIMEOUT, "no complete answer in time"), "did not answer in time"),
        (FeedErrorInfo(Kind.PARSE_TIMEOUT, "parsing took over 5 s"), "took too long to read"),
        (FeedErrorInfo(Kind.BLOCKED, "10.0.0.1 is a private address"), "private or local network"),
        (FeedErrorInfo(Kind.HTTP, "Not Found", 404), "does not exist (404 Not Found)"),
        (FeedErrorInfo(Kind.HTTP, "Gone", 410), "gone for good (410 Gone)"),
        (FeedErrorInfo(Kind.HTTP, "Service Unavailable", 503), "server error (HTTP 503)"),
        (FeedErrorInfo(Kind.HTTP, "I'm a teapot", 418), "the site answered HTTP 418"),
        (FeedErrorInfo(Kind.NOT_A_FEED, "no entries"), "not an RSS, Atom or JSON feed"),
        (FeedErrorInfo(Kind.ENTITIES, "DOCTYPE with entities"), "declares XML entities"),
    ],
)
def test_stored_errors_read_as_plain_words(stored: FeedErrorInfo, words: str) -> None:
    shown = plain_error(stored)

    assert shown is not None
    assert words in shown


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_its_own_plain_words_not_the_technical_reason(kind: Kind) -> None:
    shown = plain_error(
        FeedErrorInfo(kind, "a technical reason", 500 if kind is Kind.HTTP else None)
    )

    assert shown
    assert "a technical reason" not in shown


def test_the_detail_keeps_the_labels_the_poll_summary_counts_by() -> None:
    assert FeedErrorInfo(Kind.HTTP, "HTTP 404 Not Found", 404).detail == (
        "http_404: HTTP 404 Not Found"
    )
    assert FeedErrorInfo(Kind.PARSE_TIMEOUT, "parsing took over 5 s").label == "timeout"
    assert FeedErrorInfo(Kind.NOT_A_FEED, "an HTML page").detail == "not_a_feed: an HTML page"


def test_no_error_means_no_words() -> None:
    assert plain_error(None) is None


def test_a_healthy_feed_does_not_dwell_on_an_old_error() -> None:
    recovered = view(1, "A", FeedStatus.OK, error=SLOW)
    wobbling = view(2, "B", FeedStatus.OK, consecutive_errors=1, error=SLOW)

    assert recovered.error_words is None
    assert wobbling.error_words is not None


def test_problems_come_first_then_titles_in_order() -> None:
    report = health_report(
        [
            view(1, "b ok", FeedStatus.OK),
            view(2, "paused", FeedStatus.PAUSED),
            view(3, "A ok", FeedStatus.OK),
            view(4, "failing", FeedStatus.FAILING),
        ],
        at=NOW,
    )

    assert [feed.feed_id for feed in report.feeds] == [4, 2, 3, 1]
    assert report.count(FeedStatus.OK) == 2
    assert report.at == NOW


def test_items_per_day_over_a_week_and_a_month() -> None:
    feed = view(1, "A", FeedStatus.OK, items_last_week=21, items_last_month=45)

    assert feed.items_per_day_week == 3.0
    assert feed.items_per_day_month == 1.5


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-1), "1 minute ago"),
        (timedelta(minutes=25), "in 25 minutes"),
        (timedelta(hours=-5), "5 hours ago"),
        (timedelta(hours=47), "in 47 hours"),
        (timedelta(days=-3, hours=-2), "3 days ago"),
    ],
)
def test_relative_times_are_coarse(offset: timedelta, words: str) -> None:
    assert relative_time(NOW + offset, now=NOW) == words
