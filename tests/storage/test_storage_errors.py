"""Database failures become ``StorageError`` at the engine; bugs stay SQLAlchemy's errors."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.entries import ParsedEntry, key_entries
from bot.errors import DatabaseFullError, StorageError
from bot.ingest.fetch import FeedFetcher
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller
from bot.service import IngestionLoops
from bot.settings import Settings
from bot.storage import engine as storage_engine
from bot.storage import migrate
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, Item
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed, rss


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


async def test_a_poll_waits_out_a_lock_held_longer_than_sqlites_own_wait(
    sqlite_url: URL,
    sqlite_writer: sqlite3.Connection,
    feed_server: FeedServer,
    fetcher: FeedFetcher,
    parser_pool: ParserPool,
) -> None:
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine, busy_seconds=10)
    try:
        feed_id = await _one_feed(feed_server, sessions)
        poller = FeedPoller(sessions, fetcher, parser_pool, rng=random.Random(2))
        sqlite_writer.execute("BEGIN IMMEDIATE")  # SQLite itself waits 100 ms, then gives up
        asyncio.get_running_loop().call_later(0.8, sqlite_writer.execute, "ROLLBACK")
        report = await poller.poll(now=NOW)
        assert report.outcomes == {"fetched": 1}
        assert await _items(sessions, feed_id) == 1
    finally:
        await engine.dispose()


async def test_a_full_database_fails_the_poll_with_one_plain_error_and_writes_nothing(
    sqlite_url: URL, feed_server: FeedServer, fetcher: FeedFetcher, parser_pool: ParserPool
) -> None:
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    try:
        feed_id = await _one_feed(feed_server, sessions, items=300)
        async with engine.connect() as connection:
            pages = await connection.scalar(text("PRAGMA page_count"))

        def no_room(dbapi_connection: Any, _record: Any) -> None:  # a disk that is full
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA max_page_count={pages}")
            cursor.close()

        await engine.dispose()
        event.listen(engine.sync_engine, "connect", no_room)
        poller = FeedPoller(sessions, fetcher, parser_pool, rng=random.Random(2))
        with pytest.raises(DatabaseFullError) as caught:
            await poller.poll(now=NOW)
        line = str(caught.value)
        assert line.startswith("the disk holding the database is full (database or disk is full)")
        assert "nothing stored was lost" in line
        assert "\n" not in line
        async with sessions() as session:
            feed = await session.get_one(Feed, feed_id)
            assert (feed.fetch_count, feed.next_check_at, feed.etag) == (0, None, None)
        assert await _items(sessions, feed_id) == 0
    finally:
        await engine.dispose()


async def test_under_run_a_locked_database_is_one_log_line_a_cycle_and_polling_goes_on(
    sqlite_url: URL,
    sqlite_writer: sqlite3.Connection,
    feed_server: FeedServer,
    fetcher: FeedFetcher,
    parser_pool: ParserPool,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    engine = make_engine(sqlite_url, busy_seconds=0.2)
    sessions = make_session_factory(engine, busy_seconds=0.2)
    feeds_file = tmp_path / "feeds.yaml"
    listed = f"feeds:\n  - {{name: A, url: '{feed_server.url('/feed')}', kind: news}}\n"
    feeds_file.write_text(listed)
    try:
        feed_id = await _one_feed(feed_server, sessions)
        poller = FeedPoller(sessions, fetcher, parser_pool, rng=random.Random(2))
        app = Application(sessions, poller=poller)
        settings = Settings(
            feeds_file=feeds_file, poll_tick_seconds=0.05, feeds_file_check_seconds=0.05
        )
        loops = IngestionLoops(app, settings, restart_delay=0.05)
        caplog.set_level(logging.INFO)
        sqlite_writer.execute("BEGIN IMMEDIATE")
        loops.start()
        try:
            await asyncio.sleep(0.2)
            # The watcher meets the lock too.
            feeds_file.write_text(
                listed + "  - {name: B, url: 'https://b.example/rss', kind: news}\n"
            )
            async with asyncio.timeout(10):  # both loops meet the lock, more than once
                while not _met_the_lock(caplog):  # noqa: ASYNC110 - reading the log
                    await asyncio.sleep(0.05)
            sqlite_writer.execute("ROLLBACK")
            async with asyncio.timeout(10):
                while not await _items(sessions, feed_id):  # noqa: ASYNC110 - the database
                    await asyncio.sleep(0.05)
        finally:
            await loops.stop()
            gc.unfreeze()
    finally:
        await engine.dispose()
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures
    assert all(r.exc_info is None for r in failures)  # one line each: no traceback
    assert all("the database is locked by another program" in r.getMessage() for r in failures)
    assert not [r for r in failures if "restarting" in r.getMessage()]  # no loop died


def _met_the_lock(caplog: pytest.LogCaptureFixture) -> bool:
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    polls = [line for line in lines if line.startswith("poll cycle failed")]
    syncs = [line for line in lines if line.startswith("feeds file not synced")]
    return len(polls) >= 2 and len(syncs) >= 2


async def _one_feed(
    feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], *, items: int = 1
) -> int:
    body = rss([(f"g{n}", f"Item {n} " + "words " * 50) for n in range(items)])

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler
    return await add_feed(sessions, feed_server.url("/feed"), now=NOW)


async def _items(sessions: async_sessionmaker[AsyncSession], feed_id: int) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(Item.feed_id == feed_id))
    return int(count or 0)
