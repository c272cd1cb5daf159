"""What a parsed feed document holds, and how its entries get stable keys.

Identity follows Miniflux's order: the raw guid, else the canonical link, else a hash of the
title, date and text (the *base* key). Keys never depend on the feed's URL, so a moved feed
does not re-post everything.

A base key several entries share (a guid a CMS reuses) is disambiguated by content, never by
position in the document: each such entry's key is the base plus a digest of its link, title
and text. Which stored item an entry is, is then decided by content too (``match_stored``):
an entry with the content of a stored item sharing its base is that item, whatever its key
and place; an edited one is the stored item with its link, when that link is its alone. So a
new entry at the top, entries reordered or falling off the end, and the step from one entry
with a base to several (whose first item was stored under the bare base) never make an old
item new or hand its row to another.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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

    @property
    def date(self) -> datetime | None:
        """The entry's date: when it was published, else when it was updated. Atom requires
        ``<updated>`` and makes ``<published>`` optional, so many entries have only that."""
        return self.published_at or self.updated_at


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
    """An entry with its key; ``base`` is the key before disambiguation (the same if unique)."""

    key: str
    content_hash: str
    entry: ParsedEntry
    base: str = ""

    @property
    def shares_base(self) -> bool:
        return self.key != self.base


@dataclass(frozen=True, slots=True)
class StoredIdentity:
    """What ``match_stored`` needs of a stored item: its key, content hash and link."""

    key: str
    content_hash: str
    link: str | None


# How a disambiguated key ends: the content digest, then an ordinal for identical copies
# (or ``#position``, as keys were disambiguated before they were by content).
_DISAMBIGUATION = re.compile(r"\|[0-9a-f]{16}(?:\|#?[0-9]+)?\Z")


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
    date = entry.date
    return "h:" + _digest(entry.title, date.isoformat() if date else "", entry.summary)[:40]


def base_of(key: str) -> str:
    """The base key a stored key was disambiguated from (the key itself if it was not)."""
    return _DISAMBIGUATION.sub("", key) if "|" in key else key


def _disambiguator(entry: ParsedEntry) -> str:
    return _digest(entry.link or "", entry.title, entry.summary)[:16]


def key_entries(entries: tuple[ParsedEntry, ...]) -> tuple[KeyedEntry, ...]:
    """Give every entry a key unique within the document, in document order.

    An entry alone with its base key is keyed by it; entries sharing one are keyed by the base
    and their content, and identical copies by the content and their count (``|2``, ``|3``).
    """
    bases = [base_key(entry) for entry in entries]
    shared = {base for base, count in Counter(bases).items() if count > 1}
    copies: Counter[str] = Counter()
    keyed: list[KeyedEntry] = []
    for base, entry in zip(bases, entries, strict=True):
        key = base
        if base in shared:
            key = f"{base}|{_disambiguator(entry)}"
            copies[key] += 1
            if copies[key] > 1:
                key = f"{key}|{copies[key]}"
        keyed.append(KeyedEntry(key, content_hash(entry), entry, base))
    return tuple(keyed)


def needs_matching(entries: Iterable[KeyedEntry], known: Mapping[str, StoredIdentity]) -> bool:
    """Whether ``match_stored`` could change a key, given the stored items with these keys
    (and with the bases of shared ones): false when every entry is stored under its own key,
    unchanged, and alone with its base, which is a feed's usual poll."""
    return any(
        keyed.shares_base
        or keyed.key not in known
        or known[keyed.key].content_hash != keyed.content_hash
        for keyed in entries
    )


def match_stored(
    entries: tuple[KeyedEntry, ...], stored: Iterable[StoredIdentity]
) -> tuple[KeyedEntry, ...]:
    """Key each entry as the stored item it is, by content, among those sharing its base.

    ``stored`` holds the feed's items under the entries' keys and bases and every
    disambiguated one. In each base's group an entry is, in this order of preference: the
    item with its content (its own key first); the item with its link, when no other entry
    or item of the group has that link (an edit); the item stored under its own key (an edit
    of an entry alone with its base). Entries matching no item keep their keys (made unique
    again if an item took theirs): they are new.
    """
    rows: dict[str, list[StoredIdentity]] = defaultdict(list)
    for row in stored:
        rows[base_of(row.key)].append(row)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, keyed in enumerate(entries):
        groups[keyed.base].append(index)
    keys = [keyed.key for keyed in entries]
    for base, members in groups.items():
        candidates = rows.get(base)
        if candidates:
            _match_group(entries, members, candidates, keys)
    taken: set[str] = set()
    result: list[KeyedEntry] = []
    for keyed, key in zip(entries, keys, strict=True):
        if key in taken:  # an unmatched entry whose key an item matched to another entry holds
            number = 2
            while f"{key}|{number}" in taken:
                number += 1
            key = f"{key}|{number}"
        taken.add(key)
        result.append(keyed if key == keyed.key else replace(keyed, key=key))
    return tuple(result)


def _match_group(
    entries: tuple[KeyedEntry, ...],
    members: list[int],
    candidates: list[StoredIdentity],
    keys: list[str],
) -> None:
    """Match one base's entries to its stored items; write the chosen keys into ``keys``."""
    free = {row.key: row for row in candidates}
    unmatched = list(members)

    def take(index: int, row: StoredIdentity) -> None:
        keys[index] = row.key
        del free[row.key]
        unmatched.remove(index)

    for index in list(unmatched):  # the same content: the same item, wherever it moved
        keyed = entries[index]
        same = [row for row in free.values() if row.content_hash == keyed.content_hash]
        if same:
            take(index, next((row for row in same if row.key == keyed.key), same[0]))
    links = Counter(entries[index].entry.link for index in members)
    links.update(row.link for row in candidates)
    for index in list(unmatched):  # an edit, known by a link nothing else of the group has
        link = entries[index].entry.link
        if link is None or links[link] != 2:
            continue
        row = next((row for row in free.values() if row.link == link), None)
        if row is not None:
            take(index, row)
    for index in list(unmatched):  # stored under its own key: an entry alone with its base
        row = free.get(entries[index].key)
        if row is not None:
            take(index, row)
