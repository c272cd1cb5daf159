"""``policybot run``: the long-running service, from start-up to a clean shutdown.

A process runs one role. ``all`` (the default) is the whole bot in one process. On PostgreSQL
the work splits: ``poller`` processes run only the ingestion loops (fetch, parse, index,
analyse, the feeds.yaml watch) and never connect to Discord; ``bot`` processes run only the
gateway, the slash commands, the digests and the admin notices, and never poll. They meet in
the database: digest runs take a lease there, and the health events the poller stores are
told by a bot process, once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Application
from bot.app.cycle import CycleReport
from bot.errors import (
    ConfigError,
    FeedsFileError,
    PolicybotError,
    StorageError,
    raise_if_cancelled,
)
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.chat.client import PolicyBot

log = logging.getLogger(__name__)
# A background loop that dies is started again after this long, doubling up to the maximum;
# one that had run for RESTART_RESET_SECONDS before it died starts from the first delay again.
RESTART_DELAY_SECONDS = 1.0
RESTART_DELAY_MAX_SECONDS = 300.0
RESTART_RESET_SECONDS = 600.0


class Role(StrEnum):
    """What one ``policybot run`` process does."""

    ALL = "all"  # everything, in one process (SQLite or PostgreSQL)
    POLLER = "poller"  # the ingestion loops only; never Discord
    BOT = "bot"  # Discord only: commands, digests, admin notices; never polls

    @property
    def polls(self) -> bool:
        return self is not Role.BOT

    @property
    def talks_to_discord(self) -> bool:
        return self is not Role.POLLER


def check_role(role: Role, settings: Settings) -> None:
    """Refuse, in one line, a role the settings cannot run."""
    if role is Role.ALL:
        return
    if settings.database.get_backend_name() == "sqlite":
        raise ConfigError(
            f"--role {role.value} needs PostgreSQL: a SQLite database belongs to one process; "
            'set POLICYBOT_DATABASE_URL=postgresql://... (see "Scaling" in the README) '
            "or run 'policybot run' alone"
        )
    if role is Role.BOT and settings.discord_token is None:
        raise ConfigError("--role bot needs DISCORD_TOKEN (the bot token from Discord)")


def announce_start(settings: Settings, role: Role = Role.ALL) -> None:
    """The first log line of ``policybot run``: its role, whether it talks to Discord at all,
    and which database and feed list it uses (the two things a newcomer gets wrong first)."""
    where = (
        f"role={role.value} database={settings.database.render_as_string(hide_password=True)} "
        f"feeds_file={settings.feeds_file.resolve()}"
    )
    if role is Role.POLLER:
        log.info("policybot starting mode=poller %s: polls feeds, never connects to Discord", where)
    elif settings.discord_token is None:
        log.warning(
            "policybot starting mode=console %s: DISCORD_TOKEN is not set, so it runs without "
            "Discord; feeds are still polled and analysed, and the CLI answers questions",
            where,
        )
    else:
        log.info("policybot starting mode=discord %s", where)


async def run_service(
    app: Application,
    settings: Settings,
    stop: asyncio.Event,
    *,
    role: Role = Role.ALL,
    chat: PolicyBot | None = None,
) -> None:
    """Run ``role`` until ``stop`` is set (SIGINT/SIGTERM set it).

    A role that polls loads the feed list first and runs the ingestion loops; with ``chat``
    (built when the role talks to Discord and DISCORD_TOKEN is set) the bot stays connected
    meanwhile. ``policybot poll`` without ``--once`` is the poller role.
    """
    ingestion: IngestionLoops | None = None
    if role.polls:
        loaded = await app.feeds.sync_file(settings.feeds_file, now=datetime.now(UTC))
        log.info(
            "feeds loaded file=%s feeds=%d added=%d updated=%d removed=%d",
            settings.feeds_file,
            loaded.listed,
            len(loaded.synced.added),
            len(loaded.synced.updated),
            len(loaded.synced.removed),
        )
        # In one process with the bot, a cycle that stored health events wakes its teller.
        ingestion = IngestionLoops(app, settings, on_report=chat.on_cycle_report if chat else None)
    token = settings.discord_token if role.talks_to_discord else None
    if chat is None or token is None:
        log.info("policybot running mode=%s; press Ctrl-C to stop", _mode(role))
    # With Discord, PolicyBot says "running" once it is connected, not before.
    if ingestion is not None:
        ingestion.start()
    try:
        if chat is None or token is None:
            await stop.wait()
        else:
            await chat.serve(token.get_secret_value(), stop)
    finally:  # a fatal Discord error must not leave polling tasks behind
        log.info("policybot stopping role=%s", role.value)
        if ingestion is not None:
            await ingestion.stop()


def _mode(role: Role) -> str:
    return "poller" if role is Role.POLLER else "console"


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
                    slice_seconds=self._settings.analysis_slice_seconds,
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
