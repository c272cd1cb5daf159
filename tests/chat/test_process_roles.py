"""policybot split into processes over one PostgreSQL database: real subprocesses of
``policybot run --role ...`` against one FakeDiscord and one database.

A poller polls and never opens a gateway, even with DISCORD_TOKEN set; a bot process answers
slash commands and posts due digests without polling. Two bot processes on separate shards
each post only their shards' servers' digests and admin notices; two on the same shards leave
it to the lease, and still every digest and every notice reaches Discord once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.health import HealthEvent, HealthEventKind
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.health_notices import HealthNoticeStore
from bot.storage.schema import Digest
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import default_guilds
from tests.support.cli import REPO, policybot_environment
from tests.support.digests import NewsItem, add_feed, add_items, subscribe
from tests.support.feed_server import FeedServer
from tests.support.postgres import fresh_postgres_database

SCHEMA = Path(__file__).with_name("command_schema.json")
SHARD_0 = 100000000000000001  # (id >> 22) % 2 == 0
SHARD_1 = SHARD_0 + (1 << 22)  # (id >> 22) % 2 == 1
STARTUP = 90.0  # seconds: a process's start-up on a loaded machine


class Policybot:
    """One ``policybot`` subprocess pointed at the fake; its log lines are collected."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(
        cls, name: str, fake: FakeDiscord, env: dict[str, str], *args: str
    ) -> Policybot:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.policybot_at_fake",
            fake.api_base,
            fake.gateway_url,
            *args,
            cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO)},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(name, process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace").rstrip())

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 60)
        await asyncio.wait_for(self._reader, 10)
        return code


@pytest.fixture
def postgres() -> Iterator[URL]:
    """A fresh PostgreSQL database at head (the test skips without one)."""
    for url in fresh_postgres_database():
        migrate.upgrade(url)
        yield url


@pytest.fixture
async def database(postgres: URL) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(postgres)
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=default_guilds((SHARD_0, SHARD_1))) as running:
        running.install_commands(json.loads(SCHEMA.read_text()))
        yield running
        assert not running.unexpected, f"unexpected API calls: {running.unexpected}"
        for body in running.all_outgoing_messages():
            assert body.get("allowed_mentions") == {"parse": []}, body


@pytest.fixture
async def processes() -> AsyncIterator[list[Policybot]]:
    """Every process a test starts; stopped at the end, each exiting cleanly."""
    started: list[Policybot] = []
    yield started
    for each in started:
        assert await each.stop() == 0, each.log
        assert "Traceback" not in each.log, each.log


def environment(
    tmp_path: Path, postgres: URL, feed_server: FeedServer, **extra: str
) -> dict[str, str]:
    """A PostgreSQL database, DISCORD_TOKEN set, and a feeds.yaml of one local feed."""
    feeds = tmp_path / "feeds.yaml"
    wire = feed_server.url("/wire.xml")
    feeds.write_text(f"feeds:\n  - name: Wire\n    url: {wire}\n    kind: news\n")
    return policybot_environment(
        tmp_path,
        POLICYBOT_DATABASE_URL=postgres.render_as_string(hide_password=False),
        POLICYBOT_FEEDS_FILE=str(feeds),
        POLICYBOT_ALLOW_PRIVATE_FEEDS="true",
        POLICYBOT_POLL_TICK_SECONDS="0.5",
        DISCORD_TOKEN="fake-token",
        **extra,
    )


async def due_digests(
    database: async_sessionmaker[AsyncSession], fake: FakeDiscord, guild_ids: list[int]
) -> dict[int, int]:
    """Fresh news, and one daily digest per server that was due while no process ran; the
    subscription id per server."""
    now = datetime.now(UTC)
    feed = await add_feed(database, url="https://wire.example/rss", title="Policy Wire")
    await add_items(
        database, feed, [NewsItem(f"AI Act story {n}", hours_ago=1 + n) for n in range(3)], now=now
    )
    app = Application(database)
    found = {}
    for guild in fake.guilds:
        if guild.id in guild_ids:
            view = await subscribe(app, guild.id, guild.channels[0].id, now=now - timedelta(days=2))
            found[guild.id] = view.subscription.id
    return found


