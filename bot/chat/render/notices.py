"""What policybot tells a server's admins in their admin channel, once per event."""

from __future__ import annotations

import discord

from bot.chat.render.text import (
    DESCRIPTION_LIMIT,
    FAILURE_COLOUR,
    FEED_NAME_LIMIT,
    REFUSAL_COLOUR,
    TITLE_LIMIT,
    capped,
    inert,
    link,
)
from bot.domain.admin import AdminNotice, DigestPaused
from bot.domain.health import HealthEventKind

RECOVERED_COLOUR = discord.Colour.green()


def notice_embed(notice: AdminNotice) -> discord.Embed:
    if isinstance(notice, DigestPaused):
        return discord.Embed(
            title=f"Digest #{notice.subscription_id} is paused",
            description=capped(
                f"Its channel <#{notice.channel_id}> did not take it: "
                f"{inert(notice.reason, 300)}. Nothing more is posted until an admin fixes "
                f"the channel and runs `/digest resume id:{notice.subscription_id}`; the "
                "stories it has not posted yet wait for it.",
                DESCRIPTION_LIMIT,
            ),
            colour=FAILURE_COLOUR,
        )
    name = inert(notice.title or notice.url, FEED_NAME_LIMIT)
    reason = inert(notice.reason, 300) if notice.reason else "no reason given"
    if notice.kind is HealthEventKind.FAILING:
        title = "A feed is failing"
        text = (
            f"**{name}** failed several times in a row: {reason}. policybot keeps trying, "
            "less and less often; details in `/feeds status`."
        )
        colour = REFUSAL_COLOUR
    elif notice.kind is HealthEventKind.PAUSED:
        title = "A feed is paused"
        text = (
            f"**{name}** says it is gone for good ({reason}), so policybot stopped polling "
            "it. Remove it with `/feeds remove`, or ask the operator to resume it."
        )
        colour = FAILURE_COLOUR
    else:
        title = "A feed works again"
        text = f"**{name}** answers again; its new items go into the next digests."
        colour = RECOVERED_COLOUR
    return discord.Embed(
        title=capped(title, TITLE_LIMIT), url=link(notice.url), description=text, colour=colour
    )
