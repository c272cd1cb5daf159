"""Alembic, driven from code: ``policybot db upgrade`` and the automatic upgrade at start.

``upgrade``, ``downgrade`` and ``alembic_config`` are synchronous (Alembic's async env runs
its own event loop); from async code call them through ``asyncio.to_thread``.

Alembic costs a tenth of a second to import, which every ``policybot poll --once`` from cron
would pay only to learn that there is nothing to do. So start-up (``upgrade_to_head``) reads
the database's revision with plain SQL and imports Alembic only when the database is behind
``HEAD_REVISION``; a test checks that constant against Alembic's own head.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StorageError
from bot.storage.engine import ensure_sqlite_directory
from bot.storage.schema import SEARCH_OBJECT_NAMES

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration in migrations/versions: a new migration must change this too
# (tests/storage/test_migrations.py fails until it does).
HEAD_REVISION = "0010"
# The PostgreSQL advisory lock migrations hold (``migrations/env.py``): any fixed 64-bit key
# that no other part of policybot uses.
MIGRATION_LOCK_KEY = 0x706F6C6963790001
log = logging.getLogger(__name__)
_VERSIONS = table("alembic_version", column("version_num"))


def migrations_dir() -> Path:
    """Inside the package for a wheel install, at the top of the tree for an editable one."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StorageError("the migrations folder is missing from this installation")


def alembic_config(url: URL | str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = make_url(url)
    return config


def upgrade(url: URL | str, revision: str = "head") -> None:
    """Create the database if needed and bring it to ``revision``."""
    from alembic import command

    _run(command.upgrade, make_url(url), revision)


def downgrade(url: URL | str, revision: str) -> None:
    from alembic import command

    _run(command.downgrade, make_url(url), revision)


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """At start: migrate ``engine``'s database to head, unless it is there already."""
    try:
        current = await current_revision(engine)
    except SQLAlchemyError:
        current = None  # e.g. a database file that cannot be opened: Alembic says why
    if current != HEAD_REVISION:
        await asyncio.to_thread(upgrade, engine.url)
        log.info("database migrated from=%s to=%s", current or "empty", HEAD_REVISION)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first upgrade), without Alembic."""
    async with engine.connect() as connection:
        return await connection.run_sync(_stored_revision)


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(_VERSIONS.name):
        return None
    heads: list[str] = sorted(connection.scalars(select(_VERSIONS.c.version_num)))
    if len(heads) > 1:  # a branched history; policybot's migrations are one line
        raise StorageError(f"the database has several migration heads: {', '.join(heads)}")
    return heads[0] if heads else None


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Hide the hand-made search objects (and FTS5's shadow tables) from autogenerate."""
    if name is None:
        return True
    return name not in SEARCH_OBJECT_NAMES and not name.startswith("items_fts")


def _run(step: Callable[[Config, str], None], url: URL, revision: str) -> None:
    from alembic.util import CommandError

    if url.get_backend_name() == "sqlite":  # SQLite cannot open a file in a missing folder
        ensure_sqlite_directory(url)
    try:
        step(alembic_config(url), revision)
    except CommandError as exc:  # an unknown revision, an impossible direction
        raise StorageError(f"database migration refused: {exc}") from exc
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"database migration failed: {exc}") from exc
