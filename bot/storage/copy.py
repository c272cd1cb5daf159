"""Copying an archive from one database to another (``policybot db copy``), e.g. SQLite to
PostgreSQL when one machine is no longer enough.

Every table of the schema is copied in foreign-key order with its ids, into PostgreSQL with
its binary COPY (several times faster than INSERTs); PostgreSQL's id sequences then continue
after the highest copied id. The search index is not copied: the
target builds its own (PostgreSQL's expression index as rows arrive, SQLite's through the
queue its triggers fill). The target must be empty, and the row counts are checked at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Integer, Row, Table, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StorageError
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.schema import Base
from bot.storage.search import index_pending

COPY_BATCH = 20_000


@dataclass(frozen=True, slots=True)
class CopyReport:
    """Rows copied per table, in the order they were copied."""

    rows: tuple[tuple[str, int], ...]


async def copy_archive(
    source_url: URL,
    target_url: URL,
    *,
    batch: int = COPY_BATCH,
    on_table: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy every table from ``source_url`` into the empty database at ``target_url``.

    The source must be at the current schema revision (it is only read); the target is
    migrated to it first. ``on_table`` hears each table's name and row count once it is
    copied. ``StorageError`` says in one line why a copy is refused or failed.
    """
    if source_url.render_as_string() == target_url.render_as_string():
        raise StorageError("the source and the target are the same database")
    source = make_engine(source_url)
    target = make_engine(target_url)
    try:
        revision = await migrate.current_revision(source)
        if revision != migrate.HEAD_REVISION:
            raise StorageError(
                f"the source is at schema revision {revision or '(none)'}, not "
                f"{migrate.HEAD_REVISION}: run `policybot db upgrade` on it first"
            )
        await migrate.upgrade_to_head(target)
        tables = Base.metadata.sorted_tables
        async with target.connect() as connection:
            filled = [(t.name, n) for t in tables if (n := await _count(connection, t))]
        if filled:
            listed = ", ".join(f"{name}: {count} rows" for name, count in filled)
            raise StorageError(f"the target is not empty ({listed}); copy into a new database")
        copied = []
        async with source.connect() as reading, target.begin() as writing:
            # The driver begins the transaction at the first statement: a COPY must not be it.
            await writing.scalar(select(1))
            async with _indexes_built_after(writing):
                for table in tables:
                    count = await _copy_table(reading, writing, table, batch=batch)
                    copied.append((table.name, count))
                    if on_table is not None:
                        on_table(table.name, count)
            if writing.dialect.name == "postgresql":
                for table in tables:
                    await _continue_sequence(writing, table)
        await _check_counts(source, target, copied)
        await _build_search_index(target)
        if target.dialect.name == "postgresql":
            await _vacuum(target)
        return CopyReport(tuple(copied))
    finally:
        await source.dispose()
        await target.dispose()


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


@asynccontextmanager
async def _indexes_built_after(writing: AsyncConnection) -> AsyncIterator[None]:
    """The target's secondary indexes dropped for the copy and built again after it, from
    their own definitions: one sort per index instead of an update per row (PostgreSQL's
    search index most of all). Constraints and their indexes stay."""
    definitions = await secondary_indexes(writing)
    for name in definitions:
        await writing.execute(text(f'DROP INDEX "{name}"'))
    yield
    for definition in definitions.values():
        await writing.execute(text(definition))


async def secondary_indexes(connection: AsyncConnection) -> dict[str, str]:
    """The definition of every index no constraint owns, by name."""
    if connection.dialect.name == "postgresql":
        found = await connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname"
            )
        )
    else:  # SQLite: the indexes of UNIQUE and PRIMARY KEY constraints have no SQL of their own
        found = await connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "ORDER BY name"
            )
        )
    return {name: definition for name, definition in found}


async def _copy_table(
    reading: AsyncConnection, writing: AsyncConnection, table: Table, *, batch: int
) -> int:
    """The rows in primary-key order, streamed and written ``batch`` at a time."""
    statement = select(table).order_by(*table.primary_key.columns)
    result = await reading.stream(statement.execution_options(yield_per=batch))
    write = _copy_into_postgresql if writing.dialect.name == "postgresql" else _insert
    count = 0
    async for rows in result.partitions(batch):
        await write(writing, table, rows)
        count += len(rows)
    return count


async def _insert(writing: AsyncConnection, table: Table, rows: Sequence[Row[Any]]) -> None:
    """The driver's executemany of one compiled INSERT, over values bound as SQLAlchemy would."""
    statement = str(table.insert().compile(dialect=writing.dialect))
    await writing.exec_driver_sql(statement, _bound(writing, table, rows))


async def _copy_into_postgresql(
    writing: AsyncConnection, table: Table, rows: Sequence[Row[Any]]
) -> None:
    """asyncpg's COPY, in the transaction of ``writing``."""
    raw = await writing.get_raw_connection()
    try:
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name,
            records=_bound(writing, table, rows),
            columns=[column.name for column in table.columns],
        )
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise StorageError(f"copying {table.name} into PostgreSQL failed: {exc}") from exc


def _bound(
    writing: AsyncConnection, table: Table, rows: Sequence[Row[Any]]
) -> list[tuple[Any, ...]]:
    """The rows' values as an INSERT would bind them: an enum as its value, JSON as text, a
    date as UTC (naive on SQLite), in the order of ``table.columns``."""
    dialect = writing.dialect
    bind = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns]
    return [
        tuple(value if to is None else to(value) for to, value in zip(bind, row, strict=True))
        for row in rows
    ]


async def _continue_sequence(connection: AsyncConnection, table: Table) -> None:
    """Set a PostgreSQL id sequence after the highest copied id, so new rows do not collide."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer) or keys[0].foreign_keys:
        return
    key = keys[0]
    highest = func.max(key)
    sequence = func.pg_get_serial_sequence(table.name, key.name)
    await connection.execute(
        select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None)))
    )


async def _check_counts(
    source: AsyncEngine, target: AsyncEngine, copied: list[tuple[str, int]]
) -> None:
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    async with source.connect() as left, target.connect() as right:
        for name, count in copied:
            there = await _count(left, tables[name]), await _count(right, tables[name])
            if there != (count, count):
                raise StorageError(
                    f"row counts differ after the copy for {name}: source {there[0]}, "
                    f"target {there[1]}, copied {count}"
                )


async def _vacuum(target: AsyncEngine) -> None:
    """Statistics and the visibility map now, not when autovacuum comes round: until then
    PostgreSQL scans whole tables where ``/stance`` should read a covering index alone."""
    async with target.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))


async def _build_search_index(target: AsyncEngine) -> None:
    """SQLite indexes copied items through its search queue; PostgreSQL has done it already."""
    sessions = make_session_factory(target)
    while True:
        async with sessions.begin() as session:
            if not await index_pending(session):
                return
