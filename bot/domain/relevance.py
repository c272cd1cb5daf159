"""Is an item about AI regulation? A score in [0, 1] with the reasons that produced it.

Mentioning "AI" and "regulator" is not enough (banks supervising with AI, an AI start-up in a
labour-law suit). What counts is governance *of* the technology:

- a law that governs AI is named (the AI Act, SB 53, the RAISE Act...): strong;
- a phrase that puts rules on the technology ("regulation of AI", "AI rules", "law regulating
  deepfakes"): strong;
- a governance word within a few words of a technology word in one sentence: weak;
- a general law (GDPR, DMA) named in a sentence about the technology: weak;
- a stance a company takes on any of the above: strong.

Title features count double: a headline states what the item is about.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.catalog import Catalog
from bot.domain.mentions import Mention
from bot.domain.model import EntityKind
from bot.domain.sentences import Sentence

RELEVANCE_THRESHOLD = 0.5
NEAR_WORDS = 3
OBJECT_WORDS = 5  # a governance word before the technology it governs
_WORD = re.compile(r"\w+")
_THE_TECHNOLOGY = re.compile(r"(?i)\bthe (?:new |emerging |underlying )?(?:technology|tech)\b")
LEAD = 2  # sentences of the body that, with the title, say what an item is about


@dataclass(frozen=True, slots=True)
class Relevance:
    score: float
    is_relevant: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TextPart:
    """The title or the body of an item, already split and searched."""

    sentences: tuple[Sentence, ...]
    mentions: tuple[Mention, ...]
    is_title: bool = False


class RelevanceScorer:
    def __init__(self, catalog: Catalog) -> None:
        self._ai = _terms(catalog.vocabulary.ai_terms)
        self._governance = _terms(catalog.vocabulary.governance_terms)
        self._laws = {law.id: law for law in catalog.laws}
        # Names of laws that govern AI also open the gate ("the GPAI code", "SB 53").
        self._law_names = _terms(
            alias
            for law in catalog.laws
            if law.governs_ai and not law.generic
            for alias in (law.name, *law.aliases)
        )

    def might_be_relevant(self, title: str, text: str) -> bool:
        """The pre-filter: no technology word at all means no AI-regulation story."""
        gates = (self._ai, self._law_names)
        return any(gate.search(part) for gate in gates for part in (title, text))

    def score(
        self,
        parts: Iterable[TextPart],
        *,
        stance_reasons: Iterable[str] = (),
        general_stance_reasons: Iterable[str] = (),
    ) -> Relevance:
        features: dict[str, float] = {}

        def add(reason: str, weight: float, in_title: bool) -> None:
            weight *= 2.0 if in_title else 1.0
            features[reason] = max(features.get(reason, 0.0), weight)

        parts = tuple(parts)
        # "the technology" is the AI the title or the first paragraph named
        about_ai = any(
            self._ai.search(sentence.text)
            for part in parts
            for sentence in (part.sentences if part.is_title else part.sentences[:LEAD])
        )
        for part in parts:
            ai_spans: list[tuple[int, int]] = []
            for sentence in part.sentences:
                ai_hits = list(self._ai.finditer(sentence.text))
                if about_ai:
                    ai_hits += list(_THE_TECHNOLOGY.finditer(sentence.text))
                if not ai_hits:
                    continue
                ai_spans.append((sentence.start, sentence.end))
                for gov in self._governance.finditer(sentence.text):
                    for ai in ai_hits:
                        lo, hi = sorted((ai.span(), gov.span()))
                        gap = sentence.text[lo[1] : hi[0]]
                        # "AI rules" or "rules on AI"; a rule-maker's words reach further
                        # towards their object: "a law that compels platforms to mark AI content"
                        reach = NEAR_WORDS if lo == ai.span() else OBJECT_WORDS
                        if len(_WORD.findall(gap)) <= reach and "," not in gap:
                            pair = f"near:{ai.group().lower()}~{gov.group().lower()}"
                            add(pair, 0.6, part.is_title)
            for mention in part.mentions:
                law = self._laws.get(mention.entity_id)
                if mention.kind is not EntityKind.LAW or law is None:
                    continue
                if law.governs_ai:
                    add(f"law:{law.id}", 1.5 if law.generic else 2.0, part.is_title)
                elif not law.generic and any(s <= mention.start < e for s, e in ai_spans):
                    add(f"law-near-ai:{law.id}", 1.25, part.is_title)
        for reason in stance_reasons:
            add(f"stance:{reason}", 1.5, False)
        for reason in general_stance_reasons:
            add(f"stance:{reason}", 1.5, False)
        near = sorted((w for r, w in features.items() if r.startswith("near:")), reverse=True)
        total = sum(w for r, w in features.items() if not r.startswith("near:")) + sum(near[:3])
        score = round(1.0 - math.exp(-total / 1.5), 3)
        reasons = tuple(sorted(features, key=lambda r: -features[r]))
        return Relevance(score, score >= RELEVANCE_THRESHOLD, reasons)


def _terms(terms: Iterable[str]) -> re.Pattern[str]:
    """One regex for a word list; all-capital terms ("AI") are case-sensitive."""
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        body = r"[\s-]+".join(re.escape(p) for p in term.split())
        body = body if term.isupper() or "." in term else f"(?i:{body})"
        parts.append(body)
    return re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)")
