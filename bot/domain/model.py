"""Records and vocabularies shared by every stage of the pipeline.

Values are frozen; every datetime is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FeedStatus(StrEnum):
    """Health of a feed as admins see it."""

    OK = "ok"
    FAILING = "failing"
    PAUSED = "paused"


class FeedKind(StrEnum):
    """Who writes a feed: the institution itself, a newsroom, or analysts."""

    OFFICIAL = "official"
    NEWS = "news"
    ANALYSIS = "analysis"


class EntityKind(StrEnum):
    COMPANY = "company"
    LAW = "law"


class StanceLabel(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    MIXED = "mixed"
    NEUTRAL = "neutral"


class Attribution(StrEnum):
    """Whose words a stance claim rests on."""

    STATED = "stated"  # the company or its spokesperson says it
    REPORTED = "reported"  # a third party reports the company's position
    ALLEGED = "alleged"  # critics or documents claim it


class DigestStatus(StrEnum):
    """One digest run: composed and being sent (pending), sent whole (posted), or given up."""

    PENDING = "pending"
    POSTED = "posted"
    FAILED = "failed"


class DigestCadence(StrEnum):
    """How often a digest subscription posts, at its time of day in its timezone."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"  # Monday to Friday
    WEEKLY = "weekly"  # on its day of the week


class DigestDisposition(StrEnum):
    """What a digest did with an item, as its ledger row records it."""

    POSTED = "posted"  # a full entry (or one of its "+N more sources")
    LISTED = "listed"  # a linked title in the compact overflow list
    SUMMARISED = "summarised"  # beyond the list: only counted ("and 12 more: /latest")
    COVERED = "covered"  # another outlet's report of a story this subscription already posted


@dataclass(frozen=True, slots=True)
class FeedSource:
    """One feed an instance or a server follows: where it is and how it is described."""

    url: str
    name: str
    jurisdictions: tuple[str, ...] = ()
    kind: FeedKind = FeedKind.NEWS
    tags: tuple[str, ...] = ()
    # Minutes between polls for this feed; None uses POLICYBOT_POLL_INTERVAL_MINUTES.
    interval_minutes: int | None = None
