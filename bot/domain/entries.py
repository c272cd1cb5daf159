"""What a parsed feed document holds, and how its entries get stable keys.

Identity follows Miniflux's order: the raw guid, else the canonical link, else a hash of the
title, date and text. A key that repeats inside one document is disambiguated (by link, then
by position) so two different entries are never merged silently; keys never depend on the
feed's URL, so a moved feed does not re-post everything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.urls import canonical_url

MAX_KEY_LENGTH = 400


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry as the parser read it; ``link`` is absolute and canonical (or None)."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    author: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document reduced to what the bot keeps."""

    title: str
    site_url: str | None
    version: str
    ttl_minutes: int | None = None
    entries: tuple[ParsedEntry, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class KeyedEntry:
    key: str
    content_hash: str
    entry: ParsedEntry


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _bounded(key: str) -> str:
    return key if len(key) <= MAX_KEY_LENGTH else f"{key[:2]}sha256:{_digest(key)}"


def content_hash(entry: ParsedEntry) -> str:
    """What counts as "the item changed": text and link, not the dates a CMS bumps."""
    return _digest(entry.title, entry.summary, entry.link or "", entry.author or "")


def base_key(entry: ParsedEntry) -> str:
    if entry.guid and entry.guid.strip():
        return _bounded("g:" + entry.guid.strip())
    if entry.link:
        return _bounded("l:" + canonical_url(entry.link))
    date = entry.published_at or entry.updated_at
    return "h:" + _digest(entry.title, date.isoformat() if date else "", entry.summary)[:40]


def key_entries(entries: tuple[ParsedEntry, ...]) -> tuple[KeyedEntry, ...]:
    """Give every entry a key unique within the document, in document order."""
    keyed: list[KeyedEntry] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        key = base_key(entry)
        if key in seen:
            key = _bounded(f"{key}|{_digest(entry.link or '', entry.title, entry.summary)[:16]}")
        if key in seen:
            key = _bounded(f"{key}|#{position}")
        seen.add(key)
        keyed.append(KeyedEntry(key, content_hash(entry), entry))
    return tuple(keyed)
