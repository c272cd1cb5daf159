"""The migrations produce exactly the models' schema, and run both ways."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, insert, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Application
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.position_queue import PositionQueue
from bot.storage.positions import PositionStore
from bot.storage.schema import Base, Feed, Item, PendingAnalysis, StanceClaim
from tests.support.cli import policybot_environment
from tests.support.clock import NOW


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
    assert await migrate.current_revision(engine) == migrate.HEAD_REVISION


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


def test_processes_starting_together_migrate_one_at_a_time(
    postgres_url: URL, tmp_path: Path
) -> None:
    """Pollers and bots started at once on an empty PostgreSQL database all start: one
    migrates, the others wait for its lock and then find nothing to do."""
    env = policybot_environment(
        tmp_path, POLICYBOT_DATABASE_URL=postgres_url.render_as_string(False)
    )
    upgrades = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in upgrades]
    assert [process.returncode for process in upgrades] == [0] * 4, outputs
    assert asyncio.run(_revision(postgres_url)) == migrate.HEAD_REVISION


async def _revision(url: URL) -> str | None:
    engine = make_engine(url)
    try:
        return await migrate.current_revision(engine)
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


_STORED_BEFORE_0004 = {
    "https://e1.example/rss": "http_404: HTTP 404 Not Found",
    "https://e2.example/rss": "timeout: no complete answer in time",
    "https://e3.example/rss": "timeout: parsing took over 5 s",
    "https://e4.example/rss": "blocked: refusing to connect to non-public address 10.0.0.1",
    "https://e5.example/rss": "made-up text with no kind",
}


async def test_0004_splits_stored_errors_into_columns_and_joins_them_back(
    database_url: URL,
) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url, "0003")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            for url, stored in _STORED_BEFORE_0004.items():
                await connection.execute(
                    text(
                        "INSERT INTO feeds (url, title, jurisdictions, tags, in_instance_list,"
                        " redirect_count, status, consecutive_errors, fetch_count, error_count,"
                        " created_at, last_error) VALUES (:url, '', '[]', '[]', false, 0, 'ok',"
                        " 0, 0, 0, :now, :stored)"
                    ),
                    {"url": url, "now": NOW, "stored": stored},
                )
            await connection.execute(
                text(
                    "INSERT INTO feeds (url, title, jurisdictions, tags, in_instance_list,"
                    " redirect_count, status, consecutive_errors, fetch_count, error_count,"
                    " created_at) VALUES ('https://fine.example/rss', '', '[]', '[]', false, 0,"
                    " 'ok', 0, 0, 0, :now)"
                ),
                {"now": NOW},
            )
        await asyncio.to_thread(migrate.upgrade, database_url)
        query = text(
            "SELECT url, last_error_kind, last_error_status, last_error FROM feeds ORDER BY url"
        )
        async with engine.connect() as connection:
            upgraded = [tuple(row) for row in await connection.execute(query)]
        assert upgraded == [
            ("https://e1.example/rss", "http", 404, "HTTP 404 Not Found"),
            ("https://e2.example/rss", "timeout", None, "no complete answer in time"),
            ("https://e3.example/rss", "parse_timeout", None, "parsing took over 5 s"),
            (
                "https://e4.example/rss",
                "blocked",
                None,
                "refusing to connect to non-public address 10.0.0.1",
            ),
            ("https://e5.example/rss", None, None, "made-up text with no kind"),
            ("https://fine.example/rss", None, None, None),
        ]

        await asyncio.to_thread(migrate.downgrade, database_url, "0003")
        async with engine.connect() as connection:
            restored = dict(
                (url, stored)
                for url, stored in await connection.execute(
                    text("SELECT url, last_error FROM feeds")
                )
            )
        assert restored == {**_STORED_BEFORE_0004, "https://fine.example/rss": None}
    finally:
        await engine.dispose()


def _insert(table: str, **values: object) -> tuple[object, dict[str, object]]:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    return text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values


async def test_0006_keeps_server_settings_and_moves_the_ledger_key_to_the_subscription(
    database_url: URL,
) -> None:
    """Up from 0005: settings kept, the old digest rows (none were ever written) cleared; down
    again: of two subscriptions' rows for one item, one stays, as (guild, item) requires."""
    await asyncio.to_thread(migrate.upgrade, database_url, "0005")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement, values in (
                _insert(
                    "feeds",
                    id=1,
                    url="https://n.example/rss",
                    title="",
                    jurisdictions="[]",
                    tags="[]",
                    in_instance_list=False,
                    redirect_count=0,
                    status="ok",
                    consecutive_errors=0,
                    fetch_count=0,
                    error_count=0,
                    created_at=NOW,
                ),
                _insert(
                    "items",
                    id=1,
                    feed_id=1,
                    key="k",
                    title="t",
                    summary="",
                    fetched_at=NOW,
                    content_hash="h",
                    revision=0,
                    is_backlog=False,
                ),
                _insert(
                    "guilds",
                    id=7,
                    name="G",
                    timezone="Europe/Brussels",
                    admin_channel_id=70,
                    digest_channel_id=71,
                    digest_schedule="0 9 * * *",
                    created_at=NOW,
                    updated_at=NOW,
                ),
                _insert(
                    "digests", id=1, guild_id=7, channel_id=71, status="posted", created_at=NOW
                ),
                _insert("digest_entries", id=1, digest_id=1, guild_id=7, item_id=1),
            ):
                await connection.execute(statement, values)

        await asyncio.to_thread(migrate.upgrade, database_url, "0006")
        async with engine.begin() as connection:
            settings = (
                await connection.execute(text("SELECT timezone, admin_channel_id FROM guilds"))
            ).one()
            assert tuple(settings) == ("Europe/Brussels", 70)
            columns = await connection.run_sync(
                lambda c: {column["name"] for column in inspect(c).get_columns("guilds")}
            )
            assert "digest_channel_id" not in columns
            assert await connection.scalar(text("SELECT count(*) FROM digests")) == 0
            for subscription in (1, 2):
                for statement, values in (
                    _insert(
                        "digest_subscriptions",
                        id=subscription,
                        guild_id=7,
                        channel_id=71,
                        cadence="daily",
                        time_of_day="09:00",
                        topics="[]",
                        max_stories=10,
                        failures=0,
                        created_at=NOW,
                        updated_at=NOW,
                    ),
                    _insert(
                        "digests",
                        id=subscription,
                        guild_id=7,
                        subscription_id=subscription,
                        channel_id=71,
                        status="posted",
                        plan="{}",
                        parts_total=1,
                        parts_sent=1,
                        attempts=1,
                        created_at=NOW,
                    ),
                    _insert(
                        "digest_entries",
                        id=subscription,
                        digest_id=subscription,
                        subscription_id=subscription,
                        guild_id=7,
                        item_id=1,
                        disposition="posted",
                        part=0,
                        message_id=900 + subscription,
                    ),
                ):
                    await connection.execute(statement, values)
        async with engine.begin() as connection:  # one subscription never carries it twice
            with pytest.raises(IntegrityError):
                await connection.execute(
                    *_insert(
                        "digest_entries",
                        id=3,
                        digest_id=1,
                        subscription_id=1,
                        guild_id=7,
                        item_id=1,
                        disposition="posted",
                        part=1,
                    )
                )

        await asyncio.to_thread(migrate.downgrade, database_url, "0005")
        async with engine.connect() as connection:
            kept = (await connection.execute(text("SELECT id FROM digest_entries"))).all()
            assert [tuple(row) for row in kept] == [(1,)]
            assert "digest_subscriptions" not in await connection.run_sync(_tables)
        await asyncio.to_thread(migrate.upgrade, database_url)
        assert await migrate.current_revision(engine) == migrate.HEAD_REVISION
    finally:
        await engine.dispose()