async def owed_notices(database: async_sessionmaker[AsyncSession], fake: FakeDiscord) -> None:
    """A feed both servers added went quiet; each server has an admin channel: two notices
    stored, as the poll writer stores them."""
    ids = [guild.id for guild in fake.guilds]
    feed = await add_feed(
        database,
        url="https://own.example/rss",
        title="Own",
        in_instance_list=False,
        followed_by=ids,
    )
    app = Application(database)
    for guild in fake.guilds:
        await app.digests.update_settings(
            guild.id,
            guild_name=guild.name,
            now=datetime.now(UTC),
            admin_channel_id=guild.channels[1].id,
        )
    event = HealthEvent(
        feed,
        "https://own.example/rss",
        "Own",
        HealthEventKind.PAUSED,
        "HTTP 410",
        datetime.now(UTC),
    )
    async with database.begin() as session:
        assert await HealthNoticeStore(session).record(event) == 2


async def posted_runs(
    database: async_sessionmaker[AsyncSession], subscription_id: int
) -> list[Digest]:
    async with database() as session:
        rows = await session.scalars(
            select(Digest).where(Digest.subscription_id == subscription_id)
        )
        return list(rows)


def assert_posted_once(fake: FakeDiscord, channel_id: int, runs: list[Digest]) -> None:
    """One run, posted, and exactly its parts in the channel, each once."""
    assert [run.status.value for run in runs] == ["posted"]
    messages = fake.messages_in(channel_id)
    assert len(messages) == runs[0].parts_total
    assert len({message["nonce"] for message in messages}) == len(messages)


async def test_a_poller_polls_and_stores_notices_but_never_opens_a_gateway(
    tmp_path: Path,
    postgres: URL,
    database: async_sessionmaker[AsyncSession],
    fake: FakeDiscord,
    feed_server: FeedServer,
    processes: list[Policybot],
) -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410)

    async def wire(request: web.Request) -> web.Response:
        return web.Response(body=b"<rss version='2.0'><channel><title>W</title></channel></rss>")

    feed_server.routes["/gone.xml"] = gone
    feed_server.routes["/wire.xml"] = wire
    a = fake.guilds[0]
    await add_feed(
        database,
        url=feed_server.url("/gone.xml"),
        title="Gone",
        in_instance_list=False,
        followed_by=[a.id],
    )
    env = environment(tmp_path, postgres, feed_server)

    poller = await Policybot.start("poller", fake, env, "run", "--role", "poller")
    processes.append(poller)
    await fake.until(lambda: poller.said("feed health url="), within=STARTUP)
    await fake.until(lambda: bool(feed_server.hits("/wire.xml")), within=STARTUP)

    assert fake.requests == []  # not one call to Discord
    assert fake.connections == 0
    assert poller.said("mode=poller role=poller")
    async with database() as session:
        assert await HealthNoticeStore(session).untold() == 1  # stored for a's admins

    # A bot process, started later, tells it.
    app = Application(database)
    admins = a.channels[1].id
    await app.digests.update_settings(
        a.id, guild_name=a.name, now=datetime.now(UTC), admin_channel_id=admins
    )
    bot = await Policybot.start("bot", fake, env, "run", "--role", "bot")
    processes.append(bot)
    await fake.until(lambda: len(fake.messages_in(admins)) == 1, within=STARTUP)
    assert "Gone" in fake.messages_in(admins)[0]["embeds"][0]["description"]


async def test_a_bot_process_answers_commands_and_posts_a_due_digest_without_polling(
    tmp_path: Path,
    postgres: URL,
    database: async_sessionmaker[AsyncSession],
    fake: FakeDiscord,
    feed_server: FeedServer,
    processes: list[Policybot],
) -> None:
    a = fake.guilds[0]
    subscriptions = await due_digests(database, fake, [a.id])
    env = environment(tmp_path, postgres, feed_server)

    bot = await Policybot.start("bot", fake, env, "run", "--role", "bot")
    processes.append(bot)
    await fake.until(lambda: bot.said("policybot running mode=discord"), within=STARTUP)
    reply = await fake.invoke(fake.slash("help", guild_id=a.id), within=30)
    await fake.until(lambda: bot.said(f"digest run subscription={subscriptions[a.id]}"), within=60)

    assert reply.complete
    assert_posted_once(fake, a.channels[0].id, await posted_runs(database, subscriptions[a.id]))
    assert feed_server.requests == []  # no feed fetched: feeds.yaml is not even read
    assert not bot.said("polling started")


