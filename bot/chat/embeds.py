"""Every reply as people see it in Discord; the only module that knows Discord's size limits.

Text from feeds and from users is made inert here (Markdown and mentions escaped, length
capped) and links go in ``embed.url``, never into Markdown. Replies never ping anyone:
``NO_MENTIONS`` is sent with every message as well as set on the client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import discord
from discord import app_commands

from bot.domain.archive import ArchiveEntry, ArchivePage
from bot.domain.following import (
    FollowedFeed,
    FollowOutcome,
    FollowResult,
    GuildFeedList,
    UnfollowResult,
)
from bot.domain.model import FeedStatus

# Discord's documented limits (resources/message, interactions/application-commands).
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
URL_LIMIT = 2048
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100
CHOICE_VALUE_LIMIT = 100

# Our own, tighter budgets, so a page of results stays readable and far below 6000.
SUMMARY_LIMIT = 300
ITEM_TITLE_LIMIT = 200
FEED_NAME_LIMIT = 120
FEED_URL_LIMIT = 300

NO_MENTIONS = discord.AllowedMentions.none()
ELLIPSIS = "…"
COLOUR = discord.Colour.blurple()
REFUSAL_COLOUR = discord.Colour.orange()
FAILURE_COLOUR = discord.Colour.red()

_WHITESPACE = re.compile(r"\s+")
_CHANNEL_MENTION = re.compile(r"<#(\d)")


@dataclass(frozen=True, slots=True)
class Reply:
    """A message ready to send: content, embeds, and whether only the invoker sees it."""

    embeds: tuple[discord.Embed, ...] = ()
    content: str | None = None
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class CommandSummary:
    """One command as ``/help`` lists it."""

    name: str
    description: str
    admin_only: bool = False
    options: tuple[str, ...] = field(default=())


def inert(text: str | None, limit: int) -> str:
    """Feed or user text made safe to show: one line, Markdown and mentions escaped, capped.

    Capped after escaping, so the escapes count against Discord's limit; a cut never leaves
    a dangling backslash that would escape the ellipsis.
    """
    flat = _WHITESPACE.sub(" ", text or "").strip()
    escaped = discord.utils.escape_markdown(flat)
    escaped = discord.utils.escape_mentions(escaped)
    escaped = _CHANNEL_MENTION.sub("<#\u200b\\1", escaped)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - len(ELLIPSIS)].rstrip("\\ ")
    return cut + ELLIPSIS


def link(url: str | None) -> str | None:
    """An http(s) URL Discord will accept as ``embed.url``; anything else is dropped."""
    if not url or len(url) > URL_LIMIT or not url.startswith(("http://", "https://")):
        return None
    if any(character.isspace() for character in url):
        return None
    return url


def help_reply(commands: Sequence[CommandSummary]) -> Reply:
    embed = discord.Embed(
        title="policybot",
        description=(
            "I follow AI-regulation news from a list of feeds, keep an archive you can "
            "search, and tell you who says what about which law."
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
    return Reply(embeds=_within_total(embeds[:EMBEDS_PER_MESSAGE]), content=content)


def feeds_list_reply(listing: GuildFeedList) -> Reply:
    embed = discord.Embed(
        title="Feeds this server follows",
        colour=COLOUR,
        description=(
            f"{len(listing.followed)} of at most {listing.cap} added here, on top of "
            f"{listing.instance_feed_count} from this instance's feed list."
        ),
    )
    if not listing.followed:
        embed.description = (embed.description or "") + "\nAdd one with `/feeds add url:`."
    budget = EMBED_TOTAL_LIMIT - 100  # room for the "and N more" footer
    shown = 0
    for feed in listing.followed[:FIELDS_PER_EMBED]:
        name, value = inert(feed.title, FEED_NAME_LIMIT), _feed_line(feed)
        if len(embed) + len(name) + len(value) > budget:
            break
        embed.add_field(name=name, value=value, inline=False)
        shown += 1
    if len(listing.followed) > shown:
        embed.set_footer(text=f"and {len(listing.followed) - shown} more")
    return Reply(embeds=(embed,), ephemeral=True)


def follow_reply(result: FollowResult) -> Reply:
    url = inert(result.url, 500)
    if result.outcome is FollowOutcome.ADDED and result.feed is not None:
        embed = discord.Embed(
            title="Feed added",
            url=link(result.feed.url),
            description=f"This server now follows {url}.",
            colour=COLOUR,
        )
        return Reply(embeds=(embed,), ephemeral=True)
    reasons = {
        FollowOutcome.NOT_A_URL: f"{url} is not an http(s) URL. Paste the feed's full address.",
        FollowOutcome.DUPLICATE: f"This server already follows {url}.",
        FollowOutcome.OVER_CAP: (
            f"This server follows {result.cap} feeds, the most allowed. "
            "Remove one with `/feeds remove` first."
        ),
        FollowOutcome.CHECK_FAILED: (
            f"{url} could not be added: {inert(result.detail or 'it is not a feed', 500)}"
        ),
    }
    return refusal(reasons.get(result.outcome, f"{url} could not be added."))


def unfollow_reply(result: UnfollowResult) -> Reply:
    if result.feed is None:
        return refusal(
            f"This server does not follow {inert(result.reference, 500)}. "
            "See `/feeds list` for the feeds you can remove."
        )
    embed = discord.Embed(
        title="Feed removed",
        url=link(result.feed.url),
        description=f"This server no longer follows {inert(result.feed.title, 500)}.",
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def feed_choices(listing: GuildFeedList) -> list[app_commands.Choice[str]]:
    """Autocomplete for a server's own feeds: at most 25, names and values within 100."""
    return [
        app_commands.Choice(name=_choice_name(feed), value=str(feed.feed_id)[:CHOICE_VALUE_LIMIT])
        for feed in listing.followed[:CHOICES_LIMIT]
    ]


