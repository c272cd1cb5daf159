"""Benchmark: one PostgreSQL database, 1, 2 and 4 poller processes side by side, in one run.

    .venv/bin/python bench/scale.py                      # 2,000 feeds x 10 items
    .venv/bin/python bench/scale.py --feeds 300 --pollers 1,2   # a quick look
    POLICYBOT_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test  (the default)

The feeds are bench/poll.py's (generated RSS of realistic size, 70% answering conditional
requests with 304, spread over 50 loopback addresses), served by one server process for the
whole run. For each number of pollers: a fresh database with the feeds on the instance list,
then that many processes, each one ``policybot`` application as ``policybot poll`` builds it
(default settings: 20 fetches at once, 2 per host, 2 parser processes) and started as the
loop starts it (``IngestionCycle.start``), released together for three timed phases:

- cold poll: every feed is new (200, parsed, its items stored), as the first cycle;
- drain: the analysis queue those items filled, drained by all processes together for
  ``--drain-seconds`` each (a rate: the whole queue takes minutes on a small machine);
- warm poll: every feed made due again by an UPDATE; 70% answer 304, the rest the same body.

Printed per phase: wall time (first start to last finish across the processes), feeds a
second, database statements and commits per feed (every statement any engine of the
process sends, counted by a SQLAlchemy ``before_cursor_execute`` listener the bench installs;
with asyncpg a statement is one round trip, or two the first time it is prepared), and how
the feeds split between the processes. Figures are noisy on a shared machine: compare
the rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from poll import feed_url, serve

PHASES = ("cold poll", "drain", "warm poll")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


# --- one poller process -------------------------------------------------------------------


def poller_main(
    database_url: str, number: int, drain_seconds: float, ready: Any, go: list[Any], results: Any
) -> None:
    asyncio.run(_poller(database_url, number, drain_seconds, ready, go, results))


async def _poller(
    database_url: str, number: int, drain_seconds: float, ready: Any, go: list[Any], results: Any
) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot.app import Application
    from bot.composition import open_poller
    from bot.settings import Settings
    from bot.storage.engine import make_engine, make_session_factory

    counts: Counter[str] = Counter()

    def on_statement(*_: Any) -> None:
        counts["statements"] += 1

    def on_commit(*_: Any) -> None:
        counts["commits"] += 1

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "commit", on_commit)
    settings = Settings(
        database_url=database_url,
        allow_private_feeds=True,
        feeds_file=Path("/nonexistent/feeds.yaml"),
        heartbeat_file=Path(f"/tmp/policybot-scale-{os.getpid()}.heartbeat"),
        log_level="WARNING",
    )
    engine = make_engine(settings.database)
    sessions = make_session_factory(engine)
    try:
        async with open_poller(settings, sessions) as poller:
            app = Application(sessions, poller=poller)  # as `policybot poll` builds it
            await app.cycle.start(now=datetime.now(UTC))
            ready.put(number)
            for index, phase in enumerate(PHASES):
                await asyncio.to_thread(go[index].wait)
                before = counts.copy()
                started = time.monotonic()
                feeds = 0
                if phase == "drain":
                    run = await app.analysis.drain(
                        now=datetime.now(UTC), budget_seconds=drain_seconds
                    )
                    items = run.analysed
                else:
                    report = await poller.poll(now=datetime.now(UTC))
                    feeds, items = len(report.feeds), len(report.new_item_ids)
                finished = time.monotonic()
                results.put(
                    {
                        "phase": phase,
                        "poller": number,
                        "started": started,
                        "finished": finished,
                        "feeds": feeds,
                        "items": items,
                        "statements": counts["statements"] - before["statements"],
                        "commits": counts["commits"] - before["commits"],
                    }
                )
    finally:
        await engine.dispose()


# --- the driver ---------------------------------------------------------------------------


async def _admin(admin_url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.settings import async_database_url

    engine = create_async_engine(async_database_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _prepare(url: str, port: int, feeds: int) -> None:
    """Migrate a fresh database and list the feeds on the instance list, never fetched."""
    from bot.settings import async_database_url
    from bot.storage import migrate
    from bot.storage.engine import make_engine, make_session_factory
    from bot.storage.schema import Feed

    await asyncio.to_thread(migrate.upgrade, async_database_url(url))
    engine = make_engine(async_database_url(url))
    try:
        now = datetime.now(UTC)
        async with make_session_factory(engine).begin() as session:
            session.add_all(
                Feed(
                    url=feed_url(port, n), title=f"Desk {n}", in_instance_list=True, created_at=now
                )
                for n in range(feeds)
            )
    finally:
        await engine.dispose()


async def _make_due(url: str) -> None:
    from sqlalchemy import text

    from bot.settings import async_database_url
    from bot.storage.engine import make_engine

    engine = make_engine(async_database_url(url))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE feeds SET next_check_at = now() - interval '1 day'")
            )
    finally:
        await engine.dispose()


def run_pollers(
    admin_url: str, port: int, feeds: int, pollers: int, drain_seconds: float
) -> list[dict[str, Any]]:
    from sqlalchemy.engine import make_url

    name = f"policybot_scale_{pollers}_{uuid.uuid4().hex[:8]}"
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    context = multiprocessing.get_context("spawn")
    processes = []
    try:
        asyncio.run(_prepare(url, port, feeds))
        ready, results = context.Queue(), context.Queue()
        go = [context.Event() for _ in PHASES]
        processes = [
            context.Process(target=poller_main, args=(url, n, drain_seconds, ready, go, results))
            for n in range(pollers)
        ]
        for process in processes:
            process.start()
        for _ in processes:
            ready.get(timeout=300)
        rows: list[dict[str, Any]] = []
        for index, phase in enumerate(PHASES):
            if phase == "warm poll":
                asyncio.run(_make_due(url))
            go[index].set()
            rows.extend(results.get(timeout=1800) for _ in processes)
            print(f"  pollers={pollers} {phase}: done", file=sys.stderr, flush=True)
        return rows
    finally:
        for process in processes:  # each ends by itself after the last phase
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
                process.join(timeout=30)
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def summary(pollers: int, rows: list[dict[str, Any]], feeds: int) -> list[str]:
    lines = []
    for phase in PHASES:
        mine = [row for row in rows if row["phase"] == phase]
        wall = max(r["finished"] for r in mine) - min(r["started"] for r in mine)
        done = sum(r["feeds"] for r in mine)
        items = sum(r["items"] for r in mine)
        statements = sum(r["statements"] for r in mine)
        commits = sum(r["commits"] for r in mine)
        per = max(items if phase == "drain" else done, 1)
        split = "/".join(
            str(r["items"] if phase == "drain" else r["feeds"])
            for r in sorted(mine, key=lambda r: r["poller"])
        )
        rate = (items if phase == "drain" else done) / wall if wall else 0.0
        unit = "items/s" if phase == "drain" else "feeds/s"
        lines.append(
            f"{pollers:>7}  {phase:9}  {wall:7.2f}  {rate:8.0f} {unit:7}  {done:>5}  {items:>6}  "
            f"{statements / per:9.2f}  {commits / per:7.2f}  {split}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=10, help="items per feed")
    parser.add_argument("--pollers", default="1,2,4", help="process counts, comma-separated")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=20.0,
        help="each process drains the analysis queue for this long (the rest stays queued)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--database", default=os.environ.get("POLICYBOT_BENCH_POSTGRES_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.pollers.split(",")]

    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(
        target=serve, args=(args.port, args.feeds, args.items, ready), daemon=True
    )
    server.start()
    if not ready.wait(120):
        raise SystemExit("the feed server did not start")
    table: list[str] = []
    try:
        for pollers in counts:
            rows = run_pollers(args.database, args.port, args.feeds, pollers, args.drain_seconds)
            table.extend(summary(pollers, rows, args.feeds))
    finally:
        server.terminate()
    load = os.getloadavg()
    print(
        f"\n{args.feeds} feeds x {args.items} items, PostgreSQL, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(
        "pollers  phase         wall s      rate          feeds   items  stmts/feed  "
        "commits/feed  split"
    )
    for line in table:
        print(line)
    print("stmts and commits per feed: all processes together; the drain's are per item.")


if __name__ == "__main__":
    main()
