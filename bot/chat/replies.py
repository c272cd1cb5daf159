"""Sending a rendered ``Reply`` as the answer to an interaction, first or follow-up."""

from __future__ import annotations

import discord

from bot.chat.embeds import NO_MENTIONS, Reply


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer the interaction, or follow up when it was acknowledged already (deferred)."""
    embeds = list(reply.embeds)
    if interaction.response.is_done():
        if reply.content is None:
            await interaction.followup.send(
                embeds=embeds, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.followup.send(
                reply.content,
                embeds=embeds,
                ephemeral=reply.ephemeral,
                allowed_mentions=NO_MENTIONS,
            )
        return
    await interaction.response.send_message(
        reply.content, embeds=embeds, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS
    )


async def think(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge now (Discord allows 3 s) and show "thinking"; the answer follows up."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
