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
    """Compiled once per catalog: all plain names go into two alternations (case-sensitive and
    not), so ``find`` is a few regex scans whatever the size of the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        exact: dict[str, _Entry] = {}
        folded: dict[str, _Entry] = {}
        exact_names: list[str] = []
        folded_names: list[str] = []
        patterns: list[_Pattern] = []
        for company in catalog.companies:
            for name in company.names:
                exact.setdefault(_key(name), _Entry(EntityKind.COMPANY, company.id, None))
                exact_names.append(name)
            for person in company.executives:
                for name in person.names:
                    entry = _Entry(EntityKind.COMPANY, company.id, person.name)
                    exact.setdefault(_key(name), entry)
                    exact_names.append(name)
            if company.context_aliases and company.context:
                context = re.compile(
                    "|".join(_literal(word, case_sensitive=True) for word in company.context)
                )
                for name in company.context_aliases:
                    regex = re.compile(_literal(name, case_sensitive=True))
                    patterns.append(_Pattern(EntityKind.COMPANY, company.id, regex, None, context))
        for law in catalog.laws:
            for alias in (law.name, *law.aliases) if not law.generic else law.aliases:
                entry = _Entry(EntityKind.LAW, law.id, None)
                if alias.isupper() and " " not in alias:
                    exact.setdefault(_key(alias), entry)
                    exact_names.append(alias)
                else:
                    folded.setdefault(_key(alias).lower(), entry)
                    folded_names.append(alias)
            for pattern in law.patterns:
                regex = re.compile(rf"(?<![\w-])(?i:{pattern})")
                patterns.append(_Pattern(EntityKind.LAW, law.id, regex, None, None))
        self._exact = exact
        self._folded = folded
        self._exact_names = _alternation(exact_names, case_sensitive=True)
        self._folded_names = _alternation(folded_names, case_sensitive=False)
        self._patterns = tuple(patterns)

    def find(self, text: str) -> tuple[Mention, ...]:
        """All mentions in ``text``, in order, without overlaps (the longest span wins)."""
        found: list[Mention] = []
        for names, entries, fold in (
            (self._exact_names, self._exact, False),
            (self._folded_names, self._folded, True),
        ):
            if names is None:
                continue
            for match in names.finditer(text):
                key = _key(match.group())
                entry = entries.get(key.lower() if fold else key)
                if entry is not None:
                    found.append(
                        Mention(
                            entry.kind,
                            entry.entity_id,
                            match.start(),
                            match.end(),
                            match.group(),
                            entry.person,
                        )
                    )
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


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: EntityKind
    entity_id: str
    person: str | None


def _key(surface: str) -> str:
    """How a found name is looked up: separators and apostrophe styles do not matter."""
    return re.sub(r"[\s#-]+", "", surface).replace("\u2019", "'")


def _alternation(names: list[str], *, case_sensitive: bool) -> re.Pattern[str] | None:
    if not names:
        return None
    bodies = sorted({_name_body(name) for name in names}, key=len, reverse=True)
    body = rf"(?<![\w.-])(?:{'|'.join(bodies)})(?!\w|\.\w)"
    return re.compile(body if case_sensitive else f"(?i:{body})")


def _name_body(name: str) -> str:
    """Spaces and hyphens in a name match any separators ("SB 53", "SB-53", "#OpenSource")."""
    parts = [re.escape(part) for part in re.split(r"[\s-]+", name.strip())]
    return re.sub("['\u2019]", "['\u2019]", r"[\s#-]*".join(parts))


def _literal(name: str, *, case_sensitive: bool) -> str:
    after = r"(?![\w-]|\.\w)" if len(name) == 1 else r"(?!\w|\.\w)"
    body = rf"(?<![\w.-]){_name_body(name)}{after}"
    return body if case_sensitive else f"(?i:{body})"
