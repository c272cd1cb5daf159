"""Finding the companies and laws a text names.

Rules: names match as whole words ("Meta" is not "metadata"); company names and all-capital
law aliases are case-sensitive, other law aliases are not ("the AI act" is the AI Act); spaces
in an alias also match hyphens ("SB 53" finds "SB-53"); the longest name wins where names
overlap ("EU AI Act" over "AI Act"); an ambiguous name such as "X" counts only when the text
also carries one of its context words ("Musk", "formerly Twitter").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.catalog import Catalog
from bot.domain.model import EntityKind


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a company (directly or through one of its people) or a law."""

    kind: EntityKind
    entity_id: str
    start: int
    end: int
    surface: str
    via_person: str | None = None  # the executive whose name was found, if any


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: EntityKind
    entity_id: str
    regex: re.Pattern[str]
    person: str | None
    context: re.Pattern[str] | None


class MentionFinder:
    """Compiled once per catalog; ``find`` is then a handful of regex scans."""

    def __init__(self, catalog: Catalog) -> None:
        patterns: list[_Pattern] = []
        for company in catalog.companies:
            for name in company.names:
                patterns.append(_company_pattern(company.id, name, None, None))
            for person in company.executives:
                for name in person.names:
                    patterns.append(_company_pattern(company.id, name, person.name, None))
            if company.context_aliases and company.context:
                context = re.compile(
                    "|".join(_literal(word, case_sensitive=True) for word in company.context)
                )
                for name in company.context_aliases:
                    patterns.append(_company_pattern(company.id, name, None, context))
        for law in catalog.laws:
            for alias in (law.name, *law.aliases) if not law.generic else law.aliases:
                case_sensitive = alias.isupper() and " " not in alias
                regex = re.compile(_literal(alias, case_sensitive=case_sensitive))
                patterns.append(_Pattern(EntityKind.LAW, law.id, regex, None, None))
            for pattern in law.patterns:
                regex = re.compile(rf"(?<![\w-])(?i:{pattern})")
                patterns.append(_Pattern(EntityKind.LAW, law.id, regex, None, None))
        self._patterns = tuple(patterns)

    def find(self, text: str) -> tuple[Mention, ...]:
        """All mentions in ``text``, in order, without overlaps (the longest span wins)."""
        found: list[Mention] = []
        for pattern in self._patterns:
            if pattern.context is not None and not pattern.context.search(text):
                continue
            for match in pattern.regex.finditer(text):
                found.append(
                    Mention(
                        pattern.kind,
                        pattern.entity_id,
                        match.start(),
                        match.end(),
                        match.group(),
                        pattern.person,
                    )
                )
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        kept: list[Mention] = []
        for mention in found:
            if kept and mention.start < kept[-1].end:
                continue
            kept.append(mention)
        return tuple(kept)


def _company_pattern(
    company_id: str, name: str, person: str | None, context: re.Pattern[str] | None
) -> _Pattern:
    regex = re.compile(_literal(name, case_sensitive=True))
    return _Pattern(EntityKind.COMPANY, company_id, regex, person, context)


def _literal(name: str, *, case_sensitive: bool) -> str:
    parts = [re.escape(part) for part in re.split(r"[\s-]+", name.strip())]
    body = re.sub("['\u2019]", "['\u2019]", r"[\s#-]*".join(parts))
    after = r"(?![\w-]|\.\w)" if len(name) == 1 else r"(?!\w|\.\w)"
    body = rf"(?<![\w.-]){body}{after}"
    return body if case_sensitive else f"(?i:{body})"
