"""Engine and session factory, tuned for a long-running service on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 5_000


def make_engine(url: URL | str) -> AsyncEngine:
    """Create the engine; a SQLite file's folder is created on first use."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        ensure_sqlite_directory(engine.url)
        event.listen(engine.sync_engine, "connect", _tune_sqlite_connection)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit; the caller owns each transaction."""
    return async_sessionmaker(engine, expire_on_commit=False)


def ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder for {database}: {exc.strerror}") from exc


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (slash commands) proceed while the poller writes; foreign keys are off by
    # default in SQLite; the busy timeout turns brief lock contention into a wait, not an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
