"""What an answer says about one position besides its side: the quote, how sure, the trend.

``/stance`` in Discord and ``policybot stance`` in a terminal both show these three, chosen
here once, so the two answers quote the same evidence with the same confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.catalog import Catalog
from bot.domain.model import StanceLabel
from bot.domain.positions import ClaimRecord, Position, on_side

# A side is held with high (medium) confidence from this many reports at this strength
# (the absolute score, 0 to 1) on.
HIGH_REPORTS, HIGH_STRENGTH = 3, 0.6
MEDIUM_REPORTS, MEDIUM_STRENGTH = 2, 0.3


class Confidence(StrEnum):
    """How sure an answer is of a position; a mixed or neutral one has no level of its own."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    SPLIT = "split"  # mixed: both sides carry real weight
    NO_SIDE = "no side taken"  # neutral: mentioned, never for or against


@dataclass(frozen=True, slots=True)
class PositionSummary:
    """The quote an answer shows for a position, how sure it is, and how it moved."""

    quote: ClaimRecord
    confidence: Confidence
    reports: int
    score: float
    # "changed: support (…) → oppose (…)" (two stories or more on the new side), "conflicting
    # reports: support (…), oppose (…) in one report", "steady since …", "first reported …"
    trend: str

    @classmethod
    def of(cls, position: Position) -> PositionSummary:
        return cls(
            quote=quoted_claim(position.evidence, position.label),
            confidence=confidence_of(position),
            reports=position.reports,
            score=position.score,
            trend=trend_of(position),
        )

    @property
    def how_sure(self) -> str:
        """The confidence with what it rests on: "high · 3 reports · score +0.80"."""
        reports = f"{self.reports} report{'' if self.reports == 1 else 's'}"
        return f"{self.confidence} · {reports} · score {self.score:+.2f}"


def quoted_claim(evidence: Sequence[ClaimRecord], label: StanceLabel) -> ClaimRecord:
    """The newest evidence (``evidence`` is newest first) for the side ``label`` names.

    Any side counts for a mixed position; with no claim on its side, the newest of all.
    """
    for claim in evidence:
        if on_side(claim.stance, label):
            return claim
    return evidence[0]


def confidence_of(position: Position) -> Confidence:
    """High or medium only with enough independent reports and a clear enough score."""
    strength = abs(position.score)
    if position.label is StanceLabel.NEUTRAL:
        return Confidence.NO_SIDE
    if position.label is StanceLabel.MIXED:
        return Confidence.SPLIT
    if position.reports >= HIGH_REPORTS and strength >= HIGH_STRENGTH:
        return Confidence.HIGH
    if position.reports >= MEDIUM_REPORTS and strength >= MEDIUM_STRENGTH:
        return Confidence.MEDIUM
    return Confidence.LOW


def trend_of(position: Position) -> str:
    """From one side to the other (oldest and newest stated) when two stories or more report
    the new side, conflicting when only one does, steady since, or reported once."""
    stated = [c for c in reversed(position.evidence) if c.stance is not StanceLabel.NEUTRAL]
    if position.changed and stated:
        old, new = stated[0], stated[-1]
        return (
            f"changed: {old.stance} ({_day(old.reported_at)}) → "
            f"{new.stance} ({_day(new.reported_at)})"
        )
    if position.conflicting and stated:
        old, new = stated[0], stated[-1]
        return (
            f"conflicting reports: {old.stance} ({_day(old.reported_at)}), "
            f"{new.stance} ({_day(new.reported_at)}) in one report"
        )
    if len(stated) > 1:
        return f"steady since {_day(stated[0].reported_at)}"
    return f"first reported {_day(position.first.reported_at)}"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def law_row_name(position: Position, law_id: str, catalog: Catalog) -> str:
    """A row of a law's answer: the company, and for a position rolled up from a law below
    ``law_id`` that law too ("Meta (AI Act)" in the answer about EU regulation)."""
    company = catalog.company(position.company_id)
    name = company.name if company is not None else position.company_id
    if position.target_id == law_id:
        return name
    law = catalog.law(position.target_id)
    return f"{name} ({law.name if law is not None else position.target_id})"
