"""``catalog unknown`` over a stored archive: only relevant items count, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application, catalog_review
from bot.cli.catalog import unknown_laws_text
from bot.domain.model import FeedKind, FeedSource
from bot.storage.schema import Feed, Item
from tests.support.clock import NOW

# (title, text); written for this test.
ARTICLES = [
    ("AI companion bill", "California lawmakers passed SB 243 to regulate AI companion chatbots."),
    ("More on AI chatbots", "Meta opposed SB 243, the California bill on AI chatbots."),
    ("Kids and AI", "The Kids Online Safety Act would regulate AI features for minors."),
    ("Earnings", "Revenue rose; SB 999 was mentioned by nobody in AI policy terms."),  # irrelevant
]


async def test_unknown_laws_are_counted_in_relevant_items_only(
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog_review, "PAGE", 2)  # several pages
    await app.feeds.sync((FeedSource("https://n.example/rss", "N", (), FeedKind.NEWS),), now=NOW)
    ids = []
    async with sessions.begin() as session:
        feed_id = await session.scalar(select(Feed.id))
        assert feed_id is not None
        for number, (title, text) in enumerate(ARTICLES):
            item = Item(
                feed_id=feed_id,
                key=f"k{number}",
                url=f"https://n.example/{number}",
                title=title,
                summary=text,
                fetched_at=NOW,
                content_hash=str(number),
                revision=0,
                is_backlog=False,
            )
            session.add(item)
            await session.flush()
            ids.append(item.id)
    run = await app.analysis.analyse_items(ids, now=NOW)
    assert run.relevant == 3

    found = await app.catalog_review.unknown_laws()

    assert [(law.name, law.items) for law in found] == [
        ("SB 243", 2),
        ("Kids Online Safety Act", 1),
    ]
    assert found[0].url == "https://n.example/0"
    text = unknown_laws_text(found)
    assert "  SB 243 (2 items)\n" in text
    assert (
        "\u201cCalifornia lawmakers passed SB 243 to regulate AI companion chatbots.\u201d" in text
    )
    assert "POLICYBOT_CATALOG_FILE" in text
    assert unknown_laws_text(()) == "No unknown law names in the relevant items."
