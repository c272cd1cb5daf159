"""``/digest`` and ``/settings``: a server's admins set up digests and the server's defaults.

Both are for server admins (``ServerAdminCog``: Manage Server, checked again on every use).
Every reply is private. Whether the bot may post in a channel is checked here, where Discord's
permissions are known: View Channel, Send Messages and Embed Links, each named when missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.digests import Digests, SettingsRefused
from bot.chat.cogs.admin import ServerAdminCog, guild_id_of
from bot.chat.delivery import DiscordDigestChannel
from bot.chat.render import digest_admin as render
from bot.chat.render.text import CHOICES_LIMIT, Reply
from bot.chat.replies import send_reply, think
from bot.domain.digest.subscription import (
    MAX_STORIES,
    Refusal,
    RequestRefused,
    SubscriptionRequest,
)
from bot.domain.model import DigestCadence

Cadence = Literal["daily", "weekdays", "weekly"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# What the bot needs in a channel to post a digest or a notice there, in Discord's words.
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DigestCog(
    ServerAdminCog,
    commands.GroupCog,
    group_name="digest",
    group_description="Digests of the news posted in this server's channels (Manage Server)",
):
    def __init__(
        self, digests: Digests, channel: DiscordDigestChannel, *, clock: Callable[[], datetime]
    ) -> None:
        self._digests = digests
        self._channel = channel
        self._clock = clock
        super().__init__()

    @app_commands.command(name="add", description="Post a digest in a channel on a schedule")
    @app_commands.describe(
        channel="Where the digest is posted",
        cadence="Every day, Monday to Friday, or once a week",
        time="Local time of day, HH:MM (24-hour), e.g. 09:00",
        day="The weekday, for a weekly digest",
        timezone="IANA timezone, e.g. Europe/Brussels (default: the server's)",
        topics="Laws, companies or jurisdictions, comma-separated, e.g. AI Act, Meta, EU",
        max_stories=f"Stories shown in full, 1-{MAX_STORIES} (default 10); more are listed",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        cadence: Cadence,
        time: app_commands.Range[str, 1, 16],
        day: Weekday | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        topics: app_commands.Range[str, 1, 500] | None = None,
        max_stories: app_commands.Range[int, 1, MAX_STORIES] = 10,
    ) -> None:
        await think(interaction, ephemeral=True)
        missing = _missing_permissions(channel)
        if missing:
            refused = RequestRefused(Refusal.MISSING_PERMISSIONS, channel.mention, missing=missing)
            await send_reply(interaction, render.add_refusal(refused))
            return
        result = await self._digests.add(
            guild_id_of(interaction),
            SubscriptionRequest(
                channel.id, DigestCadence(cadence), time, day, timezone, topics, max_stories
            ),
            guild_name=interaction.guild.name if interaction.guild else "",
            created_by=interaction.user.id,
            now=self._clock(),
        )
        if isinstance(result, RequestRefused):
            await send_reply(interaction, render.add_refusal(result, cadence=cadence))
            return
        await send_reply(interaction, render.added_reply(result))

    @app_commands.command(name="list", description="This server's digests and their next runs")
    async def list_digests(self, interaction: discord.Interaction) -> None:
        await think(interaction, ephemeral=True)
        now = self._clock()
        views = await self._digests.listing(guild_id_of(interaction), now=now)
        await send_reply(interaction, render.listing_reply(views, now=now))

    @app_commands.command(name="remove", description="Stop and delete one of this server's digests")
    @app_commands.describe(id="The digest's number, from /digest list")
    async def remove(self, interaction: discord.Interaction, id: int) -> None:
        await think(interaction, ephemeral=True)
        removed = await self._digests.remove(guild_id_of(interaction), id)
        await send_reply(interaction, render.removed_reply(id, removed))

    @app_commands.command(name="pause", description="Pause one of this server's digests")
    @app_commands.describe(id="The digest's number, from /digest list")
    async def pause(self, interaction: discord.Interaction, id: int) -> None:
        await think(interaction, ephemeral=True)
        found = await self._digests.pause(
            guild_id_of(interaction), id, by=f"@{interaction.user.name}", now=self._clock()
        )
        await send_reply(interaction, render.paused_reply(id, found))

    @app_commands.command(name="resume", description="Resume a paused digest")
    @app_commands.describe(id="The digest's number, from /digest list")
    async def resume(self, interaction: discord.Interaction, id: int) -> None:
        await think(interaction, ephemeral=True)
        guild_id, now = guild_id_of(interaction), self._clock()
        found = await self._digests.resume(guild_id, id, now=now)
        views = await self._digests.listing(guild_id, now=now) if found else ()
        view = next((v for v in views if v.subscription.id == id), None)
        await send_reply(interaction, render.resumed_reply(id, view))

    @app_commands.command(
        name="preview", description="Privately, what a digest would post now (nothing recorded)"
    )
    @app_commands.describe(id="The digest's number (default: this server's first digest)")
    async def preview(self, interaction: discord.Interaction, id: int | None = None) -> None:
        await think(interaction, ephemeral=True)
        digest = await self._digests.preview(guild_id_of(interaction), id, now=self._clock())
        if digest is None:
            await send_reply(interaction, render.removed_reply(id or 0, False))
            return
        if digest.is_empty:
            await send_reply(interaction, render.nothing_to_preview())
            return
        for part in self._channel.render(digest):  # exactly the messages a run would post
            await send_reply(interaction, Reply(embeds=part.embeds, ephemeral=True))

    @app_commands.command(name="now", description="Post a digest now, as if it were its time")
    @app_commands.describe(id="The digest's number, from /digest list")
    async def now(self, interaction: discord.Interaction, id: int) -> None:
        await think(interaction, ephemeral=True)
        found = await self._digests.get(guild_id_of(interaction), id)
        if found is None:
            await send_reply(interaction, render.removed_reply(id, False))
            return
        result = await self._digests.run(id, self._channel, now=self._clock())
        await send_reply(interaction, render.run_reply(result, channel_id=found.channel_id))

    @add.autocomplete("timezone")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _timezone_choices(self._digests, current)

    @add.autocomplete("topics")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def topic_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return render.topic_choices(await self._digests.topic_choices(current, limit=CHOICES_LIMIT))


class SettingsCog(ServerAdminCog):
    def __init__(self, digests: Digests, *, clock: Callable[[], datetime]) -> None:
        self._digests = digests
        self._clock = clock

    @app_commands.command(
        name="settings", description="This server's digest timezone and admin channel"
    )
    @app_commands.describe(
        timezone="Default IANA timezone of this server's digests, e.g. Europe/Brussels",
        admin_channel="Where policybot tells admins about failing feeds and paused digests",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def settings(
        self,
        interaction: discord.Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        admin_channel: discord.TextChannel | None = None,
    ) -> None:
        await think(interaction, ephemeral=True)
        guild_id = guild_id_of(interaction)
        if timezone is None and admin_channel is None:
            found = await self._digests.settings(guild_id)
            reply = render.settings_reply(
                found, default_timezone=self._digests.default_timezone, changed=False
            )
            await send_reply(interaction, reply)
            return
        if admin_channel is not None:
            missing = _missing_permissions(admin_channel)
            if missing:
                reply = render.channel_refusal(admin_channel.mention, missing, purpose="notices")
                await send_reply(interaction, reply)
                return
        result = await self._digests.update_settings(
            guild_id,
            guild_name=interaction.guild.name if interaction.guild else "",
            now=self._clock(),
            timezone=timezone,
            admin_channel_id=admin_channel.id if admin_channel is not None else None,
        )
        if isinstance(result, SettingsRefused):
            reply = render.timezone_refusal(result.timezone, result.suggestions)
        else:
            reply = render.settings_reply(
                result, default_timezone=self._digests.default_timezone, changed=True
            )
        await send_reply(interaction, reply)

    @settings.autocomplete("timezone")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _timezone_choices(self._digests, current)


def _timezone_choices(digests: Digests, current: str) -> list[app_commands.Choice[str]]:
    typed = current.strip().casefold().replace(" ", "_")
    zones = sorted(zone for zone in digests.timezones if typed in zone.casefold())
    zones.sort(key=lambda zone: (not zone.casefold().startswith(typed), len(zone)))
    return render.timezone_choices(zones[:CHOICES_LIMIT])


def _missing_permissions(channel: discord.TextChannel) -> tuple[str, ...]:
    """What the bot lacks to post embeds in ``channel``, in Discord's words."""
    granted = channel.permissions_for(channel.guild.me)
    return tuple(label for flag, label in NEEDED if not getattr(granted, flag))
