"""``/help``: every registered command with its options, as one private embed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from bot.chat.render.text import (
    COLOUR,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    Reply,
)
from bot.domain.search_query import SEARCH_SYNTAX


@dataclass(frozen=True, slots=True)
class CommandSummary:
    """One command as ``/help`` lists it."""

    name: str
    description: str
    admin_only: bool = False
    options: tuple[str, ...] = field(default=())


def help_reply(commands: Sequence[CommandSummary]) -> Reply:
    embed = discord.Embed(
        title="policybot",
        description=(
            "I follow AI-regulation news from a list of feeds, keep an archive you can "
            "search, and tell you who says what about which law.\n"
            f"**Search:** {SEARCH_SYNTAX}."
        ),
        colour=COLOUR,
    )
    for command in commands[:FIELDS_PER_EMBED]:
        usage = " ".join([f"/{command.name}", *(f"`{option}`" for option in command.options)])
        note = " (server admins only)" if command.admin_only else ""
        # Our own text (from the command tree), so only the lengths need care.
        embed.add_field(
            name=usage[:FIELD_NAME_LIMIT],
            value=(command.description + note)[:FIELD_VALUE_LIMIT],
            inline=False,
        )
    embed.set_footer(text="Replies never ping anyone. Feed text is shown as plain text.")
    return Reply(embeds=(embed,), ephemeral=True)
