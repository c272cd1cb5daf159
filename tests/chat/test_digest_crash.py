"""A digest run SIGKILLed between Discord's acceptance of a part and the ledger write: its
lease keeps other runs off until it expires; the next run after that, within Discord's nonce
window, resends that part with the same nonce, gets the message already made, and carries on;
the channel holds each part once and the ledger each item once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.digests import RUN_LEASE
from bot.storage import migrate
from bot.storage.digests import DigestStore
from bot.storage.engine import make_engine, make_session_factory
from tests.fake_discord import FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items, subscribe

REPO = Path(__file__).resolve().parents[2]
MESSAGES = r"/channels/\d+/messages"


@pytest.fixture
async def database(database_url: URL) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await asyncio.to_thread(migrate.upgrade, database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    await engine.dispose()


async def _runner(
    fake: FakeDiscord, url: URL, subscription_id: int, *, later: timedelta = timedelta(0)
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.digest_runner",
        fake.api_base,
        url.render_as_string(hide_password=False),
        str(subscription_id),
        NOW.isoformat(),
        str(later.total_seconds()),
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigkill_between_send_and_ledger_then_a_restart_posts_each_part_once(
    database: async_sessionmaker[AsyncSession], database_url: URL
) -> None:
    async with FakeDiscord() as fake:
        channel_id = fake.guilds[0].channels[0].id
        feed = await add_feed(database, url="https://wire.example/rss", title="Policy Wire")
        items = await add_items(
            database,
            feed,
            [
                NewsItem(
                    f"AI Act story {n}", summary="The rules, at length. " * 40, hours_ago=1 + n / 10
                )
                for n in range(25)
            ],
        )
        view = await subscribe(Application(database), fake.guilds[0].id, channel_id, max_stories=25)
        held = fake.hold_next(MESSAGES, skip=1)  # Discord makes part 2, the answer never leaves

        killed = await _runner(fake, database_url, view.subscription.id)
        await asyncio.wait_for(held.reached.wait(), 30)
        killed.send_signal(signal.SIGKILL)
        await killed.wait()
        held.release.set()

        assert len(fake.messages_in(channel_id)) == 2  # parts 1 and 2 exist in the channel
        async with database() as session:
            recorded = await DigestStore(session).ledger(view.subscription.id)
        assert {row.part for row in recorded} == {0}  # only part 1 reached the ledger

        too_soon = await _runner(fake, database_url, view.subscription.id)
        out, err = await asyncio.wait_for(too_soon.communicate(), 60)
        assert out.decode().strip() == "skipped", err.decode()  # the dead run's lease holds

        restarted = await _runner(fake, database_url, view.subscription.id, later=RUN_LEASE)
        out, err = await asyncio.wait_for(restarted.communicate(), 60)

        assert restarted.returncode == 0, err.decode()
        assert out.decode().strip() == "posted"
        posted = fake.messages_in(channel_id)
        assert len(posted) == 3
        assert len({message["nonce"] for message in posted}) == 3
        resent = [
            r for r in fake.requests_to("POST", MESSAGES) if r.body["nonce"] == posted[1]["nonce"]
        ]
        assert len(resent) == 2  # part 2 went twice and exists once
        async with database() as session:
            rows = await DigestStore(session).ledger(view.subscription.id)
        assert sorted(row.item_id for row in rows) == items
        assert {row.part for row in rows} == {0, 1, 2}
