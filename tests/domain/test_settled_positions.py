"""A stored (settled) position is what weighing its pair again gives, while it holds."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bot.domain.model import Attribution, StanceLabel
from bot.domain.positions import (
    FULL_WEIGHT_FOR,
    ClaimFact,
    ClaimRecord,
    ranked,
    settle,
    weigh,
    weigh_pairs,
    weighing_day,
)
from tests.domain.test_positions_from_facts import NOW, archive, fact


def fresh_facts(seed: int, count: int) -> list[ClaimFact]:
    """Facts in store order, none older than ``FULL_WEIGHT_FOR`` on ``NOW``'s day."""
    facts = [fact(claim_id, record) for claim_id, record in archive(seed, count)]
    return [f for f in facts if f.reported_at >= weighing_day(NOW) - FULL_WEIGHT_FOR]


@pytest.mark.parametrize("seed", range(8))
def test_settled_positions_weigh_as_afresh_at_any_now_they_hold_for(seed: int) -> None:
    facts = fresh_facts(seed, 300)
    by_id = {f.claim_id: f for f in facts}
    settled = settle(facts, now=NOW)
    oldest = min(f.reported_at for f in facts)
    # The last moment of the last day on which every claim still weighs in full.
    later = weighing_day(oldest + FULL_WEIGHT_FOR) + timedelta(days=1, microseconds=-1)
    for now in (NOW, later):
        assert all(position.holds_at(now) for position in settled)
        again = weigh(facts, now=now)
        restored = [position.weighed(by_id) for position in settled]
        assert restored == list(again)
    assert not all(p.holds_at(later + timedelta(microseconds=1)) for p in settled)


def test_a_fading_position_holds_all_day_it_was_weighed_and_not_the_next() -> None:
    """Recency counts whole days: weights with fading claims move at midnight, not before."""
    facts = [fact(claim_id, record) for claim_id, record in archive(3, 200)]
    by_id = {f.claim_id: f for f in facts}
    settled = settle(facts, now=NOW)
    day = weighing_day(NOW)
    fading = [p for p in settled if p.oldest_reported_at < day - FULL_WEIGHT_FOR]
    assert fading
    for now in (day, NOW, day + timedelta(days=1, microseconds=-1)):
        assert all(position.holds_at(now) for position in settled)
        assert [position.weighed(by_id) for position in settled] == list(weigh(facts, now=now))
    assert not any(p.holds_at(day + timedelta(days=1)) for p in fading)
    assert weigh(facts, now=day + timedelta(days=400)) != weigh(facts, now=NOW)


def test_a_position_weighed_after_its_claims_began_to_fade_never_holds() -> None:
    facts = [fact(claim_id, record) for claim_id, record in archive(3, 200)]
    weighed_late = settle(facts, now=NOW)
    oldest_fading = [p for p in weighed_late if p.oldest_reported_at < NOW - FULL_WEIGHT_FOR]
    assert oldest_fading
    early = NOW - timedelta(days=4000)  # every claim in the future then: full weight
    assert not any(p.holds_at(early) for p in oldest_fading)


@pytest.mark.parametrize("seed", range(8))
def test_stored_and_live_positions_rank_as_weighing_them_all_together(seed: int) -> None:
    rng = random.Random(seed)
    facts = fresh_facts(seed, 400)
    by_id = {f.claim_id: f for f in facts}
    stored = {p.pair: p for p in settle(facts, now=NOW)}
    live_pairs = {pair for pair in stored if rng.random() < 0.5}
    live = weigh_pairs([f for f in facts if (f.company_id, f.target_id) in live_pairs], now=NOW)
    found = [(w, (first.reported_at, first.claim_id)) for w, first in live]
    for pair, position in stored.items():
        if pair not in live_pairs:
            restored = position.weighed(by_id)
            assert restored is not None
            found.append((restored, position.first_claim))
    rng.shuffle(found)
    assert ranked(found) == weigh(facts, now=NOW)


def test_equally_strong_positions_keep_the_order_their_pairs_first_appear_in() -> None:
    def one(claim_id: int, company: str, days: int) -> ClaimFact:
        record = ClaimRecord(
            company_id=company,
            target_id="eu-ai-act",
            stance=StanceLabel.SUPPORT,
            evidence="",
            confidence=0.8,
            attribution=Attribution.STATED,
            item_id=claim_id,
            story_key=f"s:{claim_id}",
            reported_at=NOW - timedelta(days=days),
        )
        return fact(claim_id, record)

    # Store order: by report date, then claim id.
    facts = [one(2, "openai", 30), one(5, "google", 30), one(1, "meta", 20), one(3, "cohere", 10)]
    expected = weigh(facts, now=NOW)
    assert [w.company_id for w in expected] == ["openai", "google", "meta", "cohere"]
    by_id = {f.claim_id: f for f in facts}
    settled = list(reversed(settle(facts, now=NOW)))
    restored = [(p.weighed(by_id), p.first_claim) for p in settled]
    assert ranked([(w, first) for w, first in restored if w is not None]) == expected


def test_a_shown_claim_gone_or_now_another_pairs_makes_the_position_unusable() -> None:
    facts = fresh_facts(5, 200)
    by_id = {f.claim_id: f for f in facts}
    position = settle(facts, now=NOW)[0]
    gone = dict(by_id)
    del gone[position.shown_claim_ids[0]]
    assert position.weighed(gone) is None
    other = next(f for f in facts if (f.company_id, f.target_id) != position.pair)
    reused = {**by_id, position.shown_claim_ids[-1]: other}
    assert position.weighed(reused) is None
    assert position.weighed(by_id) is not None
