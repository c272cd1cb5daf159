"""Every reply as people see it in Discord; the only module that knows Discord's size limits.

Text from feeds and from users is made inert here (Markdown and mentions escaped, length
capped) and links go in ``embed.url``, never into Markdown. Replies never ping anyone:
``NO_MENTIONS`` is sent with every message as well as set on the client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import discord
from discord import app_commands

from bot.domain.archive import ArchiveEntry, ArchivePage
from bot.domain.catalog import Catalog
from bot.domain.explanation import (
    DigestAbsence,
    ItemExplanation,
    StoredAnalysis,
    UnseenUrl,
    WhyAnswer,
    reason_text,
)
from bot.domain.feed_import import (
    FeedImportReport,
    FeedsExport,
    ImportedFeed,
    ImportOutcome,
    OpmlRefused,
    UploadProblem,
)
from bot.domain.feed_status import FeedHealthView, FeedsHealthReport, relative_time
from bot.domain.following import (
    FollowedFeed,
    FollowOutcome,
    FollowResult,
    GuildFeedList,
    UnfollowResult,
)
from bot.domain.model import FeedStatus, StanceLabel
from bot.domain.name_choices import NameChoice
from bot.domain.positions import (
    ClaimRecord,
    CompanyStance,
    LawStance,
    Position,
    StanceAnswer,
    UnknownName,
)

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


HEALTH_WORDS = {FeedStatus.OK: "ok", FeedStatus.FAILING: "failing", FeedStatus.PAUSED: "paused"}
HEALTH_MARKS = {FeedStatus.OK: "🟢", FeedStatus.FAILING: "🔴", FeedStatus.PAUSED: "⏸️"}


def feeds_status_reply(report: FeedsHealthReport) -> Reply:
    """Every feed the server added, problems first: health, last fetch, next check, activity."""
    counts = ", ".join(f"{report.count(status)} {word}" for status, word in HEALTH_WORDS.items())
    embed = discord.Embed(
        title="Feed health in this server",
        colour=COLOUR,
        description=f"{len(report.feeds)} feeds added here: {counts}.",
    )
    if not report.feeds:
        embed.description = "This server has added no feeds yet. Add one with `/feeds add url:`."
    budget = EMBED_TOTAL_LIMIT - 200  # room for the footer
    shown = 0
    for feed in report.feeds[:FIELDS_PER_EMBED]:
        name = f"{HEALTH_MARKS[feed.status]} {inert(feed.title, FEED_NAME_LIMIT)}"
        value = _health_lines(feed, now=report.at)
        if len(embed) + len(name) + len(value) > budget:
            break
        embed.add_field(name=name, value=value, inline=False)
        shown += 1
    more = f"and {len(report.feeds) - shown} more · " if len(report.feeds) > shown else ""
    embed.set_footer(text=f"{more}Details for one feed: /feeds status feed:")
    return Reply(embeds=(embed,), ephemeral=True)


def feed_status_reply(feed: FeedHealthView | None, reference: str, *, now: datetime) -> Reply:
    """One feed in detail; a refusal when the server does not follow what was named."""
    if feed is None:
        return refusal(
            f"This server does not follow {inert(reference, 500)}. See `/feeds list` for its feeds."
        )
    embed = discord.Embed(
        title=inert(feed.title, TITLE_LIMIT),
        url=link(feed.url),
        description=inert(feed.url, FEED_URL_LIMIT),
        colour=COLOUR if feed.status is FeedStatus.OK else REFUSAL_COLOUR,
    )
    state = f"{HEALTH_MARKS[feed.status]} {HEALTH_WORDS[feed.status]}"
    errors = feed.consecutive_errors
    if errors:
        state += f" · {errors} failed fetch{_plural_es(errors)} in a row"
    embed.add_field(name="Health", value=state, inline=False)
    if feed.error_words:
        when = (
            f"\nLast failed: {_moment(feed.last_error_at, now=now)}" if feed.last_error_at else ""
        )
        detail = f"\nDetail: `{_code_text(feed.last_error or '', 300)}`"
        embed.add_field(
            name="Last error",
            value=f"{inert(feed.error_words, 400)}{when}{detail}"[:FIELD_VALUE_LIMIT],
            inline=False,
        )
    embed.add_field(name="Last successful fetch", value=_last_fetch(feed, now=now), inline=True)
    embed.add_field(name="Next check", value=_next_check(feed, now=now), inline=True)
    embed.add_field(
        name="Items per day",
        value=(
            f"{feed.items_per_day_week:.1f} over 7 days ({feed.items_last_week} items)\n"
            f"{feed.items_per_day_month:.1f} over 30 days ({feed.items_last_month} items)"
        ),
        inline=False,
    )
    embed.set_footer(text=f"Added here {_date(feed.added_at)} · id {feed.feed_id}")
    return Reply(embeds=(embed,), ephemeral=True)


def feeds_export_reply(export: FeedsExport, *, filename: str) -> Reply:
    if not export.feed_count:
        return refusal("This server has added no feeds yet, so there is nothing to export.")
    embed = discord.Embed(
        title="Feeds exported",
        description=(
            f"{export.feed_count} feed{_plural(export.feed_count)} added in this server, as OPML: "
            "open the file in any feed reader, or bring them to another server with "
            "`/feeds import`. Feeds from the instance's list are not included."
        ),
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True, files=(ReplyFile(filename, export.document),))


ATTACHMENT_LOST = "Discord did not hand over the file. Attach it again in a moment."


def upload_refusal(problem: UploadProblem, filename: str, *, max_bytes: int) -> Reply:
    name = inert(filename, 200)
    reasons = {
        UploadProblem.NOT_OPML: (
            f"{name} is not an OPML file. Attach the `.opml` (or `.xml`) file your feed reader "
            "exports, or one made with `/feeds export`."
        ),
        UploadProblem.TOO_LARGE: (
            f"{name} is too large: OPML files up to {max_bytes // 1024} KB are accepted."
        ),
        UploadProblem.EMPTY: f"{name} is empty.",
    }
    return refusal(reasons[problem] + " Nothing was added.")


def import_reply(result: FeedImportReport | OpmlRefused, *, filename: str) -> Reply:
    """What the import did with every feed of the file: nothing is left unsaid."""
    if isinstance(result, OpmlRefused):
        return refusal(
            f"{inert(filename, 200)} could not be read as OPML: "
            f"{inert(result.reason, 1000)}. Nothing was added."
        )
    added = result.having(ImportOutcome.ADDED)
    if not added:
        scope = "Nothing was added."
    elif len(added) < len(result.feeds):
        scope = "Only the feeds listed under *Added* were added."
    else:
        scope = "Every feed of the file was added."
    embed = discord.Embed(
        title="Feeds imported" if added else "No feeds imported",
        description=(
            f"From {inert(filename, 200)}: {len(added)} of {len(result.feeds)} "
            f"feed{_plural(len(result.feeds))} added to this server. {scope}"
        ),
        colour=COLOUR if added else REFUSAL_COLOUR,
    )
    over_cap = result.having(ImportOutcome.OVER_CAP)
    sections = (
        ("Added", added, False),
        ("Already followed", result.having(ImportOutcome.ALREADY_FOLLOWED), False),
        ("Refused", result.having(ImportOutcome.REFUSED), True),
        (f"Over the cap of {result.cap}", over_cap, False),
    )
    for heading, feeds, with_reason in sections:
        if feeds:
            lines = [_imported_line(feed, with_reason=with_reason) for feed in feeds]
            embed.add_field(
                name=f"{heading} ({len(feeds)})",
                value=_joined(lines, separator="\n"),
                inline=False,
            )
    if over_cap:
        embed.set_footer(
            text=f"This server may add {result.cap} feeds. "
            "Remove some with /feeds remove, then import the file again."
        )
    return Reply(embeds=_within_total([embed]), ephemeral=True)


def _imported_line(feed: ImportedFeed, *, with_reason: bool) -> str:
    name = inert(feed.url, 150)
    if feed.title and feed.title != feed.url:
        name = f"{inert(feed.title, FEED_NAME_LIMIT)} ({name})"
    if with_reason and feed.reason:
        name += f": {inert(feed.reason, 150)}"
    return name


def _health_lines(feed: FeedHealthView, *, now: datetime) -> str:
    state = HEALTH_WORDS[feed.status]
    if feed.error_words:
        state += f": {inert(feed.error_words, 200)}"
    lines = [
        inert(feed.url, FEED_URL_LIMIT),
        state,
        f"last fetch {_last_fetch(feed, now=now)} · next check {_next_check(feed, now=now)}",
        f"{feed.items_per_day_week:.1f} items/day over 7 days, "
        f"{feed.items_per_day_month:.1f} over 30 · id {feed.feed_id}",
    ]
    return "\n".join(lines)[:FIELD_VALUE_LIMIT]


def _last_fetch(feed: FeedHealthView, *, now: datetime) -> str:
    if feed.last_success_at is None:
        return "never yet"
    return _moment(feed.last_success_at, now=now)


def _next_check(feed: FeedHealthView, *, now: datetime) -> str:
    if feed.status is FeedStatus.PAUSED:
        return "none: paused until the bot's operator resumes it (`policybot feeds resume`)"
    if feed.next_check_at is None or feed.next_check_at <= now:
        return "with the next poll"
    return _moment(feed.next_check_at, now=now)


def _moment(moment: datetime, *, now: datetime) -> str:
    return f"{moment.strftime('%Y-%m-%d %H:%M')} UTC ({relative_time(moment, now=now)})"


def _code_text(text: str, limit: int) -> str:
    """Text for inline code: one line, no backticks (nothing renders or pings inside code)."""
    flat = _WHITESPACE.sub(" ", text).strip().replace("`", "'")
    return _capped(flat, limit) if flat else "-"


def _plural_es(count: int) -> str:
    return "" if count == 1 else "es"


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


# /stance and /why ----------------------------------------------------------------------------

QUOTE_LIMIT = 350
STANCE_DETAILS = 6  # position embeds after the summary, strongest first
STANCE_WORDS = {
    StanceLabel.SUPPORT: "supports",
    StanceLabel.OPPOSE: "opposes",
    StanceLabel.MIXED: "mixed",
    StanceLabel.NEUTRAL: "no stated position",
}
STANCE_GROUPS = (
    (StanceLabel.SUPPORT, "Supports"),
    (StanceLabel.OPPOSE, "Opposes"),
    (StanceLabel.MIXED, "Mixed"),
    (StanceLabel.NEUTRAL, "Mentioned, no stated position"),
)


def stance_reply(
    answer: StanceAnswer, catalog: Catalog, *, period: str, target: str | None = None
) -> Reply:
    """A summary embed grouped by side, then one embed per position with its latest quote.

    ``target`` narrows only a company's answer; for a law the reply says it was not used.
    """
    if isinstance(answer, UnknownName):
        return unknown_name_reply(answer)
    if isinstance(answer, CompanyStance):
        found = answer.positions
        subject = answer.name

        def heading(position: Position) -> str:
            law = catalog.law(position.target_id)
            return law.name if law is not None else position.target_id

        title = f"{inert(subject, 200)}: positions law by law"
        empty = "No stated position on any law found yet."
    else:
        groups = answer.positions
        found = tuple(
            sorted(
                (*groups.supporters, *groups.opponents, *groups.mixed, *groups.neutral),
                key=lambda p: (-p.reports, -abs(p.score), p.company_id),
            )
        )
        subject = answer.name

        def heading(position: Position) -> str:
            company = catalog.company(position.company_id)
            return company.name if company is not None else position.company_id

        title = f"{inert(subject, 200)}: who supports, opposes, is mixed"
        empty = "No company position on it found yet."
    summary = discord.Embed(title=title, colour=COLOUR)
    if not found:
        summary.description = (
            f"{empty} Positions come from relevant news as it arrives ({inert(period, 100)})."
        )
        return Reply(embeds=(summary,), content=_unused_target(answer, target))
    reports = sum(position.reports for position in found)
    summary.description = (
        f"From {reports} report{_plural(reports)} ({inert(period, 100)}); "
        "several outlets running one story count once."
    )
    for label, name in STANCE_GROUPS:
        members = [p for p in found if p.label is label]
        if members:
            names = [f"{inert(heading(p), 80)} ({p.reports})" for p in members]
            summary.add_field(name=f"{name} ({len(members)})", value=_joined(names), inline=False)
    details = [_position_embed(p, inert(heading(p), 200)) for p in found[:STANCE_DETAILS]]
    embeds = _within_total([summary, *details])
    shown = len(embeds) - 1
    notes = [_unused_target(answer, target)]
    if shown < len(found):
        narrow = "`target:`" if isinstance(answer, CompanyStance) else "`period:`"
        notes.append(f"Evidence for the {shown} strongest of {len(found)}; narrow with {narrow}.")
    return Reply(embeds=embeds, content=" ".join(n for n in notes if n) or None)


def _unused_target(answer: StanceAnswer, target: str | None) -> str | None:
    if target is None or not isinstance(answer, LawStance):
        return None
    return (
        f"`target:` narrows a company's answer; this is every company on {inert(answer.name, 200)}."
    )


def unknown_name_reply(unknown: UnknownName, *, law_only: bool = False) -> Reply:
    """A private "did you mean" for a name the catalog does not know."""
    what = "law" if law_only else "company or law"
    text = f"policybot knows no {what} called “{inert(unknown.name, 200)}”."
    if unknown.suggestions:
        hints = ", ".join(f"**{inert(s, 80)}**" for s in unknown.suggestions)
        text += f" Did you mean {hints}?"
    text += " Start typing and pick a name from the list Discord shows."
    return refusal(text)


def name_choices(choices: Sequence[NameChoice]) -> list[app_commands.Choice[str]]:
    """Autocomplete for catalog names: at most 25, names and values within 100 characters."""
    return [
        app_commands.Choice(name=_capped(choice.label, CHOICE_NAME_LIMIT), value=choice.value)
        for choice in choices[:CHOICES_LIMIT]
        if len(choice.value) <= CHOICE_VALUE_LIMIT
    ]


def why_reply(answer: WhyAnswer, catalog: Catalog) -> Reply:
    """What policybot knows about one link: where it came from, its verdict, its digests."""
    if isinstance(answer, UnseenUrl):
        embed = discord.Embed(
            title="Not seen",
            description=(
                f"No feed policybot follows has carried {inert(answer.url, 500)} "
                "(compared without tracking parameters, scheme, `www.` or a trailing slash). "
                "A new article may still arrive with the next poll."
            ),
            colour=COLOUR,
        )
        return Reply(embeds=(embed,))
    first, analysis = answer.first, answer.analysis
    embed = discord.Embed(
        title=inert(first.title or "Untitled", ITEM_TITLE_LIMIT),
        url=link(first.url),
        description=_verdict(analysis),
        colour=COLOUR,
    )
    seen = [
        f"{inert(s.feed_title, 100)} · {_date(s.fetched_at)}" + (" (backlog)" * s.is_backlog)
        for s in answer.sightings
    ]
    embed.add_field(name="Seen in", value=_joined(seen, separator="\n"), inline=False)
    if analysis is not None:
        reasons = [reason_text(r, catalog) for r in analysis.reasons[:8]]
        embed.add_field(
            name="Why relevant" if analysis.is_relevant else "Why not relevant",
            value=_joined([inert(r, 150) for r in reasons], separator="\n")
            if reasons
            else "No law that governs AI, no rule-making word near an AI word, no stance.",
            inline=False,
        )
        companies = [_entry_name(catalog, i) for i in analysis.company_ids]
        laws = [_entry_name(catalog, i) for i in analysis.law_ids]
        if companies:
            embed.add_field(name="Companies", value=_joined(companies), inline=True)
        if laws:
            embed.add_field(name="Laws", value=_joined(laws), inline=True)
        stances = [
            f"{_entry_name(catalog, c.company_id)} {STANCE_WORDS[c.stance]} "
            f"{_entry_name(catalog, c.target_id)}: “{inert(c.evidence, 160)}”"
            for c in analysis.claims[:5]
        ]
        if stances:
            embed.add_field(name="Stances", value=_joined(stances, separator="\n"), inline=False)
    embed.add_field(name="Digest", value=_digest_line(answer), inline=False)
    embed.set_footer(text=f"First seen {_ago(answer.seen_ago)} · {inert(answer.url, 300)}")
    return Reply(embeds=(embed,))


def _position_embed(position: Position, heading: str) -> discord.Embed:
    quote = _quoted_claim(position)
    embed = discord.Embed(
        title=_capped(f"{heading}: {STANCE_WORDS[position.label]}", TITLE_LIMIT),
        url=link(quote.url),
        description=f"“{inert(quote.evidence, QUOTE_LIMIT)}”",
        colour=COLOUR,
    )
    embed.add_field(name="How sure", value=_how_sure(position), inline=True)
    embed.add_field(name="Trend", value=_trend(position), inline=True)
    source = inert(quote.title, 150) or "source"
    embed.set_footer(text=f"{source} · {_date(quote.reported_at)} · {quote.attribution}")
    return embed


def _quoted_claim(position: Position) -> ClaimRecord:
    """The newest evidence for the position's own side (any side for a mixed one)."""
    wanted = position.label
    for claim in position.evidence:  # newest first
        if claim.stance is wanted or (
            wanted is StanceLabel.MIXED and claim.stance is not StanceLabel.NEUTRAL
        ):
            return claim
    return position.evidence[0]


