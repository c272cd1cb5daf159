"""Aggregation: recency, attribution, one count per story, mixed when both sides weigh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.model import Attribution, StanceLabel
from bot.domain.positions import ClaimRecord, law_positions, positions, weight

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def claim(
    stance: StanceLabel,
    *,
    days_ago: int = 10,
    story: str = "s1",
    item: int = 1,
    company: str = "meta",
    target: str = "eu-ai-act",
    attribution: Attribution = Attribution.STATED,
) -> ClaimRecord:
    return ClaimRecord(
        company_id=company,
        target_id=target,
        stance=stance,
        evidence=f"{company} {stance} {target}",
        confidence=0.8,
        attribution=attribution,
        item_id=item,
        story_key=story,
        reported_at=NOW - timedelta(days=days_ago),
        url=f"https://example.org/{item}",
    )


def test_recency_fades_from_two_to_five_years() -> None:
    assert weight(claim(StanceLabel.OPPOSE, days_ago=100), now=NOW) == 0.8
    middle = weight(claim(StanceLabel.OPPOSE, days_ago=int(3.5 * 365)), now=NOW)
    assert 0.35 < middle < 0.45
    assert weight(claim(StanceLabel.OPPOSE, days_ago=6 * 365), now=NOW) == 0.0


def test_allegations_weigh_less_than_statements() -> None:
    stated = weight(claim(StanceLabel.OPPOSE), now=NOW)
    alleged = weight(claim(StanceLabel.OPPOSE, attribution=Attribution.ALLEGED), now=NOW)
    assert alleged < stated / 2


def test_same_story_from_several_outlets_counts_once() -> None:
    (position,) = positions(
        [claim(StanceLabel.OPPOSE, item=n, story="letter") for n in range(1, 6)], now=NOW
    )
    assert position.reports == 1
    assert position.label is StanceLabel.OPPOSE


def test_change_over_time_and_newest_evidence_first() -> None:
    old = claim(StanceLabel.OPPOSE, days_ago=4 * 365, story="a", item=1)  # faded
    new = claim(StanceLabel.SUPPORT, days_ago=5, story="b", item=2)
    newer = claim(StanceLabel.SUPPORT, days_ago=1, story="c", item=3)
    (position,) = positions([new, old, newer], now=NOW)
    assert position.changed
    assert position.first == old
    assert position.latest == newer
    assert [c.item_id for c in position.evidence] == [3, 2, 1]
    assert position.label is StanceLabel.SUPPORT


def test_both_sides_with_weight_is_mixed() -> None:
    (position,) = positions(
        [claim(StanceLabel.OPPOSE, story="a"), claim(StanceLabel.SUPPORT, story="b")], now=NOW
    )
    assert position.label is StanceLabel.MIXED
    assert not position.changed or position.reports == 2


def test_law_positions_group_companies() -> None:
    claims = [
        claim(StanceLabel.SUPPORT, company="anthropic", story="a"),
        claim(StanceLabel.OPPOSE, company="meta", story="b"),
        claim(StanceLabel.NEUTRAL, company="xai", story="c"),
        claim(StanceLabel.OPPOSE, company="meta", target="gdpr", story="d"),
    ]
    answer = law_positions("eu-ai-act", claims, now=NOW)
    assert [p.company_id for p in answer.supporters] == ["anthropic"]
    assert [p.company_id for p in answer.opponents] == ["meta"]
    assert [p.company_id for p in answer.neutral] == ["xai"]
    assert answer.mixed == ()


def test_a_law_query_rolls_up_its_child_laws_each_labelled() -> None:
    claims = [
        claim(StanceLabel.OPPOSE, company="meta", target="eu-regulation", story="a"),
        claim(StanceLabel.OPPOSE, company="meta", target="eu-ai-act", story="b"),
        claim(StanceLabel.SUPPORT, company="openai", target="eu-gpai-code-of-practice", story="c"),
        claim(StanceLabel.SUPPORT, company="google", target="california-sb-53", story="d"),
    ]
    children = ("eu-ai-act", "gdpr", "eu-gpai-code-of-practice")
    answer = law_positions("eu-regulation", claims, now=NOW, children=children)
    assert sorted((p.company_id, p.target_id) for p in answer.opponents) == [
        ("meta", "eu-ai-act"),
        ("meta", "eu-regulation"),
    ]
    assert [(p.company_id, p.target_id) for p in answer.supporters] == [
        ("openai", "eu-gpai-code-of-practice")
    ]
    alone = law_positions("eu-regulation", claims, now=NOW)
    assert [p.target_id for p in alone.opponents] == ["eu-regulation"]
    assert alone.supporters == ()
