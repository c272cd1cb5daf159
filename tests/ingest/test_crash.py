"""A poll killed mid-cycle (SIGKILL) loses nothing and duplicates nothing on the next run."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from aiohttp import web

from tests.ingest.builders import rss
from tests.ingest.conftest import FeedServer

FAST_FEEDS = 5
ITEMS = 10


def _counts(database: Path) -> dict[str, int]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as connection:
        try:
            rows = connection.execute(
                "SELECT feeds.url, COUNT(items.id) FROM feeds "
                "LEFT JOIN items ON items.feed_id = feeds.id GROUP BY feeds.url"
            ).fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return {}
    return {url: count for url, count in rows}


async def _run_poll(env: dict[str, str], *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll",
        "--once",
        *extra,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_killed_cycle_loses_and_duplicates_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    release = asyncio.Event()

    def fast(number: int) -> web.Response:
        items = [(f"{number}-{i}", f"Item {i} of feed {number}") for i in range(ITEMS)]
        return web.Response(body=rss(items), content_type="application/rss+xml")

    for number in range(FAST_FEEDS):

        async def handler(request: web.Request, number: int = number) -> web.Response:
            return fast(number)

        feed_server.routes[f"/fast{number}"] = handler

    async def hanging(request: web.Request) -> web.Response:
        await release.wait()
        return fast(99)

    feed_server.routes["/hang"] = hanging
    paths = [*(f"/fast{n}" for n in range(FAST_FEEDS)), "/hang"]
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n"
        + "".join(
            f"  - {{name: Feed {p}, url: '{feed_server.url(p)}', kind: news}}\n" for p in paths
        ),
        encoding="utf-8",
    )
    database = tmp_path / "crash.db"
    env = dict(
        os.environ,
        POLICYBOT_DATABASE_URL=f"sqlite:///{database}",
        POLICYBOT_FEEDS_FILE=str(feeds_file),
        POLICYBOT_ALLOW_PRIVATE_FEEDS="true",
        POLICYBOT_FETCH_TIMEOUT_SECONDS="60",
        POLICYBOT_LOG_LEVEL="WARNING",
    )
    env.pop("POLICYBOT_TEST_POSTGRES_URL", None)

    first = await _run_poll(env)
    try:
        for _ in range(600):  # until the fast feeds are stored and the slow one is in flight
            counts = _counts(database)
            stored = sum(1 for p in paths[:-1] if counts.get(feed_server.url(p)) == ITEMS)
            if stored == FAST_FEEDS and feed_server.hits("/hang"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the first cycle did not get going: {_counts(database)}")
        first.send_signal(signal.SIGKILL)
    finally:
        await first.wait()
        release.set()
    assert first.returncode == -signal.SIGKILL
    assert _counts(database)[feed_server.url("/hang")] == 0

    second = await _run_poll(env)  # only the feed that was in flight is still due
    assert await second.wait() == 0
    third = await _run_poll(env, "--all")  # everything again: nothing new, nothing doubled
    assert await third.wait() == 0

    counts = _counts(database)
    assert counts == {feed_server.url(p): ITEMS for p in paths}
    assert len(feed_server.hits("/hang")) == 3
    assert all(len(feed_server.hits(p)) == 2 for p in paths[:-1])
    with sqlite3.connect(database) as connection:
        keys = connection.execute("SELECT feed_id, key FROM items").fetchall()
        # Items the killed run stored but never indexed were indexed by the next run.
        queued = connection.execute("SELECT count(*) FROM items_fts_pending").fetchone()[0]
        indexed = connection.execute("SELECT count(*) FROM items_fts_docsize").fetchone()[0]
        connection.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    assert len(keys) == len(set(keys)) == ITEMS * len(paths)
    assert (queued, indexed) == (0, ITEMS * len(paths))
