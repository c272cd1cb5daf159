"""``/search`` and ``/latest``: a page of archived items, one embed per item."""

from __future__ import annotations

import discord

from bot.chat.render.text import (
    COLOUR,
    EMBEDS_PER_MESSAGE,
    FOOTER_LIMIT,
    ITEM_TITLE_LIMIT,
    SUMMARY_LIMIT,
    Reply,
    day,
    inert,
    link,
    within_total,
)
from bot.domain.archive import ArchiveEntry, ArchivePage


def archive_reply(heading: str, page: ArchivePage, *, next_page_hint: str) -> Reply:
    """A page of items: a short heading, then one embed per item so each title is a link."""
    if not page.entries:
        text = "Nothing found." if page.page == 1 else f"No results on page {page.page}."
        return Reply(
            embeds=(discord.Embed(title=text, description=inert(heading, 200), colour=COLOUR),)
        )
    embeds = [
        _entry_embed(entry, number)
        for number, entry in enumerate(page.entries, start=page.first_number)
    ]
    more = f" · more with {next_page_hint}" if page.has_more else ""
    content = f"{inert(heading, 1500)} · page {page.page}{more}"
    return Reply(embeds=within_total(embeds[:EMBEDS_PER_MESSAGE]), content=content)


def _entry_embed(entry: ArchiveEntry, number: int) -> discord.Embed:
    embed = discord.Embed(
        title=f"{number}. {inert(entry.title or 'Untitled', ITEM_TITLE_LIMIT)}",
        url=link(entry.url),
        description=inert(entry.summary, SUMMARY_LIMIT) or None,
        colour=COLOUR,
    )
    footer = [inert(entry.feed_title, 200)]
    if entry.published_at is not None:
        footer.append(day(entry.published_at))
    embed.set_footer(text=" · ".join(part for part in footer if part)[:FOOTER_LIMIT])
    return embed
