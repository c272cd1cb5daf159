"""A composed digest as Discord messages: as many as it takes, each within every limit.

The digest becomes a column of embeds: the header (date and counts), the stance changes, one
embed per story (its section's name on top, the title linking to the article, the summary,
badges for laws, companies and stances, "+N more sources" with their links, the source and
date below), the compact list of further stories, and a closing note (how many stories are
only counted, how many feeds are failing). The column is cut into messages of at most 10
embeds and 6,000 characters; every embed is capped well below Discord's per-embed limits, so
any digest, however long its titles, fits without a 400.

Feed text is inert (``text.inert``): no mention pings, no Markdown or masked link from a feed
renders; the only links are the embeds' title links and the masked links written here around
cleaned URLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import discord

from bot.chat.render.text import (
    AUTHOR_LIMIT,
    COLOUR,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    FOOTER_LIMIT,
    ITEM_TITLE_LIMIT,
    capped,
    code_text,
    day,
    inert,
    inert_line,
    link,
    masked_link,
    plural,
)
from bot.domain.digest.compose import Digest, ListedStory, StanceChange, Story

OFFICIAL_COLOUR = discord.Colour.dark_green()
STANCE_COLOUR = discord.Colour.gold()
SUMMARY_CHARS = 400
QUOTE_CHARS = 500
SOURCE_NAME_CHARS = 80
MORE_SOURCES_SHOWN = 5
LISTED_TITLE_CHARS = 160
BADGE_CHARS = 60
MORE_SOURCES_CHARS = 1200
# Below Discord's 6,000 per message, so the header or a closing note always fits beside.
EMBED_BUDGET = EMBED_TOTAL_LIMIT - 500


@dataclass(frozen=True, slots=True)
class DigestMessage:
    """One message of a digest, and the items whose entries it carries (for the ledger)."""

    embeds: tuple[discord.Embed, ...]
    item_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Block:
    embed: discord.Embed
    item_ids: tuple[int, ...] = ()


def digest_messages(digest: Digest) -> tuple[DigestMessage, ...]:
    """Every message of ``digest``, in order; the first holds the header."""
    blocks = [
        _Block(_header(digest)),
        *(_Block(embed) for embed in _stance_embeds(digest.stance_changes)),
        *(
            _Block(_story_embed(story, section.heading), story.item_ids)
            for section in digest.sections
            for story in section.stories
        ),
        *_listed_blocks(digest.listed),
    ]
    closing = _closing(digest)
    if closing is not None:
        blocks.append(_Block(closing, digest.summarised_item_ids))
    return _pack(blocks)


def _pack(blocks: Sequence[_Block]) -> tuple[DigestMessage, ...]:
    """Greedy: each embed joins the current message while it stays within 10 and 6,000."""
    messages: list[DigestMessage] = []
    embeds: list[discord.Embed] = []
    item_ids: list[int] = []
    total = 0
    for block in blocks:
        size = len(block.embed)
        if embeds and (len(embeds) == EMBEDS_PER_MESSAGE or total + size > EMBED_TOTAL_LIMIT):
            messages.append(DigestMessage(tuple(embeds), tuple(item_ids)))
            embeds, item_ids, total = [], [], 0
        embeds.append(block.embed)
        item_ids.extend(block.item_ids)
        total += size
    if embeds:
        messages.append(DigestMessage(tuple(embeds), tuple(item_ids)))
    return tuple(messages)


def _header(digest: Digest) -> discord.Embed:
    local = digest.as_of.astimezone(ZoneInfo(digest.timezone))
    counts = [f"{digest.story_count} stor{'y' if digest.story_count == 1 else 'ies'}"]
    if digest.stance_changes:
        changes = len(digest.stance_changes)
        counts.append(f"{changes} stance change{plural(changes)}")
    if digest.jurisdiction_count:
        places = digest.jurisdiction_count
        counts.append(f"{places} jurisdiction{plural(places)}")
    description = " · ".join(counts)
    if digest.first_run:
        description += "\nA first digest: the top stories of the past week."
    return discord.Embed(
        title=f"AI policy digest · {local:%A %d %B %Y}",
        description=description,
        colour=COLOUR,
    )


def _stance_embeds(changes: Sequence[StanceChange]) -> list[discord.Embed]:
    """One field per change; a new embed whenever the next field would not fit."""
    embeds: list[discord.Embed] = []
    embed: discord.Embed | None = None
    for change in changes:
        name, value = _change_name(change), _change_value(change)
        if (
            embed is None
            or len(embed.fields) == FIELDS_PER_EMBED
            or len(embed) + len(name) + len(value) > EMBED_BUDGET
        ):
            title = "More stance changes" if embeds else "Stance changes since the last digest"
            embed = discord.Embed(title=title, colour=STANCE_COLOUR)
            embeds.append(embed)
        embed.add_field(name=name, value=value, inline=False)
    return embeds


def _change_name(change: StanceChange) -> str:
    company = inert(change.company, 60)
    law = inert(change.law, 80)
    return capped(f"{company}: {change.movement()} · {law}", FIELD_NAME_LIMIT)


def _change_value(change: StanceChange) -> str:
    when = f" · {day(change.published_at)}" if change.published_at is not None else ""
    quote = inert(change.quote, QUOTE_CHARS)
    room = FIELD_VALUE_LIMIT - len(quote) - len(when) - 3
    source = _linked(inert(change.source.name, SOURCE_NAME_CHARS), change.source.url, room)
    return f"{quote}\n— {source}{when}"


def _linked(name: str, url: str | None, room: int) -> str:
    """A masked link when it fits in ``room`` characters, else the name alone (a link is
    never cut in the middle)."""
    linked = masked_link(name, url)
    return linked if len(linked) <= room else name


def _story_embed(story: Story, heading: str) -> discord.Embed:
    lines = []
    if story.summary:
        lines.append(inert_line(story.summary, SUMMARY_CHARS))
    badges = _badges(story)
    if badges:
        lines.append(badges)
    if story.more_sources:
        lines.append(_more_sources(story))
    embed = discord.Embed(
        title=inert(story.title, ITEM_TITLE_LIMIT) or "Untitled",
        url=link(story.url),
        description="\n".join(lines) or None,
        colour=OFFICIAL_COLOUR if story.official else COLOUR,
    )
    embed.set_author(name=capped(inert(heading, AUTHOR_LIMIT - 20), AUTHOR_LIMIT))
    footer = [inert(story.source, SOURCE_NAME_CHARS)]
    if story.published_at is not None:
        footer.append(day(story.published_at))
    if story.official:
        footer.append("official source")
    embed.set_footer(text=capped(" · ".join(part for part in footer if part), FOOTER_LIMIT))
    return embed


def _badges(story: Story) -> str:
    badges = [f"`{code_text(law, BADGE_CHARS)}`" for law in story.laws]
    badges += [f"`{code_text(company, BADGE_CHARS)}`" for company in story.companies]
    badges += [f"`{code_text(badge.describe(), BADGE_CHARS * 2)}`" for badge in story.stances]
    return " ".join(badges)


def _more_sources(story: Story) -> str:
    """ "+3 more sources: [Euractiv](…) · [Politico](…)", within ``MORE_SOURCES_CHARS``."""
    links: list[str] = []
    used = 0
    for source in story.more_sources[:MORE_SOURCES_SHOWN]:
        room = MORE_SOURCES_CHARS - used
        name = inert(source.name, SOURCE_NAME_CHARS)
        if room < len(name) + 3:
            break
        links.append(_linked(name, source.url, room - 3))
        used += len(links[-1]) + 3
    more = len(story.more_sources) - len(links)
    tail = f" and {more} more" if more else ""
    count = len(story.more_sources)
    return f"+{count} more source{plural(count)}: {' · '.join(links)}{tail}"


def _listed_blocks(listed: Sequence[ListedStory]) -> Iterable[_Block]:
    """The compact list: linked titles, as many per embed as its description holds."""
    lines: list[str] = []
    ids: list[int] = []
    first = True
    budget = DESCRIPTION_LIMIT - 100
    for story in listed:
        title = _linked(inert(story.title, LISTED_TITLE_CHARS) or "Untitled", story.url, 600)
        line = f"• {title} · {inert(story.source, SOURCE_NAME_CHARS)}"
        if lines and sum(len(existing) + 1 for existing in lines) + len(line) > budget:
            yield _Block(_listed_embed(lines, first=first), tuple(ids))
            lines, ids, first = [], [], False
        lines.append(line)
        ids.extend(story.item_ids)
    if lines:
        yield _Block(_listed_embed(lines, first=first), tuple(ids))


def _listed_embed(lines: list[str], *, first: bool) -> discord.Embed:
    return discord.Embed(
        title="More stories" if first else "More stories (continued)",
        description="\n".join(lines),
        colour=COLOUR,
    )


def _closing(digest: Digest) -> discord.Embed | None:
    lines = []
    if digest.summarised_stories:
        count = digest.summarised_stories
        lines.append(
            f"…and {count} more stor{'y' if count == 1 else 'ies'} not shown here: "
            "see `/latest` for everything."
        )
    if digest.failing_feeds:
        count = digest.failing_feeds
        lines.append(f"{count} feed{plural(count)} failing: see `/feeds status`.")
    if not lines:
        return None
    return discord.Embed(description="\n".join(lines), colour=COLOUR)


def local_time(moment: datetime, timezone: str) -> str:
    """A moment as its readers' clocks show it: "Thu 26 Nov 2026, 09:00 (Europe/Brussels)"."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %Y, %H:%M} ({timezone})"
