"""``/help``: what the bot does, listed from the registered commands so it never goes stale."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.render import help as render
from bot.chat.render.help import CommandSummary
from bot.chat.replies import send_reply


class HelpCog(commands.Cog):
    def __init__(self, tree: app_commands.CommandTree) -> None:
        self._tree = tree

    @app_commands.command(name="help", description="What policybot does and how to ask it")
    async def help(self, interaction: discord.Interaction) -> None:
        await send_reply(interaction, render.help_reply(command_summaries(self._tree)))


def command_summaries(tree: app_commands.CommandTree) -> list[CommandSummary]:
    """Every slash command and subcommand, with its options (optional ones in brackets)."""
    summaries: list[CommandSummary] = []
    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Group):
            admin = command.default_permissions is not None
            summaries.extend(
                _summary(sub, admin_only=admin)
                for sub in command.walk_commands()
                if isinstance(sub, app_commands.Command)
            )
        elif isinstance(command, app_commands.Command):
            summaries.append(_summary(command, admin_only=command.default_permissions is not None))
    return summaries


def _summary(command: app_commands.Command[Any, ..., Any], *, admin_only: bool) -> CommandSummary:
    options = tuple(
        f"{p.display_name}:" if p.required else f"[{p.display_name}:]" for p in command.parameters
    )
    return CommandSummary(command.qualified_name, command.description, admin_only, options)
