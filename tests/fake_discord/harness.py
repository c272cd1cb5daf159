"""Pointing the real discord.py client at a FakeDiscord, and running PolicyBot against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any

import discord
import pytest
import yarl

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.chat.scheduler import JobScheduler
from bot.settings import Settings
from tests.fake_discord.server import FakeDiscord
from tests.support.clock import NOW


def point_discord_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two class attributes that send every REST call and the gateway to the fake."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url)
    )


class CountingScheduler(JobScheduler):  # type: ignore[misc]
    """A real scheduler that counts how often it was started.

    It starts paused: jobs are added and get their next run times, but nothing fires on the
    real clock in the middle of a test (tests run digests themselves, at the fixed ``NOW``).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(timezone=UTC, **options)
        self.starts = 0

    def start(self, *args: Any, **kwargs: Any) -> None:
        self.starts += 1
        kwargs.setdefault("paused", True)
        super().start(*args, **kwargs)


def command_schema(bot: PolicyBot) -> list[dict[str, Any]]:
    """The commands exactly as ``tree.sync()`` would send them."""
    return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


async def _identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py waits 5 s before a non-initial IDENTIFY; the fake has no such limit."""


@asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    app: Application,
    settings: Settings,
    *,
    scheduler: JobScheduler | None = None,
    register_commands: bool = True,
    **options: Any,
) -> AsyncIterator[PolicyBot]:
    """Start PolicyBot against ``fake``, wait for READY, and close it cleanly afterwards.

    Digests are composed at the fixed ``NOW`` unless ``clock`` is given.
    """
    options.setdefault("clock", lambda: NOW)
    bot = PolicyBot(
        app,
        settings,
        scheduler=scheduler or CountingScheduler(),
        guild_ready_timeout=0.01,
        **options,
    )
    bot.before_identify_hook = _identify_at_once  # type: ignore[method-assign]
    connection = asyncio.create_task(bot.start(fake.token), name="bot-under-test")
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        await asyncio.wait({connection, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if connection.done():
            connection.result()  # raises what start() raised
        assert bot.is_ready(), "the bot did not become ready against the fake"
        if register_commands:
            fake.install_commands(command_schema(bot))
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        await asyncio.wait({connection}, timeout=5)
        if connection.done() and not connection.cancelled():
            connection.exception()  # retrieved, so a failed start is not reported twice
