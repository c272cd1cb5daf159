"""A part Discord accepted while the SQLite file is locked by another writer (another run, a
poll) is recorded once the lock is gone: the run waits the lock out instead of failing with
the message posted and not in the ledger."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.chat.delivery import DiscordDigestChannel
from bot.domain.digest.delivery import RunOutcome
from bot.storage.digests import DigestStore
from bot.storage.engine import make_engine, make_session_factory
from tests.fake_discord import FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items, subscribe


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """A lock held by another connection on the file: SQLite's own behaviour."""
    return sqlite_url


@pytest.fixture
async def patient_sessions(migrated_url: URL) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Statements give up on a lock after 0.1 s; transactions are tried again for 10 s."""
    engine = make_engine(migrated_url, busy_seconds=0.1)
    yield make_session_factory(engine, busy_seconds=10)
    await engine.dispose()


async def test_a_part_accepted_during_another_writers_lock_is_recorded_after_it(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    patient_sessions: async_sessionmaker[AsyncSession],
    migrated_url: URL,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    items = await add_items(sessions, feed, [NewsItem("EU story on the AI Act")])
    guild = fake_discord.guilds[0]
    view = await subscribe(app, guild.id, guild.channels[0].id)
    held = fake_discord.hold_next(r"/channels/\d+/messages")
    running = Application(patient_sessions).digests.run(
        view.subscription.id, DiscordDigestChannel(bot), now=NOW
    )
    other_writer = sqlite3.connect(str(migrated_url.database), isolation_level=None)

    async def post_while_locked() -> None:
        await held.reached.wait()  # Discord made the message; its answer is on the way
        other_writer.execute("BEGIN IMMEDIATE")
        held.release.set()
        await fake_discord.until(lambda: "database busy" in caplog.text, within=5)
        other_writer.execute("ROLLBACK")

    with caplog.at_level(logging.WARNING, logger="bot.storage.retry"):
        result, _ = await asyncio.gather(running, post_while_locked())
    other_writer.close()

    assert result.outcome is RunOutcome.POSTED
    assert len(fake_discord.messages_in(guild.channels[0].id)) == 1
    async with sessions() as session:
        rows = await DigestStore(session).ledger(view.subscription.id)
    assert [row.item_id for row in rows] == items
    assert rows[0].message_id is not None