def _how_sure(position: Position) -> str:
    reports = f"{position.reports} report{_plural(position.reports)}"
    strength = abs(position.score)
    if position.label is StanceLabel.NEUTRAL:
        level = "no side taken"
    elif position.label is StanceLabel.MIXED:
        level = "split"
    elif position.reports >= 3 and strength >= 0.6:
        level = "high"
    elif position.reports >= 2 and strength >= 0.3:
        level = "medium"
    else:
        level = "low"
    return f"{level} · {reports} · score {position.score:+.2f}"


def _trend(position: Position) -> str:
    stated = [c for c in reversed(position.evidence) if c.stance is not StanceLabel.NEUTRAL]
    if position.changed and stated:
        old, new = stated[0], stated[-1]
        return (
            f"changed: {old.stance} ({_date(old.reported_at)}) → "
            f"{new.stance} ({_date(new.reported_at)})"
        )
    if len(stated) > 1:
        return f"steady since {_date(stated[0].reported_at)}"
    return f"first reported {_date(position.first.reported_at)}"


def _verdict(analysis: StoredAnalysis | None) -> str:
    if analysis is None:
        return "Seen, not analysed yet."
    verdict = "Relevant" if analysis.is_relevant else "Not relevant"
    return f"**{verdict}** to AI regulation (score {analysis.score:.2f})."


