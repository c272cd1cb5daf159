"""A digest subscription as the rest of the program sees it, and the refusals of a new one.

``/digest add`` is checked here, before anything is stored: the time, the day, the timezone,
the topics, and whether the server already has the same digest. The channel's permissions
are Discord's to know; the chat layer checks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.catalog import Catalog
from bot.domain.digest.cadence import (
    Cadence,
    canonical_timezone,
    close_timezones,
    parse_time_of_day,
    parse_weekday,
)
from bot.domain.digest.topics import Topics, UnknownTopic, parse_topics
from bot.domain.model import DigestCadence

DEFAULT_MAX_STORIES = 10
MAX_STORIES = 50


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    cadence: Cadence
    timezone: str | None  # None: the server's default, then the instance's
    topics: Topics
    max_stories: int
    created_at: datetime
    paused_reason: str | None = None
    failing_reason: str | None = None
    failures: int = 0
    retry_at: datetime | None = None
    last_run_at: datetime | None = None
    last_result: str | None = None

    @property
    def paused(self) -> bool:
        return self.paused_reason is not None


@dataclass(frozen=True, slots=True)
class ScheduledSubscription:
    """A subscription with the timezone it runs in (its own, the server's or the instance's)."""

    subscription: Subscription
    timezone: str

    @property
    def id(self) -> int:
        return self.subscription.id


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """One line of ``/digest list``: the subscription, its timezone and its next run."""

    scheduled: ScheduledSubscription
    next_run: datetime | None  # None when paused
    topic_names: tuple[str, ...] = ()

    @property
    def subscription(self) -> Subscription:
        return self.scheduled.subscription


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What an admin asked for, as typed: every field is checked by ``check_request``."""

    channel_id: int
    cadence: DigestCadence
    time: str
    day: str | None = None
    timezone: str | None = None
    topics: str | None = None
    max_stories: int = DEFAULT_MAX_STORIES


class Refusal(StrEnum):
    BAD_TIME = "bad-time"
    DAY_NEEDED = "day-needed"
    DAY_NOT_WEEKLY = "day-not-weekly"
    BAD_DAY = "bad-day"
    UNKNOWN_TIMEZONE = "unknown-timezone"
    UNKNOWN_TOPIC = "unknown-topic"
    BAD_MAX_STORIES = "bad-max-stories"
    DUPLICATE = "duplicate"
    MISSING_PERMISSIONS = "missing-permissions"


@dataclass(frozen=True, slots=True)
class RequestRefused:
    """Why ``/digest add`` said no; ``given`` is the offending value, ``suggestions`` close
    matches, ``duplicate_of`` the existing subscription's id."""

    reason: Refusal
    given: str = ""
    suggestions: tuple[str, ...] = ()
    duplicate_of: int | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    channel_id: int
    cadence: Cadence
    timezone: str | None  # as given (canonical spelling); None when not given
    topics: Topics
    max_stories: int
    effective_timezone: str = field(default="UTC")


def check_request(
    request: SubscriptionRequest,
    *,
    catalog: Catalog,
    jurisdictions: Iterable[str],
    timezones: Iterable[str],
    default_timezone: str,
    existing: Sequence[ScheduledSubscription] = (),
) -> CheckedRequest | RequestRefused:
    """The request made into a subscription's settings, or the first thing wrong with it."""
    time = parse_time_of_day(request.time)
    if time is None:
        return RequestRefused(Refusal.BAD_TIME, request.time)
    weekday: int | None = None
    if request.cadence is DigestCadence.WEEKLY:
        if not request.day:
            return RequestRefused(Refusal.DAY_NEEDED)
        weekday = parse_weekday(request.day)
        if weekday is None:
            return RequestRefused(Refusal.BAD_DAY, request.day)
    elif request.day:
        return RequestRefused(Refusal.DAY_NOT_WEEKLY, request.day)
    zones = tuple(timezones)
    timezone: str | None = None
    if request.timezone:
        timezone = canonical_timezone(request.timezone, zones)
        if timezone is None:
            return RequestRefused(
                Refusal.UNKNOWN_TIMEZONE, request.timezone, close_timezones(request.timezone, zones)
            )
    topics = parse_topics(request.topics or "", catalog, jurisdictions)
    if isinstance(topics, UnknownTopic):
        return RequestRefused(Refusal.UNKNOWN_TOPIC, topics.name, topics.suggestions)
    if not 1 <= request.max_stories <= MAX_STORIES:
        return RequestRefused(Refusal.BAD_MAX_STORIES, str(request.max_stories))
    cadence = Cadence(request.cadence, time[0], time[1], weekday)
    effective = timezone or default_timezone
    for other in existing:
        known = other.subscription
        if (
            known.channel_id == request.channel_id
            and known.cadence == cadence
            and other.timezone == effective
            and known.topics == topics
        ):
            return RequestRefused(Refusal.DUPLICATE, duplicate_of=known.id)
    return CheckedRequest(
        request.channel_id, cadence, timezone, topics, request.max_stories, effective
    )
