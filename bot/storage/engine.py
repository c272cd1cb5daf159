"""Engine and session factory, tuned for a long-running service on SQLite or PostgreSQL.

The engine is also where database failures become ``StorageError`` (see ``bot.errors``):
every statement, transaction and connection of the process goes through it. A database
another program keeps locked becomes ``DatabaseBusyError`` (``bot.storage.retry`` retries the
transaction for up to ``busy_seconds``, which the session factory carries), a full disk
``DatabaseFullError``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import DatabaseBusyError, DatabaseFullError, StorageError

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

# How long SQLite itself waits for a lock, within one statement, before it says "busy".
SQLITE_BUSY_TIMEOUT_MS = 5_000
# How long a transaction is retried while the database stays busy (POLICYBOT_DATABASE_BUSY_SECONDS).
BUSY_SECONDS = 30.0
BUSY_SECONDS_KEY = "policybot.busy_seconds"


def make_engine(url: URL | str, *, busy_seconds: float = BUSY_SECONDS) -> AsyncEngine:
    """Create the engine; a SQLite file's folder is created on first use.

    SQLite waits for a lock up to 5 s per statement, never longer than ``busy_seconds``.
    """
    engine = create_async_engine(url, pool_pre_ping=True)
    event.listen(engine.sync_engine, "handle_error", _translate_failure)
    event.listen(engine.sync_engine, "do_connect", _connect)
    if engine.dialect.name == "sqlite":
        ensure_sqlite_directory(engine.url)
        busy_ms = max(1, min(SQLITE_BUSY_TIMEOUT_MS, round(busy_seconds * 1000)))

        def tune(dbapi_connection: Any, _record: Any) -> None:
            _tune_sqlite_connection(dbapi_connection, busy_ms)

        event.listen(engine.sync_engine, "connect", tune)
    return engine


def make_session_factory(
    engine: AsyncEngine, *, busy_seconds: float = BUSY_SECONDS
) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit; the caller owns each transaction.

    The factory carries ``busy_seconds``, how long ``bot.storage.retry`` retries a
    transaction the database is too busy for.
    """
    return async_sessionmaker(engine, expire_on_commit=False, info={BUSY_SECONDS_KEY: busy_seconds})


def ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder for {database}: {exc.strerror}") from exc


# SQLite result codes (the primary code, the low byte) that say the database file, the disk or
# a concurrent writer failed; SQLITE_ERROR (syntax, no such table), constraints and misuse
# are bugs and stay SQLAlchemy's exceptions.
_SQLITE_OUTSIDE = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOTADB,
    }
)
# PostgreSQL SQLSTATE classes of the same kind: connection (08), authorization (28), unknown
# database (3D), serialization failure and deadlock (40), resources such as a full disk (53),
# operator intervention such as a shutdown (57), system (58) and internal (XX) errors.
# Syntax (42), data (22) and integrity (23) errors are bugs.
_POSTGRESQL_OUTSIDE = frozenset({"08", "28", "3D", "40", "53", "57", "58", "XX"})
_LOCK_NOT_AVAILABLE = "55P03"
# Failures a retry of the transaction can get past, and a full disk, by name.
_SQLITE_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_POSTGRESQL_BUSY = frozenset({_LOCK_NOT_AVAILABLE, "40001", "40P01"})  # lock, serialization
_POSTGRESQL_DISK_FULL = "53100"


def _translate_failure(context: ExceptionContext) -> None:
    """``handle_error``: raise ``StorageError`` for a failure outside the code; let bugs be.

    Pre-ping is left alone: the pool reacts to a dead connection by reconnecting, and that
    reconnect is where a database that is really gone fails (``_connect``).
    """
    if context.is_pre_ping or not _outside_failure(context):
        return
    original = context.original_exception
    detail = _first_line(original)
    code = getattr(original, "sqlite_errorcode", None)
    state = getattr(original, "sqlstate", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_BUSY:
        raise DatabaseBusyError("the database is locked by another program", detail)
    if state in _POSTGRESQL_BUSY:
        raise DatabaseBusyError("the database is busy with a conflicting transaction", detail)
    if (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or (
        state == _POSTGRESQL_DISK_FULL
    ):
        raise DatabaseFullError("the disk holding the database is full", detail)
    raise StorageError(f"database failure: {detail}")


def _outside_failure(context: ExceptionContext) -> bool:
    if context.is_disconnect:
        return True
    original = context.original_exception
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_OUTSIDE
    state = getattr(original, "sqlstate", None)
    if isinstance(state, str):
        return state[:2] in _POSTGRESQL_OUTSIDE or state == _LOCK_NOT_AVAILABLE
    return False


def _connect(dialect: Dialect, _record: ConnectionPoolEntry, cargs: Any, cparams: Any) -> Any:
    """``do_connect``: the default connect, with the socket errors of a server that is down
    (which the driver raises as plain ``OSError``, never reaching ``handle_error``)."""
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        raise StorageError(f"cannot connect to the database: {exc}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _tune_sqlite_connection(dbapi_connection: Any, busy_ms: int) -> None:
    # WAL lets readers (slash commands) proceed while the poller writes; foreign keys are off by
    # default in SQLite; the busy timeout turns brief lock contention into a wait, not an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def upsert_into(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The database's own INSERT for ``table``, which knows ``ON CONFLICT``.

    The PostgreSQL dialect is imported only on PostgreSQL: SQLite installs never load it
    (about 50 ms of a cron poll's start-up).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    return sqlite.insert(table)
