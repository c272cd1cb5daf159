"""What policybot knows about the world: companies, the people who speak for them, laws and
the vocabulary of AI regulation.

The catalog is data (``bot/catalog/catalog.yaml`` plus an optional operator file); this module
only holds its shape and the lookups the rest of the pipeline needs. Ids are stable strings
(``meta``, ``eu-ai-act``) because stored claims refer to them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Executive:
    """Someone whose words count for their company (a CEO, a policy chief, a spokesperson)."""

    name: str
    role: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Company:
    """A company whose positions are tracked.

    ``aliases`` are matched case-sensitively (they are proper names: "Meta" is not "metadata").
    ``context_aliases`` are names too ambiguous to trust alone (the letter "X"); they count only
    in a text that also contains one of ``context`` (e.g. "Musk", "formerly Twitter").
    """

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    executives: tuple[Executive, ...] = ()
    context_aliases: tuple[str, ...] = ()
    context: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Law:
    """A law, bill, policy or policy concept a company can take a position on.

    ``generic`` targets (``eu-regulation``, ``ai-regulation``) stand for a body of rules when no
    specific law is named; the stance rules only pick them when nothing more specific is in reach.
    ``opposing_supports`` names a target that opposing this one argues for (opposing "state AI
    laws" is support for federal preemption). ``kind`` says which definite descriptions can refer
    back to it: a ``law`` is "the bill", "the law", "the measure"; a ``code`` (a voluntary code,
    pledge or set of commitments) is "the code", "the pledge", "the commitments"; an ``order``
    is "the order"; a ``concept`` (open-source AI) is never "the ..." anything.
    """

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    jurisdiction: str = ""
    parent: str | None = None
    generic: bool = False
    governs_ai: bool = True
    opposing_supports: str | None = None
    kind: str = (
        "law"  # law, code (voluntary codes, pledges), order, concept: what "the code" can name
    )


LAW_KINDS = ("law", "code", "order", "concept")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Terms that make a text about AI regulation.

    ``ai_terms`` name the technology, including the words bills use instead of "AI"
    (automated decision systems, frontier models, deep synthesis, facial recognition).
    ``governance_terms`` name rule-making and enforcement (regulation, bill, watchdog, ...).
    """

    ai_terms: tuple[str, ...] = ()
    governance_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalog:
    companies: tuple[Company, ...] = ()
    laws: tuple[Law, ...] = ()
    vocabulary: Vocabulary = field(default_factory=Vocabulary)

    def company(self, company_id: str) -> Company | None:
        return next((c for c in self.companies if c.id == company_id), None)

    def law(self, law_id: str) -> Law | None:
        return next((law for law in self.laws if law.id == law_id), None)

    def ancestors(self, law_id: str) -> tuple[str, ...]:
        """The chain of parents, nearest first (``eu-gpai-code-of-practice`` -> AI Act -> EU)."""
        chain: list[str] = []
        law = self.law(law_id)
        while law is not None and law.parent and law.parent not in chain:
            chain.append(law.parent)
            law = self.law(law.parent)
        return tuple(chain)

    def descendants(self, law_id: str) -> tuple[str, ...]:
        """Every law below ``law_id`` in the hierarchy, nearest first (``eu-regulation`` ->
        the AI Act, the GDPR, ... -> the GPAI code): what a query about the law rolls up."""
        found: list[str] = []
        frontier = [law_id]
        while frontier:
            children = [
                law.id
                for law in self.laws
                if law.parent in frontier and law.id not in found and law.id != law_id
            ]
            found.extend(children)
            frontier = children
        return tuple(found)

    def resolve(self, name: str) -> Company | Law | None:
        """Find a company or a law by what people type: its id, name or an alias, one of a
        company's executives ("Zuckerberg"), or words only one entry's names contain
        ("facebook" in "Facebook owner"); case and punctuation are ignored."""
        wanted = _folded(name)
        if not wanted:
            return None
        entries: tuple[Company | Law, ...] = (*self.companies, *self.laws)
        for entry in entries:
            if wanted in {_folded(n) for n in _lookup_names(entry)}:
                return entry
        containing = [
            entry
            for entry in entries
            if any(f" {wanted} " in f" {_folded(n)} " for n in _lookup_names(entry))
        ]
        return containing[0] if len(containing) == 1 else None

    def close_matches(self, name: str, *, limit: int = 5) -> tuple[str, ...]:
        """The companies and laws whose names look like ``name``, for a "did you mean": each
        by its own name, however many of its aliases looked alike."""
        entries: tuple[Company | Law, ...] = (*self.companies, *self.laws)
        owner = {_folded(n): entry.name for entry in entries for n in _lookup_names(entry)}
        hits = difflib.get_close_matches(_folded(name), list(owner), n=limit * 3, cutoff=0.6)
        return tuple(dict.fromkeys(owner[hit] for hit in hits))[:limit]

    def merged_with(self, extension: Catalog) -> Catalog:
        """This catalog with ``extension``'s entries added; an entry with a known id replaces it."""
        companies = {c.id: c for c in self.companies} | {c.id: c for c in extension.companies}
        laws = {law.id: law for law in self.laws} | {law.id: law for law in extension.laws}
        vocabulary = Vocabulary(
            ai_terms=_unique(self.vocabulary.ai_terms + extension.vocabulary.ai_terms),
            governance_terms=_unique(
                self.vocabulary.governance_terms + extension.vocabulary.governance_terms
            ),
        )
        return Catalog(tuple(companies.values()), tuple(laws.values()), vocabulary)


def _lookup_names(entry: Company | Law) -> tuple[str, ...]:
    """What a person may type for ``entry``: its names, and a company's executives too."""
    if isinstance(entry, Company):
        people = tuple(n for e in entry.executives for n in (e.name, *e.aliases))
        return (*_names_of(entry), *people)
    return _names_of(entry)


def _names_of(entry: Company | Law) -> tuple[str, ...]:
    if isinstance(entry, Company):
        return (entry.id, *entry.names, *entry.context_aliases)
    return (entry.id, entry.name, *entry.aliases)


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
