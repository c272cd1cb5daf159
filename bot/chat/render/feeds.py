"""``/feeds``: a server's own feeds (list, add, remove, status, OPML import and export)."""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands

from bot.chat.render.text import (
    CHOICE_NAME_LIMIT,
    CHOICE_VALUE_LIMIT,
    CHOICES_LIMIT,
    COLOUR,
    EMBED_TOTAL_LIMIT,
    FEED_NAME_LIMIT,
    FEED_URL_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    REFUSAL_COLOUR,
    TITLE_LIMIT,
    Reply,
    ReplyFile,
    capped,
    code_text,
    day,
    inert,
    joined,
    link,
    plural,
    refusal,
    within_total,
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
from bot.domain.model import FeedStatus


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
        FollowOutcome.IN_INSTANCE_LIST: (
            f"Every server on this bot already gets {url}: it is in the bot's own feed list, "
            "so there is nothing to add (and it takes none of your feed slots)."
        ),
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
        detail = f"\nDetail: `{code_text(feed.last_error or '', 300)}`"
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
    embed.set_footer(text=f"Added here {day(feed.added_at)} · id {feed.feed_id}")
    return Reply(embeds=(embed,), ephemeral=True)


def feeds_export_reply(export: FeedsExport, *, filename: str) -> Reply:
    if not export.feed_count:
        return refusal("This server has added no feeds yet, so there is nothing to export.")
    embed = discord.Embed(
        title="Feeds exported",
        description=(
            f"{export.feed_count} feed{plural(export.feed_count)} added in this server, as OPML: "
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
            f"feed{plural(len(result.feeds))} added to this server. {scope}"
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
                value=joined(lines, separator="\n"),
                inline=False,
            )
    if over_cap:
        embed.set_footer(
            text=f"This server may add {result.cap} feeds. "
            "Remove some with /feeds remove, then import the file again."
        )
    return Reply(embeds=within_total([embed]), ephemeral=True)


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


def _plural_es(count: int) -> str:
    return "" if count == 1 else "es"


def _feed_line(feed: FollowedFeed) -> str:
    health = {FeedStatus.OK: "healthy", FeedStatus.FAILING: "failing", FeedStatus.PAUSED: "paused"}
    last = day(feed.last_success_at) if feed.last_success_at else "not fetched yet"
    state = health.get(feed.status, str(feed.status))
    line = (
        f"{inert(feed.url, FEED_URL_LIMIT)}\n{state} · last fetch {last} · "
        f"added {day(feed.added_at)} · id {feed.feed_id}"
    )
    return line[:FIELD_VALUE_LIMIT]


def _choice_name(feed: FollowedFeed) -> str:
    # Choice names are plain text in Discord's picker, so only the length matters here.
    return capped(f"{feed.title} ({feed.url})", CHOICE_NAME_LIMIT)
