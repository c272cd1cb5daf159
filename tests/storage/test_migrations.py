"""The migrations produce exactly the models' schema, and run both ways."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.schema import Base


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_name": migrate.include_name},
    )
    return list(compare_metadata(context, Base.metadata))


async def test_autogenerate_finds_no_difference(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_database_is_at_head(engine: AsyncEngine) -> None:
    assert await migrate.current_revision(engine) == "0001"


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_downgrade_to_base_and_upgrade_again(migrated_url: URL) -> None:
    await asyncio.to_thread(migrate.downgrade, migrated_url, "base")
    engine = make_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
    finally:
        await engine.dispose()
    await asyncio.to_thread(migrate.upgrade, migrated_url)
    engine = make_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            assert {
                "feeds",
                "items",
                "stance_claims",
                "digest_entries",
            } <= await connection.run_sync(_tables)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
async def test_every_model_table_exists(engine: AsyncEngine, table: str) -> None:
    async with engine.connect() as connection:
        assert table in await connection.run_sync(_tables)
