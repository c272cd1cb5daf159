"""Weighing light facts and quoting only the shown claims gives the plain answer, exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.model import Attribution, StanceLabel
from bot.domain.position_summary import quoted_claim
from bot.domain.positions import (
    NEWEST_SHOWN,
    ClaimFact,
    ClaimRecord,
    ClaimText,
    Position,
    by_label,
    law_positions,
    positions,
    shown_claim_ids,
    weigh,
    with_texts,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
COMPANIES = ("meta", "openai", "google", "cohere")
TARGETS = ("eu-ai-act", "gdpr", "california-sb-53")


def archive(seed: int, count: int, *, own_stories: bool = False) -> list[tuple[int, ClaimRecord]]:
    """(claim id, record) pairs in store order: by report date, then claim id."""
    rng = random.Random(seed)
    pairs = []
    for claim_id in range(1, count + 1):
        story = claim_id if own_stories else rng.randint(1, count // 2)
        days = rng.choice((rng.randint(0, 700), rng.randint(700, 2000)))  # fresh, fading, gone
        pairs.append(
            (
                claim_id,
                ClaimRecord(
                    company_id=rng.choice(COMPANIES),
                    target_id=rng.choice(TARGETS),
                    stance=rng.choices(list(StanceLabel), weights=[4, 4, 1, 2])[0],
                    evidence=f"quote {claim_id}",
                    confidence=rng.choice((0.5, 0.7, 0.7, 0.9)),  # ties happen
                    attribution=rng.choice(list(Attribution)),
                    item_id=rng.randint(1, count),
                    story_key=f"s:{story}",
                    reported_at=NOW - timedelta(days=days, seconds=rng.randint(0, 86_399)),
                    url=f"https://news.example/{claim_id}" if claim_id % 3 else None,
                    title=f"Story {story}",
                ),
            )
        )
    return sorted(pairs, key=lambda pair: (pair[1].reported_at, pair[0]))


def fact(claim_id: int, record: ClaimRecord) -> ClaimFact:
    return ClaimFact(
        claim_id,
        record.company_id,
        record.target_id,
        record.stance,
        record.confidence,
        record.attribution,
        record.item_id,
        record.story_key,
        record.reported_at,
    )


def from_facts(pairs: list[tuple[int, ClaimRecord]]) -> tuple[Position, ...]:
    weighed = weigh([fact(claim_id, record) for claim_id, record in pairs], now=NOW)
    texts = {
        claim_id: ClaimText(record.evidence, record.url, record.title)
        for claim_id, record in pairs
        if claim_id in shown_claim_ids(weighed)
    }
    return with_texts(weighed, texts)


@pytest.mark.parametrize("seed", range(12))
def test_facts_and_shown_texts_give_the_plain_answer(seed: int) -> None:
    pairs = archive(seed, 400)
    records = [record for _, record in pairs]

    assert from_facts(pairs) == positions(records, now=NOW)
    for target in TARGETS:
        on_target = [pair for pair in pairs if pair[1].target_id == target]
        assert by_label(target, from_facts(on_target)) == law_positions(target, records, now=NOW)


def test_only_a_handful_of_claims_need_their_text() -> None:
    pairs = archive(3, 2_000)
    weighed = weigh([fact(claim_id, record) for claim_id, record in pairs], now=NOW)

    assert sum(found.reports for found in weighed) > 1_000
    assert len(shown_claim_ids(weighed)) <= len(weighed) * (NEWEST_SHOWN + 4)


@pytest.mark.parametrize("seed", range(12))
def test_shown_evidence_is_what_replies_read_of_all_events(seed: int) -> None:
    # One claim per story, so every claim is an event and the full list is known here.
    pairs = archive(seed, 300, own_stories=True)
    for position in positions([record for _, record in pairs], now=NOW):
        events = sorted(
            (r for _, r in pairs if (r.company_id, r.target_id) == position_key(position)),
            key=lambda r: (r.reported_at, r.item_id),
            reverse=True,
        )  # newest first, as Position.evidence
        stated = [e for e in events if e.stance is not StanceLabel.NEUTRAL]
        shown_stated = [e for e in position.evidence if e.stance is not StanceLabel.NEUTRAL]

        assert position.reports == len(events)
        assert position.evidence[:NEWEST_SHOWN] == tuple(events[:NEWEST_SHOWN])
        assert (position.first, position.latest) == (events[-1], events[0])
        assert quoted_claim(position.evidence, position.label) == quoted_claim(
            events, position.label
        )
        assert shown_stated[:1] == stated[:1]
        assert shown_stated[-1:] == stated[-1:]
        assert (len(shown_stated) > 1) == (len(stated) > 1)
        assert [e for e in events if e in position.evidence] == list(position.evidence)


def test_the_quote_for_its_own_side_is_kept_however_old() -> None:
    old_support = ClaimRecord(
        "meta",
        "gdpr",
        StanceLabel.SUPPORT,
        "we back it",
        0.9,
        Attribution.STATED,
        900,
        "s:old",
        NOW - timedelta(days=400),
    )
    neutral = [
        ClaimRecord(
            "meta",
            "gdpr",
            StanceLabel.NEUTRAL,
            f"noted {n}",
            0.9,
            Attribution.STATED,
            901 + n,
            f"s:n{n}",
            NOW - timedelta(days=10 - n),
        )
        for n in range(6)
    ]
    (position,) = positions([old_support, *neutral], now=NOW)

    assert position.label is StanceLabel.SUPPORT
    assert quoted_claim(position.evidence, position.label) == old_support
    assert len(position.evidence) == NEWEST_SHOWN + 1
    assert position.reports == 7


def position_key(position: Position) -> tuple[str, str]:
    return position.company_id, position.target_id
