"""The archive as people browse it: pages of items, newest or best match first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One archived item, with the name of the feed it came from."""

    title: str
    url: str | None
    summary: str
    feed_title: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """One page of a search or a listing; ``has_more`` says whether the next page has items."""

    entries: tuple[ArchiveEntry, ...]
    page: int
    per_page: int
    has_more: bool

    @property
    def first_number(self) -> int:
        """The 1-based position of the first entry in the whole result list."""
        return (self.page - 1) * self.per_page + 1
