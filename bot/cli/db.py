"""``policybot db ...``: database administration, the one command family that needs storage."""

from __future__ import annotations

import argparse
import asyncio

from alembic import command as alembic_command

from bot.errors import ConfigError
from bot.settings import Settings, async_database_url
from bot.storage import migrate
from bot.storage.copy import copy_archive
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


async def db_copy_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        source = async_database_url(args.source) if args.source else settings.database
        target = async_database_url(args.target)
    except ValueError as exc:
        raise ConfigError(f"db copy: {exc}") from None

    def progress(table: str, rows: int) -> None:
        print(f"{table:28} {rows:>10} rows")

    report = await copy_archive(source, target, on_table=progress)
    total = sum(rows for _, rows in report.rows)
    shown = target.render_as_string(hide_password=True)
    print(f"copied {total} rows in {len(report.rows)} tables to {shown}; the counts match")
    return 0