def _digest_line(answer: ItemExplanation) -> str:
    if answer.digests:
        lines = [
            f"Digest #{d.digest_id}: {d.status}"
            + (f" {_date(d.posted_at)}" if d.posted_at else f" (created {_date(d.created_at)})")
            for d in answer.digests
        ]
        return _joined(lines, separator="\n")
    reasons = {
        DigestAbsence.NOT_ANALYSED: "Not in any digest yet: it has not been analysed yet.",
        DigestAbsence.NOT_RELEVANT: (
            "Not in any digest: digests carry only items about AI regulation."
        ),
        DigestAbsence.BACKLOG: (
            "Not in any digest: it came with a feed's first fetch (the backlog), "
            "which is archived but never sent."
        ),
        DigestAbsence.NOT_YET: (
            "Not in any digest yet; it is relevant and new, so one can carry it."
        ),
    }
    return reasons[answer.absence or DigestAbsence.NOT_YET]


def _entry_name(catalog: Catalog, entry_id: str) -> str:
    entry = catalog.company(entry_id) or catalog.law(entry_id)
    return inert(entry.name if entry is not None else entry_id, 80)


def _joined(parts: Sequence[str], *, separator: str = ", ") -> str:
    """Parts (already inert) joined within a field value, with "and N more" when cut."""
    text = ""
    for number, part in enumerate(parts):
        more = f"{separator}and {len(parts) - number} more"
        candidate = f"{text}{separator}{part}" if text else part
        if len(candidate) + len(more) > FIELD_VALUE_LIMIT:
            return text + more
        text = candidate
    return text or "-"


def _capped(text: str, limit: int) -> str:
    flat = _WHITESPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - len(ELLIPSIS)] + ELLIPSIS


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _ago(age: timedelta) -> str:
    if age < timedelta(hours=1):
        return "less than an hour ago"
    if age < timedelta(days=2):
        hours = age // timedelta(hours=1)
        return f"{hours} hour{_plural(hours)} ago"
    return f"{age.days} days ago"
