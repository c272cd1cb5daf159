"""``policybot db copy``: an archive moved between SQLite and PostgreSQL answers the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.errors import StorageError
from bot.storage import migrate
from bot.storage.copy import copy_archive, secondary_indexes
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.schema import Base, Feed
from tests.support.archive import Story, archive_of
from tests.support.clock import NOW
from tests.support.feeds import add_feed
from tests.support.postgres import fresh_postgres_database

STORIES = [
    Story("Meta refuses to sign the EU's GPAI code of practice", "Meta will not sign the code."),
    Story("OpenAI will sign the code of practice", "OpenAI said it would sign the code."),
    Story("Parliament debates the AI Act's fines", "The AI Act sets fines.", hours_ago=5),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[URL]:
    """An empty database of either kind, apart from the source's."""
    if request.param == "sqlite":
        yield make_url(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('copy') / 'copy.db'}")
        return
    yield from fresh_postgres_database()


async def _counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, as the models read it back (enums, JSON, aware dates)."""
    async with sessions() as session:
        return {
            table.name: [
                tuple(row)
                for row in await session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


async def _indexes(url: URL, *, migrate_first: bool = False) -> dict[str, str]:
    engine = make_engine(url)
    try:
        if migrate_first:
            await migrate.upgrade_to_head(engine)
        async with engine.connect() as connection:
            return await secondary_indexes(connection)
    finally:
        await engine.dispose()


async def _planner_rows(url: URL, table: str) -> float:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT reltuples FROM pg_class WHERE relname = :table"), {"table": table}
            )
            return float(found)
    finally:
        await engine.dispose()


async def _answers(app: Application) -> tuple[object, ...]:
    found = await app.archive.search("code practice")
    return (
        sorted((item.id, item.title) for item in found),
        await app.analysis.stance("meta", now=NOW),
        await app.analysis.stance("eu-gpai-code-of-practice", now=NOW),
    )


async def test_a_copied_archive_has_the_same_rows_and_answers_and_takes_new_rows(
    app: Application, sessions: async_sessionmaker[AsyncSession], migrated_url: URL, target_url: URL
) -> None:
    await archive_of(sessions, STORIES)
    await archive_of(sessions, STORIES[:1], feed_title="Second", feed_url="https://b.example/rss")
    await app.analysis.drain(now=NOW)
    before = await _answers(app)
    assert before[0]  # the search finds something to compare

    indexes = await _indexes(target_url, migrate_first=True)
    report = await copy_archive(migrated_url, target_url, batch=2)  # several batches per table
    assert await _indexes(target_url) == indexes  # dropped for the copy, built again after
    if target_url.get_backend_name() == "postgresql":
        assert await _planner_rows(target_url, "stance_claims") >= 0  # analysed (else -1)
    assert dict(report.rows) == await _counts(sessions)

    engine = make_engine(target_url)
    try:
        copied = make_session_factory(engine)
        assert await _counts(copied) == await _counts(sessions)
        assert await _rows(copied) == await _rows(sessions)
        assert await _answers(Application(copied)) == before
        feed_id = await add_feed(copied, "https://new.example/rss", now=NOW)  # ids go on
        async with copied() as session:
            assert feed_id > int(await session.scalar(select(func.min(Feed.id))) or 0)
    finally:
        await engine.dispose()

    with pytest.raises(StorageError, match="the target is not empty"):
        await copy_archive(migrated_url, target_url)


async def test_a_source_behind_the_schema_is_refused(sqlite_url: URL, target_url: URL) -> None:
    with pytest.raises(StorageError, match="run `policybot db upgrade` on it first"):
        await copy_archive(sqlite_url, target_url)  # a database never migrated
    with pytest.raises(StorageError, match="the same database"):
        await copy_archive(target_url, target_url)
