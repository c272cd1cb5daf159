"""Which feeds a server follows on top of the instance list, and why an addition is refused.

The fetch check is a seam: ``FeedCheck`` is any async callable that looks at a URL once (the
ingestion fetcher in production) and says whether it is a feed. Without one, additions are
accepted after the checks that need no network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.feed_errors import FeedErrorInfo
from bot.domain.feed_status import plain_error
from bot.domain.model import FeedStatus


class FollowOutcome(StrEnum):
    ADDED = "added"
    NOT_A_URL = "not-a-url"
    DUPLICATE = "duplicate"
    IN_INSTANCE_LIST = "in-instance-list"
    OVER_CAP = "over-cap"
    CHECK_FAILED = "check-failed"


@dataclass(frozen=True, slots=True)
class FeedCheckResult:
    """What fetching a candidate URL once showed: a feed (with its title) or its error."""

    ok: bool
    title: str | None = None
    error: FeedErrorInfo | None = None
    # Where the feed really is, when the URL given was a page linking it (or a redirect).
    feed_url: str | None = None

    @property
    def problem(self) -> str | None:
        """The error in plain words with its reason, never an internal code:
        ``"the site's answer is not an RSS, Atom or JSON feed (an HTML page)"``."""
        if self.error is None:
            return None
        return f"{plain_error(self.error)} ({self.error.reason})"


FeedCheck = Callable[[str], Awaitable[FeedCheckResult]]


@dataclass(frozen=True, slots=True)
class FollowedFeed:
    """A feed as a server's admins see it in ``/feeds list``."""

    feed_id: int
    url: str
    title: str
    status: FeedStatus
    in_instance_list: bool
    added_at: datetime
    last_success_at: datetime | None
    site_url: str | None = None


@dataclass(frozen=True, slots=True)
class GuildFeedList:
    """The feeds one server added itself, and how many the instance list adds for everyone."""

    followed: tuple[FollowedFeed, ...]
    instance_feed_count: int
    cap: int


@dataclass(frozen=True, slots=True)
class FollowResult:
    """The outcome of ``/feeds add``; ``detail`` explains a refusal (e.g. the check's problem)."""

    outcome: FollowOutcome
    url: str
    feed: FollowedFeed | None = None
    detail: str | None = None
    cap: int | None = None


@dataclass(frozen=True, slots=True)
class UnfollowResult:
    """The outcome of ``/feeds remove``; ``feed`` is None when the server did not follow it."""

    reference: str
    feed: FollowedFeed | None
