"""Alembic, driven from code: ``policybot db upgrade`` and the automatic upgrade at start.

These functions are synchronous (Alembic's async env runs its own event loop); from async
code call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StorageError
from bot.storage.engine import ensure_sqlite_directory
from bot.storage.schema import SEARCH_OBJECT_NAMES


def migrations_dir() -> Path:
    """Inside the package for a wheel install, at the top of the tree for an editable one."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StorageError("the migrations folder is missing from this installation")


def alembic_config(url: URL | str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = make_url(url)
    return config


def upgrade(url: URL | str, revision: str = "head") -> None:
    """Create the database if needed and bring it to ``revision``."""
    database_url = make_url(url)
    if database_url.get_backend_name() == "sqlite":
        ensure_sqlite_directory(database_url)
    _run(command.upgrade, database_url, revision)


def downgrade(url: URL | str, revision: str) -> None:
    _run(command.downgrade, make_url(url), revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Hide the hand-made search objects (and FTS5's shadow tables) from autogenerate."""
    if name is None:
        return True
    return name not in SEARCH_OBJECT_NAMES and not name.startswith("items_fts")


def _run(step: Callable[[Config, str], None], url: URL, revision: str) -> None:
    try:
        step(alembic_config(url), revision)
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"database migration failed: {exc}") from exc
