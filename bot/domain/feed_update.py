"""The per-feed decider: what one poll's outcome means for a feed, as a pure function.

``decide`` is handed the feed's stored state (``FeedState``), what the fetch and the parse
gave (``PollOutcome``), the cycle's ``now``, the schedule policy and a jitter in [0, 1), and
returns a ``FeedUpdate``: the feed's next state (validators and body hash, <ttl>, title and
site URL filled in, redirect counting, health, error fields, counters, next check time),
the report's outcome, the health event to announce, and a permanent redirect to adopt.
It touches no storage and reads no clock: ``bot.polling`` calls it in the writer's
transaction, and ``bot.storage.feeds.FeedStore.apply`` writes what it decided (adopting a
redirect only if no other feed has that URL: the one question the decider cannot answer).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain import health as feed_health
from bot.domain import schedule
from bot.domain.entries import ParsedFeed
from bot.domain.feed_errors import FeedErrorInfo
from bot.domain.health import Health, HealthEvent, HealthEventKind
from bot.domain.responses import FetchedFeed, NotModified

ADOPT_REDIRECT_AFTER = 3
THROTTLE_STATUSES = frozenset({429, 503})
GONE_STATUS = 410
# Column sizes (bot.storage.schema.Feed): longer values are cut (title, reason) or ignored.
TITLE_MAX = 512
URL_MAX = 2048
REASON_MAX = 2000


class Outcome(StrEnum):
    FETCHED = "fetched"  # 200, parsed and stored
    NOT_MODIFIED = "not_modified"  # 304
    UNCHANGED = "unchanged"  # 200 with the same body as last time: not parsed
    THROTTLED = "throttled"  # 429/503: asked to wait
    GONE = "gone"  # 410: paused
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed's stored fetch state: what the decider reads, and (updated) what it returns."""

    id: int
    url: str
    title: str
    site_url: str | None
    interval_minutes: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    ttl_minutes: int | None
    redirect_url: str | None
    redirect_count: int
    health: Health
    next_check_at: datetime | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_error: FeedErrorInfo | None
    last_error_at: datetime | None
    fetch_count: int
    error_count: int


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 after the parse step: ``parsed`` is None when the body hashed as last time."""

    response: FetchedFeed
    body_hash: str
    parsed: ParsedFeed | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The fetch or the parse failed; ``retry_after`` is a 429/503's raw header, if any."""

    error: FeedErrorInfo
    retry_after: str | None = None


PollOutcome = Fetched | NotModified | Failed


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """The intent: the feed's state after this poll, and what to report about it.

    ``error`` is this poll's error (None when it succeeded; ``feed.last_error`` outlives a
    recovery, for admins). ``adopt_url`` is a permanent redirect seen often enough to become
    the feed's URL, if no other feed already has it. ``backlog`` says this is the feed's first
    success: its items are stored as the backlog, not announced as news.
    """

    feed: FeedState
    outcome: Outcome
    error: FeedErrorInfo | None = None
    event: HealthEvent | None = None
    adopt_url: str | None = None
    backlog: bool = False


def decide(
    state: FeedState,
    outcome: PollOutcome,
    *,
    now: datetime,
    policy: schedule.SchedulePolicy,
    jitter: float,
    failing_after: int = feed_health.FAILING_AFTER_ERRORS,
) -> FeedUpdate:
    """What ``outcome`` means for the feed in ``state`` at ``now``; ``jitter`` is in [0, 1)."""
    if isinstance(outcome, Failed):
        return _after_failure(
            state, outcome, now=now, policy=policy, jitter=jitter, failing_after=failing_after
        )
    return _after_success(state, outcome, now=now, policy=policy, jitter=jitter)


