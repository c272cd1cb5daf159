"""A poll killed mid-cycle (SIGKILL) loses nothing and duplicates nothing on the next run.

The kill lands between storing and analysing: analysis runs after the whole poll, and one
feed's body hangs until the test releases it, so the other feeds' items are committed (and
queued for analysis) while the cycle cannot reach its analysis step.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from aiohttp import web

from tests.support.feed_server import FeedServer
from tests.support.feeds import rss

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


def _analysis_counts(database: Path) -> tuple[int, int, int]:
    """Rows in item_analyses, distinct items among them, and items still queued."""
    with sqlite3.connect(database) as connection:
        rows, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT item_id) FROM item_analyses"
        ).fetchone()
        queued = connection.execute("SELECT count(*) FROM items_analysis_pending").fetchone()[0]
    return rows, distinct, queued


async def _run_poll(env: dict[str, str], *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll",
        "--once",
        *extra,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _analysed_by(process: asyncio.subprocess.Process) -> int:
    """The run's exit code must be 0; the "items analysed" row of its summary table."""
    out, _ = await process.communicate()
    assert process.returncode == 0
    line = next(line for line in out.decode().splitlines() if line.startswith("items analysed"))
    return int(line.split()[-1])


async def _killed_first_cycle(
    feed_server: FeedServer, tmp_path: Path
) -> tuple[dict[str, str], list[str], Path]:
    """A first ``poll --once`` killed while the fast feeds are stored and one still hangs."""
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
    # Stored and queued for analysis in the same transactions, never analysed.
    assert _analysis_counts(database) == (0, 0, ITEMS * FAST_FEEDS)
    return env, paths, database


async def test_killed_cycle_loses_and_duplicates_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    env, paths, database = await _killed_first_cycle(feed_server, tmp_path)

    second = await _run_poll(env)  # only the feed that was in flight is still due
    assert await _analysed_by(second) == ITEMS * len(paths)  # the leftovers and its own
    third = await _run_poll(env, "--all")  # everything again: nothing new, nothing doubled
    assert await _analysed_by(third) == 0
    assert _analysis_counts(database) == (ITEMS * len(paths), ITEMS * len(paths), 0)

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


async def test_run_start_up_analyses_what_a_killed_cycle_left_queued(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    env, paths, database = await _killed_first_cycle(feed_server, tmp_path)
    env.pop("DISCORD_TOKEN", None)
    service = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(600):  # start-up drains the leftovers, the first cycle adds the rest
            hang_stored = _counts(database).get(feed_server.url("/hang")) == ITEMS
            if hang_stored and _analysis_counts(database) == (ITEMS * len(paths),) * 2 + (0,):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"not analysed: {_analysis_counts(database)}")
    finally:
        service.send_signal(signal.SIGTERM)
        assert await service.wait() == 0