async def test_two_bot_processes_on_separate_shards_each_post_only_their_servers(
    tmp_path: Path,
    postgres: URL,
    database: async_sessionmaker[AsyncSession],
    fake: FakeDiscord,
    feed_server: FeedServer,
    processes: list[Policybot],
) -> None:
    a, b = fake.guilds
    subscriptions = await due_digests(database, fake, [a.id, b.id])
    await owed_notices(database, fake)
    env = environment(tmp_path, postgres, feed_server, POLICYBOT_SHARD_COUNT="2")

    first = await Policybot.start(
        "shard-0", fake, env | {"POLICYBOT_SHARD_IDS": "0"}, "run", "--role", "bot"
    )
    second = await Policybot.start(
        "shard-1", fake, env | {"POLICYBOT_SHARD_IDS": "1"}, "run", "--role", "bot"
    )
    processes += [first, second]
    for process, guild in ((first, a), (second, b)):
        ran = f"digest run subscription={subscriptions[guild.id]} outcome="
        await fake.until(lambda p=process, r=ran: p.said(r), within=STARTUP)
        admins = guild.channels[1].id
        await fake.until(lambda c=admins: len(fake.messages_in(c)) == 1, within=60)
    reply = await fake.invoke(fake.slash("help", guild_id=b.id), within=30)

    assert sorted(s.shard for s in fake.sessions() if s.shard) == [(0, 2), (1, 2)]
    for process, mine, other in ((first, a, b), (second, b, a)):
        assert process.said(f"digest posted subscription={subscriptions[mine.id]} ")
        assert not process.said(f"subscription={subscriptions[other.id]} ")
        assert_posted_once(
            fake, mine.channels[0].id, await posted_runs(database, subscriptions[mine.id])
        )
        assert process.said("admins told notices=1")
    assert reply.complete
    assert second.said("discord shards=1 of 2")
    async with database() as session:
        assert await HealthNoticeStore(session).untold() == 0


async def test_two_bot_processes_on_the_same_shards_post_each_digest_and_notice_once(
    tmp_path: Path,
    postgres: URL,
    database: async_sessionmaker[AsyncSession],
    fake: FakeDiscord,
    feed_server: FeedServer,
    processes: list[Policybot],
) -> None:
    a, b = fake.guilds
    subscriptions = await due_digests(database, fake, [a.id])
    await owed_notices(database, fake)
    env = environment(
        tmp_path, postgres, feed_server, POLICYBOT_SHARD_COUNT="2", POLICYBOT_SHARD_IDS="0,1"
    )
    # Whoever posts the digest first is held mid-run, while the other tries.
    held = fake.hold_next(rf"/channels/{a.channels[0].id}/messages")

    both = [
        await Policybot.start(name, fake, env, "run", "--role", "bot") for name in ("one", "two")
    ]
    processes += both
    await asyncio.wait_for(held.reached.wait(), STARTUP)
    ran = f"digest run subscription={subscriptions[a.id]} outcome="
    await fake.until(lambda: any(p.said(f"{ran}skipped") for p in both), within=STARTUP)
    held.release.set()
    await fake.until(lambda: any(p.said(f"{ran}posted") for p in both), within=60)
    admins = [guild.channels[1].id for guild in (a, b)]
    await fake.until(lambda: all(fake.messages_in(c) for c in admins), within=60)

    assert sum(p.said("reason=lease held") for p in both) == 1  # the other one waited its turn
    assert_posted_once(fake, a.channels[0].id, await posted_runs(database, subscriptions[a.id]))
    assert [len(fake.messages_in(g.channels[1].id)) for g in (a, b)] == [1, 1]
    assert len(fake.sessions()) == 4  # two shards in each process
