"""``poll --once`` against a database another process keeps locked: it waits, then one line.

A real ``policybot poll --once`` subprocess, a real SQLite file, and a second process (this
test) holding the database's write lock with ``BEGIN IMMEDIATE``, as a backup tool or a second
bot would.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.storage import migrate
from tests.support.cli import policybot_environment
from tests.support.feed_server import FeedServer
from tests.support.feeds import rss


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A migrated database file, in WAL mode as policybot leaves it."""
    path = tmp_path / "data" / "bot.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    return path


@pytest.fixture
def lock(database: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction on the database, held until released."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


def _environment(tmp_path: Path, feed_server: FeedServer, busy_seconds: str) -> dict[str, str]:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - {{name: Desk, url: '{feed_server.url('/feed')}', kind: news}}\n",
        encoding="utf-8",
    )
    return policybot_environment(
        tmp_path,
        POLICYBOT_FEEDS_FILE=str(feeds),
        POLICYBOT_ALLOW_PRIVATE_FEEDS="1",
        POLICYBOT_PARSE_WORKERS="1",
        POLICYBOT_DATABASE_BUSY_SECONDS=busy_seconds,
    )


async def _poll_once(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll",
        "--once",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _serve_a_feed(feed_server: FeedServer) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "AI Act")]), content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler


async def test_a_lock_held_longer_than_sqlites_wait_is_waited_out(
    tmp_path: Path, feed_server: FeedServer, database: Path, lock: sqlite3.Connection
) -> None:
    _serve_a_feed(feed_server)
    process = await _poll_once(_environment(tmp_path, feed_server, "30"), tmp_path)
    assert process.stderr is not None
    seen: list[bytes] = []
    async with asyncio.timeout(60):  # SQLite's own 5 s wait is over: policybot retries
        while b"database busy; retrying" not in (line := await process.stderr.readline()):
            assert line, b"".join(seen).decode()
            seen.append(line)
    await asyncio.sleep(1)
    lock.execute("ROLLBACK")
    _out, rest = await asyncio.wait_for(process.communicate(), 60)
    err = (b"".join(seen) + line + rest).decode()

    assert process.returncode == 0, err
    assert "Traceback" not in err
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT title FROM items").fetchall() == [("AI Act",)]


async def test_a_lock_that_outlasts_the_retries_gives_one_line_and_loses_nothing(
    tmp_path: Path, feed_server: FeedServer, database: Path, lock: sqlite3.Connection
) -> None:
    _serve_a_feed(feed_server)
    started = time.monotonic()
    process = await _poll_once(_environment(tmp_path, feed_server, "1"), tmp_path)
    _out, err = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 1
    assert time.monotonic() - started < 20
    lines = [line for line in err.decode().splitlines() if "policybot: error:" in line]
    assert len(lines) == 1, err.decode()
    assert lines[0].startswith("policybot: error: the database is locked by another program")
    assert "for 1 s" in lines[0]
    assert "nothing stored was lost" in lines[0]
    assert "Traceback" not in err.decode()
    lock.execute("ROLLBACK")
    with sqlite3.connect(database) as connection:  # nothing half-written
        assert connection.execute("SELECT count(*) FROM items").fetchone() == (0,)
