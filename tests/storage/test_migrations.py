"""The migrations produce exactly the models' schema, and run both ways."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.schema import Base, Feed, Item
from tests.conftest import NOW


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
    assert await migrate.current_revision(engine) == "0003"


def test_the_known_head_is_alembics_head() -> None:
    """Start-up skips Alembic at HEAD_REVISION: a new migration must move it too."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert script.get_heads() == [migrate.HEAD_REVISION]


async def test_start_up_migrates_an_empty_or_older_database_to_head(database_url: URL) -> None:
    engine = make_engine(database_url)
    try:
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade_to_head(engine)
        assert await migrate.current_revision(engine) == migrate.HEAD_REVISION
        await asyncio.to_thread(migrate.downgrade, database_url, "0002")
        assert await migrate.current_revision(engine) == "0002"
        await migrate.upgrade_to_head(engine)
        assert await migrate.current_revision(engine) == migrate.HEAD_REVISION
        async with engine.connect() as connection:
            assert "ttl_minutes" in {
                c["name"]
                for c in await connection.run_sync(lambda c: inspect(c).get_columns("feeds"))
            }
    finally:
        await engine.dispose()


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


async def test_downgrading_past_deferred_indexing_indexes_the_queue(sqlite_url: URL) -> None:
    """0002 -> 0001 on SQLite (only SQLite queues items for search): the queue is indexed."""
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        async with make_session_factory(engine).begin() as session:
            feed = Feed(url="https://n.example/rss", created_at=NOW)
            session.add(feed)
            await session.flush()
            session.add(
                Item(
                    feed_id=feed.id,
                    key="k",
                    title="Queued headline",
                    summary="",
                    fetched_at=NOW,
                    content_hash="h",
                )
            )
        await asyncio.to_thread(migrate.downgrade, sqlite_url, "0001")
        async with engine.begin() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'queued'")
            )
            assert found == 1
            await connection.execute(  # 0001's delete trigger needs it indexed, or FTS5 breaks
                text("DELETE FROM items")
            )
            await connection.execute(
                text("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
            )
        await asyncio.to_thread(migrate.upgrade, sqlite_url)
    finally:
        await engine.dispose()
