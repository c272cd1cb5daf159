"""Suggestions while someone types a company or a law (``/stance`` autocomplete), or a list
of digest topics (``/digest add topics:``).

Every name counts (id, name, aliases), so typing "AI Act" or "Facebook owner" finds the entry;
each entry is suggested once, and the value is always its id, which ``Catalog.resolve`` knows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import zip_longest

from bot.domain.catalog import Catalog, Company, Law
from bot.domain.digest.topics import JURISDICTION_NAMES
from bot.domain.model import EntityKind


@dataclass(frozen=True, slots=True)
class NameChoice:
    """One suggestion: ``label`` is what the picker shows, ``value`` the catalog id."""

    label: str
    value: str
    kind: EntityKind


# How well a typed text matches a name: lower is better.
EXACT, PREFIX, WORD_PREFIX, INSIDE = range(4)


def name_choices(
    catalog: Catalog,
    typed: str,
    *,
    limit: int,
    kinds: frozenset[EntityKind] = frozenset(EntityKind),
) -> tuple[NameChoice, ...]:
    """The best-matching entries, at most ``limit``; typos fall back to close matches."""
    entries: list[Company | Law] = []
    if EntityKind.COMPANY in kinds:
        entries.extend(catalog.companies)
    if EntityKind.LAW in kinds:
        entries.extend(catalog.laws)
    wanted = _key(typed)
    if not wanted:
        return _either_kind(entries, limit)
    ranked: list[tuple[int, str, NameChoice]] = []
    for entry in entries:
        matches = [
            (rank, name)
            for name in _names(entry)
            if (rank := _rank(wanted, _key(name))) is not None
        ]
        if matches:
            rank, name = min(matches, key=lambda match: match[0])
            ranked.append((rank, entry.name.casefold(), _choice(entry, matched=name)))
    if not ranked:
        return _close(catalog, typed, entries, limit)
    ranked.sort(key=lambda found: (found[0], found[1]))
    return tuple(choice for _, _, choice in ranked[:limit])


@dataclass(frozen=True, slots=True)
class TopicChoice:
    """One suggestion for a topics list: the whole list, its last topic completed."""

    label: str
    value: str


_LAST_TOPIC = re.compile(r"^(?P<done>.*[,;])?(?P<last>[^,;]*)$", re.DOTALL)


def topic_choices(
    catalog: Catalog, typed: str, *, jurisdictions: Iterable[str], limit: int
) -> tuple[TopicChoice, ...]:
    """What is typed before the last comma kept, the topic being typed completed with a law,
    a company or a jurisdiction by the name ``parse_topics`` reads back."""
    match = _LAST_TOPIC.match(typed)
    assert match is not None  # the pattern matches any text
    done = [part.strip() for part in re.split(r"[,;]", match["done"] or "") if part.strip()]
    lead = "".join(f"{part}, " for part in done)
    wanted = _key(match["last"])
    places: list[tuple[int, str, str]] = []
    for code in sorted({code.upper() for code in jurisdictions}):
        name = JURISDICTION_NAMES.get(code, code)
        ranks = [
            rank for key in (_key(name), _key(code)) if (rank := _rank(wanted, key)) is not None
        ]
        if ranks or not wanted:
            places.append((min(ranks, default=INSIDE), name, f"{name} (jurisdiction)"))
    places.sort(key=lambda place: (place[0], place[1]))
    entries = [
        (c.label, _entry_name(catalog, c.value))
        for c in name_choices(catalog, match["last"], limit=limit)
    ]
    found = [
        *entries[: limit - min(len(places), limit // 3)],
        *[(label, name) for _, name, label in places],
    ]
    choices: dict[str, TopicChoice] = {}
    for label, name in found:
        value = f"{lead}{name}"
        if name.casefold() not in {part.casefold() for part in done}:
            choices.setdefault(value, TopicChoice(f"{lead}{label}", value))
    return tuple(choices.values())[:limit]


def _entry_name(catalog: Catalog, entry_id: str) -> str:
    entry = catalog.company(entry_id) or catalog.law(entry_id)
    return entry.name if entry is not None else entry_id


def _rank(wanted: str, name: str) -> int | None:
    if name == wanted:
        return EXACT
    if name.startswith(wanted):
        return PREFIX
    if f" {wanted}" in f" {name}":
        return WORD_PREFIX
    if wanted in name:
        return INSIDE
    return None


def _either_kind(entries: list[Company | Law], limit: int) -> tuple[NameChoice, ...]:
    """Nothing typed yet: companies and laws in turn, so both kinds show up."""
    companies = [e for e in entries if isinstance(e, Company)]
    laws = [e for e in entries if isinstance(e, Law)]
    mixed = [e for pair in zip_longest(companies, laws) for e in pair if e is not None]
    return tuple(_choice(entry, matched=entry.name) for entry in mixed[:limit])


def _close(
    catalog: Catalog, typed: str, entries: list[Company | Law], limit: int
) -> tuple[NameChoice, ...]:
    allowed = {id(entry) for entry in entries}
    found: dict[str, NameChoice] = {}
    for name in catalog.close_matches(typed, limit=limit):
        entry = catalog.resolve(name)
        if entry is not None and id(entry) in allowed and entry.id not in found:
            found[entry.id] = _choice(entry, matched=name)
    return tuple(found.values())


def _choice(entry: Company | Law, *, matched: str) -> NameChoice:
    kind = EntityKind.COMPANY if isinstance(entry, Company) else EntityKind.LAW
    same = _key(matched) in {_key(entry.name), _key(entry.id)}
    label = f"{entry.name} ({kind})" if same else f"{matched} → {entry.name} ({kind})"
    return NameChoice(label, entry.id, kind)


def _names(entry: Company | Law) -> tuple[str, ...]:
    return (entry.name, entry.id, *entry.aliases)


def _key(text: str) -> str:
    """Case, accents and punctuation ignored, as ``Catalog.resolve`` does."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
