"""The bot when Discord pushes back: rate limits, expired interactions, fatal errors, shutdown.

Rate-limited answers are retried and delivered; an interaction Discord no longer accepts is
logged once and never retried, and the user still hears back whenever Discord lets us answer.
A bad token or disallowed intents stop the service with one clear error; otherwise the service
runs the bot until it is stopped and then closes cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.domain.following import FeedCheckResult
from bot.errors import ChatError
from bot.service import announce_start, run_service
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import CountingScheduler, running_bot

WEBHOOK = r"^/webhooks/\d+/[^/]+$"
CALLBACK = r"/callback$"


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """Nothing here depends on the database engine; SQLite alone keeps the suite fast."""
    return sqlite_url


@pytest.mark.usefixtures("bot")
async def test_a_rate_limited_followup_is_retried_and_delivered(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.rate_limit_next(WEBHOOK, retry_after=0.05)

    reply = await fake_discord.invoke(fake_discord.slash("search", query="anything"))

    attempts = fake_discord.requests_to("POST", WEBHOOK)
    assert [attempt.status for attempt in attempts] == [429, 200]
    assert reply.embeds[0]["title"] == "Nothing found."


@pytest.mark.usefixtures("bot")
async def test_a_rate_limited_interaction_callback_is_retried(fake_discord: FakeDiscord) -> None:
    fake_discord.rate_limit_next(CALLBACK, retry_after=0.05)

    reply = await fake_discord.invoke(fake_discord.slash("help"))

    assert [r.status for r in fake_discord.requests_to("POST", r".*/callback")] == [429, 200]
    assert reply.callback_type == 4


@pytest.mark.usefixtures("bot")
async def test_a_429_without_via_is_not_retried_but_the_user_still_hears_back(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    # Without a Via header discord.py takes a 429 for a Cloudflare ban and gives up at once.
    fake_discord.rate_limit_next(WEBHOOK, via=False)

    with caplog.at_level(logging.ERROR, logger="bot.chat.failures"):
        reply = await fake_discord.invoke(fake_discord.slash("search", query="anything"))

    assert "Something went wrong" in reply.text
    assert any("command failed command=search" in r.getMessage() for r in caplog.records)


@pytest.mark.usefixtures("bot")
async def test_an_expired_interaction_is_logged_without_a_retry_storm(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake_discord.fail_next(CALLBACK, 404, code=10062, message="Unknown interaction")

    with caplog.at_level(logging.WARNING, logger="bot.chat"):
        expired = await fake_discord.send_interaction(fake_discord.slash("help"))
        await fake_discord.until(
            lambda: any("interaction expired" in r.getMessage() for r in caplog.records)
        )

    assert len(fake_discord.requests_to("POST", r".*/callback")) == 1  # no retry, no error reply
    assert not expired.callbacks
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (await fake_discord.invoke(fake_discord.slash("help"))).callback_type == 4


@pytest.mark.usefixtures("bot")
async def test_an_answer_later_than_discords_window_is_refused_by_the_fake(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake_discord.ack_deadline = 0  # as if the bot had taken more than 3 s

    with caplog.at_level(logging.WARNING, logger="bot.chat"):
        late = await fake_discord.send_interaction(fake_discord.slash("help"))
        await fake_discord.until(
            lambda: any("interaction expired" in r.getMessage() for r in caplog.records)
        )

    assert not late.callbacks
    assert [r.status for r in fake_discord.requests_to("POST", r".*/callback")] == [404]


async def test_a_followup_after_the_token_expired_is_logged_not_retried(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    release = asyncio.Event()

    async def slow_check(url: str) -> FeedCheckResult:
        await release.wait()
        return FeedCheckResult(ok=True)

    async with running_bot(
        fake_discord, Application(sessions, check_feed=slow_check), chat_settings
    ):
        with caplog.at_level(logging.WARNING, logger="bot.chat"):
            pending = await fake_discord.send_interaction(
                fake_discord.slash("feeds add", url="https://late.example/feed")
            )
            await fake_discord.until(lambda: bool(pending.callbacks))
            fake_discord.token_lifetime = 0  # fifteen minutes pass
            release.set()
            await fake_discord.until(
                lambda: any("interaction expired" in r.getMessage() for r in caplog.records)
            )

    assert [r.status for r in fake_discord.requests_to("POST", WEBHOOK)] == [401]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.usefixtures("bot")
async def test_a_forbidden_followup_still_gets_the_user_a_reply(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.fail_next(WEBHOOK, 403, code=50001, message="Missing Access")

    reply = await fake_discord.invoke(fake_discord.slash("latest"))

    assert "Something went wrong" in reply.text


async def test_channel_messages_never_ping_and_a_global_429_is_waited_out(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    channel = bot.get_channel(fake_discord.guilds[0].channel_id)
    assert isinstance(channel, discord.TextChannel)
    fake_discord.rate_limit_next(r"/channels/\d+/messages", retry_after=0.05, is_global=True)

    await channel.send("@everyone digest", embed=discord.Embed(title="Digest"))

    (sent,) = fake_discord.channel_messages[channel.id]
    assert sent["allowed_mentions"] == {"parse": []}
    statuses = [r.status for r in fake_discord.requests_to("POST", r"/channels/\d+/messages")]
    assert statuses == [429, 200]


async def test_a_bad_token_stops_the_service_with_one_clear_error(
    fake_discord: FakeDiscord, app: Application, chat_settings: Settings
) -> None:
    bot = PolicyBot(app, chat_settings, scheduler=CountingScheduler())

    with pytest.raises(ChatError, match="rejected DISCORD_TOKEN"):
        await bot.serve("wrong-token", asyncio.Event())
    assert bot.is_closed()


async def test_disallowed_intents_are_fatal_not_retried(
    fake_discord: FakeDiscord, app: Application, chat_settings: Settings
) -> None:
    scheduler = CountingScheduler()
    bot = PolicyBot(app, chat_settings, scheduler=scheduler, guild_ready_timeout=0.01)
    serving = asyncio.create_task(bot.serve(fake_discord.token, asyncio.Event()))
    await fake_discord.until(bot.is_ready)

    await fake_discord.close_gateway(4014)

    with pytest.raises(ChatError, match="intents"):
        await asyncio.wait_for(serving, 5)
    assert fake_discord.connections == 1
    assert not scheduler.running


async def test_the_service_runs_the_bot_until_stopped_and_closes_cleanly(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n  - name: Wire\n    url: https://wire.example/feed.xml\n    kind: news\n"
    )
    settings = chat_settings.model_copy(update={"feeds_file": feeds})
    scheduler = CountingScheduler()
    bot = PolicyBot(app, settings, scheduler=scheduler, guild_ready_timeout=0.01)
    stop = asyncio.Event()

    with caplog.at_level(logging.INFO):
        announce_start(settings)
        service = asyncio.create_task(run_service(app, settings, stop, chat=bot))
        await fake_discord.until(bot.is_ready)
        stop.set()
        await asyncio.wait_for(service, 5)

    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == (
        "policybot starting mode=discord role=all "
        f"database={settings.database.render_as_string(hide_password=True)} "
        f"feeds_file={feeds}"
    )
    running = [m for m in messages if m.startswith("policybot running")]
    assert running == ["policybot running mode=discord; press Ctrl-C to stop"]
    assert messages.index(running[0]) > next(
        i for i, m in enumerate(messages) if m.startswith("discord ready")
    )
    assert bot.is_closed()
    assert scheduler.starts == 1
    assert not scheduler.running


def test_console_mode_says_so_in_the_first_line(caplog: pytest.LogCaptureFixture) -> None:
    console = Settings(discord_token="")

    with caplog.at_level(logging.INFO):
        announce_start(console)

    (first, *_) = caplog.records
    assert first.levelno == logging.WARNING
    assert "mode=console" in first.getMessage()
    assert "without Discord" in first.getMessage()


def test_no_voice_warnings_at_start(tmp_path: Path) -> None:
    """discord.py warns once per process that voice needs PyNaCl and davey; policybot has no
    voice, so building the bot must not print that (a fresh process: the flag is global)."""
    code = (
        "from bot.log import configure_logging; configure_logging('INFO')\n"
        "from bot.chat.client import PolicyBot; from bot.settings import Settings\n"
        "PolicyBot(None, Settings(), scheduler=None)\n"
        "import discord; assert not discord.VoiceClient.warn_nacl\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "voice" not in done.stderr
