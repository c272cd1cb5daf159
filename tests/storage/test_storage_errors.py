"""Database failures become ``StorageError`` at the engine; bugs stay SQLAlchemy's errors."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.entries import ParsedEntry, key_entries
from bot.errors import StorageError
from bot.storage import engine as storage_engine
from bot.storage import migrate
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.items import ItemStore
from tests.support.clock import NOW
from tests.support.feeds import add_feed


@pytest.fixture
def sqlite_writer(sqlite_url: URL, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction on the SQLite file, held until the test ends;
    the bot's connections give up after 100 ms instead of 5 s."""
    monkeypatch.setattr(storage_engine, "SQLITE_BUSY_TIMEOUT_MS", 100)
    assert sqlite_url.database is not None
    connection = sqlite3.connect(sqlite_url.database, isolation_level=None)
    yield connection
    connection.close()


async def test_a_locked_sqlite_database_is_a_storage_error(
    sqlite_url: URL, sqlite_writer: sqlite3.Connection
) -> None:
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))  # connected (and tuned) before the lock
            await connection.commit()
            sqlite_writer.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageError, match="database is locked") as caught:
                await connection.execute(text("DELETE FROM items_analysis_pending"))
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    finally:
        sqlite_writer.execute("ROLLBACK")
        await engine.dispose()


async def test_a_bug_stays_an_sqlalchemy_error(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(SQLAlchemyError) as caught:
            await connection.execute(text("SELECT * FROM no_such_table"))
    assert not isinstance(caught.value, StorageError)


async def test_a_refused_connection_is_a_storage_error() -> None:
    engine = make_engine(make_url("postgresql+asyncpg://postgres@127.0.0.1:1/none"))
    try:
        with pytest.raises(StorageError, match="cannot connect"):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def test_a_lost_postgresql_connection_is_a_storage_error(postgres_url: URL) -> None:
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    engine = make_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            async with engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(StorageError):
                await connection.execute(text("SELECT 1"))
        async with engine.connect() as connection:  # the pool reconnects afterwards
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_a_failed_drain_leaves_the_items_queued_for_the_next(
    sqlite_url: URL, sqlite_writer: sqlite3.Connection
) -> None:
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    engine = make_engine(sqlite_url)
    sessions: async_sessionmaker[AsyncSession] = make_session_factory(engine)
    app = Application(sessions)
    try:
        feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
        entries = [
            ParsedEntry(
                guid=f"g{n}",
                link=f"https://news.example/{n}",
                title=f"Meta and the code {n}",
                summary="Meta refused to sign the GPAI code of practice.",
                published_at=NOW - timedelta(days=1),
            )
            for n in range(3)
        ]
        async with sessions.begin() as session:
            await ItemStore(session).save(feed_id, key_entries(entries), now=NOW, backlog=False)
        sqlite_writer.execute("BEGIN IMMEDIATE")  # the drain reads, analyses, cannot write
        with pytest.raises(StorageError):
            await app.analysis.drain(now=NOW)
        sqlite_writer.execute("ROLLBACK")
        async with sessions() as session:
            assert await AnalysisQueue(session).size() == 3
        assert (await app.analysis.drain(now=NOW)).analysed == 3
        async with sessions() as session:
            assert await AnalysisQueue(session).size() == 0
    finally:
        await engine.dispose()
