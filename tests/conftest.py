"""Shared fixtures: a real, migrated database on SQLite (always) and PostgreSQL (when given).

PostgreSQL tests run when ``POLICYBOT_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets
it); each test gets a database of its own, dropped afterwards. Without the variable they skip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
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
from tests.support.postgres import fresh_postgres_database

pytest_plugins = ["tests.support.skip_summary"]  # one summary line per skip reason
SHARED = Path(__file__).resolve().parents[2] / "shared"


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
    yield from fresh_postgres_database()


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
