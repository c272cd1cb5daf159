"""The composition root: every long-lived resource is built here, once, and passed down.

Settings come in from ``bot.__main__``; the engine, the HTTP session, the scheduler and the
Discord client are created here and handed to the objects that use them. Nothing in the
package builds a resource at import time.

Discord and APScheduler are imported by the functions that build them, not by this module:
``policybot poll --once`` and the other commands that need neither skip their import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.catalog import load_catalog
from bot.domain.schedule import SchedulePolicy
from bot.errors import ConfigError
from bot.ingest.fetch import FeedFetcher, FetchLimits, make_http_session
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller, PollSettings
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.sqlite_file import check_sqlite_writable

# Feeds a lone SQLite poller leases per statement: a cycle's worth of most instances.
SQLITE_LEASE_BATCH = 500

if TYPE_CHECKING:
    from bot.chat.client import PolicyBot
    from bot.chat.scheduler import JobScheduler


@asynccontextmanager
async def open_application(settings: Settings) -> AsyncIterator[Application]:
    """The engine (migrated to head if behind) and the facade; the engine is disposed of after."""
    catalog = await asyncio.to_thread(load_catalog, settings.catalog_file)  # fail fast if invalid
    await asyncio.to_thread(check_sqlite_writable, settings.database)
    engine = make_engine(settings.database, busy_seconds=settings.database_busy_seconds)
    try:
        await migrate.upgrade_to_head(engine)
        sessions = make_session_factory(engine, busy_seconds=settings.database_busy_seconds)
        async with (
            open_fetcher(settings) as fetcher,
            open_poller(settings, sessions, fetcher) as poller,
        ):
            yield Application(
                sessions,
                poller=poller,
                catalog=catalog,
                page_fetcher=fetcher,
                heartbeat=settings.heartbeat,
                default_timezone=settings.timezone,
            )
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_fetcher(settings: Settings) -> AsyncIterator[FeedFetcher]:
    """The HTTP session and the fetch limits, closed on the way out."""
    http = make_http_session(
        user_agent=settings.user_agent,
        allow_private=settings.allow_private_feeds,
        limit=settings.poll_concurrency,
        limit_per_host=settings.poll_per_host,
    )
    limits = FetchLimits(
        total_timeout=settings.fetch_timeout_seconds,
        connect_timeout=settings.fetch_connect_timeout_seconds,
        read_timeout=min(settings.fetch_timeout_seconds, 15.0),
        max_bytes=settings.fetch_max_bytes,
    )
    try:
        yield FeedFetcher(http, limits)
    finally:
        await http.close()


@asynccontextmanager
async def open_poller(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    fetcher: FeedFetcher | None = None,
) -> AsyncIterator[FeedPoller]:
    """The parser processes (and an HTTP session, unless ``fetcher`` is given), closed after."""
    if fetcher is None:
        async with (
            open_fetcher(settings) as own,
            open_poller(settings, sessions, own) as poller,
        ):
            yield poller
        return
    parser = ParserPool(
        workers=settings.parse_workers,
        timeout=settings.parse_timeout_seconds,
        memory_mb=settings.parse_memory_mb,
    )
    policy = SchedulePolicy(
        base_interval=timedelta(minutes=settings.poll_interval_minutes),
        unconditional_interval=timedelta(minutes=settings.poll_unconditional_interval_minutes),
    )
    try:
        yield FeedPoller(
            sessions,
            fetcher,
            parser,
            PollSettings(
                policy=policy,
                concurrency=settings.poll_concurrency,
                lease_seconds=settings.poll_lease_seconds,
                lease_batch=None if _shared(settings) else SQLITE_LEASE_BATCH,
            ),
        )
    finally:
        await asyncio.to_thread(parser.close)


def _shared(settings: Settings) -> bool:
    """Whether several pollers may share the database (PostgreSQL), or one has it (SQLite)."""
    return settings.database.get_backend_name() == "postgresql"


def make_scheduler() -> JobScheduler:
    """The process's one scheduler for timed jobs, in UTC; the Discord bot starts it."""
    from bot.chat.scheduler import JobScheduler

    return JobScheduler(timezone=UTC)


@asynccontextmanager
async def open_chat_bot(
    app: Application,
    settings: Settings,
    scheduler: JobScheduler,
    *,
    run_digests: bool = True,
    heartbeat: Path | None = None,
) -> AsyncIterator[PolicyBot | None]:
    """The Discord client when DISCORD_TOKEN is set, else None (console mode); closed after."""
    if settings.discord_token is None:
        yield None
        return
    from bot.chat.client import build_bot

    bot = build_bot(
        app,
        settings,
        scheduler=scheduler,
        run_digests=run_digests,
        heartbeat=heartbeat,
        freeze_start_up=True,
    )
    try:
        yield bot
    finally:
        await bot.close()


@asynccontextmanager
async def open_command_tree(settings: Settings) -> AsyncIterator[PolicyBot]:
    """A Discord client only for registering its commands: no migration, no poller, and a
    session factory bound to no database, since registering never runs a command."""
    app = Application(async_sessionmaker(), catalog=load_catalog(settings.catalog_file))
    async with open_chat_bot(app, settings, make_scheduler(), run_digests=False) as chat:
        if chat is None:
            raise ConfigError("sync-commands needs DISCORD_TOKEN (the bot token from Discord)")
        yield chat
