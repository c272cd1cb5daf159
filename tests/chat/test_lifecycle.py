"""Scenarios A and B: logging in, staying connected, syncing commands only on purpose."""

from __future__ import annotations

import discord

from bot.chat.client import PolicyBot
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import CountingScheduler


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
    assert scheduler.running
    assert scheduler.starts == 1

    await fake_discord.reconnect()
    await fake_discord.until(lambda: len(fake_discord.resumes) == 1)
    await fake_discord.until(lambda: fake_discord.connections == 2 and bot.is_ready())

    await fake_discord.invalidate_session()
    await fake_discord.until(lambda: len(fake_discord.identifies) == 2)
    await fake_discord.until(lambda: bot.is_ready() and len(bot.guilds) == 2)

    assert scheduler.starts == 1
    assert scheduler.running


async def test_close_stops_the_scheduler(bot: PolicyBot, scheduler: CountingScheduler) -> None:
    await bot.close()
    assert not scheduler.running
    assert bot.is_closed()
