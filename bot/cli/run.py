"""``policybot run`` and ``policybot sync-commands``: the long-running bot and its commands."""

from __future__ import annotations

import argparse
import asyncio

from bot.composition import make_scheduler, open_application, open_chat_bot, open_command_tree
from bot.errors import ConfigError
from bot.service import announce_start, install_stop_signals, run_service
from bot.settings import Settings


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
    async with open_command_tree(settings) as chat:
        synced = await chat.sync_commands(
            settings.discord_token.get_secret_value(), guild_id=guild_id
        )
    names = ", ".join(sorted(f"/{command.name}" for command in synced))
    where = f"server {guild_id}" if guild_id else "every server (global; may take a while)"
    print(f"synced {len(synced)} commands to {where}: {names}")
    return 0
