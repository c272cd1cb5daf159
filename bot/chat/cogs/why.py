"""``/why``: what policybot knows about one link, and why it was (or was not) sent."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.analysis import Analysis
from bot.chat.failures import CommandRefused
from bot.chat.render import why as render
from bot.chat.replies import send_reply, think
from bot.domain.explanation import lookup_urls


class WhyCog(commands.Cog):
    def __init__(self, analysis: Analysis) -> None:
        self._analysis = analysis

    @app_commands.command(
        name="why", description="Was this article seen, is it relevant, did a digest carry it"
    )
    @app_commands.describe(url="The article's link, e.g. https://example.org/news/ai-act")
    async def why(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2048]
    ) -> None:
        if not lookup_urls(url):
            raise CommandRefused("Paste the article's full link, starting with https://.")
        await think(interaction)
        answer = await self._analysis.why(url, now=datetime.now(UTC), guild_id=interaction.guild_id)
        await send_reply(interaction, render.why_reply(answer, self._analysis.catalog))
