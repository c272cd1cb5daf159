"""Three ``policybot poll`` processes on one PostgreSQL database share the work through leases.

A local server on 127.0.0.1 serves 500 feeds and counts the requests for each feed in each
cycle; every cycle adds one item to every feed. Between cycles the test makes every feed due
again (an UPDATE of its due time). In every cycle each feed is fetched once, each item is
stored once and analysed once. Then one poller is killed (SIGKILL) mid-cycle, while the
server answers slowly: the other two fetch the feeds it held, once more; no other feed is
fetched twice in that cycle.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage import migrate
from tests.support.feeds import rss

FEEDS = 500
POLLERS = 3
CALM_CYCLES = 3  # then one more, in which a poller is killed
LEASE_SECONDS = 3
SLOW_SECONDS = 0.15  # each answer of the killing cycle: the cycle lasts seconds, not less
DUE_AGAIN = "2000-01-01 00:00:00+00"


@dataclass
class CountingServer:
    """Feed ``n`` of cycle ``k`` lists items ``n-0`` .. ``n-k``; requests counted by cycle."""

    cycle: int = 0
    slow: bool = False
    requests: Counter[tuple[int, int]] = field(default_factory=Counter)

    async def handle(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        cycle = self.cycle
        self.requests[cycle, number] += 1
        if self.slow:
            await asyncio.sleep(SLOW_SECONDS)
        items = [(f"{number}-{k}", f"Desk {number} story {k}") for k in range(cycle + 1)]
        return web.Response(body=rss(items), content_type="application/rss+xml")

    def fetches(self, cycle: int) -> Counter[int]:
        return Counter({n: count for (k, n), count in self.requests.items() if k == cycle})


@pytest.fixture
async def counting_server() -> AsyncIterator[tuple[CountingServer, TestServer]]:
    counting = CountingServer()
    app = web.Application()
    app.router.add_get("/feed/{number}", counting.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield counting, server
    finally:
        await server.close()


async def _until(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> None:
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - the other processes' progress
            await asyncio.sleep(0.2)
    assert await check(), what


async def _scalar(engine: AsyncEngine, sql: str, **params: object) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(sql), params)).scalar_one())


async def _cycle_done(engine: AsyncEngine, cycle: int) -> bool:
    """Every feed written since it was made due, every item of the cycle stored and analysed."""
    rescheduled = await _scalar(
        engine,
        "SELECT count(*) FROM feeds "
        "WHERE next_check_at > TIMESTAMPTZ '2001-01-01 00:00:00+00' AND lease_owner IS NULL",
    )
    items = await _scalar(engine, "SELECT count(*) FROM items")
    analysed = await _scalar(engine, "SELECT count(*) FROM item_analyses")
    queued = await _scalar(engine, "SELECT count(*) FROM items_analysis_pending")
    expected = FEEDS * (cycle + 1)
    return (rescheduled, items, analysed, queued) == (FEEDS, expected, expected, 0)


async def _make_due(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(f"UPDATE feeds SET next_check_at = '{DUE_AGAIN}'"))


async def _start_poller(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "poll", env=env, stdout=sink, stderr=sink
        )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(20):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_three_pollers_fetch_each_feed_once_a_cycle_and_take_over_a_killed_ones_feeds(
    counting_server: tuple[CountingServer, TestServer], postgres_url: URL, tmp_path: Path
) -> None:
    counting, server = counting_server
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n"
        + "".join(
            f"  - {{name: Desk {n}, url: '{server.make_url(f'/feed/{n}')}', kind: news}}\n"
            for n in range(FEEDS)
        ),
        encoding="utf-8",
    )
    # Migrated first: the pollers start together, and each syncs the 500 new feeds at once.
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    database = postgres_url.render_as_string(hide_password=False)
    env = dict(
        os.environ,
        POLICYBOT_DATABASE_URL=database,
        POLICYBOT_FEEDS_FILE=str(feeds_file),
        POLICYBOT_ALLOW_PRIVATE_FEEDS="true",
        POLICYBOT_POLL_PER_HOST="8",
        POLICYBOT_POLL_TICK_SECONDS="0.5",
        POLICYBOT_POLL_LEASE_SECONDS=str(LEASE_SECONDS),
        POLICYBOT_PARSE_WORKERS="1",
        POLICYBOT_HEARTBEAT_FILE=str(tmp_path / "heartbeat"),
        POLICYBOT_LOG_LEVEL="INFO",
    )
    logs = [tmp_path / f"poller-{n}.log" for n in range(POLLERS)]
    engine = create_async_engine(postgres_url)
    pollers = [await _start_poller(env, log) for log in logs]
    try:
        for cycle in range(CALM_CYCLES):
            if cycle:
                counting.cycle = cycle
                await _make_due(engine)
            await _until(
                lambda cycle=cycle: _cycle_done(engine, cycle),  # type: ignore[misc]
                within=60,
                what=f"cycle {cycle} did not finish",
            )
            fetches = counting.fetches(cycle)
            assert set(fetches) == set(range(FEEDS)), f"cycle {cycle}: feeds not fetched"
            assert set(fetches.values()) == {1}, f"cycle {cycle}: fetched twice: {fetches}"

        # The killing cycle: slow answers, so the victim holds feeds in flight when it dies.
        victim = pollers[0]
        killed_cycle = CALM_CYCLES
        counting.cycle, counting.slow = killed_cycle, True
        await _make_due(engine)
        held_sql = "SELECT count(*) FROM feeds WHERE lease_owner LIKE :owner"
        owner = f"%:{victim.pid}:%"
        await _until(
            lambda: _victim_busy(engine, owner, counting.fetches(killed_cycle)),
            within=30,
            what="the victim never held feeds mid-cycle",
        )
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        async with engine.connect() as connection:  # what it held when it died
            orphaned = set(
                (
                    await connection.execute(
                        text("SELECT url FROM feeds WHERE lease_owner LIKE :owner"),
                        {"owner": owner},
                    )
                ).scalars()
            )
        assert orphaned, "the victim held no feed when it was killed"
        await _until(
            lambda: _cycle_done(engine, killed_cycle),
            within=60,
            what="the survivors did not finish the victim's feeds",
        )
        assert await _scalar(engine, held_sql, owner=owner) == 0
        fetches = counting.fetches(killed_cycle)
        orphaned_numbers = {int(url.rsplit("/", 1)[1]) for url in orphaned}
        assert set(fetches) == set(range(FEEDS))
        twice = {n for n, count in fetches.items() if count > 1}
        # Only a feed the victim held (fetched, perhaps, but never written) is fetched again,
        # and only once more; none is fetched three times.
        assert twice <= orphaned_numbers, twice - orphaned_numbers
        assert max(fetches.values()) <= 2
    finally:
        for process in pollers:
            await _stop(process)
        await engine.dispose()

    # Every feed written once a cycle and every item analysed once, by the logs of all three.
    written: Counter[str] = Counter()
    analysed = 0
    for log in logs:
        lines = log.read_text(encoding="utf-8", errors="replace")
        written.update(re.findall(r"feed (?:polled|failed) url=(\S+)", lines))
        analysed += sum(int(n) for n in re.findall(r"items analysed count=(\d+)", lines))
        assert "Traceback" not in lines, log
    assert set(written.values()) == {CALM_CYCLES + 1}
    assert len(written) == FEEDS
    assert analysed == FEEDS * (CALM_CYCLES + 1)  # one new item a feed a cycle


async def _victim_busy(engine: AsyncEngine, owner: str, fetches: Counter[int]) -> bool:
    """The victim holds feeds and the cycle is under way (some feeds already fetched)."""
    held = await _scalar(
        engine, "SELECT count(*) FROM feeds WHERE lease_owner LIKE :owner", owner=owner
    )
    return held > 0 and sum(fetches.values()) > FEEDS // 5
