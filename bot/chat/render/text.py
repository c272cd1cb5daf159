"""Discord's size limits and the primitives every reply is built from.

The only module that knows Discord's limits. Text from feeds and from users is made inert
here (Markdown and mentions escaped, length capped) and links go in ``embed.url``, never into
Markdown. Replies never ping anyone: ``NO_MENTIONS`` is sent with every message as well as set
on the client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import discord

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
_BLOCK_START = re.compile(r"^(?:#{1,3}\s|>|-#?\s|\*\s)")
_LIST_NUMBER = re.compile(r"^\d+\.\s")
_LINK_UNSAFE = {"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E"}


@dataclass(frozen=True, slots=True)
class ReplyFile:
    """A file attached to a reply, kept as bytes (a ``discord.File`` can be sent only once)."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """A message ready to send: content, embeds, files, and whether only the invoker sees it."""

    embeds: tuple[discord.Embed, ...] = ()
    content: str | None = None
    ephemeral: bool = False
    files: tuple[ReplyFile, ...] = ()


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


def inert_line(text: str | None, limit: int) -> str:
    """``inert`` text that may open a line of a description: block syntax at its start (a
    heading's ``#``, a quote's ``>``, a list's ``-`` or ``1.``) is escaped too."""
    escaped = inert(text, limit - 1)
    if _LIST_NUMBER.match(escaped):
        return escaped.replace(".", "\\.", 1)
    return "\\" + escaped if _BLOCK_START.match(escaped) else escaped


def masked_link(text: str, url: str | None) -> str:
    """``[text](url)`` for our own Markdown, where ``text`` is inert already; just ``text``
    when the URL is unusable. Brackets, parentheses and angle brackets in the URL are
    percent-encoded, so no URL can end the link early or smuggle in another."""
    target = link(url)
    if target is None:
        return text
    safe = text.replace("]", "\\]")
    for character, code in _LINK_UNSAFE.items():
        target = target.replace(character, code)
    return f"[{safe}]({target})"


def link(url: str | None) -> str | None:
    """An http(s) URL Discord will accept as ``embed.url``; anything else is dropped."""
    if not url or len(url) > URL_LIMIT or not url.startswith(("http://", "https://")):
        return None
    if any(character.isspace() for character in url):
        return None
    return url


def capped(text: str, limit: int) -> str:
    """Text on one line within ``limit``, not escaped: ours, inert already, or a picker label."""
    flat = _WHITESPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - len(ELLIPSIS)] + ELLIPSIS


def code_text(text: str, limit: int) -> str:
    """Text for inline code: one line, no backticks (nothing renders or pings inside code)."""
    flat = _WHITESPACE.sub(" ", text).strip().replace("`", "'")
    return capped(flat, limit) if flat else "-"


def joined(parts: Sequence[str], *, separator: str = ", ") -> str:
    """Parts (already inert) joined within a field value, with "and N more" when cut."""
    text = ""
    for number, part in enumerate(parts):
        more = f"{separator}and {len(parts) - number} more"
        candidate = f"{text}{separator}{part}" if text else part
        if len(candidate) + len(more) > FIELD_VALUE_LIMIT:
            return text + more
        text = candidate
    return text or "-"


def within_total(embeds: Sequence[discord.Embed]) -> tuple[discord.Embed, ...]:
    """Drop trailing embeds until the message fits Discord's 6000-character total."""
    kept = list(embeds)
    while kept and sum(len(embed) for embed in kept) > EMBED_TOTAL_LIMIT:
        kept.pop()
    return tuple(kept)


def day(moment: datetime) -> str:
    """The calendar day, as every reply writes dates: 2026-11-25."""
    return moment.strftime("%Y-%m-%d")


def plural(count: int) -> str:
    return "" if count == 1 else "s"


def refusal(message: str) -> Reply:
    """A polite, private answer to a request that cannot be done as asked.

    ``message`` is our own text; anything from users or feeds in it was made inert already.
    """
    embed = discord.Embed(description=message[:DESCRIPTION_LIMIT], colour=REFUSAL_COLOUR)
    return Reply(embeds=(embed,), ephemeral=True)


def failure_reply() -> Reply:
    """The private apology for a command that failed on our side (a bug, logged elsewhere)."""
    embed = discord.Embed(
        title="Something went wrong",
        description=(
            "That command failed on our side. It has been logged for the bot's operator; "
            "please try again in a moment."
        ),
        colour=FAILURE_COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)
