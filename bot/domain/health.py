"""Feed health: ok -> failing -> ok, or paused on 410, with one event per transition.

Admins should hear about a feed once when it starts failing, once when it recovers and once
when it is paused, never on every poll; so events come from transitions, not from states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.model import FeedStatus

FAILING_AFTER_ERRORS = 3


class HealthEventKind(StrEnum):
    FAILING = "failing"
    RECOVERED = "recovered"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """Something an admin should be told once, e.g. "feed X is failing: timeout"."""

    feed_id: int
    url: str
    title: str
    kind: HealthEventKind
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Health:
    status: FeedStatus
    consecutive_errors: int


def after_success(health: Health) -> tuple[Health, HealthEventKind | None]:
    """A 200 or 304: errors reset; a failing (or paused, if an admin resumed it) feed recovers."""
    event = HealthEventKind.RECOVERED if health.status is not FeedStatus.OK else None
    return Health(FeedStatus.OK, 0), event


def after_error(
    health: Health, *, failing_after: int = FAILING_AFTER_ERRORS
) -> tuple[Health, HealthEventKind | None]:
    """One more error; the feed turns failing (and says so once) when errors reach the bar."""
    errors = health.consecutive_errors + 1
    if health.status is FeedStatus.PAUSED:
        return Health(FeedStatus.PAUSED, errors), None
    if health.status is FeedStatus.OK and errors >= failing_after:
        return Health(FeedStatus.FAILING, errors), HealthEventKind.FAILING
    return Health(health.status, errors), None


def after_throttle(health: Health) -> tuple[Health, HealthEventKind | None]:
    """429/503 is the server asking us to wait, not the feed failing: nothing changes."""
    return health, None


def after_gone(health: Health) -> tuple[Health, HealthEventKind | None]:
    """410 Gone pauses the feed until an admin resumes it; said once."""
    event = HealthEventKind.PAUSED if health.status is not FeedStatus.PAUSED else None
    return Health(FeedStatus.PAUSED, health.consecutive_errors + 1), event