def _after_success(
    state: FeedState,
    outcome: Fetched | NotModified,
    *,
    now: datetime,
    policy: schedule.SchedulePolicy,
    jitter: float,
) -> FeedUpdate:
    parsed: ParsedFeed | None = None
    if isinstance(outcome, NotModified):
        result = Outcome.NOT_MODIFIED
        answer: FetchedFeed | NotModified = outcome
        # A 304 may or may not repeat the validators; keep ours when it does not.
        etag = outcome.etag or state.etag
        last_modified = outcome.last_modified or state.last_modified
        body_hash = state.body_hash
    else:
        parsed = outcome.parsed
        result = Outcome.FETCHED if parsed is not None else Outcome.UNCHANGED
        answer = outcome.response
        etag = answer.etag
        last_modified = answer.last_modified
        body_hash = outcome.body_hash
    ttl_minutes, title, site_url = state.ttl_minutes, state.title, state.site_url
    if parsed is not None:
        ttl_minutes = parsed.ttl_minutes
        if not title and parsed.title:
            title = parsed.title[:TITLE_MAX]
        if site_url is None and parsed.site_url and len(parsed.site_url) <= URL_MAX:
            site_url = parsed.site_url
    redirect_url, redirect_count, adopt_url = _count_redirect(state, answer.permanent_url)
    health, event_kind = feed_health.after_success(state.health)
    hints = schedule.CacheHints(
        cache_control=answer.cache_control,
        expires=answer.expires,
        ttl_minutes=ttl_minutes,  # a 304 or an unchanged body keeps the last <ttl>
    )
    next_check_at = schedule.next_check_after_success(
        now=now,
        interval=policy.interval_for(state.interval_minutes),
        hints=hints,
        has_validators=bool(etag or last_modified),
        policy=policy,
        jitter=jitter,
    )
    feed = replace(
        state,
        title=title,
        site_url=site_url,
        etag=etag,
        last_modified=last_modified,
        body_hash=body_hash,
        ttl_minutes=ttl_minutes,
        redirect_url=redirect_url,
        redirect_count=redirect_count,
        health=health,
        next_check_at=next_check_at,
        last_checked_at=now,
        last_success_at=now,
        fetch_count=state.fetch_count + 1,
    )
    return FeedUpdate(
        feed,
        result,
        event=_event(feed, event_kind, None, now),
        adopt_url=adopt_url,
        backlog=state.last_success_at is None,
    )


def _after_failure(
    state: FeedState,
    outcome: Failed,
    *,
    now: datetime,
    policy: schedule.SchedulePolicy,
    jitter: float,
    failing_after: int,
) -> FeedUpdate:
    error = replace(outcome.error, reason=outcome.error.reason[:REASON_MAX])
    interval = policy.interval_for(state.interval_minutes)
    error_count = state.error_count
    if error.status in THROTTLE_STATUSES:
        result = Outcome.THROTTLED
        health, event_kind = feed_health.after_throttle(state.health)
        next_check_at = schedule.next_check_after_throttle(
            now=now,
            interval=interval,
            retry_after=schedule.parse_retry_after(outcome.retry_after, now=now),
            jitter=jitter,
        )
    elif error.status == GONE_STATUS:
        result = Outcome.GONE
        health, event_kind = feed_health.after_gone(state.health)
        next_check_at = now + schedule.MAX_BACKOFF
    else:
        result = Outcome.ERROR
        health, event_kind = feed_health.after_error(state.health, failing_after=failing_after)
        next_check_at = schedule.next_check_after_error(
            now=now,
            interval=interval,
            consecutive_errors=health.consecutive_errors,
            jitter=jitter,
        )
        error_count += 1  # throttling and 410 are the server's answer, not an error count
    feed = replace(
        state,
        health=health,
        next_check_at=next_check_at,
        last_checked_at=now,
        last_error=error,
        last_error_at=now,
        fetch_count=state.fetch_count + 1,
        error_count=error_count,
    )
    return FeedUpdate(feed, result, error=error, event=_event(feed, event_kind, error.detail, now))


def _count_redirect(
    state: FeedState, permanent_url: str | None
) -> tuple[str | None, int, str | None]:
    """301/308 is adopted as the feed's URL only once it repeats; 302/307 never are.

    Returns the redirect to remember, how many polls in a row it was seen, and the URL to
    adopt (if it is not too long for the column).
    """
    if permanent_url is None or permanent_url == state.url:
        return None, 0, None
    count = state.redirect_count + 1 if state.redirect_url == permanent_url else 1
    if count < ADOPT_REDIRECT_AFTER or len(permanent_url) > URL_MAX:
        return permanent_url, count, None
    return permanent_url, count, permanent_url


def _event(
    feed: FeedState, kind: HealthEventKind | None, reason: str | None, now: datetime
) -> HealthEvent | None:
    if kind is None:
        return None
    return HealthEvent(feed.id, feed.url, feed.title, kind, reason, now)
