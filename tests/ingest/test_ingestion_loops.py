"""``policybot run``'s background work: the poll loop and the feeds.yaml watcher."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.cycle import CycleReport, IngestionCycle
from bot.domain.analysis import ANALYSER_VERSION
from bot.domain.entries import ParsedEntry, key_entries
from bot.polling import FeedPoller
from bot.service import IngestionLoops
from bot.settings import Settings
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, Guild, GuildFeed, Item, ItemAnalysis
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed, rss

TEXT = "Meta refused to sign the GPAI code of practice on Friday."


def _feeds_yaml(path: Path, *urls: str) -> None:
    path.write_text(
        "feeds:\n"
        + "".join(f"  - {{name: F{n}, url: '{u}', kind: news}}\n" for n, u in enumerate(urls)),
        encoding="utf-8",
    )


async def _wait_for(condition: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - polling the database, not an event
            await asyncio.sleep(0.02)


async def test_feeds_file_changes_are_synced_and_a_bad_file_is_ignored(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    _feeds_yaml(feeds_file, "https://a.example/rss")
    settings = Settings(
        feeds_file=feeds_file, feeds_file_check_seconds=0.02, poll_tick_seconds=3600
    )
    app = Application(sessions)
    loops = IngestionLoops(app, settings)
    watcher = asyncio.create_task(loops._watch_feeds_file())

    async def listed() -> set[str]:
        async with sessions() as session:
            rows = await session.scalars(select(Feed.url).where(Feed.in_instance_list.is_(True)))
            return set(rows)

    try:
        await asyncio.sleep(0.05)
        _feeds_yaml(feeds_file, "https://a.example/rss", "https://b.example/rss")
        await _wait_for(lambda: _eq(listed(), {"https://a.example/rss", "https://b.example/rss"}))
        feeds_file.write_text("feeds: [oops", encoding="utf-8")  # invalid: keep the list
        await asyncio.sleep(0.1)
        assert await listed() == {"https://a.example/rss", "https://b.example/rss"}
        _feeds_yaml(feeds_file, "https://b.example/rss")
        await _wait_for(lambda: _eq(listed(), {"https://b.example/rss"}))
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


async def _eq(query: Awaitable[set[str]], expected: set[str]) -> bool:
    return await query == expected


async def test_the_poll_loop_polls_due_feeds_and_hands_on_each_report(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "Brussels")]), content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    reports: list[CycleReport] = []

    async def on_report(report: CycleReport) -> None:
        reports.append(report)

    feeds_file = tmp_path / "feeds.yaml"
    _feeds_yaml(feeds_file, feed_server.url("/feed"))
    settings = Settings(feeds_file=feeds_file, poll_tick_seconds=0.02)
    app = Application(sessions, poller=poller)
    loops = IngestionLoops(app, settings, on_report=on_report)
    task = asyncio.create_task(loops._poll_forever())  # never fetched: due in the first cycle

    async def polled() -> bool:
        if task.done():
            task.result()
        return any(report.poll.new_item_ids for report in reports)

    try:
        await _wait_for(polled)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gc.unfreeze()  # the loop froze the test process's objects
    async with sessions() as session:
        assert len((await session.scalars(select(Item))).all()) == 1
    # Indexed for search and analysed after the cycle, before the report was handed on.
    assert [item.title for item in await app.archive.search("brussels")] == ["Brussels"]
    assert next(report for report in reports if report.poll.new_item_ids).analysis.analysed == 1


async def test_start_up_indexes_what_an_interrupted_run_left_queued(
    poller: FeedPoller, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    feed_id = await add_feed(sessions, "https://left.example/rss", now=NOW)
    async with sessions.begin() as session:  # stored by a run that died before indexing
        session.add(
            Item(
                feed_id=feed_id,
                key="k",
                title="Leftover",
                summary="",
                fetched_at=NOW,
                content_hash="h",
            )
        )
    feeds_file = tmp_path / "feeds.yaml"
    _feeds_yaml(feeds_file)
    app = Application(sessions, poller=poller)
    loops = IngestionLoops(app, Settings(feeds_file=feeds_file, poll_tick_seconds=3600))
    task = asyncio.create_task(loops._poll_forever())

    async def searchable() -> bool:
        if task.done():
            task.result()
        return bool(await app.archive.search("leftover"))

    try:
        await _wait_for(searchable)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gc.unfreeze()


async def test_a_feed_many_servers_follow_is_fetched_once(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "A")]), content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    async with sessions.begin() as session:
        for guild_id in (1, 2, 3):
            session.add(Guild(id=guild_id, name=f"g{guild_id}", created_at=NOW, updated_at=NOW))
            await session.flush()
            session.add(GuildFeed(guild_id=guild_id, feed_id=feed_id, added_at=NOW))
    report = await poller.poll(now=NOW)
    assert len(report.feeds) == 1
    assert len(feed_server.hits("/feed")) == 1


async def test_feeds_never_fetched_are_fetched_at_once_and_the_others_spread(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    active = {"now": 0, "max": 0}

    async def handler(request: web.Request) -> web.Response:
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        try:
            await asyncio.sleep(0.05)
            return web.Response(body=rss([(request.path, "x")]), content_type="application/rss+xml")
        finally:
            active["now"] -= 1

    fresh = [f"/new{n}" for n in range(6)]
    known = [f"/old{n}" for n in range(4)]
    for path in fresh + known:
        feed_server.routes[path] = handler
        await add_feed(sessions, feed_server.url(path), now=NOW)
    started = datetime.now(UTC)
    async with sessions.begin() as session:  # fetched before a restart, overdue since
        for feed in await session.scalars(select(Feed).where(Feed.url.contains("/old"))):
            feed.last_checked_at = started - timedelta(hours=2)
            feed.next_check_at = started - timedelta(hours=1)
    feeds_file = tmp_path / "feeds.yaml"
    _feeds_yaml(feeds_file)
    app = Application(sessions, poller=poller)
    loops = IngestionLoops(app, Settings(feeds_file=feeds_file, poll_tick_seconds=3600))
    task = asyncio.create_task(loops._poll_forever())

    async def fetched() -> bool:
        if task.done():
            task.result()
        async with sessions() as session:
            return len((await session.scalars(select(Item))).all()) == len(fresh)

    try:
        await _wait_for(fetched)  # within seconds, not within the hour the tick would take
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gc.unfreeze()
    assert all(feed_server.hits(path) for path in fresh)
    assert not any(feed_server.hits(path) for path in known)
    assert active["max"] <= 2  # one host: the HTTP session's per-host limit
    async with sessions() as session:
        spots = list(
            await session.scalars(select(Feed.next_check_at).where(Feed.url.contains("/old")))
        )
    within = timedelta(hours=1, minutes=1)  # one interval, plus the test's own run time
    assert all(s is not None and started <= s < started + within for s in spots)


async def test_start_up_requeues_analyses_of_another_analyser_version(
    poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    entries = [ParsedEntry(f"g{n}", None, f"Meta and the code {n}", TEXT) for n in range(3)]
    async with sessions.begin() as session:
        await ItemStore(session).save(feed_id, key_entries(entries), now=NOW, backlog=False)
    app = Application(sessions, poller=poller)
    assert (await app.analysis.drain(now=NOW)).analysed == 3
    async with sessions.begin() as session:  # stored by the rules before a bump
        await session.execute(update(ItemAnalysis).values(analyser_version="rules-1"))
    await app.cycle.start(now=NOW + timedelta(hours=1))
    assert (await app.cycle.run(now=NOW + timedelta(hours=1))).analysis.analysed == 3
    async with sessions() as session:
        statement = select(ItemAnalysis.analyser_version, ItemAnalysis.analysed_at)
        rows = (await session.execute(statement)).all()
        queued = await AnalysisQueue(session).size()
    assert rows == [(ANALYSER_VERSION, NOW + timedelta(hours=1))] * 3
    assert queued == 0


async def test_a_loop_that_dies_is_restarted_with_backoff_and_says_so(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "Brussels")]), content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    crashes = {"left": 2}
    real_run = IngestionCycle.run

    async def run_or_crash(cycle: IngestionCycle, **kwargs: Any) -> CycleReport:
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("a bug nobody caught")
        return await real_run(cycle, **kwargs)

    monkeypatch.setattr(IngestionCycle, "run", run_or_crash)
    reports: list[CycleReport] = []

    async def on_report(report: CycleReport) -> None:
        reports.append(report)

    feeds_file = tmp_path / "feeds.yaml"
    _feeds_yaml(feeds_file, feed_server.url("/feed"))
    settings = Settings(feeds_file=feeds_file, poll_tick_seconds=3600)
    app = Application(sessions, poller=poller)
    loops = IngestionLoops(app, settings, on_report=on_report, restart_delay=0.05)
    caplog.set_level(logging.INFO, logger="bot.service")
    loops.start()
    try:
        await _wait_for(lambda: _true(any(r.poll.new_item_ids for r in reports)))
    finally:
        await loops.stop()
        gc.unfreeze()
    restarts = [r for r in caplog.records if "restarting" in r.getMessage()]
    assert [r.levelno for r in restarts] == [logging.ERROR, logging.ERROR]
    assert "loop=poll" in restarts[0].getMessage()
    assert "RuntimeError: a bug nobody caught" in restarts[0].getMessage()
    assert "delay_seconds=0.05" in restarts[0].getMessage()
    assert "delay_seconds=0.1" in restarts[1].getMessage()  # backing off
    assert all(r.exc_info is not None for r in restarts)  # the traceback, for the developer
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


async def _true(value: bool) -> bool:
    return value


async def test_a_loop_that_ends_other_than_by_stop_says_so(
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    _feeds_yaml(feeds_file)
    loops = IngestionLoops(
        Application(sessions), Settings(feeds_file=feeds_file, poll_tick_seconds=3600)
    )
    loops.start()
    watcher = next(task for task in loops._tasks if task.get_name() == "feeds-file-watch")
    watcher.cancel()  # a stray cancel, as a leaked one from a task group would be
    await asyncio.gather(watcher, return_exceptions=True)
    await loops.stop()
    gc.unfreeze()
    ended = [r for r in caplog.records if "not restarted" in r.getMessage()]
    assert [r.levelno for r in ended] == [logging.CRITICAL]
    assert "loop=feeds-file-watch" in ended[0].getMessage()
