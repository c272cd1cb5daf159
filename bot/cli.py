"""The command line: parses arguments, calls the facade, prints results for people.

Each subcommand is an ``async def`` taking ``(args, settings)`` and returning an exit code;
``build_parser`` wires it to its arguments with ``set_defaults(handler=...)``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from alembic import command as alembic_command

from bot import __version__
from bot.composition import make_scheduler, open_application, open_chat_bot
from bot.errors import ConfigError
from bot.service import announce_start, install_stop_signals, run_service
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.engine import make_engine

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policybot",
        description="A self-hosted Discord bot that follows AI-regulation news.",
        epilog="Configuration comes from the environment (POLICYBOT_*, DISCORD_TOKEN) "
        "and an optional .env file; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"policybot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="migrate the database, load feeds.yaml and run until Ctrl-C/SIGTERM"
    )
    run.set_defaults(handler=run_command)

    sync = commands.add_parser(
        "sync-commands",
        help="register the slash commands with Discord (after installing or upgrading)",
        description="Global commands reach every server but may take a while to appear; a "
        "server sync (--guild, or POLICYBOT_DEV_GUILD_ID) shows changes at once.",
    )
    scope = sync.add_mutually_exclusive_group()
    scope.add_argument("--guild", type=int, metavar="ID", help="sync to this server only")
    scope.add_argument(
        "--global",
        dest="global_scope",
        action="store_true",
        help="sync globally even when POLICYBOT_DEV_GUILD_ID is set",
    )
    sync.set_defaults(handler=sync_commands_command)

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="migrate to the newest (or a given) revision")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=db_upgrade_command)
    downgrade = db_commands.add_parser("downgrade", help="migrate back to a revision")
    downgrade.add_argument("revision", help="e.g. -1, base, or a revision id")
    downgrade.set_defaults(handler=db_downgrade_command)
    current = db_commands.add_parser("current", help="print the database's revision")
    current.set_defaults(handler=db_current_command)
    revision = db_commands.add_parser(
        "revision", help="(developers) write a migration from the difference to the models"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(handler=db_revision_command)
    return parser


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    announce_start(settings)
    stop = asyncio.Event()
    install_stop_signals(stop)
    async with (
        open_application(settings) as app,
        open_chat_bot(app, settings, make_scheduler()) as chat,
    ):
        await run_service(app, settings, stop, chat=chat)
    return 0


async def sync_commands_command(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        raise ConfigError("sync-commands needs DISCORD_TOKEN (the bot token from Discord)")
    guild_id = None if args.global_scope else (args.guild or settings.dev_guild_id)
    async with (
        open_application(settings) as app,
        open_chat_bot(app, settings, make_scheduler()) as chat,
    ):
        assert chat is not None  # the token is set
        synced = await chat.sync_commands(
            settings.discord_token.get_secret_value(), guild_id=guild_id
        )
    names = ", ".join(sorted(f"/{command.name}" for command in synced))
    where = f"server {guild_id}" if guild_id else "every server (global; may take a while)"
    print(f"synced {len(synced)} commands to {where}: {names}")
    return 0


async def db_upgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.upgrade, settings.database, args.revision)
    return 0


async def db_downgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.downgrade, settings.database, args.revision)
    return 0


async def db_current_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database)
    try:
        print(await migrate.current_revision(engine) or "(empty database)")
    finally:
        await engine.dispose()
    return 0


async def db_revision_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.upgrade, settings.database)
    config = migrate.alembic_config(settings.database)
    await asyncio.to_thread(
        alembic_command.revision, config, message=args.message, autogenerate=True
    )
    return 0
