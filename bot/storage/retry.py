"""Transactions retried while the database is busy: a lock another program holds is waited out.

SQLite waits for a lock by itself, but only within one statement and only so long (5 s), and
not at all when a transaction that has read must become a writer after another connection
wrote (WAL's "busy snapshot"). ``in_transaction`` runs a unit of work in a transaction of its
own and, while it fails with ``DatabaseBusyError``, rolls it back and runs it again after a
growing pause, for up to the session factory's ``busy_seconds``
(``POLICYBOT_DATABASE_BUSY_SECONDS``); then the error says how long it waited. A transaction
is atomic, so running it again stores nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import DatabaseBusyError, raise_if_cancelled
from bot.storage.engine import BUSY_SECONDS, BUSY_SECONDS_KEY

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_PAUSE_SECONDS = 0.1
LONGEST_PAUSE_SECONDS = 2.0


def busy_seconds(sessions: async_sessionmaker[AsyncSession]) -> float:
    """How long ``sessions``' transactions are retried while the database is busy."""
    info = sessions.kw.get("info") or {}
    value = info.get(BUSY_SECONDS_KEY, BUSY_SECONDS)
    return float(value)


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """``work(session)`` in a transaction of its own, committed; run again while busy."""
    budget = busy_seconds(sessions)
    started = time.monotonic()
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            async with sessions.begin() as session:
                return await work(session)
        except DatabaseBusyError as exc:
            raise_if_cancelled()
            waited = time.monotonic() - started
            if waited + pause > budget:
                raise DatabaseBusyError(exc.problem, exc.detail, waited=budget) from exc
            log.warning(
                "database busy; retrying delay_seconds=%.1f waited_seconds=%.1f error=%s",
                pause,
                waited,
                exc.detail,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
