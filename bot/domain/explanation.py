"""The answer to ``/why <url>``: was an item seen, is it relevant and why, did it go out.

Pure: the facade gathers what the archive stored about a URL; ``explain`` turns it into one
answer, so the reasons a user reads are exactly the ones analysis stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from bot.domain.catalog import Catalog
from bot.domain.model import Attribution, DigestDisposition, DigestStatus, StanceLabel
from bot.domain.urls import canonical_url


@dataclass(frozen=True, slots=True)
class Sighting:
    """One feed's copy of the item (the same article can arrive through several feeds)."""

    item_id: int
    feed_title: str
    feed_url: str
    title: str
    url: str
    published_at: datetime | None
    fetched_at: datetime
    is_backlog: bool


@dataclass(frozen=True, slots=True)
class ItemClaim:
    company_id: str
    target_id: str
    stance: StanceLabel
    evidence: str
    attribution: Attribution
    confidence: float


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    """What analysis stored for one item: relevance with its reasons, mentions and claims."""

    item_id: int
    is_relevant: bool
    score: float
    reasons: tuple[str, ...]
    analysed_at: datetime
    company_ids: tuple[str, ...]
    law_ids: tuple[str, ...]
    claims: tuple[ItemClaim, ...]


@dataclass(frozen=True, slots=True)
class DigestAppearance:
    """One digest run's ledger row for the item: which subscription, and what it did with it."""

    digest_id: int
    subscription_id: int
    guild_id: int
    channel_id: int
    status: DigestStatus
    disposition: DigestDisposition
    created_at: datetime
    posted_at: datetime | None
    message_id: int | None  # the message that carries it (posted or listed)


class DigestAbsence(StrEnum):
    """Why an item is in no digest."""

    NOT_ANALYSED = "not-analysed"  # analysis has not run on it yet
    NOT_RELEVANT = "not-relevant"  # analysed: not about AI regulation
    BACKLOG = "backlog"  # archived from a feed's first fetch, never sent
    NOT_YET = "not-yet"  # relevant and new, but no digest has included it yet


@dataclass(frozen=True, slots=True)
class ItemExplanation:
    url: str  # the canonical form that matched
    sightings: tuple[Sighting, ...]  # first seen first
    analysis: StoredAnalysis | None
    digests: tuple[DigestAppearance, ...]
    absence: DigestAbsence | None  # None when it went out in a digest
    seen_ago: timedelta

    @property
    def first(self) -> Sighting:
        return self.sightings[0]


@dataclass(frozen=True, slots=True)
class UnseenUrl:
    """No feed has carried this URL (in any of its usual spellings)."""

    url: str


WhyAnswer = ItemExplanation | UnseenUrl


def lookup_urls(text: str) -> tuple[str, ...]:
    """The stored spellings an item at ``text`` may have, canonical first; () if not a URL.

    Items are stored under ``canonical_url``; people paste links with tracking parameters,
    ``<angle brackets>``, the other scheme, with or without ``www.`` or a trailing slash.
    """
    text = text.strip().removeprefix("<").removesuffix(">").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ()
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return ()
    if any(character.isspace() for character in text):
        return ()
    canonical = canonical_url(text)
    scheme, netloc, path, query, _ = urlsplit(canonical)
    hosts = [netloc, netloc.removeprefix("www.") if netloc.startswith("www.") else f"www.{netloc}"]
    paths = [path]
    if not query and path != "/":
        paths.append(path[:-1] if path.endswith("/") else f"{path}/")
    spellings = [
        urlunsplit((s, h, p, query, ""))
        for s in (scheme, "https" if scheme == "http" else "http")
        for h in hosts
        for p in paths
    ]
    return tuple(dict.fromkeys([canonical, *spellings]))


def explain(
    url: str,
    sightings: Sequence[Sighting],
    analyses: Sequence[StoredAnalysis],
    digests: Sequence[DigestAppearance],
    *,
    now: datetime,
) -> WhyAnswer:
    """One answer from every copy of the item; the relevant analysis speaks for them all."""
    if not sightings:
        return UnseenUrl(url)
    ordered = tuple(sorted(sightings, key=lambda s: (s.fetched_at, s.item_id)))
    analysis = max(analyses, key=lambda a: (a.is_relevant, a.score, -a.item_id), default=None)
    return ItemExplanation(
        url=url,
        sightings=ordered,
        analysis=analysis,
        digests=tuple(sorted(digests, key=lambda d: (d.created_at, d.digest_id))),
        absence=_absence(ordered, analysis, digests),
        seen_ago=max(now - ordered[0].fetched_at, timedelta(0)),
    )


def _absence(
    sightings: Sequence[Sighting],
    analysis: StoredAnalysis | None,
    digests: Sequence[DigestAppearance],
) -> DigestAbsence | None:
    if digests:
        return None
    if analysis is None:
        return DigestAbsence.NOT_ANALYSED
    if not analysis.is_relevant:
        return DigestAbsence.NOT_RELEVANT
    if all(sighting.is_backlog for sighting in sightings):
        return DigestAbsence.BACKLOG
    return DigestAbsence.NOT_YET


def reason_text(reason: str, catalog: Catalog) -> str:
    """A stored relevance reason ("law:eu-ai-act") as a person reads it."""
    kind, _, detail = reason.partition(":")

    def named(entry_id: str) -> str:
        entry = catalog.law(entry_id) or catalog.company(entry_id)
        return entry.name if entry is not None else entry_id

    if kind == "law":
        return f"names {named(detail)}"
    if kind == "law-near-ai":
        return f"names {named(detail)} next to AI"
    if kind == "stance":
        company, _, target = detail.partition("/")
        return f"{named(company)} takes a position on {named(target)}"
    if kind == "near":
        technology, _, governance = detail.partition("~")
        return f"“{technology}” near “{governance}”"
    return reason
