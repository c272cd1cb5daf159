"""``policybot run``: the long-running service, from start-up to a clean shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Application
from bot.app.cycle import CycleReport
from bot.errors import FeedsFileError, PolicybotError, StorageError, raise_if_cancelled
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.chat.client import PolicyBot

log = logging.getLogger(__name__)
# A background loop that dies is started again after this long, doubling up to the maximum;
# one that had run for RESTART_RESET_SECONDS before it died starts from the first delay again.
RESTART_DELAY_SECONDS = 1.0
RESTART_DELAY_MAX_SECONDS = 300.0
RESTART_RESET_SECONDS = 600.0


def announce_start(settings: Settings) -> None:
    """The first log line of ``policybot run``: whether it talks to Discord at all, and which
    database and feed list it uses (the two things a newcomer gets wrong first)."""
    where = (
        f"database={settings.database.render_as_string(hide_password=True)} "
        f"feeds_file={settings.feeds_file.resolve()}"
    )
    if settings.discord_token is None:
        log.warning(
            "policybot starting mode=console %s: DISCORD_TOKEN is not set, so it runs without "
            "Discord; feeds are still polled and analysed, and the CLI answers questions",
            where,
        )
    else:
        log.info("policybot starting mode=discord %s", where)


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
    if chat is None or settings.discord_token is None:
        log.info("policybot running mode=console; press Ctrl-C to stop")
    # With Discord, PolicyBot says "running" once it is connected, not before.
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
    """The ingestion cycle on a tick and the feeds.yaml watcher, as supervised background tasks.

    Each loop handles the failures it expects (a database failure ends one cycle, a bad
    feeds.yaml keeps the current list); anything else ends the loop, and its supervisor logs
    the error and starts it again after a backoff, so no loop is ever silently dead.

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
        restart_delay: float = RESTART_DELAY_SECONDS,
    ) -> None:
        self._app = app
        self._settings = settings
        self._on_report = on_report
        self._restart_delay = restart_delay
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._supervise("poll", self._poll_forever), name="poll"),
            asyncio.create_task(
                self._supervise("feeds-file-watch", self._watch_feeds_file),
                name="feeds-file-watch",
            ),
        ]
        self._stopping = False
        for task in self._tasks:
            task.add_done_callback(self._ended)

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A supervisor ends only when ``stop`` cancels it; should it ever end otherwise (a
        stray cancel, or a bug in the supervisor itself), it says so loudly."""
        if self._stopping:
            return
        error = None if task.cancelled() else task.exception()
        log.critical(
            "background loop ended and is not restarted loop=%s error=%s",
            task.get_name(),
            _one_line(error) if error is not None else "cancelled",
            exc_info=error,
        )

    async def _supervise(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run ``loop`` for good: whenever it dies, say so and start it again after a backoff."""
        delay = self._restart_delay
        while True:
            started = time.monotonic()
            try:
                await loop()
                problem = "it returned"
                exc_info: BaseException | None = None
            except Exception as exc:
                raise_if_cancelled()
                problem = _one_line(exc)
                # Policybot's own errors say what is wrong; a bug needs its traceback.
                exc_info = None if isinstance(exc, PolicybotError) else exc
            if time.monotonic() - started >= RESTART_RESET_SECONDS:
                delay = self._restart_delay
            log.error(
                "background loop stopped; restarting loop=%s delay_seconds=%s error=%s",
                name,
                delay,
                problem,
                exc_info=exc_info,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_DELAY_MAX_SECONDS)

    async def _poll_forever(self) -> None:
        cycle = self._app.cycle
        tick = self._settings.poll_tick_seconds
        started = False
        while True:  # the first cycle at once: feeds never fetched are due right away
            backlog = False
            try:
                if not started:
                    spread = await cycle.start(now=datetime.now(UTC))
                    started = True
                    # Everything built so far lives as long as the process: keep it out of
                    # the cyclic collector, so a full collection during a cycle does not
                    # stall the event loop.
                    gc.freeze()
                    log.info("polling started spread=%d tick_seconds=%s", spread, tick)
                report = await cycle.run(
                    now=datetime.now(UTC),
                    analysis_budget=self._settings.analysis_slice_seconds,
                )
            except PolicybotError as exc:  # the storage edge translates database failures
                raise_if_cancelled()
                # One line: the error says what is wrong (and, for the database, that nothing
                # stored was lost); a traceback would only repeat where it was noticed.
                log.error("poll cycle failed; retrying next tick error=%s", exc)
            else:
                backlog = report.analysis_queued > 0
                if self._on_report is not None:
                    await self._on_report(report)
            raise_if_cancelled()
            # A backlog beyond one cycle's analysis goes on at once, with due feeds polled
            # between its slices rather than after all of it.
            await asyncio.sleep(0 if backlog else tick)

    async def _watch_feeds_file(self) -> None:
        """Re-sync the instance list whenever feeds.yaml changes (mtime or size)."""
        path = self._settings.feeds_file
        seen = _file_signature(path)
        while True:
            await asyncio.sleep(self._settings.feeds_file_check_seconds)
            current = _file_signature(path)
            if current == seen:
                continue
            try:
                loaded = await self._app.feeds.sync_file(path, now=datetime.now(UTC))
            except FeedsFileError as exc:
                seen = current
                log.error("feeds file rejected; keeping the current list error=%s", exc)
                continue
            except StorageError as exc:  # not seen yet: the next check tries again
                raise_if_cancelled()
                log.error("feeds file not synced; retrying at the next check error=%s", exc)
                continue
            seen = current
            log.info(
                "feeds file changed file=%s added=%d updated=%d removed=%d",
                path,
                len(loaded.synced.added),
                len(loaded.synced.updated),
                len(loaded.synced.removed),
            )


def _one_line(exc: BaseException) -> str:
    """``RuntimeError: the first line of its message``."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _file_signature(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)
