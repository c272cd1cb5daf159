"""``policybot run``: the long-running service, from start-up to a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from bot.app import Application
from bot.ingest.sources import load_feed_sources
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run_service(app: Application, settings: Settings, stop: asyncio.Event) -> None:
    """Load the feed list, then run until ``stop`` is set (SIGINT/SIGTERM set it)."""
    if settings.discord_token is None:
        log.warning("running without Discord: DISCORD_TOKEN is not set")
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
    await stop.wait()
    log.info("policybot stopping")


def install_stop_signals(stop: asyncio.Event) -> None:
    """Turn SIGINT and SIGTERM into ``stop.set()`` so shutdown runs the normal clean-up path."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