def refusal(message: str) -> Reply:
    """A polite, private answer to a request that cannot be done as asked.

    ``message`` is our own text; anything from users or feeds in it was made inert already.
    """
    embed = discord.Embed(description=message[:DESCRIPTION_LIMIT], colour=REFUSAL_COLOUR)
    return Reply(embeds=(embed,), ephemeral=True)


def failure_reply() -> Reply:
    embed = discord.Embed(
        title="Something went wrong",
        description=(
            "That command failed on our side. It has been logged for the bot's operator; "
            "please try again in a moment."
        ),
        colour=FAILURE_COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def _entry_embed(entry: ArchiveEntry, number: int) -> discord.Embed:
    embed = discord.Embed(
        title=f"{number}. {inert(entry.title or 'Untitled', ITEM_TITLE_LIMIT)}",
        url=link(entry.url),
        description=inert(entry.summary, SUMMARY_LIMIT) or None,
        colour=COLOUR,
    )
    footer = [inert(entry.feed_title, 200)]
    if entry.published_at is not None:
        footer.append(_date(entry.published_at))
    embed.set_footer(text=" · ".join(part for part in footer if part)[:FOOTER_LIMIT])
    return embed


def _feed_line(feed: FollowedFeed) -> str:
    health = {FeedStatus.OK: "healthy", FeedStatus.FAILING: "failing", FeedStatus.PAUSED: "paused"}
    last = _date(feed.last_success_at) if feed.last_success_at else "not fetched yet"
    state = health.get(feed.status, str(feed.status))
    line = (
        f"{inert(feed.url, FEED_URL_LIMIT)}\n{state} · last fetch {last} · "
        f"added {_date(feed.added_at)} · id {feed.feed_id}"
    )
    return line[:FIELD_VALUE_LIMIT]


def _choice_name(feed: FollowedFeed) -> str:
    # Choice names are plain text in Discord's picker, so only the length matters here.
    name = _WHITESPACE.sub(" ", f"{feed.title} ({feed.url})").strip()
    if len(name) <= CHOICE_NAME_LIMIT:
        return name
    return name[: CHOICE_NAME_LIMIT - len(ELLIPSIS)] + ELLIPSIS


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _within_total(embeds: Sequence[discord.Embed]) -> tuple[discord.Embed, ...]:
    """Drop trailing embeds until the message fits Discord's 6000-character total."""
    kept = list(embeds)
    while kept and sum(len(embed) for embed in kept) > EMBED_TOTAL_LIMIT:
        kept.pop()
    return tuple(kept)
