"""``/search`` and ``/latest``: the archive, a page at a time."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.archive import Archive
from bot.chat.failures import CommandRefused
from bot.chat.render import archive as render
from bot.chat.replies import send_reply, think
from bot.domain.search_query import NO_SEARCH_WORDS, parse_search

PER_PAGE = 5
MAX_PAGE = 100


class ArchiveCog(commands.Cog):
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    @app_commands.command(name="search", description="Search every archived item by words")
    @app_commands.describe(
        query='Words that must all appear; "a phrase", OR, -word, regul* (see /help)',
        page="Page number",
    )
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 200],
        page: app_commands.Range[int, 1, MAX_PAGE] = 1,
    ) -> None:
        _require_words(query)
        await think(interaction)
        results = await self._archive.search_page(query, page=page, per_page=PER_PAGE)
        heading = f"Results for “{query}”"
        await send_reply(
            interaction, render.archive_reply(heading, results, next_page_hint=f"`page:{page + 1}`")
        )

    @app_commands.command(
        name="latest", description="The newest archived items, optionally on a topic"
    )
    @app_commands.describe(topic="Only items mentioning these words", page="Page number")
    async def latest(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 100] | None = None,
        page: app_commands.Range[int, 1, MAX_PAGE] = 1,
    ) -> None:
        if topic is not None:
            _require_words(topic)
        await think(interaction)
        results = await self._archive.latest_page(topic, page=page, per_page=PER_PAGE)
        heading = f"Latest on “{topic}”" if topic else "Latest items"
        await send_reply(
            interaction, render.archive_reply(heading, results, next_page_hint=f"`page:{page + 1}`")
        )


def _require_words(text: str) -> None:
    """A query with no word to look for matches nothing; say so (as the CLI does) instead of
    answering "nothing found"."""
    if parse_search(text) is None:
        raise CommandRefused(NO_SEARCH_WORDS)
