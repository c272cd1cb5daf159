"""``policybot run``: the long-running service, from start-up to a clean shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Application
from bot.app.cycle import CycleReport
from bot.errors import FeedsFileError, PolicybotError, raise_if_cancelled
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
    loaded = await app.feeds.sync_file(settings.feeds_file, now=datetime.now(UTC))
    log.info(
        "feeds loaded file=%s feeds=%d added=%d updated=%d removed=%d",
        settings.feeds_file,
        loaded.listed,
        len(loaded.synced.added),
        len(loaded.synced.updated),
        len(loaded.synced.removed),
    )
    log.info("policybot running; press Ctrl-C to stop")
    # With Discord, each cycle's report goes to the bot: feed-health notices for admins.
    ingestion = IngestionLoops(app, settings, on_report=chat.on_cycle_report if chat else None)
    ingestion.start()
    try:
        if chat is None or settings.discord_token is None:
            await stop.wait()
        else:
            await chat.serve(settings.discord_token.get_secret_value(), stop)
    finally:  # a fatal Discord error must not leave polling tasks behind
        log.info("policybot stopping")
        await ingestion.stop()


def install_stop_signals(stop: asyncio.Event) -> None:
    """Turn SIGINT and SIGTERM into ``stop.set()`` so shutdown runs the normal clean-up path."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


class IngestionLoops:
    """The ingestion cycle on a tick and the feeds.yaml watcher, as background tasks.

    ``on_report`` receives every cycle's report (new and analysed items, health events for
    admins). Cancelling mid-cycle is safe: the poll's writer commits a few feeds per
    transaction, each feed's items with its fetch state and with their places in the search
    and analysis queues, and what a cycle left unindexed or unanalysed is caught up at the
    next start.
    """

    def __init__(
        self,
        app: Application,
        settings: Settings,
        *,
        on_report: Callable[[CycleReport], Awaitable[None]] | None = None,
    ) -> None:
        self._app = app
        self._settings = settings
        self._on_report = on_report
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._poll_forever(), name="poll"),
            asyncio.create_task(self._watch_feeds_file(), name="feeds-file-watch"),
        ]
        for task in self._tasks:
            task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _poll_forever(self) -> None:
        cycle = self._app.cycle
        spread = await cycle.start(now=datetime.now(UTC))
        # Everything built so far lives as long as the process: keep it out of the cyclic
        # collector, so a full collection during a cycle does not stall the event loop.
        gc.freeze()
        tick = self._settings.poll_tick_seconds
        log.info("polling started spread=%d tick_seconds=%s", spread, tick)
        while True:  # the first cycle at once: feeds never fetched are due right away
            try:
                report = await cycle.run(now=datetime.now(UTC))
            except PolicybotError:  # the storage edge translates database failures
                raise_if_cancelled()
                log.exception("poll cycle failed; retrying next tick")
            else:
                if self._on_report is not None:
                    await self._on_report(report)
            raise_if_cancelled()
            await asyncio.sleep(tick)

    async def _watch_feeds_file(self) -> None:
        """Re-sync the instance list whenever feeds.yaml changes (mtime or size)."""
        path = self._settings.feeds_file
        seen = _file_signature(path)
        while True:
            await asyncio.sleep(self._settings.feeds_file_check_seconds)
            current = _file_signature(path)
            if current == seen:
                continue
            seen = current
            try:
                loaded = await self._app.feeds.sync_file(path, now=datetime.now(UTC))
            except FeedsFileError as exc:
                log.error("feeds file rejected; keeping the current list error=%s", exc)
                continue
            log.info(
                "feeds file changed file=%s added=%d updated=%d removed=%d",
                path,
                len(loaded.synced.added),
                len(loaded.synced.updated),
                len(loaded.synced.removed),
            )


def _log_crash(task: asyncio.Task[None]) -> None:
    """A background loop that dies must say so loudly: polling never stops silently."""
    if not task.cancelled() and task.exception() is not None:
        log.critical("background task crashed task=%s", task.get_name(), exc_info=task.exception())


def _file_signature(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)
