"""The polite-polling rules, with time and randomness passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import schedule
from bot.domain.schedule import CacheHints, SchedulePolicy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
POLICY = SchedulePolicy()


def test_interval_override_and_the_fifteen_minute_floor() -> None:
    assert POLICY.interval_for(None) == HOUR
    assert POLICY.interval_for(30) == timedelta(minutes=30)
    assert POLICY.interval_for(5) == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 3600 ", HOUR),
        ("Wed, 25 Nov 2026 14:00:00 GMT", 2 * HOUR),
        ("Wed, 25 Nov 2026 11:00:00 GMT", timedelta(0)),  # in the past: no wait
        ("99999999", timedelta(days=7)),  # capped
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds_or_http_date(value: str | None, expected: timedelta | None) -> None:
    assert schedule.parse_retry_after(value, now=NOW) == expected


def test_freshness_from_max_age_expires_and_ttl() -> None:
    assert schedule.freshness(CacheHints("public, max-age=7200"), now=NOW) == 2 * HOUR
    assert schedule.freshness(CacheHints("s-maxage=5, max-age=60"), now=NOW) == timedelta(
        seconds=60
    )
    assert schedule.freshness(CacheHints("no-cache, max-age=7200"), now=NOW) == timedelta(0)
    expires = CacheHints(expires="Wed, 25 Nov 2026 15:00:00 GMT")
    assert schedule.freshness(expires, now=NOW) == 3 * HOUR
    assert schedule.freshness(CacheHints(expires="0"), now=NOW) == timedelta(0)
    assert schedule.freshness(CacheHints(ttl_minutes=180), now=NOW) == 3 * HOUR


def test_success_takes_the_largest_wait_plus_jitter_capped_at_a_day() -> None:
    def after(hints: CacheHints, jitter: float, validators: bool = True) -> timedelta:
        return (
            schedule.next_check_after_success(
                now=NOW,
                interval=HOUR,
                hints=hints,
                has_validators=validators,
                policy=POLICY,
                jitter=jitter,
            )
            - NOW
        )

    assert after(CacheHints(), 0.0) == HOUR
    assert after(CacheHints(), 1.0) == HOUR * 1.2
    assert after(CacheHints("max-age=10800"), 0.0) == 3 * HOUR
    assert after(CacheHints("max-age=999999"), 0.5) == 24 * HOUR
    assert after(CacheHints(), 0.0, validators=False) == 6 * HOUR


def test_errors_back_off_exponentially_to_a_week_and_never_stop() -> None:
    waits = [
        schedule.next_check_after_error(now=NOW, interval=HOUR, consecutive_errors=n, jitter=0.0)
        - NOW
        for n in range(1, 12)
    ]
    assert waits[:4] == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR]
    assert waits[-1] == timedelta(days=7)
    huge = schedule.next_check_after_error(
        now=NOW, interval=HOUR, consecutive_errors=10_000, jitter=1.0
    )
    assert huge - NOW == timedelta(days=7)


def test_throttle_waits_for_retry_after_and_at_least_an_hour() -> None:
    def after(retry_after: timedelta | None) -> timedelta:
        return (
            schedule.next_check_after_throttle(
                now=NOW, interval=timedelta(minutes=15), retry_after=retry_after, jitter=0.0
            )
            - NOW
        )

    assert after(None) == HOUR
    assert after(timedelta(minutes=5)) == HOUR
    assert after(5 * HOUR) == 5 * HOUR


def test_restart_spreads_feeds_over_one_interval() -> None:
    spots = {schedule.spread_first_check(now=NOW, interval=HOUR, jitter=j / 10) for j in range(10)}
    assert len(spots) == 10
    assert all(NOW <= spot < NOW + HOUR for spot in spots)