async def test_0007_dates_items_stored_with_only_an_updated_date_and_queues_them(
    database_url: URL,
) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url, "0006")
    engine = make_engine(database_url)
    updated = NOW - timedelta(days=40)
    try:
        async with make_session_factory(engine).begin() as session:
            # The columns 0006 has: a model row would name those of later revisions too.
            feed_id = await session.scalar(
                insert(Feed)
                .values(url="https://atom.example/feed", created_at=NOW)
                .returning(Feed.id)
            )
            rows = {
                "atom": dict(published_at=None, updated_at=updated, revision=0),
                "dated": dict(published_at=NOW - timedelta(days=2), updated_at=updated, revision=0),
                "revised": dict(published_at=None, updated_at=NOW, revision=1),
                "undated": dict(published_at=None, updated_at=None, revision=0),
            }
            for key, dates in rows.items():
                session.add(
                    Item(
                        feed_id=feed_id,
                        key=key,
                        title=key,
                        fetched_at=NOW,
                        content_hash=key,
                        **dates,
                    )
                )
        async with engine.begin() as connection:  # analysed already, as 0006 left them
            await connection.execute(text("DELETE FROM items_analysis_pending"))
        await asyncio.to_thread(migrate.upgrade, database_url)
        async with make_session_factory(engine)() as session:
            dates = {
                key: when
                for key, when in await session.execute(select(Item.key, Item.published_at))
            }
            queued = set(
                await session.scalars(
                    select(Item.key).join(PendingAnalysis, PendingAnalysis.item_id == Item.id)
                )
            )
        assert dates == {
            "atom": updated,
            "dated": NOW - timedelta(days=2),
            "revised": None,  # its updated_at may be the time of the revision, not a date
            "undated": None,
        }
        assert queued == {"atom"}
    finally:
        await engine.dispose()


