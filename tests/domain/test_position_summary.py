"""What an answer shows of a position: the quote for its side, how sure, and the trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.model import Attribution, StanceLabel
from bot.domain.position_summary import (
    Confidence,
    PositionSummary,
    confidence_of,
    quoted_claim,
    trend_of,
)
from bot.domain.positions import ClaimRecord, Position, positions

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SUPPORT, OPPOSE, MIXED, NEUTRAL = (
    StanceLabel.SUPPORT,
    StanceLabel.OPPOSE,
    StanceLabel.MIXED,
    StanceLabel.NEUTRAL,
)


def claim(stance: StanceLabel, days_ago: int, *, confidence: float = 0.9) -> ClaimRecord:
    """One report of its own story (``days_ago`` tells them apart), by the company itself."""
    return ClaimRecord(
        company_id="meta",
        target_id="eu-ai-act",
        stance=stance,
        evidence=f"{stance} {days_ago} days ago",
        confidence=confidence,
        attribution=Attribution.STATED,
        item_id=1000 - days_ago,
        story_key=f"s{days_ago}",
        reported_at=NOW - timedelta(days=days_ago),
        url=f"https://news.example/{days_ago}",
    )


def position_of(*claims: ClaimRecord) -> Position:
    ordered = sorted(claims, key=lambda c: (c.reported_at, c.item_id))
    (found,) = positions(ordered, now=NOW)
    return found


def test_the_quote_is_the_newest_claim_on_the_positions_own_side() -> None:
    on_side = claim(OPPOSE, 20)
    found = position_of(
        claim(OPPOSE, 40), claim(OPPOSE, 30), on_side, claim(SUPPORT, 10), claim(NEUTRAL, 1)
    )

    assert found.label is OPPOSE
    assert quoted_claim(found.evidence, found.label) == on_side


def test_a_mixed_position_quotes_its_newest_claim_that_takes_any_side() -> None:
    newest_stated = claim(SUPPORT, 5)
    found = position_of(claim(OPPOSE, 30), newest_stated, claim(NEUTRAL, 1))

    assert found.label is MIXED
    assert quoted_claim(found.evidence, found.label) == newest_stated


def test_with_nothing_on_its_side_the_newest_claim_is_quoted() -> None:
    newest = claim(NEUTRAL, 1)
    evidence = (newest, claim(NEUTRAL, 2))

    assert quoted_claim(evidence, SUPPORT) == newest


@pytest.mark.parametrize(
    ("stances", "confidence", "expected"),
    [
        ((SUPPORT, SUPPORT, SUPPORT), 0.9, Confidence.HIGH),
        ((SUPPORT, SUPPORT), 0.9, Confidence.MEDIUM),  # clear, but only two reports
        ((SUPPORT, SUPPORT, SUPPORT, OPPOSE), 0.9, Confidence.MEDIUM),  # three to one: +0.5
        ((SUPPORT,), 0.9, Confidence.LOW),  # one report is never more than low
        ((SUPPORT, OPPOSE), 0.9, Confidence.SPLIT),
        ((NEUTRAL, NEUTRAL, NEUTRAL), 0.9, Confidence.NO_SIDE),
    ],
)
def test_how_sure_needs_several_reports_and_a_clear_score(
    stances: tuple[StanceLabel, ...], confidence: float, expected: Confidence
) -> None:
    found = position_of(
        *(claim(stance, days, confidence=confidence) for days, stance in enumerate(stances, 1))
    )

    assert confidence_of(found) is expected


def test_how_sure_reads_as_level_reports_and_score() -> None:
    found = position_of(claim(OPPOSE, 3), claim(OPPOSE, 2), claim(OPPOSE, 1))

    assert PositionSummary.of(found).how_sure == "high · 3 reports · score -1.00"
    assert PositionSummary.of(position_of(claim(SUPPORT, 1))).how_sure == (
        "low · 1 report · score +1.00"
    )


def test_a_changed_position_names_both_sides_with_their_dates() -> None:
    found = position_of(claim(SUPPORT, 40), claim(NEUTRAL, 20), claim(OPPOSE, 5), claim(OPPOSE, 1))

    assert found.changed
    assert trend_of(found) == "changed: support (2026-04-22) → oppose (2026-05-31)"


def test_a_single_contrary_report_conflicts_and_is_no_change() -> None:
    found = position_of(claim(SUPPORT, 40), claim(SUPPORT, 20), claim(OPPOSE, 1))

    assert not found.changed
    assert found.conflicting
    assert trend_of(found) == (
        "conflicting reports: support (2026-04-22), oppose (2026-05-31) in one report"
    )


def test_the_new_side_counts_only_since_the_old_side_was_last_reported() -> None:
    found = position_of(claim(SUPPORT, 40), claim(OPPOSE, 30), claim(SUPPORT, 20), claim(OPPOSE, 1))

    assert not found.changed
    assert found.conflicting


def test_a_steady_position_says_since_when_and_a_single_report_when_first() -> None:
    steady = position_of(claim(OPPOSE, 40), claim(NEUTRAL, 20), claim(OPPOSE, 1))
    once = position_of(claim(NEUTRAL, 30), claim(SUPPORT, 3))

    assert trend_of(steady) == "steady since 2026-04-22"
    assert trend_of(once) == "first reported 2026-05-02"


def test_the_summary_gathers_the_three_choices() -> None:
    found = position_of(claim(SUPPORT, 2), claim(SUPPORT, 1))

    summary = PositionSummary.of(found)

    assert summary == PositionSummary(
        quote=quoted_claim(found.evidence, found.label),
        confidence=Confidence.MEDIUM,
        reports=2,
        score=1.0,
        trend="steady since 2026-05-30",
    )
