"""``policybot health``'s use case: does the database answer, and did a cycle run recently?

Run in its own process beside ``policybot run`` (a container's HEALTHCHECK): it opens its own
short-lived engine, reads the heartbeat file the cycles stamp, and writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL

from bot.app.cycle import read_heartbeat
from bot.domain.liveness import Liveness, liveness
from bot.errors import StorageError
from bot.storage.engine import make_engine


async def check_liveness(
    database: URL, heartbeat: Path, *, now: datetime, max_age: timedelta
) -> Liveness:
    try:
        engine = make_engine(database)
    except StorageError as exc:
        return Liveness(False, f"unhealthy: the database does not answer: {exc}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except StorageError as exc:
        return Liveness(False, f"unhealthy: the database does not answer: {exc}")
    finally:
        await engine.dispose()
    return liveness(read_heartbeat(heartbeat), now=now, max_age=max_age)
