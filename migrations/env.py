"""Alembic environment: async engine, batch mode on SQLite, the models as the target."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.migrate import MIGRATION_LOCK_KEY, include_name
from bot.storage.schema import Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> URL:
    given = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if given:
        return make_url(given)
    from bot.settings import Settings  # the plain `alembic` CLI: read the same settings as the bot

    return make_url(Settings.load().database_url)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes starting together (pollers, bots) migrate one at a time; the
            # ones that waited then read the revision the first one left, and do nothing.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
