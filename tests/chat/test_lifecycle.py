"""The bot's life on the gateway: logging in, staying connected, answering, shutting down.

It identifies with minimal intents, never registers commands at start-up (only
``policybot sync-commands`` does), starts the scheduler once however often the session resumes
or is invalidated, answers a fast command while a slow one runs, and stops cleanly mid-command.
"""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.cycle import read_heartbeat
from bot.chat.client import PolicyBot
from bot.domain.following import FeedCheckResult
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import CountingScheduler, running_bot


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """Nothing here depends on the database engine; SQLite alone keeps the suite fast."""
    return sqlite_url


async def test_login_identifies_with_minimal_intents_and_caches_both_guilds(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    assert [r.path for r in fake_discord.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    (identify,) = fake_discord.identifies
    intents = discord.Intents._from_value(identify["intents"])
    assert intents == discord.Intents(guilds=True)
    assert not intents.message_content
    assert {guild.name for guild in bot.guilds} == {"Guild A", "Guild B"}
    assert bot.application_id is not None


async def test_startup_registers_no_commands(bot: PolicyBot, fake_discord: FakeDiscord) -> None:
    assert fake_discord.command_puts() == []


async def test_scheduler_starts_once_across_a_resume_and_an_invalid_session(
    bot: PolicyBot, fake_discord: FakeDiscord, scheduler: CountingScheduler
) -> None:
    events: list[str] = []

    async def on_ready() -> None:
        events.append("ready")

    async def on_resumed() -> None:
        events.append("resumed")

    bot.add_listener(on_ready)
    bot.add_listener(on_resumed)
    assert scheduler.running
    assert scheduler.starts == 1

    await fake_discord.reconnect()
    await fake_discord.until(lambda: events == ["resumed"])
    (resume,) = fake_discord.resumes
    assert resume["session_id"] == "session-1"
    assert resume["seq"] == 3  # READY and the two GUILD_CREATEs
    assert len(fake_discord.identifies) == 1

    await fake_discord.invalidate_session()
    await fake_discord.until(lambda: events == ["resumed", "ready"])
    assert len(fake_discord.identifies) == 2
    assert len(bot.guilds) == 2

    assert scheduler.starts == 1
    assert scheduler.running
    # Still answering after both.
    assert (await fake_discord.invoke(fake_discord.slash("help"))).callback_type == 4


async def test_a_slow_command_does_not_hold_up_others(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    release = asyncio.Event()

    async def stuck_check(url: str) -> FeedCheckResult:
        await release.wait()
        return FeedCheckResult(ok=True)

    async with running_bot(
        fake_discord, Application(sessions, check_feed=stuck_check), chat_settings
    ):
        slow = await fake_discord.send_interaction(
            fake_discord.slash("feeds add", url="https://slow.example/feed")
        )
        quick = await fake_discord.invoke(fake_discord.slash("help"), within=1.0)
        assert quick.ack_delay < 1.0
        assert slow.callbacks[0]["type"] == 5
        assert not slow.complete
        release.set()
        await fake_discord.until(lambda: slow.complete)


async def test_shutting_down_mid_command_is_clean(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    started = asyncio.Event()

    async def never_answers(url: str) -> FeedCheckResult:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    scheduler = CountingScheduler()
    async with running_bot(
        fake_discord,
        Application(sessions, check_feed=never_answers),
        chat_settings,
        scheduler=scheduler,
    ) as bot:
        await fake_discord.send_interaction(
            fake_discord.slash("feeds add", url="https://slow.example/feed")
        )
        await asyncio.wait_for(started.wait(), 2)
        await bot.close()

    assert bot.is_closed()
    assert not scheduler.running
    assert (await app.guild_feeds.listing(fake_discord.guilds[0].id, cap=3)).followed == ()


async def test_close_stops_the_scheduler(bot: PolicyBot, scheduler: CountingScheduler) -> None:
    await bot.close()
    assert not scheduler.running
    assert bot.is_closed()


async def test_close_waits_until_a_running_job_has_given_its_connection_back(
    bot: PolicyBot, scheduler: CountingScheduler, engine: AsyncEngine
) -> None:
    """A job cancelled mid-transaction rolls back and returns its connection before
    ``close()`` returns, so nothing is left for the garbage collector once the loop ends."""
    inside = asyncio.Event()
    unwound: list[bool] = []

    async def holds_a_transaction() -> None:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text("SELECT 1"))
            inside.set()
            try:
                await asyncio.Event().wait()
            finally:
                await asyncio.sleep(0.3)  # an unwind that takes a while (a slow rollback)
                unwound.append(True)

    scheduler.add_job(holds_a_transaction, next_run_time=datetime.now(UTC), id="holds")
    scheduler.resume()
    await asyncio.wait_for(inside.wait(), 5)
    assert engine.pool.checkedout() >= 1  # the start-up notice check may hold one too

    await bot.close()

    assert unwound == [True]
    assert engine.pool.checkedout() == 0


async def test_the_bot_process_freezes_its_start_up_out_of_the_collector_once_ready(
    fake_discord: FakeDiscord, app: Application, chat_settings: Settings
) -> None:
    """Full collections walking every start-up object stalled the loop 100-200 ms at a
    time while a minute of digests was posted."""
    gc.unfreeze()
    try:
        async with running_bot(fake_discord, app, chat_settings, freeze_start_up=True):
            frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, discord.py's client, the catalog ...
    finally:
        gc.unfreeze()


async def test_a_bot_process_stamps_its_heartbeat_each_minute_it_is_connected(
    fake_discord: FakeDiscord, app: Application, chat_settings: Settings, tmp_path: Path
) -> None:
    """A ``--role bot`` process runs no ingestion cycle, so its health check reads the stamp
    the client writes when its minute's look at the database succeeded while connected."""
    beat = tmp_path / "policybot.heartbeat"
    async with running_bot(fake_discord, app, chat_settings, heartbeat=beat) as bot:
        check = bot.scheduler.get_job("check:digest-schedule")
        assert check is not None
        assert read_heartbeat(beat) is None  # not before the first check
        await check.func()
        stamped = read_heartbeat(beat)
    assert stamped is not None
    assert abs(datetime.now(UTC) - stamped) < timedelta(minutes=1)
    beat.unlink()
    await check.func()  # closed: no longer connected, so no stamp
    assert read_heartbeat(beat) is None
