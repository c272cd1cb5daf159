"""Benchmark: 1,000 digests due in the same minute, posted through a rate-limited fake Discord.

    .venv/bin/python bench/digest_delivery.py                       # SQLite, 1,000 subscriptions
    .venv/bin/python bench/digest_delivery.py --subscriptions 200   # a quick look
    .venv/bin/python bench/digest_delivery.py --postgres postgresql://postgres@127.0.0.1:5432/test

The fake Discord of the test suite runs in a process of its own with Discord's rate limits on
(50 requests/s per token, Create Message in buckets of 5 per 5 s per channel). This process
builds a real archive (a migrated SQLite file, or a fresh PostgreSQL database next to the one
given): 60 instance-list feeds (one in ten official) and a feed of its own for one server in
ten, ``--days`` days of analysed items (``--items`` a day: one story in three reported by two or
three feeds, 1-2 laws and 0-2 companies each with a Zipf-like skew over the shipped catalog,
one in five with a stance claim). Then ``--subscriptions`` daily digests across servers of five
channels each, all due in the same minute (written in UTC, Europe/Brussels or America/New_York
local time), most on the instance list alone with no topics, some with topics or more stories,
each having run the day before. The real ``PolicyBot`` logs in to the fake (gateway and all),
its real APScheduler fires every job at that minute, and the bench waits until every job has
finished.

Printed: wall time from the first job fired to the last finished (target under 3 min), the
outcomes, requests and 429s by scope as the fake counted them (and what discord.py's handling
expects), the busiest second the fake saw, requests and messages per digest, the event loop's
max and p99 lag as a 10 ms ticker saw them over that time (target under 50 ms), peak RSS of
both processes, and the ledger checks (each item once per subscription, messages in Discord =
parts recorded, no nonce twice). Figures are noisy on a shared machine: compare runs made
one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
FEEDS = 60
CHANNELS_PER_GUILD = 5
TIMEZONES = ("UTC", "UTC", "Europe/Brussels", "America/New_York")
TICK = 0.01
SUMMARY = (
    "Regulators set out how the rules apply to general-purpose models, with obligations "
    "phased in over two years. Companies said they needed more time to comply, and civil "
    "society groups asked for stronger enforcement of the transparency duties."
)


def _importable() -> None:
    """The fake Discord lives in the test suite: put the repository on the path."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


# -- the fake Discord, in a process of its own ---------------------------------------------


