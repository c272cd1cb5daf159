"""Why a feed could not be fetched or read: the kinds, and the error as data.

``bot.errors.FeedError`` (and its ``FetchError``/``ParseError``) raise these kinds; the poller
stores a failed feed's error as ``FeedErrorInfo`` in three columns (kind, HTTP status, reason),
and admins read it back through ``bot.domain.feed_status.plain_error``. The kind lives here,
not in ``bot.errors``, so the pure domain can decide and explain without importing exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FeedErrorKind(StrEnum):
    """What went wrong; a new member fails ``mypy --strict`` wherever kinds are matched."""

    # Fetching (bot.ingest.fetch).
    BLOCKED = "blocked"  # the SSRF guard: a private or local address
    FETCH_TIMEOUT = "timeout"
    CONNECTION = "connection"
    REDIRECTS = "redirects"  # a loop, too many, or to a non-http(s) URL
    TOO_LARGE = "too_large"
    HTTP = "http"  # any status but 200 and 304; the status is kept next to the kind
    BAD_URL = "bad_url"
    # Parsing (bot.ingest.parse).
    EMPTY = "empty"
    ENTITIES = "entities"  # the document declares XML entities
    NOT_A_FEED = "not_a_feed"
    PARSE_TIMEOUT = "parse_timeout"  # the parser worker ran too long
    CRASHED = "crashed"  # the parser worker died
    # Anything else: an exception policybot did not expect while fetching, parsing or storing
    # the feed (a bug, or input nobody foresaw). The reason names the exception's class.
    INTERNAL = "internal"


REASON_LINE_MAX = 300


@dataclass(frozen=True, slots=True)
class FeedErrorInfo:
    """A feed error as data: its kind, the technical reason, and the HTTP status if any."""

    kind: FeedErrorKind
    reason: str
    status: int | None = None

    @property
    def label(self) -> str:
        """The short name the poll summary counts by: ``http_404``, ``timeout``, ``blocked`` ..."""
        if self.kind is FeedErrorKind.HTTP and self.status is not None:
            return f"http_{self.status}"
        if self.kind is FeedErrorKind.PARSE_TIMEOUT:
            # Counted (and shown) with fetch timeouts, as before the two kinds were told apart.
            return FeedErrorKind.FETCH_TIMEOUT.value
        return self.kind.value

    @property
    def detail(self) -> str:
        """The technical line admins see under the plain words: ``http_404: HTTP 404 Not Found``."""
        return f"{self.label}: {self.reason}"


def internal_error(exc: BaseException) -> FeedErrorInfo:
    """An unexpected exception as a feed's error: ``ValueError: the first line of it``."""
    text = str(exc).strip()
    first = text.splitlines()[0][:REASON_LINE_MAX] if text else ""
    name = type(exc).__name__
    return FeedErrorInfo(FeedErrorKind.INTERNAL, f"{name}: {first}" if first else name)