async def test_0010_queues_every_pair_with_a_relevant_claim_and_drops_its_tables_going_down(
    database_url: URL,
) -> None:
    """Up from 0009: the pairs of the archive's relevant claims are queued, so the first drain
    stores their positions; down again: both tables go, the claims stay."""
    await asyncio.to_thread(migrate.upgrade, database_url, "0009")
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            feed_id = await session.scalar(
                insert(Feed).values(url="https://n.example/rss", created_at=NOW).returning(Feed.id)
            )
            item_ids = [
                await session.scalar(
                    insert(Item)
                    .values(feed_id=feed_id, key=key, fetched_at=NOW, content_hash=key)
                    .returning(Item.id)
                )
                for key in ("a", "b")
            ]
            claims = [
                (item_ids[0], "meta", "eu-ai-act", True),
                (item_ids[1], "meta", "eu-ai-act", True),
                (item_ids[1], "openai", "gdpr", True),
                (item_ids[0], "google", "gdpr", False),  # an irrelevant item's claim
            ]
            for index, (item_id, company, target, relevant) in enumerate(claims):
                await session.execute(
                    insert(StanceClaim).values(
                        item_id=item_id,
                        company_id=company,
                        target_id=target,
                        stance="support",
                        evidence="",
                        sentence_index=index,
                        confidence=0.8,
                        attribution="stated",
                        is_relevant=relevant,
                        story_key=f"s:{index}",
                        reported_at=NOW - timedelta(days=index),
                    )
                )
        await asyncio.to_thread(migrate.upgrade, database_url)
        sessions = make_session_factory(engine)
        async with sessions() as session:
            assert await PositionQueue(session).pairs() == {
                ("meta", "eu-ai-act"),
                ("openai", "gdpr"),
            }
        assert await Application(sessions).analysis.refresh_positions(now=NOW) == 2
        async with sessions() as session:
            stored = await PositionStore(session).settled()
        assert sorted((p.pair, p.reports) for p in stored) == [
            (("meta", "eu-ai-act"), 2),
            (("openai", "gdpr"), 1),
        ]
        await asyncio.to_thread(migrate.downgrade, database_url, "0009")
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            assert "stance_positions" not in tables
            assert "stance_positions_pending" not in tables
            assert await connection.scalar(select(func.count()).select_from(StanceClaim)) == 4
        await asyncio.to_thread(migrate.upgrade, database_url)
    finally:
        await engine.dispose()
