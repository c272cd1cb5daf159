"""PostgreSQL for tests: a database of its own per test on the server that
``POLICYBOT_TEST_POSTGRES_URL`` names (``.ci/run`` sets it); without it these tests skip."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ENV = "POLICYBOT_TEST_POSTGRES_URL"


def postgres_admin_url() -> URL | None:
    raw = os.environ.get(POSTGRES_ENV)
    if not raw:
        return None
    url = make_url(raw)
    return url.set(drivername="postgresql+asyncpg")


async def admin_execute(admin: URL, statement: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE) on the server ``admin`` names."""
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def fresh_postgres_database() -> Iterator[URL]:
    """A new, empty PostgreSQL database for one test, dropped after it (skips without one)."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"policybot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name)
    finally:
        asyncio.run(admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
