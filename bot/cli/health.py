"""``policybot health``: a container's health check, run beside ``policybot run``.

Healthy (exit 0) when the database answers a query and the last ingestion cycle stamped the
heartbeat file recently; otherwise one line on what is wrong, exit 1. It never migrates,
polls or writes anything.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.app.cycle import read_heartbeat
from bot.domain.liveness import liveness, tick_allowance
from bot.errors import StorageError
from bot.settings import Settings
from bot.storage.engine import make_engine


async def health_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        engine = make_engine(settings.database)
    except StorageError as exc:
        print(f"unhealthy: the database does not answer: {exc}")
        return 1
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except StorageError as exc:
        print(f"unhealthy: the database does not answer: {exc}")
        return 1
    finally:
        await engine.dispose()
    if args.max_age is not None:
        max_age = timedelta(seconds=args.max_age)
    else:
        max_age = tick_allowance(settings.poll_tick_seconds)
    verdict = liveness(read_heartbeat(settings.heartbeat), now=datetime.now(UTC), max_age=max_age)
    print(verdict.line)
    return 0 if verdict.ok else 1
