"""Fixtures for the Discord side: a FakeDiscord the real client is pointed at, and the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import URL

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import CountingScheduler, point_discord_at, running_bot


@pytest.fixture
def chat_settings(migrated_url: URL) -> Settings:
    return Settings(
        database_url=migrated_url.render_as_string(hide_password=False),
        discord_token="fake-token",
        max_feeds_per_guild=3,
    )


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        point_discord_at(fake, monkeypatch)
        yield fake
        # Invariants of every end-to-end test: no call the fake does not know, never more than
        # one acknowledgement per interaction, and no message that could ping anyone.
        assert not fake.unexpected, f"unexpected API calls: {fake.unexpected}"
        assert all(len(record.callbacks) <= 1 for record in fake.interactions.values())
        for body in fake.all_outgoing_messages():
            assert body.get("allowed_mentions") == {"parse": []}, body


@pytest.fixture
def scheduler() -> CountingScheduler:
    return CountingScheduler()


@pytest.fixture
async def bot(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    scheduler: CountingScheduler,
) -> AsyncIterator[PolicyBot]:
    async with running_bot(fake_discord, app, chat_settings, scheduler=scheduler) as running:
        yield running
