"""What a feed's server answered: a 200 with its body, or a 304 (values, no I/O).

``bot.ingest.fetch`` produces these and ``bot.domain.feed_update`` decides on them, so they
live in the domain.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A 200: the body (decoded from gzip) and what to remember for next time."""

    url: str
    final_url: str
    permanent_url: str | None
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    cache_control: str | None
    expires: str | None


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304: nothing to parse; the server may have sent fresher validators."""

    url: str
    permanent_url: str | None
    etag: str | None
    last_modified: str | None
    cache_control: str | None
    expires: str | None


FetchResult = FetchedFeed | NotModified
