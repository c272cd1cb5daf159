"""discord.py's own sharding against the fake gateway: the recommended shard count from
``/gateway/bot``, and a process on some shards seeing only those shards' servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
import pytest
from discord.ext import commands

from bot.app import Application
from bot.chat.client import ShardedPolicyBot, build_bot, minimal_intents
from bot.domain.shards import shard_of
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import CountingScheduler, point_discord_at
from tests.fake_discord.payloads import default_guilds

SHARD_0 = 100000000000000001  # (id >> 22) % 2 == 0
SHARD_1 = SHARD_0 + (1 << 22)


async def _identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py waits 5 s between shard IDENTIFYs; the fake has no such limit."""


@asynccontextmanager
async def connected(client: discord.Client, fake: FakeDiscord) -> AsyncIterator[None]:
    client.before_identify_hook = _identify_at_once  # type: ignore[method-assign]
    connection = asyncio.create_task(client.start(fake.token))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        yield
    finally:
        await client.close()
        await asyncio.wait({connection}, timeout=5)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=default_guilds((SHARD_0, SHARD_1))) as running:
        point_discord_at(running, monkeypatch)
        yield running
        assert not running.unexpected, running.unexpected


async def test_without_a_count_the_client_connects_the_shards_discord_recommends(
    fake: FakeDiscord,
) -> None:
    fake.recommended_shards = 2
    client = commands.AutoShardedBot(command_prefix="!", intents=minimal_intents())

    async with connected(client, fake):
        assert client.shard_count == 2
        assert sorted(session.shard for session in fake.sessions() if session.shard) == [
            (0, 2),
            (1, 2),
        ]
        assert {guild.id: guild.shard_id for guild in client.guilds} == {
            SHARD_0: shard_of(SHARD_0, 2),
            SHARD_1: shard_of(SHARD_1, 2),
        }


async def test_a_process_on_one_shard_sees_only_that_shards_servers(
    fake: FakeDiscord, app: Application
) -> None:
    settings = Settings(discord_token="fake-token", shard_count=2, shard_ids="1")
    bot = build_bot(app, settings, scheduler=CountingScheduler(), guild_ready_timeout=0.01)

    async with connected(bot, fake):
        assert isinstance(bot, ShardedPolicyBot)
        assert [guild.id for guild in bot.guilds] == [SHARD_1]
        assert [session.shard for session in fake.sessions()] == [(1, 2)]
        (identify,) = fake.identifies
        assert identify["shard"] == [1, 2]
