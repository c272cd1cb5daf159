"""``policybot run`` and ``policybot sync-commands``: the long-running bot and its commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.composition import make_scheduler, open_application, open_chat_bot, open_command_tree
from bot.errors import ConfigError
from bot.service import Role, announce_start, check_role, install_stop_signals, run_service
from bot.settings import Settings


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    role = Role(args.role)
    check_role(role, settings)
    return await run_role(role, settings)


async def run_role(role: Role, settings: Settings) -> int:
    """One process of ``role`` until SIGINT/SIGTERM (``run`` and ``poll`` without ``--once``)."""
    announce_start(settings, role)
    stop = asyncio.Event()
    install_stop_signals(stop)
    async with contextlib.AsyncExitStack() as stack:
        app = await stack.enter_async_context(open_application(settings))
        chat = None
        if role.talks_to_discord:  # a poller never builds a client, token or not
            # Without cycles to stamp it, a bot process's heartbeat says it is connected.
            heartbeat = settings.heartbeat if role is Role.BOT else None
            chat = await stack.enter_async_context(
                open_chat_bot(app, settings, make_scheduler(), heartbeat=heartbeat)
            )
        await run_service(app, settings, stop, role=role, chat=chat)
    return 0


async def sync_commands_command(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        raise ConfigError("sync-commands needs DISCORD_TOKEN (the bot token from Discord)")
    guild_id = None if args.global_scope else (args.guild or settings.dev_guild_id)
    async with open_command_tree(settings) as chat:
        synced = await chat.sync_commands(
            settings.discord_token.get_secret_value(), guild_id=guild_id
        )
    names = ", ".join(sorted(f"/{command.name}" for command in synced))
    where = f"server {guild_id}" if guild_id else "every server (global; may take a while)"
    print(f"synced {len(synced)} commands to {where}: {names}")
    return 0
