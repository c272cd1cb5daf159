"""Probe a URL once (``policybot feeds check``, ``/feeds add``): fetch, parse, store nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.feed_errors import FeedErrorKind
from bot.domain.responses import NotModified
from bot.errors import FeedError, FetchError

if TYPE_CHECKING:
    from bot.polling import Fetcher, Parser


@dataclass(frozen=True, slots=True)
class FeedProbe:
    """What fetching a URL once showed: a feed's summary, or the error that stopped it."""

    url: str
    error: FeedError | None = None
    final_url: str | None = None
    title: str = ""
    version: str = ""
    entry_count: int = 0
    sample_titles: tuple[str, ...] = ()
    has_validators: bool = False
    cache_control: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def probe_url(fetcher: Fetcher, parser: Parser, url: str) -> FeedProbe:
    """Fetch (unconditionally) and parse ``url``; report, store nothing."""
    try:
        fetched = await fetcher.fetch(url)
        if isinstance(fetched, NotModified):
            raise FetchError(url, FeedErrorKind.HTTP, "304 to an unconditional request", status=304)
        parsed = await parser.parse(fetched.final_url, fetched.body, fetched.content_type)
    except FeedError as exc:
        return FeedProbe(url, error=exc)
    return FeedProbe(
        url,
        final_url=fetched.final_url,
        title=parsed.title,
        version=parsed.version,
        entry_count=len(parsed.entries),
        sample_titles=tuple(entry.title for entry in parsed.entries[:5]),
        has_validators=bool(fetched.etag or fetched.last_modified),
        cache_control=fetched.cache_control,
    )
