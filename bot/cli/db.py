"""``policybot db ...``: database administration, the one command family that needs storage."""

from __future__ import annotations

import argparse
import asyncio

from alembic import command as alembic_command

from bot.settings import Settings
from bot.storage import migrate
from bot.storage.engine import make_engine


async def db_upgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.upgrade, settings.database, args.revision)
    print(f"database at revision {await _revision(settings)}")
    return 0


async def db_downgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.downgrade, settings.database, args.revision)
    print(f"database at revision {await _revision(settings)}")
    return 0


async def db_current_command(args: argparse.Namespace, settings: Settings) -> int:
    print(await _revision(settings))
    return 0


async def _revision(settings: Settings) -> str:
    engine = make_engine(settings.database)
    try:
        return await migrate.current_revision(engine) or "(empty database)"
    finally:
        await engine.dispose()


async def db_revision_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.upgrade, settings.database)
    config = migrate.alembic_config(settings.database)
    await asyncio.to_thread(
        alembic_command.revision, config, message=args.message, autogenerate=True
    )
    return 0
