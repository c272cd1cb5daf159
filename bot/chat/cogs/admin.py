"""What server-admin commands share: Manage Server, checked again on every use, and a guild."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands


class ServerAdminCog(commands.Cog):
    """Every command of the cog needs a server and Manage Server there.

    Discord hides such commands from other members (``default_permissions``), but server
    admins can change that, so the permission is checked again here, when the command runs.
    """

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True


def guild_id_of(interaction: discord.Interaction) -> int:
    """The server a command runs in (``ServerAdminCog`` has refused direct messages)."""
    if interaction.guild_id is None:  # guarded by interaction_check; here for the type checker
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
