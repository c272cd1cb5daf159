"""When to ask a feed again: the polite-polling rules, as pure functions of ``now``.

A healthy feed is polled every ``max(base interval, Cache-Control max-age, Expires, <ttl>)``
stretched by 0-20 % jitter and capped at a day; a feed without validators is polled less
often; errors back off exponentially up to a week but polling never stops; 429/503 honour
``Retry-After``. Randomness is passed in (``jitter`` in [0, 1)) so the rules stay testable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MIN_INTERVAL = timedelta(minutes=15)
MAX_HEALTHY_INTERVAL = timedelta(hours=24)
MAX_BACKOFF = timedelta(days=7)
THROTTLE_FLOOR = timedelta(hours=1)
SUCCESS_JITTER = 0.20
ERROR_JITTER = 0.25

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    """The operator's knobs: the default interval and the one for feeds without validators."""

    base_interval: timedelta = timedelta(minutes=60)
    unconditional_interval: timedelta = timedelta(hours=6)

    def interval_for(self, override_minutes: int | None) -> timedelta:
        """A feed's own interval if set, else the default; never below the 15-minute floor."""
        wanted = timedelta(minutes=override_minutes) if override_minutes else self.base_interval
        return max(wanted, MIN_INTERVAL)


@dataclass(frozen=True, slots=True)
class CacheHints:
    """What the server and the document said about freshness (raw header values)."""

    cache_control: str | None = None
    expires: str | None = None
    ttl_minutes: int | None = None


def parse_http_date(value: str | None) -> datetime | None:
    """An RFC 9110 HTTP-date as an aware UTC datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """``Retry-After`` as a delay from ``now``: delta-seconds or an HTTP-date, capped at a week."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        delay = timedelta(seconds=int(text))
    else:
        when = parse_http_date(text)
        if when is None:
            return None
        delay = when - now
    return min(max(delay, timedelta(0)), MAX_BACKOFF)


def freshness(hints: CacheHints, *, now: datetime) -> timedelta:
    """How long the server asked us not to come back: max-age, else Expires, and <ttl>."""
    fresh = timedelta(0)
    control = hints.cache_control or ""
    if not _NO_CACHE.search(control):
        match = _MAX_AGE.search(control)
        if match:
            fresh = timedelta(seconds=min(int(match.group(1)), 10**8))
        else:
            expires = parse_http_date(hints.expires)
            if expires is not None:
                fresh = max(expires - now, timedelta(0))
    if hints.ttl_minutes and hints.ttl_minutes > 0:
        fresh = max(fresh, timedelta(minutes=min(hints.ttl_minutes, 10**6)))
    return fresh


def next_check_after_success(
    *,
    now: datetime,
    interval: timedelta,
    hints: CacheHints,
    has_validators: bool,
    policy: SchedulePolicy,
    jitter: float,
) -> datetime:
    """Healthy schedule: the largest of interval and freshness, plus jitter, capped at a day."""
    wait = max(interval, freshness(hints, now=now))
    if not has_validators:
        wait = max(wait, policy.unconditional_interval)
    wait = min(wait * (1 + SUCCESS_JITTER * jitter), MAX_HEALTHY_INTERVAL)
    return now + max(wait, MIN_INTERVAL)


def next_check_after_error(
    *, now: datetime, interval: timedelta, consecutive_errors: int, jitter: float
) -> datetime:
    """Exponential backoff: interval, 2x, 4x ... capped at a week; never 'give up'."""
    exponent = min(max(consecutive_errors - 1, 0), 20)
    wait: timedelta = min(interval * int(2**exponent), MAX_BACKOFF)
    return now + min(wait * (1 + ERROR_JITTER * jitter), MAX_BACKOFF)


def next_check_after_throttle(
    *, now: datetime, interval: timedelta, retry_after: timedelta | None, jitter: float
) -> datetime:
    """429/503: wait what the server asked, and at least an hour and the feed's interval."""
    wait = max(retry_after or timedelta(0), interval, THROTTLE_FLOOR)
    return now + min(wait * (1 + SUCCESS_JITTER * jitter), MAX_BACKOFF)


def spread_first_check(*, now: datetime, interval: timedelta, jitter: float) -> datetime:
    """Where an overdue or brand-new feed lands after a restart: anywhere in one interval."""
    return now + interval * jitter
