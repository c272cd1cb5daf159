"""Full-text search over items, on SQLite FTS5 and PostgreSQL tsvector alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.model import FeedKind, FeedSource
from bot.storage.schema import Feed, Item
from bot.storage.search import index_pending
from tests.support.clock import NOW

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
    await app.feeds.sync((FeedSource("https://n.example/rss", "N", (), FeedKind.NEWS),), now=NOW)
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
    await app.archive.index_search()
    return app


async def _titles(app: Application, query: str) -> list[str]:
    return [item.title for item in await app.archive.search(query)]


async def test_every_word_must_match(archive: Application) -> None:
    assert set(await _titles(archive, "meta")) == {
        "Meta criticises the EU AI Act",
        "Spotify and Meta defend open source AI",
    }
    assert await _titles(archive, "meta spotify") == ["Spotify and Meta defend open source AI"]


async def test_summary_is_searched_and_words_are_stemmed(archive: Application) -> None:
    assert await _titles(archive, "endorsing transparency") == ["OpenAI backs California SB 53"]


async def test_hostile_query_syntax_is_taken_literally(archive: Application) -> None:
    # FTS5's and tsquery's own operators are plain words; quotes and stars never break a query.
    assert await _titles(archive, "NEAR(meta spotify)") == await _titles(
        archive, "near meta spotify"
    )
    assert await _titles(archive, 'meta" OR NEAR(*') == []
    assert await _titles(archive, "meta & ! | <-> :* spotify") == await _titles(
        archive, "meta spotify"
    )
    assert await _titles(archive, '"""') == []
    assert await _titles(archive, "   ") == []
    assert await _titles(archive, "-meta") == []


async def test_a_phrase_must_appear_as_written(archive: Application) -> None:
    assert await _titles(archive, '"AI Act"') == ["Meta criticises the EU AI Act"]
    assert await _titles(archive, '"Act AI"') == []


async def test_or_accepts_either(archive: Application) -> None:
    assert set(await _titles(archive, "spotify OR openai")) == {
        "Spotify and Meta defend open source AI",
        "OpenAI backs California SB 53",
    }
    assert await _titles(archive, "meta spotify OR earnings") == [
        "Spotify and Meta defend open source AI"
    ]


@pytest.mark.parametrize("exclusion", ["-spotify", "NOT spotify"])
async def test_not_and_minus_exclude(archive: Application, exclusion: str) -> None:
    assert await _titles(archive, f"meta {exclusion}") == ["Meta criticises the EU AI Act"]


async def test_a_star_matches_words_starting_so(archive: Application) -> None:
    assert await _titles(archive, "regul*") == ["Spotify and Meta defend open source AI"]
    assert await _titles(archive, "spotif*") == ["Spotify and Meta defend open source AI"]
    assert await _titles(archive, "spotif") == []


async def test_latest_reads_the_same_syntax(archive: Application) -> None:
    page = await archive.archive.latest_page('"AI Act" OR earnings', page=1, per_page=10)
    assert [entry.title for entry in page.entries] == [
        "Meta criticises the EU AI Act",
        "Quarterly earnings",
    ]


async def test_pagination(archive: Application) -> None:
    first = [i.key for i in await archive.archive.search("meta", limit=1)]
    second = [i.key for i in await archive.archive.search("meta", limit=1, offset=1)]
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
    await _fts_is_consistent(sessions)


async def _fts_is_consistent(sessions: async_sessionmaker[AsyncSession]) -> None:
    """FTS5 checks its index against the items table (raises if they disagree)."""
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(
                text("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
            )


async def _queued(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        if session.get_bind().dialect.name != "sqlite":
            return 0
        return int(await session.scalar(text("SELECT count(*) FROM items_fts_pending")) or 0)


async def _add(sessions: async_sessionmaker[AsyncSession], key: str, title: str) -> None:
    async with sessions.begin() as session:
        feed_id = await session.scalar(select(func.min(Feed.id)))
        session.add(
            Item(
                feed_id=feed_id,
                key=key,
                title=title,
                summary="",
                fetched_at=NOW,
                content_hash=key,
                revision=0,
                is_backlog=False,
            )
        )


async def test_new_items_become_searchable_when_indexed(
    archive: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _add(sessions, "k9", "Anthropic backs the Colorado AI Act")
    if await _queued(sessions):  # SQLite: queued by the insert, not indexed inside it
        assert await _titles(archive, "colorado") == []
        assert await archive.archive.index_search() == 1
    assert await _titles(archive, "colorado") == ["Anthropic backs the Colorado AI Act"]
    assert await _queued(sessions) == 0
    assert await archive.archive.index_search() == 0
    await _fts_is_consistent(sessions)


async def test_items_changed_or_deleted_while_queued_are_indexed_as_they_are_now(
    archive: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _add(sessions, "k8", "Draft headline")
    await _add(sessions, "k9", "Retracted story about Colorado")
    async with sessions.begin() as session:
        item = await session.scalar(select(Item).where(Item.key == "k8"))
        assert item is not None
        item.title = "Final headline on the Colorado AI Act"
        await session.execute(delete(Item).where(Item.key == "k9"))
    await archive.archive.index_search()
    assert await _titles(archive, "colorado") == ["Final headline on the Colorado AI Act"]
    assert await _titles(archive, "draft") == []
    assert await _queued(sessions) == 0
    await _fts_is_consistent(sessions)


async def test_the_queue_is_indexed_in_batches_oldest_first(
    archive: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for number in range(5):
        await _add(sessions, f"b{number}", f"Batch story {number}")
    batches = []
    while True:
        async with sessions.begin() as session:
            batch = await index_pending(session, limit=2)
        if not batch:
            break
        batches.append(batch)
    async with sessions() as session:
        queues = session.get_bind().dialect.name == "sqlite"  # PostgreSQL indexes at once
    assert batches == ([2, 2, 1] if queues else [])
    assert len(await _titles(archive, "batch")) == 5
    await _fts_is_consistent(sessions)
