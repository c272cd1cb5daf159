"""What people type into a search, as one parsed query for every database.

The syntax (``SEARCH_SYNTAX`` is the one line ``/help`` and ``--help`` show): words must all
appear; ``"AI Act"`` is a phrase; ``OR`` between two terms accepts either; ``NOT word`` or
``-word`` excludes; ``regul*`` is a prefix. Anything else is punctuation. SQLite FTS5 and
PostgreSQL tsquery are rendered from the same ``SearchQuery`` (``bot.storage.search``), so the
two back ends can never read a query differently, and user input never reaches either
database's own syntax: only ``\\w`` words come out of the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEARCH_SYNTAX = (
    'all words must appear; "exact phrase", either OR other, NOT word or -word to exclude, '
    "regul* for a prefix"
)
NO_SEARCH_WORDS = 'A search needs at least one word to look for (e.g. AI Act, or "AI Act" -UK).'

_WORD = re.compile(r"\w+")
# A quoted phrase (closed or not), or a run of anything else up to a space or a quote.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+?)(?=\s|"|$)')


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One word or phrase; ``prefix`` makes its last word match any word it starts."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Every group must match (AND); a group matches when any of its terms does (OR);
    no ``excluded`` term may match. There is always at least one group."""

    groups: tuple[tuple[SearchTerm, ...], ...]
    excluded: tuple[SearchTerm, ...] = ()


def parse_search(text: str) -> SearchQuery | None:
    """The query in ``text``, or None when it has no word to look for.

    Lenient: an unclosed quote ends at the end, a dangling ``OR`` or ``NOT`` is ignored, and
    a query of exclusions alone is None (neither database can list "everything but").
    """
    groups: list[list[SearchTerm]] = []
    excluded: list[SearchTerm] = []
    pending_or = False
    negate_next = False
    for match in _TOKEN.finditer(text):
        dash, phrase, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                pending_or = bool(groups)
                continue
            if bare == "NOT":
                negate_next = True
                continue
            negate = negate_next or bare.startswith("-")
            term = _term(bare.lstrip("-"), prefix=bare.rstrip().endswith("*"))
        else:
            negate = negate_next or bool(dash)
            term = _term(phrase, prefix=False)
        negate_next = False
        if term is None:
            continue
        if negate:
            excluded.append(term)
            pending_or = False
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    if not groups:
        return None
    return SearchQuery(tuple(tuple(group) for group in groups), tuple(excluded))


def _term(text: str, *, prefix: bool) -> SearchTerm | None:
    words = tuple(_WORD.findall(text))
    return SearchTerm(words, prefix=prefix) if words else None
