"""Shared fixtures: a real, migrated database on SQLite (always) and PostgreSQL (when given).

PostgreSQL tests run when ``POLICYBOT_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets
it); each test gets a database of its own, dropped afterwards. Without the variable they skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.app import Application
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from tests.support.feed_server import (  # noqa: F401 - fixtures for every test package
    feed_server,
    fetcher,
    http_session,
    parser_pool,
    poller,
)

pytest_plugins = ["tests.support.skip_summary"]  # one summary line per skip reason

POSTGRES_ENV = "POLICYBOT_TEST_POSTGRES_URL"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def postgres_admin_url() -> URL | None:
    raw = os.environ.get(POSTGRES_ENV)
    if not raw:
        return None
    url = make_url(raw)
    return url.set(drivername="postgresql+asyncpg")


async def _admin_execute(admin: URL, statement: str) -> None:
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def shared_dir() -> Path:
    """The read-only ../shared folder; tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present on this machine")
    return SHARED


@pytest.fixture
def sqlite_url(tmp_path: Path) -> URL:
    return make_url(f"sqlite+aiosqlite:///{tmp_path / 'policybot.db'}")


@pytest.fixture
def postgres_url() -> Iterator[URL]:
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"policybot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name)
    finally:
        asyncio.run(_admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> URL:
    """Each test using this runs once per database; PostgreSQL skips when not configured."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: URL = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def migrated_url(database_url: URL) -> URL:
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
async def engine(migrated_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(migrated_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture
def app(sessions: async_sessionmaker[AsyncSession]) -> Application:
    return Application(sessions)
