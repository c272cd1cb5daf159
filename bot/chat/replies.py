"""Sending a rendered ``Reply`` as the answer to an interaction, first or follow-up."""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.chat.render.text import NO_MENTIONS, Reply


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer the interaction, or follow up when it was acknowledged already (deferred)."""
    extra: dict[str, Any] = {}
    if reply.files:
        # Fresh objects on every send: a discord.File is a stream, read once.
        extra["files"] = [
            discord.File(io.BytesIO(f.data), filename=f.filename) for f in reply.files
        ]
    embeds = list(reply.embeds)
    if interaction.response.is_done():
        if reply.content is not None:
            extra["content"] = reply.content
        await interaction.followup.send(
            embeds=embeds, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, **extra
        )
        return
    await interaction.response.send_message(
        reply.content,
        embeds=embeds,
        ephemeral=reply.ephemeral,
        allowed_mentions=NO_MENTIONS,
        **extra,
    )


async def think(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge now (Discord allows 3 s) and show "thinking"; the answer follows up."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
