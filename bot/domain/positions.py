"""Positions over time: what the stored claims add up to, for a company or for a law.

InfluenceMap-style and explainable: every claim is weighted by recency (full weight for two
years, fading to nothing at five), by who said it (the company itself > a report > an
allegation) and by extraction confidence. Reports of the same story from several outlets are
one event. A position is mixed when both sides carry real weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.model import Attribution, StanceLabel

FULL_WEIGHT_FOR = timedelta(days=2 * 365)
NO_WEIGHT_AFTER = timedelta(days=5 * 365)
MIXED_SHARE = 0.3  # each side needs this share of the weight for "mixed"
ATTRIBUTION_WEIGHT = {
    Attribution.STATED: 1.0,
    Attribution.REPORTED: 0.8,
    Attribution.ALLEGED: 0.4,
}


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A stored claim with where and when it was reported."""

    company_id: str
    target_id: str
    stance: StanceLabel
    evidence: str
    confidence: float
    attribution: Attribution
    item_id: int
    story_key: str  # the same story from several outlets shares this
    reported_at: datetime
    url: str | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class Position:
    """One company on one target."""

    company_id: str
    target_id: str
    label: StanceLabel
    score: float  # -1 (oppose) .. +1 (support), weighted
    reports: int  # independent events (stories), not articles
    first: ClaimRecord
    latest: ClaimRecord
    changed: bool  # the newest event's label differs from the oldest one's
    evidence: tuple[ClaimRecord, ...]  # one per event, newest first


@dataclass(frozen=True, slots=True)
class LawPositions:
    target_id: str
    supporters: tuple[Position, ...]
    opponents: tuple[Position, ...]
    mixed: tuple[Position, ...]
    neutral: tuple[Position, ...]


def weight(claim: ClaimRecord, *, now: datetime) -> float:
    age = now - claim.reported_at
    if age <= FULL_WEIGHT_FOR:
        recency = 1.0
    elif age >= NO_WEIGHT_AFTER:
        recency = 0.0
    else:
        recency = (NO_WEIGHT_AFTER - age) / (NO_WEIGHT_AFTER - FULL_WEIGHT_FOR)
    return recency * ATTRIBUTION_WEIGHT[claim.attribution] * claim.confidence


def positions(claims: Iterable[ClaimRecord], *, now: datetime) -> tuple[Position, ...]:
    """One position per (company, target), strongest first."""
    grouped: dict[tuple[str, str], list[ClaimRecord]] = {}
    for claim in claims:
        grouped.setdefault((claim.company_id, claim.target_id), []).append(claim)
    found = [_position(group, now=now) for group in grouped.values()]
    return tuple(sorted(found, key=lambda p: (-p.reports, -abs(p.score), p.target_id)))


def law_positions(target_id: str, claims: Iterable[ClaimRecord], *, now: datetime) -> LawPositions:
    """Who supports, opposes or is mixed on one target."""
    found = positions((c for c in claims if c.target_id == target_id), now=now)

    def having(label: StanceLabel) -> tuple[Position, ...]:
        return tuple(p for p in found if p.label is label)

    return LawPositions(
        target_id,
        supporters=having(StanceLabel.SUPPORT),
        opponents=having(StanceLabel.OPPOSE),
        mixed=having(StanceLabel.MIXED),
        neutral=having(StanceLabel.NEUTRAL),
    )


def _position(claims: Sequence[ClaimRecord], *, now: datetime) -> Position:
    events = _events(claims, now=now)  # oldest first
    support = oppose = total = 0.0
    for claim in events:
        if claim.stance is StanceLabel.NEUTRAL:
            continue
        w = weight(claim, now=now)
        total += w
        if claim.stance is StanceLabel.SUPPORT:
            support += w
        elif claim.stance is StanceLabel.OPPOSE:
            oppose += w
        else:
            support += w / 2
            oppose += w / 2
    score = (support - oppose) / total if total else 0.0
    label = _label(support, oppose, total, stances={c.stance for c in events})
    stated = [c for c in events if c.stance is not StanceLabel.NEUTRAL]
    changed = len(stated) > 1 and stated[0].stance is not stated[-1].stance
    first, latest = events[0], events[-1]
    return Position(
        company_id=first.company_id,
        target_id=first.target_id,
        label=label,
        score=round(score, 3),
        reports=len(events),
        first=first,
        latest=latest,
        changed=changed,
        evidence=tuple(reversed(events)),
    )


def _events(claims: Sequence[ClaimRecord], *, now: datetime) -> list[ClaimRecord]:
    """One claim per story: the strongest, dated by the story's first report."""
    stories: dict[str, list[ClaimRecord]] = {}
    for claim in claims:
        stories.setdefault(claim.story_key, []).append(claim)
    events = []
    for story in stories.values():
        best = max(story, key=lambda c: (weight(c, now=now), c.stance is not StanceLabel.NEUTRAL))
        events.append(best)
    return sorted(events, key=lambda c: (c.reported_at, c.item_id))


def _label(
    support: float, oppose: float, total: float, *, stances: set[StanceLabel]
) -> StanceLabel:
    if total <= 0:
        if stances - {StanceLabel.NEUTRAL}:
            return StanceLabel.MIXED if StanceLabel.MIXED in stances else _only(stances)
        return StanceLabel.NEUTRAL
    if support / total >= MIXED_SHARE and oppose / total >= MIXED_SHARE:
        return StanceLabel.MIXED
    return StanceLabel.SUPPORT if support > oppose else StanceLabel.OPPOSE


def _only(stances: set[StanceLabel]) -> StanceLabel:
    """All evidence too old to weigh: still say what it was."""
    for label in (StanceLabel.SUPPORT, StanceLabel.OPPOSE):
        if stances - {StanceLabel.NEUTRAL} == {label}:
            return label
    return StanceLabel.MIXED


@dataclass(frozen=True, slots=True)
class CompanyStance:
    """The answer to "/stance meta": the company's position law by law."""

    company_id: str
    name: str
    positions: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class LawStance:
    """The answer to "/stance ai-act": who supports, opposes or is mixed."""

    law_id: str
    name: str
    positions: LawPositions


@dataclass(frozen=True, slots=True)
class UnknownName:
    """Neither a company nor a law the catalog knows; ``suggestions`` look like it."""

    name: str
    suggestions: tuple[str, ...]


StanceAnswer = CompanyStance | LawStance | UnknownName
