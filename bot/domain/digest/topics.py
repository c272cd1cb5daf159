"""What a digest is about: laws, companies or jurisdictions, as admins type them.

``/digest add topics:AI Act, Meta, California`` resolves each comma-separated name against the
catalog (ids, names, aliases) and the known jurisdictions; each becomes a stored token
(``law:eu-ai-act``, ``company:meta``, ``jurisdiction:US-CA``). A story matches when one of its
items names a topic law (or a law under it, such as the AI Act's code of practice), a topic
company, or belongs to a topic jurisdiction (``US`` takes in ``US-CA``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.catalog import Catalog, Company

# Display names of the jurisdiction codes the catalog and feeds.yaml use; others show as codes.
JURISDICTION_NAMES = {
    "EU": "European Union",
    "US": "United States",
    "UK": "United Kingdom",
    "CN": "China",
    "KR": "South Korea",
    "JP": "Japan",
    "CA": "Canada",
    "IN": "India",
    "BR": "Brazil",
    "AU": "Australia",
    "INTL": "International",
    "US-CA": "California",
    "US-CO": "Colorado",
    "US-NY": "New York",
    "US-MN": "Minnesota",
    "US-TX": "Texas",
    "US-IL": "Illinois",
}
_SPLIT = re.compile(r"\s*[,;]\s*")


@dataclass(frozen=True, slots=True)
class Topics:
    """A subscription's resolved topics; empty means everything relevant."""

    law_ids: frozenset[str] = frozenset()
    company_ids: frozenset[str] = frozenset()
    jurisdictions: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.law_ids or self.company_ids or self.jurisdictions)

    def tokens(self) -> tuple[str, ...]:
        """The stored form, sorted: ``law:eu-ai-act``, ``company:meta``, ``jurisdiction:EU``."""
        return tuple(
            sorted(
                [f"law:{law}" for law in self.law_ids]
                + [f"company:{company}" for company in self.company_ids]
                + [f"jurisdiction:{code}" for code in self.jurisdictions]
            )
        )

    @classmethod
    def from_tokens(cls, tokens: Iterable[str]) -> Topics:
        """Stored tokens back; an unknown kind (written by a later version) is skipped."""
        found: dict[str, set[str]] = {"law": set(), "company": set(), "jurisdiction": set()}
        for token in tokens:
            kind, _, value = token.partition(":")
            if kind in found and value:
                found[kind].add(value)
        return cls(
            frozenset(found["law"]), frozenset(found["company"]), frozenset(found["jurisdiction"])
        )


@dataclass(frozen=True, slots=True)
class UnknownTopic:
    """A topic that is neither in the catalog nor a known jurisdiction."""

    name: str
    suggestions: tuple[str, ...]


def known_jurisdictions(catalog: Catalog, feed_labels: Iterable[str] = ()) -> frozenset[str]:
    """Every code a story can carry: the catalog's laws' and the feeds' jurisdictions."""
    codes = {law.jurisdiction.upper() for law in catalog.laws if law.jurisdiction}
    codes |= {label.upper() for label in feed_labels if label}
    return frozenset(codes | set(JURISDICTION_NAMES))


def parse_topics(
    text: str, catalog: Catalog, jurisdictions: Iterable[str]
) -> Topics | UnknownTopic:
    """``"AI Act, Meta, EU"`` resolved; the first name that resolves to nothing is refused with
    close matches (catalog names and jurisdiction names)."""
    codes = {code.upper() for code in jurisdictions}
    names = {name.casefold(): code for code, name in JURISDICTION_NAMES.items() if code in codes}
    laws: set[str] = set()
    companies: set[str] = set()
    places: set[str] = set()
    for name in (part for part in _SPLIT.split(text.strip()) if part):
        entry = catalog.resolve(name)
        if entry is not None:
            (companies if isinstance(entry, Company) else laws).add(entry.id)
        elif name.upper() in codes:
            places.add(name.upper())
        elif name.casefold() in names:
            places.add(names[name.casefold()])
        else:
            return UnknownTopic(name, _suggestions(name, catalog, codes))
    return Topics(frozenset(laws), frozenset(companies), frozenset(places))


def describe_topics(topics: Topics, catalog: Catalog) -> tuple[str, ...]:
    """Topics as people read them: "EU AI Act", "Meta", "California"."""
    names = [_law_name(law, catalog) for law in sorted(topics.law_ids)]
    names += [_company_name(company, catalog) for company in sorted(topics.company_ids)]
    names += [jurisdiction_name(code) for code in sorted(topics.jurisdictions)]
    return tuple(names)


def jurisdiction_name(code: str) -> str:
    return JURISDICTION_NAMES.get(code.upper(), code.upper())


def in_jurisdictions(codes: Iterable[str], wanted: frozenset[str]) -> bool:
    """Whether any of ``codes`` is one of ``wanted`` or inside one (``US-CA`` is in ``US``)."""
    return any(
        code in wanted or code.split("-", 1)[0] in wanted for code in (c.upper() for c in codes)
    )


def matches(
    topics: Topics,
    catalog: Catalog,
    *,
    law_ids: Sequence[str],
    company_ids: Sequence[str],
    jurisdictions: Sequence[str],
) -> bool:
    """Whether an item with these laws, companies and jurisdictions is about ``topics``."""
    if not topics:
        return True
    if topics.company_ids.intersection(company_ids):
        return True
    if topics.law_ids and any(
        law in topics.law_ids or topics.law_ids.intersection(catalog.ancestors(law))
        for law in law_ids
    ):
        return True
    return bool(topics.jurisdictions) and in_jurisdictions(jurisdictions, topics.jurisdictions)


def _suggestions(name: str, catalog: Catalog, codes: set[str]) -> tuple[str, ...]:
    places = [JURISDICTION_NAMES.get(code, code) for code in sorted(codes)]
    close = difflib.get_close_matches(name.casefold(), [p.casefold() for p in places], n=2)
    by_folded = {place.casefold(): place for place in places}
    near_places = [by_folded[folded] for folded in close]
    return tuple(dict.fromkeys([*catalog.close_matches(name, limit=3), *near_places]))


def _law_name(law_id: str, catalog: Catalog) -> str:
    law = catalog.law(law_id)
    return law.name if law is not None else law_id


def _company_name(company_id: str, catalog: Catalog) -> str:
    company = catalog.company(company_id)
    return company.name if company is not None else company_id
