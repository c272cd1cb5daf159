"""``policybot run``: the long-running service, from start-up to a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.app import Application
from bot.ingest.sources import load_feed_sources
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.chat.client import PolicyBot

log = logging.getLogger(__name__)


def announce_start(settings: Settings) -> None:
    """The first log line of ``policybot run``: whether it talks to Discord at all."""
    if settings.discord_token is None:
        log.warning(
            "policybot starting mode=console: DISCORD_TOKEN is not set, so it runs without "
            "Discord; feeds are still polled and analysed, and the CLI answers questions"
        )
    else:
        log.info("policybot starting mode=discord")


async def run_service(
    app: Application, settings: Settings, stop: asyncio.Event, *, chat: PolicyBot | None = None
) -> None:
    """Load the feed list, then run until ``stop`` is set (SIGINT/SIGTERM set it).

    With ``chat`` (built when DISCORD_TOKEN is set) the bot stays connected meanwhile.
    """
    sources = load_feed_sources(settings.feeds_file)
    synced = await app.sync_instance_feeds(sources, now=datetime.now(UTC))
    log.info(
        "feeds loaded file=%s feeds=%d added=%d updated=%d removed=%d",
        settings.feeds_file,
        len(sources),
        len(synced.added),
        len(synced.updated),
        len(synced.removed),
    )
    log.info("policybot running; press Ctrl-C to stop")
    if chat is None or settings.discord_token is None:
        await stop.wait()
    else:
        await chat.serve(settings.discord_token.get_secret_value(), stop)
    log.info("policybot stopping")


def install_stop_signals(stop: asyncio.Event) -> None:
    """Turn SIGINT and SIGTERM into ``stop.set()`` so shutdown runs the normal clean-up path."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
