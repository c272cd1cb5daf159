"""Full-text search over items, on SQLite FTS5 and PostgreSQL tsvector alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.model import FeedKind, FeedSource
from bot.storage.schema import Feed, Item
from bot.storage.search import search_terms
from tests.conftest import NOW

ARTICLES = [
    ("Meta criticises the EU AI Act", "Meta says the rules on general-purpose models go too far."),
    (
        "OpenAI backs California SB 53",
        "The company endorsed the transparency bill for frontier models.",
    ),
    (
        "Spotify and Meta defend open source AI",
        "They charged against the General Data Protection Regulation.",
    ),
    ("Quarterly earnings", "Revenue rose on strong cloud demand."),
]


@pytest.fixture
async def archive(app: Application, sessions: async_sessionmaker[AsyncSession]) -> Application:
    await app.sync_instance_feeds(
        (FeedSource("https://n.example/rss", "N", (), FeedKind.NEWS),), now=NOW
    )
    async with sessions.begin() as session:
        feed_id = await session.scalar(select(Feed.id))
        assert feed_id is not None
        for number, (title, summary) in enumerate(ARTICLES):
            session.add(
                Item(
                    feed_id=feed_id,
                    key=f"k{number}",
                    title=title,
                    summary=summary,
                    published_at=NOW - timedelta(days=number),
                    fetched_at=NOW,
                    content_hash=str(number),
                    revision=0,
                    is_backlog=False,
                )
            )
    return app


async def _titles(app: Application, query: str) -> list[str]:
    return [item.title for item in await app.search(query)]


async def test_every_word_must_match(archive: Application) -> None:
    assert set(await _titles(archive, "meta")) == {
        "Meta criticises the EU AI Act",
        "Spotify and Meta defend open source AI",
    }
    assert await _titles(archive, "meta spotify") == ["Spotify and Meta defend open source AI"]


async def test_summary_is_searched_and_words_are_stemmed(archive: Application) -> None:
    assert await _titles(archive, "endorsing transparency") == ["OpenAI backs California SB 53"]


async def test_hostile_query_syntax_is_taken_literally(archive: Application) -> None:
    assert await _titles(archive, 'meta" OR NEAR(*') == await _titles(archive, "meta near")
    assert await _titles(archive, '"""') == []
    assert await _titles(archive, "   ") == []


async def test_pagination(archive: Application) -> None:
    first = [i.key for i in await archive.search("meta", limit=1)]
    second = [i.key for i in await archive.search("meta", limit=1, offset=1)]
    assert len(first) == len(second) == 1
    assert first != second


async def test_updates_and_deletes_reach_the_index(
    archive: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:
        item = await session.scalar(select(Item).where(Item.key == "k3"))
        assert item is not None
        item.title = "Nvidia lobbies against the diffusion rule"
    assert await _titles(archive, "diffusion") == ["Nvidia lobbies against the diffusion rule"]
    assert await _titles(archive, "earnings") == []
    async with sessions.begin() as session:
        await session.execute(delete(Item).where(Item.key == "k3"))
    assert await _titles(archive, "diffusion") == []


def test_search_terms_drop_operators() -> None:
    assert search_terms('AI-Act "GDPR" fine*') == ["AI", "Act", "GDPR", "fine"]