def guild_ids(subscriptions: int) -> list[int]:
    count = -(-subscriptions // CHANNELS_PER_GUILD)
    return [400_000_000_000_000_000 + number * 100 for number in range(count)]


def digest_channels(guild_id: int) -> list[int]:
    return [guild_id + 11 + n for n in range(CHANNELS_PER_GUILD)]


def serve_fake(connection: Connection, subscriptions: int) -> None:
    _importable()
    asyncio.run(_serve_fake(connection, subscriptions))


async def _serve_fake(connection: Connection, subscriptions: int) -> None:
    from tests.fake_discord import FakeDiscord, FakeGuild
    from tests.fake_discord.payloads import (
        BOT_USER,
        EVERYONE_PERMISSIONS,
        FakeChannel,
        FakeMember,
    )

    guilds = [
        FakeGuild(
            id=guild_id,
            name=f"Server {number}",
            channel_id=guild_id + 10,
            members=[FakeMember(BOT_USER, EVERYONE_PERMISSIONS)],
            channels=[
                FakeChannel(channel_id, f"digest-{n}")
                for n, channel_id in enumerate(digest_channels(guild_id))
            ],
        )
        for number, guild_id in enumerate(guild_ids(subscriptions))
    ]
    loop = asyncio.get_running_loop()
    async with FakeDiscord(guilds=guilds) as fake:
        connection.send(fake.port)
        await loop.run_in_executor(None, connection.recv)  # asked for the figures
        connection.send(_fake_figures(fake))
        await loop.run_in_executor(None, connection.recv)  # told to stop


def _fake_figures(fake: Any) -> dict[str, Any]:
    posts = [r for r in fake.requests if r.method == "POST" and "/messages" in r.path]
    nonces = Counter(
        (channel, body.get("nonce"))
        for channel, bodies in fake.channel_messages.items()
        for body in bodies
    )
    counted = sorted(
        r.at for r in fake.requests if not r.path.startswith(("/interactions/", "/webhooks/"))
    )
    busiest, start = 0, 0
    for end, at in enumerate(counted):
        while counted[start] <= at - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return {
        "requests": len(fake.requests),
        "message_posts": len(posts),
        "post_statuses": dict(Counter(r.status for r in posts)),
        "rate_limited": dict(fake.rate_limited),
        "messages": sum(len(bodies) for bodies in fake.channel_messages.values()),
        "channels": len(fake.channel_messages),
        "nonces_twice": sum(1 for count in nonces.values() if count > 1),
        "busiest_second": busiest,
        "unexpected": len(fake.unexpected),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# -- the archive ----------------------------------------------------------------------------


def skewed(rng: random.Random, values: list[str]) -> str:
    """A Zipf-like pick: the first entries of ``values`` are drawn far more often."""
    return values[min(int(rng.paretovariate(1.2)) - 1, len(values) - 1)]


async def seed_archive(sessions: Any, args: argparse.Namespace, *, now: datetime) -> int:
    """Feeds and ``--days`` of analysed items; how many items."""
    from bot.catalog import load_catalog
    from bot.domain.model import StanceLabel
    from tests.support.digests import NewsItem, add_feed, add_items

    catalog = load_catalog()
    rng = random.Random(args.seed)
    laws = [law.id for law in catalog.laws if not law.generic]
    companies = [company.id for company in catalog.companies]
    feeds = [
        await add_feed(
            sessions,
            url=f"https://feed{n}.example/rss",
            title=f"Policy Feed {n}",
            kind="official" if n % 10 == 0 else "news",
            jurisdictions=(rng.choice(("eu", "us", "uk", "intl")),),
        )
        for n in range(FEEDS)
    ]
    own = {
        guild_id: await add_feed(
            sessions,
            url=f"https://server{guild_id}.example/rss",
            title=f"Server feed {guild_id}",
            in_instance_list=False,
            followed_by=[guild_id],
        )
        for guild_id in guild_ids(args.subscriptions)[::10]
    }
    by_feed: dict[int, list[NewsItem]] = {}
    total = args.items * args.days
    story = 0
    made = 0
    while made < total:
        story += 1
        copies = rng.choice((1, 1, 2, 3))
        story_laws = tuple(dict.fromkeys(skewed(rng, laws) for _ in range(rng.randint(1, 2))))
        hours_ago = rng.uniform(0.1, 24 * args.days)
        for copy in range(copies):
            feed = rng.choice(feeds)
            named = tuple(dict.fromkeys(skewed(rng, companies) for _ in range(rng.randint(0, 2))))
            claims = ()
            if named and rng.random() < 0.2:
                stance = rng.choice((StanceLabel.SUPPORT, StanceLabel.OPPOSE, StanceLabel.NEUTRAL))
                claims = (
                    (named[0], story_laws[0], stance, f"{named[0]} said it has views on it."),
                )
            by_feed.setdefault(feed, []).append(
                NewsItem(
                    f"Story {story}: regulators move on {story_laws[0]} ({copy})",
                    summary=SUMMARY,
                    url=f"https://news.example/{story}/{copy}",
                    hours_ago=hours_ago + copy / 10,
                    laws=story_laws,
                    companies=named,
                    claims=claims,
                    story_key=f"story:{story}" if copies > 1 else None,
                )
            )
            made += 1
    for guild_id, feed in own.items():
        by_feed[feed] = [
            NewsItem(f"Local story {guild_id}-{n}", hours_ago=n + 0.5, laws=(skewed(rng, laws),))
            for n in range(args.items // 100 * args.days)
        ]
    for feed, items in by_feed.items():
        await add_items(sessions, feed, items, now=now)
    return sum(len(items) for items in by_feed.values())


async def seed_subscriptions(
    app: Any, sessions: Any, args: argparse.Namespace, *, fire: datetime
) -> int:
    """Daily digests all due at ``fire``, each having run the day before; how many."""
    from bot.domain.model import DigestCadence
    from bot.storage.digests import DigestStore
    from tests.support.digests import subscribe

    rng = random.Random(args.seed + 1)
    made = 0
    for guild_id in guild_ids(args.subscriptions):
        for channel_id in digest_channels(guild_id):
            if made == args.subscriptions:
                break
            zone = rng.choice(TIMEZONES)
            local = fire.astimezone(ZoneInfo(zone))
            draw = rng.random()
            request: dict[str, Any] = {}
            if draw < 0.1:
                request["topics"] = "AI Act"
            elif draw < 0.15:
                request["topics"] = "EU"
            elif draw < 0.3:
                request["max_stories"] = 25
            view = await subscribe(
                app,
                guild_id,
                channel_id,
                cadence=DigestCadence.DAILY,
                time=local.strftime("%H:%M"),
                timezone=zone,
                now=fire - timedelta(days=30),
                **request,
            )
            async with sessions.begin() as session:
                await DigestStore(session).record_result(
                    view.subscription.id,
                    result="posted",
                    ran_at=fire - timedelta(days=1),
                    now=fire - timedelta(days=1),
                )
            made += 1
    return made


async def seed_yesterdays_ledger(sessions: Any, *, fire: datetime) -> None:
    """What yesterday's runs left in the ledger: a run per subscription, and an entry for
    every instance-list item its window held then (one statement)."""
    from sqlalchemy import insert, literal, select

    from bot.domain.model import DigestDisposition, DigestStatus
    from bot.storage.schema import Digest as DigestRun
    from bot.storage.schema import DigestEntry, DigestSubscription, Feed, Item, ItemAnalysis

    yesterday = fire - timedelta(days=1)
    async with sessions.begin() as session:
        subscriptions = (await session.execute(select(DigestSubscription))).scalars().all()
        for subscription in subscriptions:
            session.add(
                DigestRun(
                    guild_id=subscription.guild_id,
                    subscription_id=subscription.id,
                    channel_id=subscription.channel_id,
                    status=DigestStatus.POSTED,
                    plan={},
                    parts_total=1,
                    parts_sent=1,
                    attempts=0,
                    created_at=yesterday,
                    posted_at=yesterday,
                )
            )
        await session.flush()
        covered = (
            select(
                DigestRun.id,
                DigestRun.subscription_id,
                DigestRun.guild_id,
                Item.id,
                literal(DigestDisposition.SUMMARISED, DigestEntry.disposition.type),
                literal(0),
            )
            .join(Item, Item.fetched_at <= yesterday)
            .join(Feed, (Feed.id == Item.feed_id) & Feed.in_instance_list.is_(True))
            .join(ItemAnalysis, (ItemAnalysis.item_id == Item.id) & ItemAnalysis.is_relevant)
            .where(Item.fetched_at > yesterday - timedelta(days=1, hours=1))
        )
        await session.execute(
            insert(DigestEntry).from_select(
                ["digest_id", "subscription_id", "guild_id", "item_id", "disposition", "part"],
                covered,
            )
        )


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Figures:
    seeded_items: int = 0
    seed_seconds: float = 0.0
    idle_seconds: float = 0.0
    wall_seconds: float = 0.0
    jobs: int = 0
    job_errors: int = 0
    lags: list[float] | None = None
    longest_scheduler_pass: float = 0.0
    worst_lag_at: float = 0.0  # seconds after the first job fired
    slow_ticks: int = 0  # ticks later than 50 ms
    outcomes: dict[str, int] | None = None
    parts_recorded: int = 0
    entries_twice: int = 0
    peak_rss_mb: float = 0.0


async def _lag_ticker(lags: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """(when, how late) for every 10 ms tick, on ``time.perf_counter``."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(TICK)
        lags.append((time.perf_counter(), loop.time() - started - TICK))


async def deliver(args: argparse.Namespace, database_url: str, port: int) -> Figures:
    import discord
    import yarl
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
    from sqlalchemy import func, select

    from bot.app import Application
    from bot.chat.client import PolicyBot
    from bot.chat.scheduler import JobScheduler
    from bot.settings import Settings
    from bot.storage.engine import make_engine, make_session_factory
    from bot.storage.schema import Digest as DigestRun
    from bot.storage.schema import DigestEntry, DigestSubscription

    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    figures = Figures()
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    app = Application(sessions)
    started = time.perf_counter()
    now = datetime.now(UTC)
    figures.seeded_items = await seed_archive(sessions, args, now=now)
    seconds = max(60.0, args.subscriptions * 0.06 + 30)  # the subscriptions take about this
    fire = (now + timedelta(seconds=seconds)).replace(second=0, microsecond=0)
    fire += timedelta(minutes=1)
    await seed_subscriptions(app, sessions, args, fire=fire)
    await seed_yesterdays_ledger(sessions, fire=fire)
    figures.seed_seconds = time.perf_counter() - started
    if datetime.now(UTC) > fire - timedelta(seconds=10):
        raise SystemExit("seeding ran past the fire minute; run again (it is chosen from speed)")

    submitted: list[float] = []
    finished: list[float] = []
    errors: list[object] = []
    passes: list[float] = []

    class TimedScheduler(JobScheduler):  # type: ignore[misc]
        """APScheduler as it is, timing each synchronous pass over the due jobs."""

        def _process_jobs(self) -> Any:
            started = time.perf_counter()
            try:
                return super()._process_jobs()
            finally:
                passes.append(time.perf_counter() - started)

    scheduler = TimedScheduler(timezone=UTC)

    def fired(event: Any) -> None:  # the digest jobs only: the periodic checks fire at start
        if event.job_id.startswith("digest"):
            submitted.append(time.perf_counter())

    scheduler.add_listener(fired, EVENT_JOB_SUBMITTED)

    every_job_done = asyncio.Event()
    loop = asyncio.get_running_loop()
    expected: list[int] = []  # how many digest jobs fire: one per digest time, set below

    def done(event: Any) -> None:
        if event.job_id.startswith("digest"):
            finished.append(time.perf_counter())
            if event.exception is not None:
                errors.append(event.exception)
            if expected and len(finished) >= expected[0]:
                loop.call_soon_threadsafe(every_job_done.set)

    scheduler.add_listener(done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    settings = Settings(database_url=database_url, discord_token="fake-token")
    bot = PolicyBot(  # start-up frozen out of the collector, as in the bot process
        app, settings, scheduler=scheduler, guild_ready_timeout=0.05, freeze_start_up=True
    )

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """The fake has no IDENTIFY limit."""

    bot.before_identify_hook = identify_at_once  # type: ignore[method-assign]
    connection = asyncio.create_task(bot.start("fake-token"))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        expected.append(sum(1 for job in scheduler.get_jobs() if job.id.startswith("digest:")))
        idle_from = time.perf_counter()
        await asyncio.sleep(max(0.0, (fire - datetime.now(UTC)).total_seconds() - 2))
        figures.idle_seconds = time.perf_counter() - idle_from
        lags: list[tuple[float, float]] = []
        stop = asyncio.Event()
        ticker = asyncio.create_task(_lag_ticker(lags, stop))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(every_job_done.wait(), args.timeout)
        stop.set()
        await ticker
        figures.lags = [lag for _, lag in lags]
        if lags and submitted:
            worst_at, _ = max(lags, key=lambda tick: tick[1])
            figures.worst_lag_at = worst_at - min(submitted)
        figures.slow_ticks = sum(1 for _, lag in lags if lag > 0.05)
        figures.longest_scheduler_pass = max(passes, default=0.0)
        figures.jobs = len(finished)
        figures.job_errors = len(errors)
        if submitted and finished:
            figures.wall_seconds = max(finished) - min(submitted)
    finally:
        await bot.close()
        await asyncio.wait({connection}, timeout=10)

    async with sessions() as session:
        results = (await session.execute(select(DigestSubscription.last_result))).scalars()
        figures.outcomes = dict(Counter((r or "none").split(" ")[0].rstrip(":") for r in results))
        figures.parts_recorded = int(
            await session.scalar(
                select(func.coalesce(func.sum(DigestRun.parts_sent), 0)).where(
                    DigestRun.created_at > fire - timedelta(hours=1)  # not yesterday's
                )
            )
            or 0
        )
        twice = (
            select(DigestEntry.subscription_id)
            .group_by(DigestEntry.subscription_id, DigestEntry.item_id)
            .having(func.count() > 1)
        )
        figures.entries_twice = int(
            await session.scalar(select(func.count()).select_from(twice.subquery())) or 0
        )
    await engine.dispose()
    figures.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """A migrated database: a SQLite file in a temporary folder, or a fresh PostgreSQL one."""
    from sqlalchemy.engine import make_url

    from bot.storage import migrate
    from tests.support.postgres import admin_execute

    if args.postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/policybot.db"
            migrate.upgrade(make_url(url))
            yield url
        return
    admin = make_url(args.postgres).set(drivername="postgresql+asyncpg")
    name = f"policybot_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        url = admin.set(database=name)
        migrate.upgrade(url)
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def report(args: argparse.Namespace, figures: Figures, fake: dict[str, Any]) -> None:
    lags = sorted(figures.lags or [0.0])
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    posted = (figures.outcomes or {}).get("posted", 0)
    limited = fake["rate_limited"]
    print(f"database            {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(
        f"archive             {figures.seeded_items:,} analysed items, seeded with "
        f"{args.subscriptions:,} subscriptions in {figures.seed_seconds:.1f} s"
    )
    print(
        f"jobs finished       {figures.jobs:,} (one per digest time) for "
        f"{args.subscriptions:,} subscriptions, errors {figures.job_errors}"
    )
    print(f"outcomes            {figures.outcomes}")
    print(f"wall time           {figures.wall_seconds:.1f} s  (target < 180 s)")
    print(
        f"requests            {fake['requests']:,} in all; message posts {fake['message_posts']:,}"
        f" {fake['post_statuses']}"
    )
    print(
        f"429s by scope       global {limited.get('global', 0)}, user {limited.get('user', 0)},"
        f" shared {limited.get('shared', 0)}  (discord.py expects: user 0, as it waits on the"
        " bucket headers; global ones it only sleeps out, it does not pace itself)"
    )
    print(f"busiest second      {fake['busiest_second']} requests (Discord's global limit: 50)")
    if posted:
        print(
            f"per digest          {fake['message_posts'] / posted:.2f} requests,"
            f" {fake['messages'] / posted:.2f} messages"
        )
    print(
        f"event-loop lag      max {lags[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms,"
        f" median {statistics.median(lags) * 1000:.1f} ms over {len(lags):,} ticks;"
        f" worst {figures.worst_lag_at:.1f} s after the first job fired,"
        f" {figures.slow_ticks} ticks over 50 ms; APScheduler's longest pass over due jobs"
        f" {figures.longest_scheduler_pass * 1000:.0f} ms"
        "  (target < 50 ms)"
    )
    print(
        f"peak RSS            bot {figures.peak_rss_mb:.0f} MB, fake Discord"
        f" {fake['peak_rss_mb']:.0f} MB"
    )
    print(
        f"ledger              messages in Discord {fake['messages']:,}, parts recorded"
        f" {figures.parts_recorded:,}, entries twice {figures.entries_twice},"
        f" nonces twice {fake['nonces_twice']}, unexpected calls {fake['unexpected']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--items", type=int, default=600, help="analysed items a day")
    parser.add_argument("--days", type=int, default=3, help="days of archive")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made there)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _importable()
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    fake = context.Process(target=serve_fake, args=(theirs, args.subscriptions), daemon=True)
    fake.start()
    try:
        port = ours.recv()
        with database(args) as url:
            figures = asyncio.run(deliver(args, url, port))
        ours.send("figures")
        fake_figures = ours.recv()
        ours.send("stop")
    finally:
        fake.join(timeout=10)
        if fake.is_alive():
            fake.terminate()
    report(args, figures, fake_figures)


if __name__ == "__main__":
    main()
