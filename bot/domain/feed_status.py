"""What ``/feeds status`` tells a server's admins about the feeds they added.

The poller stores a feed's last error typed (``FeedErrorInfo``: kind, HTTP status, reason);
admins read plain words for the kind, with the technical reason kept as a detail. Items per
day come from the items' own dates (published, else fetched), so a feed's first fetch (its
backlog) does not look like a burst of news.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import assert_never

from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.model import FeedStatus

WEEK = timedelta(days=7)
MONTH = timedelta(days=30)

_HTTP_WORDS = {
    401: "the site asks for a login",
    403: "the site refuses policybot access",
    404: "the site says the feed does not exist (404 Not Found)",
    410: "the site says the feed is gone for good (410 Gone)",
    429: "the site asks policybot to slow down (429)",
}
# Problems first: what needs an admin's attention leads the list.
_ORDER = {FeedStatus.FAILING: 0, FeedStatus.PAUSED: 1, FeedStatus.OK: 2}


@dataclass(frozen=True, slots=True)
class FeedHealthView:
    """One feed a server follows: its health, schedule and recent activity."""

    feed_id: int
    url: str
    title: str
    status: FeedStatus
    consecutive_errors: int
    error: FeedErrorInfo | None
    last_error_at: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    added_at: datetime
    items_last_week: int
    items_last_month: int

    @property
    def items_per_day_week(self) -> float:
        return self.items_last_week / WEEK.days

    @property
    def items_per_day_month(self) -> float:
        return self.items_last_month / MONTH.days

    @property
    def last_error(self) -> str | None:
        """The last error's technical detail, ``"http_404: HTTP 404 Not Found"``."""
        return self.error.detail if self.error is not None else None

    @property
    def error_words(self) -> str | None:
        """The last error in plain words, while it matters (failing, paused or recent errors)."""
        if self.status is FeedStatus.OK and not self.consecutive_errors:
            return None
        return plain_error(self.error)


@dataclass(frozen=True, slots=True)
class FeedsHealthReport:
    """Every feed one server added, problems first, as seen at ``at``."""

    feeds: tuple[FeedHealthView, ...]
    at: datetime

    def count(self, status: FeedStatus) -> int:
        return sum(feed.status is status for feed in self.feeds)


def health_report(feeds: Iterable[FeedHealthView], *, at: datetime) -> FeedsHealthReport:
    ordered = sorted(feeds, key=lambda f: (_ORDER.get(f.status, 3), f.title.casefold(), f.feed_id))
    return FeedsHealthReport(tuple(ordered), at)


def listed_health(status: FeedStatus, *, consecutive_errors: int, checked: bool) -> str:
    """A feed's health for ``feeds list``: ``new`` until its first fetch, ``failing`` from its
    first error on (the stored status waits for several before backing off), else the status."""
    if status is FeedStatus.OK and consecutive_errors:
        return FeedStatus.FAILING.value
    if status is FeedStatus.OK and not checked:
        return "new"
    return status.value


def plain_error(error: FeedErrorInfo | None) -> str | None:
    """``kind=HTTP, status=404`` -> "the site says the feed does not exist (404 Not Found)"."""
    if error is None:
        return None
    match error.kind:
        case FeedErrorKind.HTTP:
            return _http_words(error.status)
        case FeedErrorKind.FETCH_TIMEOUT | FeedErrorKind.PARSE_TIMEOUT:
            return "the site did not answer in time, or the feed took too long to read"
        case FeedErrorKind.CONNECTION:
            return "policybot could not connect to the site"
        case FeedErrorKind.BLOCKED:
            return (
                "the address is on a private or local network "
                "(the bot's operator can allow that with POLICYBOT_ALLOW_PRIVATE_FEEDS=true)"
            )
        case FeedErrorKind.REDIRECTS:
            return "the address redirects in a loop or too many times"
        case FeedErrorKind.TOO_LARGE:
            return "the feed is larger than policybot accepts"
        case FeedErrorKind.BAD_URL:
            return "the address is not a usable http(s) URL"
        case FeedErrorKind.EMPTY:
            return "the site answered with an empty page"
        case FeedErrorKind.ENTITIES:
            return "the feed declares XML entities, which policybot refuses for safety"
        case FeedErrorKind.NOT_A_FEED:
            return "the site's answer is not an RSS, Atom or JSON feed"
        case FeedErrorKind.CRASHED:
            return "reading the feed failed"
        case FeedErrorKind.INTERNAL:
            return "policybot failed on this feed (an internal error); the log says more"
        case _:
            assert_never(error.kind)


def _http_words(status: int | None) -> str:
    if status is None:
        return "the site answered with an HTTP error"
    if status in _HTTP_WORDS:
        return _HTTP_WORDS[status]
    if status >= 500:
        return f"the site has a server error (HTTP {status})"
    return f"the site answered HTTP {status}"


def relative_time(moment: datetime, *, now: datetime) -> str:
    """ "3 hours ago", "in 20 minutes": coarse, for people scanning a list."""
    delta = moment - now
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        amount, unit = int(seconds // 60), "minute"
    elif seconds < 2 * 86400:
        amount, unit = int(seconds // 3600), "hour"
    else:
        amount, unit = int(seconds // 86400), "day"
    words = f"{amount} {unit}{'' if amount == 1 else 's'}"
    return f"in {words}" if delta.total_seconds() > 0 else f"{words} ago"
