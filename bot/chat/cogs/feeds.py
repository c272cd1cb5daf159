"""``/feeds``: a server's admins choose feeds on top of the instance list, watch their
health, and move them in and out as OPML files.

Discord hides the group from members without Manage Server (``default_permissions``), but
server admins can change that, so every subcommand checks the permission again
(``ServerAdminCog``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.guild_feeds import GuildFeeds
from bot.chat.cogs.admin import ServerAdminCog, guild_id_of
from bot.chat.render import feeds as render
from bot.chat.render.text import CHOICES_LIMIT, refusal
from bot.chat.replies import send_reply, think
from bot.domain.feed_import import OPML_MAX_BYTES, UploadProblem, upload_problem

log = logging.getLogger(__name__)
EXPORT_FILENAME = "policybot-feeds.opml"
IMPORT_CONCURRENCY = 4  # fetch checks at a time
IMPORT_BUDGET_SECONDS = 60.0  # for all the checks; Discord keeps the reply open for 15 min


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedsCog(
    ServerAdminCog,
    commands.GroupCog,
    group_name="feeds",
    group_description="Choose the feeds this server follows (Manage Server)",
):
    def __init__(
        self,
        feeds: GuildFeeds,
        *,
        cap: int,
        import_budget: float = IMPORT_BUDGET_SECONDS,
    ) -> None:
        self._feeds = feeds
        self._cap = cap
        self._import_budget = import_budget
        super().__init__()

    @app_commands.command(name="list", description="The feeds this server follows")
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        await think(interaction, ephemeral=True)
        listing = await self._feeds.listing(guild_id_of(interaction), cap=self._cap)
        await send_reply(interaction, render.feeds_list_reply(listing))

    @app_commands.command(name="add", description="Follow a feed (RSS or Atom) in this server")
    @app_commands.describe(url="The feed's address, e.g. https://example.org/feed.xml")
    async def add(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2048]
    ) -> None:
        await think(interaction, ephemeral=True)
        result = await self._feeds.follow(
            guild_id_of(interaction),
            url,
            guild_name=interaction.guild.name if interaction.guild else "",
            added_by=interaction.user.id,
            now=datetime.now(UTC),
            cap=self._cap,
        )
        await send_reply(interaction, render.follow_reply(result))

    @app_commands.command(name="remove", description="Stop following a feed in this server")
    @app_commands.describe(feed="Pick one of this server's feeds, or paste its URL")
    async def remove(
        self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2048]
    ) -> None:
        await think(interaction, ephemeral=True)
        result = await self._feeds.unfollow(guild_id_of(interaction), feed)
        await send_reply(interaction, render.unfollow_reply(result))

    @app_commands.command(name="status", description="Health of this server's feeds, or one")
    @app_commands.describe(feed="One of this server's feeds, in detail (leave out for all)")
    async def status(
        self,
        interaction: discord.Interaction,
        feed: app_commands.Range[str, 1, 2048] | None = None,
    ) -> None:
        await think(interaction, ephemeral=True)
        now = datetime.now(UTC)
        if feed is None:
            report = await self._feeds.health_report(guild_id_of(interaction), now=now)
            await send_reply(interaction, render.feeds_status_reply(report))
            return
        found = await self._feeds.health(guild_id_of(interaction), feed, now=now)
        await send_reply(interaction, render.feed_status_reply(found, feed, now=now))

    @app_commands.command(name="export", description="This server's feeds as an OPML file")
    async def export(self, interaction: discord.Interaction) -> None:
        await think(interaction, ephemeral=True)
        name = interaction.guild.name if interaction.guild else str(guild_id_of(interaction))
        export = await self._feeds.export(
            guild_id_of(interaction), title=f"policybot feeds of {name}", now=datetime.now(UTC)
        )
        await send_reply(interaction, render.feeds_export_reply(export, filename=EXPORT_FILENAME))

    @app_commands.command(name="import", description="Follow the feeds of an OPML file")
    @app_commands.describe(file="An .opml file, e.g. exported from a feed reader or /feeds export")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await think(interaction, ephemeral=True)
        problem = upload_problem(file.filename, file.content_type, file.size)
        if problem is not None:
            reply = render.upload_refusal(problem, file.filename, max_bytes=OPML_MAX_BYTES)
            await send_reply(interaction, reply)
            return
        try:
            document = await file.read()
        except discord.HTTPException as exc:
            log.warning(
                "attachment download failed guild=%s status=%s", interaction.guild_id, exc.status
            )
            await send_reply(interaction, refusal(render.ATTACHMENT_LOST))
            return
        if len(document) > OPML_MAX_BYTES:  # the size Discord announced was wrong
            reply = render.upload_refusal(
                UploadProblem.TOO_LARGE, file.filename, max_bytes=OPML_MAX_BYTES
            )
            await send_reply(interaction, reply)
            return
        result = await self._feeds.import_opml(
            guild_id_of(interaction),
            document,
            label=file.filename,
            guild_name=interaction.guild.name if interaction.guild else "",
            added_by=interaction.user.id,
            now=datetime.now(UTC),
            cap=self._cap,
            concurrency=IMPORT_CONCURRENCY,
            budget=self._import_budget,
        )
        await send_reply(interaction, render.import_reply(result, filename=file.filename))

    @remove.autocomplete("feed")
    @status.autocomplete("feed")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def own_feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        listing = await self._feeds.choices(guild_id_of(interaction), current, limit=CHOICES_LIMIT)
        return render.feed_choices(listing)
