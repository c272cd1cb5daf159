"""``/stance`` in Discord and ``policybot stance`` in a terminal give the same answer.

Both quote the same claim for every position, with the same confidence and trend; only the
layout differs (embeds within Discord's limits, plain lines without them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.catalog import load_catalog
from bot.chat.render.stance import stance_reply
from bot.cli.analysis import stance_text
from bot.domain.model import Attribution, StanceLabel
from bot.domain.positions import (
    ClaimRecord,
    CompanyStance,
    LawStance,
    StanceAnswer,
    law_positions,
    positions,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CATALOG = load_catalog()
# Per company, oldest first: a change of side (medium), a steady opponent whose newest report
# takes no side, so the quote is an older one (high), one report (low), a split.
HISTORIES = {
    "meta": (
        StanceLabel.SUPPORT,
        StanceLabel.OPPOSE,
        StanceLabel.OPPOSE,
        StanceLabel.NEUTRAL,
        StanceLabel.OPPOSE,
    ),
    "openai": (StanceLabel.OPPOSE, StanceLabel.OPPOSE, StanceLabel.OPPOSE, StanceLabel.NEUTRAL),
    "google": (StanceLabel.SUPPORT,),
    "anthropic": (StanceLabel.SUPPORT, StanceLabel.OPPOSE),
}


def claims(target: str) -> list[ClaimRecord]:
    """Plain quotes (nothing to escape), one story each, in store order."""
    found = []
    for company, stances in HISTORIES.items():
        for number, stance in enumerate(stances):
            days = 10 * (len(stances) - number)
            found.append(
                ClaimRecord(
                    company_id=company,
                    target_id=target,
                    stance=stance,
                    evidence=f"{company} said {stance} of {target}, {days} days ago",
                    confidence=0.9,
                    attribution=Attribution.STATED,
                    item_id=days,
                    story_key=f"{company}-{target}-{number}",
                    reported_at=NOW - timedelta(days=days),
                    url=f"https://news.example/{company}/{target}/{number}",
                    title=f"Story {number} on {company}",
                )
            )
    return sorted(found, key=lambda c: (c.reported_at, c.item_id))


def answers() -> list[StanceAnswer]:
    everything = claims("eu-ai-act") + claims("gdpr")
    meta = [c for c in everything if c.company_id == "meta"]
    return [
        CompanyStance("meta", "Meta", positions(meta, now=NOW)),
        LawStance("eu-ai-act", "EU AI Act", law_positions("eu-ai-act", everything, now=NOW)),
    ]


def position_blocks(text: str) -> list[str]:
    """The terminal's lines per position: a two-space heading, then its four-space lines."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("    ") and blocks:
            blocks[-1].append(line)
        elif line.startswith("  "):
            blocks.append([line.strip()])
    return ["\n".join(block) for block in blocks]


@pytest.mark.parametrize("answer", answers(), ids=lambda a: type(a).__name__)
def test_the_terminal_quotes_what_discord_quotes_with_the_same_confidence_and_trend(
    answer: StanceAnswer,
) -> None:
    reply = stance_reply(answer, CATALOG, period="all time")
    text = stance_text(answer, CATALOG)
    blocks = position_blocks(text)

    details = [embed.to_dict() for embed in reply.embeds[1:]]
    assert len(details) == len(blocks) >= 2
    for embed in details:
        heading = embed["title"].rsplit(": ", 1)[0]
        (block,) = [b for b in blocks if b.startswith(f"{heading}: ")]
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        source = embed["footer"]["text"]

        assert f"\n    {embed['description']}\n" in block  # the same “quote”
        assert f"\n    how sure: {fields['How sure']}\n" in block
        assert f"\n    trend: {fields['Trend']}\n" in block
        assert block.endswith(f"\n    {source} <{embed['url']}>")


def test_the_answers_cover_every_kind_of_confidence_and_trend() -> None:
    text = "\n".join(stance_text(a, CATALOG) for a in answers())

    for shown in ("high ·", "medium ·", "low ·", "split ·", "changed:", "steady since"):
        assert shown in text
    assert "first reported" in text
    assert "“openai said oppose of eu-ai-act, 20 days ago”" in text  # not its newest report
