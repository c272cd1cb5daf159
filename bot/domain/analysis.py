"""The whole reading of one item: relevance, mentions and stance claims.

``Analyser`` compiles the catalog once, at its first use (50-100 ms of regular expressions that
a process which never analyses, such as ``policybot poll --once``, need not pay; for the same
reason ``bot.domain.stance``, whose rules compile when it is imported, is imported by that first
use); ``analyse`` is a pure function of the item's title and text, cheap enough to run on every
new item and on the whole archive after a catalog change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from bot.domain.catalog import Catalog
from bot.domain.mentions import Mention, MentionFinder
from bot.domain.model import EntityKind, StanceLabel
from bot.domain.relevance import Relevance, RelevanceScorer, TextPart
from bot.domain.sentences import Sentence, split_sentences

if TYPE_CHECKING:
    from bot.domain.stance import StanceClaim, StanceExtractor

# Bump when the rules change: at start-up, items analysed by another version are queued again.
ANALYSER_VERSION = "rules-3"


@dataclass(frozen=True, slots=True)
class MentionCount:
    kind: EntityKind
    entity_id: str
    surface: str  # the first way the text named it
    count: int


@dataclass(frozen=True, slots=True)
class ItemAnalysis:
    relevance: Relevance
    mentions: tuple[MentionCount, ...]
    claims: tuple[StanceClaim, ...]  # empty when the item is not relevant

    def positions(self) -> tuple[StanceClaim, ...]:
        """One claim per (company, target): the item's answer, as the evaluation reads it."""
        return positions_of(self.claims)


class Analyser:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @cached_property
    def _mentions(self) -> MentionFinder:
        return MentionFinder(self.catalog)

    @cached_property
    def _relevance(self) -> RelevanceScorer:
        return RelevanceScorer(self.catalog)

    @cached_property
    def _stance(self) -> StanceExtractor:
        from bot.domain.stance import StanceExtractor

        return StanceExtractor(self.catalog)

    def might_be_relevant(self, title: str, text: str) -> bool:
        return self._relevance.might_be_relevant(title, text)

    def analyse(self, title: str, text: str) -> ItemAnalysis:
        if not self.might_be_relevant(title, text):
            return ItemAnalysis(Relevance(0.0, False, ()), (), ())
        title_sentences = split_sentences(title)
        sentences = split_sentences(text)
        title_mentions = self._mentions.find(title)
        mentions = self._mentions.find(text)
        title_companies = {m.entity_id for m in title_mentions if m.kind is EntityKind.COMPANY}
        headline_company = next(iter(title_companies)) if len(title_companies) == 1 else None
        claims = self._stance.extract(
            sentences,
            mentions,
            headline_company=headline_company,
            title=Sentence(-1, 0, len(title), title),
            title_mentions=title_mentions,
            text=text,
        )
        stated = [c for c in claims if c.stance is not StanceLabel.NEUTRAL]
        relevance = self._relevance.score(
            (
                TextPart(title_sentences, title_mentions, is_title=True),
                TextPart(sentences, mentions),
            ),
            stance_reasons=sorted(
                {f"{c.company_id}/{c.target_id}" for c in stated if _specific(c, self.catalog)}
            ),
            general_stance_reasons=sorted(
                {f"{c.company_id}/{c.target_id}" for c in stated if not _specific(c, self.catalog)}
            ),
        )
        if not relevance.is_relevant:
            claims = ()
        return ItemAnalysis(relevance, _count(title_mentions + mentions), claims)


def positions_of(claims: tuple[StanceClaim, ...]) -> tuple[StanceClaim, ...]:
    """Per (company, target): the side with more confidence, neutral only when nothing else
    was said; the evidence is that side's strongest claim."""
    grouped: dict[tuple[str, str], list[StanceClaim]] = {}
    for claim in claims:
        grouped.setdefault((claim.company_id, claim.target_id), []).append(claim)
    chosen = []
    for group in grouped.values():
        weight: dict[StanceLabel, float] = {}
        for claim in group:
            weight[claim.stance] = weight.get(claim.stance, 0.0) + claim.confidence
        stated = [c for c in group if c.stance is not StanceLabel.NEUTRAL] or group
        best = max(stated, key=lambda c: (weight[c.stance], c.confidence, -c.sentence_index))
        chosen.append(best)
    return tuple(sorted(chosen, key=lambda c: c.sentence_index))


def _specific(claim: StanceClaim, catalog: Catalog) -> bool:
    law = catalog.law(claim.target_id)
    return law is not None and law.governs_ai and not law.generic


def _count(mentions: tuple[Mention, ...]) -> tuple[MentionCount, ...]:
    counts: dict[tuple[EntityKind, str], list[Mention]] = {}
    for mention in mentions:
        counts.setdefault((mention.kind, mention.entity_id), []).append(mention)
    return tuple(
        MentionCount(kind, entity_id, found[0].surface, len(found))
        for (kind, entity_id), found in counts.items()
    )


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """What one ``analyse_items`` or ``reanalyse_all`` call did."""

    analysed: int = 0
    relevant: int = 0
    claims: int = 0

    def __add__(self, other: AnalysisRun) -> AnalysisRun:
        return AnalysisRun(
            self.analysed + other.analysed,
            self.relevant + other.relevant,
            self.claims + other.claims,
        )
