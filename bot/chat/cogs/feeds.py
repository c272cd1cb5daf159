"""``/feeds``: a server's admins choose feeds on top of the instance list.

Discord hides the group from members without Manage Server (``default_permissions``), but
server admins can change that, so every subcommand checks the permission again here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Application
from bot.chat import embeds
from bot.chat.replies import send_reply, think
from bot.domain.following import FeedCheck


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedsCog(
    commands.GroupCog,
    group_name="feeds",
    group_description="Choose the feeds this server follows (Manage Server)",
):
    def __init__(self, app: Application, *, cap: int, check_feed: FeedCheck | None) -> None:
        self._app = app
        self._cap = cap
        self._check_feed = check_feed
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="list", description="The feeds this server follows")
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        await think(interaction, ephemeral=True)
        listing = await self._app.guild_feeds(_guild_id(interaction), cap=self._cap)
        await send_reply(interaction, embeds.feeds_list_reply(listing))

    @app_commands.command(name="add", description="Follow a feed (RSS or Atom) in this server")
    @app_commands.describe(url="The feed's address, e.g. https://example.org/feed.xml")
    async def add(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2048]
    ) -> None:
        await think(interaction, ephemeral=True)
        result = await self._app.follow_feed(
            _guild_id(interaction),
            url,
            guild_name=interaction.guild.name if interaction.guild else "",
            added_by=interaction.user.id,
            now=datetime.now(UTC),
            cap=self._cap,
            check_feed=self._check_feed,
        )
        await send_reply(interaction, embeds.follow_reply(result))

    @app_commands.command(name="remove", description="Stop following a feed in this server")
    @app_commands.describe(feed="Pick one of this server's feeds, or paste its URL")
    async def remove(
        self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2048]
    ) -> None:
        await think(interaction, ephemeral=True)
        result = await self._app.unfollow_feed(_guild_id(interaction), feed)
        await send_reply(interaction, embeds.unfollow_reply(result))

    @remove.autocomplete("feed")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        listing = await self._app.followed_feed_choices(
            _guild_id(interaction), current, limit=embeds.CHOICES_LIMIT
        )
        return embeds.feed_choices(listing)


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:  # guarded by interaction_check; here for the type checker
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
