"""What the user sees when a command cannot run, and what the operator finds in the log.

Expected refusals (bad arguments, missing permissions, used in DMs) get a specific private
answer; anything else is a bug: the user gets a private apology, the log a traceback.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.chat.render.text import Reply, failure_reply, refusal

log = logging.getLogger(__name__)

UNKNOWN_INTERACTION = 10062  # answered after Discord's 3 s, or answered twice elsewhere
INVALID_WEBHOOK_TOKEN = 50027  # a followup more than 15 minutes after the command


class CommandRefused(app_commands.AppCommandError):
    """A request answered with a refusal; ``message`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def interaction_expired(error: app_commands.AppCommandError) -> bool:
    """True when Discord no longer accepts any answer to this interaction: nothing to retry."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    return isinstance(original, discord.HTTPException) and original.code in {
        UNKNOWN_INTERACTION,
        INVALID_WEBHOOK_TOKEN,
    }


def reply_for_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> Reply:
    """The reply for ``error``, logging it at the level it deserves."""
    name = interaction.command.qualified_name if interaction.command else "?"
    if isinstance(error, CommandRefused):
        log.info("command refused command=%s guild=%s reason=%s", name, interaction.guild_id, error)
        return refusal(error.message)
    if isinstance(error, app_commands.NoPrivateMessage):
        return refusal("This command works in a server, not in direct messages.")
    if isinstance(error, app_commands.MissingPermissions):
        log.info(
            "command refused command=%s guild=%s user=%s missing=%s",
            name,
            interaction.guild_id,
            interaction.user.id,
            ",".join(error.missing_permissions),
        )
        return refusal("Only members with the **Manage Server** permission can use this command.")
    if isinstance(error, app_commands.CheckFailure):
        return refusal("You cannot use this command here.")
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        log.warning("command out of date command=%s guild=%s", name, interaction.guild_id)
        return refusal(
            "This command has changed since it was registered. "
            "The bot's operator should run `policybot sync-commands`."
        )
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    log.error(
        "command failed command=%s guild=%s user=%s",
        name,
        interaction.guild_id,
        interaction.user.id,
        exc_info=original,
    )
    return failure_reply()
