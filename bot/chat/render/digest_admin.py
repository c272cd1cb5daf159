"""``/digest`` and ``/settings`` replies: subscriptions, refusals, run results, settings.

Every reply is private (the admin who asked sees it). The digest itself is rendered by
``render.digest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord
from discord import app_commands

from bot.chat.render.digest import local_time
from bot.chat.render.text import (
    CHOICE_NAME_LIMIT,
    CHOICE_VALUE_LIMIT,
    CHOICES_LIMIT,
    COLOUR,
    ELLIPSIS,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    Reply,
    capped,
    code_text,
    inert,
    refusal,
)
from bot.domain.admin import ServerSettings
from bot.domain.digest.delivery import RunOutcome, RunResult
from bot.domain.digest.subscription import (
    Refusal,
    RequestRefused,
    Subscription,
    SubscriptionView,
)
from bot.domain.name_choices import TopicChoice

NO_DIGEST = "This server has no digest #{id}; `/digest list` shows its digests."


def added_reply(view: SubscriptionView) -> Reply:
    subscription = view.subscription
    embed = discord.Embed(
        title=f"Digest #{subscription.id} added",
        description=_summary(view),
        colour=COLOUR,
    )
    embed.set_footer(text=f"See what it would post now with /digest preview id:{subscription.id}")
    return Reply(embeds=(embed,), ephemeral=True)


def add_refusal(refused: RequestRefused, *, cadence: str = "") -> Reply:
    if refused.reason is Refusal.MISSING_PERMISSIONS:
        return channel_refusal(refused.given, refused.missing, purpose="digests")
    given = f"`{code_text(refused.given, 100)}`"
    suggestions = ", ".join(f"`{code_text(s, 60)}`" for s in refused.suggestions)
    did_you_mean = f" Did you mean {suggestions}?" if suggestions else ""
    messages = {
        Refusal.BAD_TIME: f"{given} is not a time as HH:MM (24-hour), such as `09:00` or `17:30`.",
        Refusal.DAY_NEEDED: "A weekly digest needs `day:`, the weekday it posts on.",
        Refusal.DAY_NOT_WEEKLY: (
            f"`day:` is for weekly digests only; a {cadence or 'daily'} digest posts on its own "
            "days. Leave `day:` out, or choose `cadence:weekly`."
        ),
        Refusal.BAD_DAY: f"{given} is not a weekday (Monday to Sunday).",
        Refusal.UNKNOWN_TIMEZONE: (
            f"{given} is not a timezone policybot knows; use an IANA name such as "
            f"`Europe/Brussels` or `America/New_York`.{did_you_mean}"
        ),
        Refusal.UNKNOWN_TOPIC: (
            f"{given} is not a law, company or jurisdiction in policybot's catalog."
            f"{did_you_mean} Separate several topics with commas."
        ),
        Refusal.BAD_MAX_STORIES: f"`max_stories:` must be from 1 to 50, not {given}.",
        Refusal.DUPLICATE: (
            f"This server already has that digest: #{refused.duplicate_of}, in the same "
            "channel, at the same time, on the same topics. `/digest list` shows it."
        ),
    }
    return refusal(messages[refused.reason])


def listing_reply(views: Sequence[SubscriptionView], *, now: datetime) -> Reply:
    embed = discord.Embed(title="Digests of this server", colour=COLOUR)
    if not views:
        embed.description = "No digests yet. Add one with `/digest add`."
        return Reply(embeds=(embed,), ephemeral=True)
    shown = 0
    for view in views[:FIELDS_PER_EMBED]:
        value = capped(_summary(view, now=now), FIELD_VALUE_LIMIT)
        if len(embed) + len(value) + 30 > EMBED_TOTAL_LIMIT - 100:
            break
        embed.add_field(name=f"Digest #{view.subscription.id}", value=value, inline=False)
        shown += 1
    if len(views) > shown:
        embed.set_footer(text=f"and {len(views) - shown} more")
    return Reply(embeds=(embed,), ephemeral=True)


def _summary(view: SubscriptionView, *, now: datetime | None = None) -> str:
    subscription = view.subscription
    timezone = view.scheduled.timezone
    lines = [f"<#{subscription.channel_id}> · {subscription.cadence.describe()} ({timezone})"]
    topics = ", ".join(inert(name, 60) for name in view.topic_names) or "everything relevant"
    lines.append(f"Topics: {topics} · up to {subscription.max_stories} stories")
    if subscription.paused:
        lines.append(f"**Paused:** {inert(subscription.paused_reason, 300)}")
    elif view.next_run is not None:
        unix = int(view.next_run.timestamp())
        lines.append(f"Next: {local_time(view.next_run, timezone)}, <t:{unix}:R>")
    if subscription.failing_reason and not subscription.paused:
        retry = ""
        if subscription.retry_at is not None:
            retry = f"; retried {local_time(subscription.retry_at, timezone)}"
        lines.append(f"**Failing:** {inert(subscription.failing_reason, 300)}{retry}")
    if subscription.last_result:
        when = ""
        if subscription.last_run_at is not None:
            when = f" ({local_time(subscription.last_run_at, timezone)})"
        lines.append(f"Last: {inert(subscription.last_result, 200)}{when}")
    return "\n".join(lines)


def removed_reply(subscription_id: int, removed: bool) -> Reply:
    if not removed:
        return refusal(NO_DIGEST.format(id=subscription_id))
    embed = discord.Embed(
        description=f"Digest #{subscription_id} is removed; nothing more is posted for it.",
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def paused_reply(subscription_id: int, found: Subscription | None) -> Reply:
    if found is None:
        return refusal(NO_DIGEST.format(id=subscription_id))
    embed = discord.Embed(
        description=(
            f"Digest #{subscription_id} is paused ({inert(found.paused_reason, 200)}). "
            f"`/digest resume id:{subscription_id}` restarts it."
        ),
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def resumed_reply(subscription_id: int, view: SubscriptionView | None) -> Reply:
    if view is None:
        return refusal(NO_DIGEST.format(id=subscription_id))
    embed = discord.Embed(
        title=f"Digest #{subscription_id} resumes",
        description=_summary(view),
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def nothing_to_preview() -> Reply:
    embed = discord.Embed(
        description="Nothing new to post right now: the next run would post nothing.",
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def run_reply(result: RunResult, *, channel_id: int) -> Reply:
    outcome = result.outcome
    reason = inert(result.reason, 300) if result.reason else ""
    if outcome is RunOutcome.POSTED:
        text = f"Digest #{result.subscription_id} posted in <#{channel_id}>: {result.describe()}."
        if result.parts_sent < result.parts_total:
            text += " (It finished an earlier run that was interrupted.)"
        return Reply(embeds=(discord.Embed(description=text, colour=COLOUR),), ephemeral=True)
    if outcome is RunOutcome.NOTHING_NEW:
        text = f"Digest #{result.subscription_id} had nothing new to post."
        return Reply(embeds=(discord.Embed(description=text, colour=COLOUR),), ephemeral=True)
    if outcome is RunOutcome.RETRYING:
        return refusal(
            f"Digest #{result.subscription_id} was interrupted after {result.parts_sent} of "
            f"{result.parts_total} messages: {reason}. The rest is retried shortly."
        )
    if outcome is RunOutcome.PAUSED:
        return refusal(f"Digest #{result.subscription_id} is paused: {reason}.")
    if outcome is RunOutcome.FAILED:
        return refusal(f"Digest #{result.subscription_id} could not be posted: {reason}.")
    return refusal(f"Digest #{result.subscription_id} did not run: {reason}.")


def settings_reply(settings: ServerSettings, *, default_timezone: str, changed: bool) -> Reply:
    timezone = settings.timezone or f"{default_timezone} (this instance's default)"
    admin = f"<#{settings.admin_channel_id}>" if settings.admin_channel_id else "none"
    embed = discord.Embed(
        title="Settings saved" if changed else "Settings of this server",
        description=(
            f"**Timezone:** {timezone}: digests without a timezone of their own post in it.\n"
            f"**Admin channel:** {admin}: where policybot tells admins about failing feeds "
            "and paused digests."
        ),
        colour=COLOUR,
    )
    return Reply(embeds=(embed,), ephemeral=True)


def timezone_refusal(timezone: str, suggestions: Sequence[str]) -> Reply:
    near = ", ".join(f"`{code_text(s, 60)}`" for s in suggestions)
    did_you_mean = f" Did you mean {near}?" if near else ""
    return refusal(
        f"`{code_text(timezone, 100)}` is not a timezone policybot knows; use an IANA name such "
        f"as `Europe/Brussels`.{did_you_mean}"
    )


def channel_refusal(channel: str, missing: Sequence[str], *, purpose: str) -> Reply:
    lacks = " and ".join(f"**{name}**" for name in missing)
    return refusal(
        f"policybot cannot post {purpose} in {channel}: it lacks {lacks} there. Grant them in "
        "the channel's permissions, or pick another channel."
    )


def topic_choices(choices: Sequence[TopicChoice]) -> list[app_commands.Choice[str]]:
    """Whole topic lists within Discord's 100 characters; a long label keeps its end, where
    the topic being completed is."""
    return [
        app_commands.Choice(
            name=choice.label
            if len(choice.label) <= CHOICE_NAME_LIMIT
            else ELLIPSIS + choice.label[-(CHOICE_NAME_LIMIT - 1) :],
            value=choice.value,
        )
        for choice in choices[:CHOICES_LIMIT]
        if len(choice.value) <= CHOICE_VALUE_LIMIT
    ]


def timezone_choices(zones: Sequence[str]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=capped(zone, CHOICE_NAME_LIMIT), value=zone)
        for zone in zones[:CHOICES_LIMIT]
    ]
