"""``/why``: what policybot knows about one link: where it came from, its verdict, its digests."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.chat.render.stance import STANCE_WORDS
from bot.chat.render.text import (
    COLOUR,
    ITEM_TITLE_LIMIT,
    Reply,
    day,
    inert,
    joined,
    link,
    plural,
)
from bot.domain.catalog import Catalog
from bot.domain.explanation import (
    DigestAbsence,
    DigestAppearance,
    ItemExplanation,
    StoredAnalysis,
    UnseenUrl,
    WhyAnswer,
    reason_text,
)
from bot.domain.model import DigestDisposition


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
        f"{inert(s.feed_title, 100)} · {day(s.fetched_at)}" + (" (backlog)" * s.is_backlog)
        for s in answer.sightings
    ]
    embed.add_field(name="Seen in", value=joined(seen, separator="\n"), inline=False)
    if analysis is not None:
        reasons = [reason_text(r, catalog) for r in analysis.reasons[:8]]
        embed.add_field(
            name="Why relevant" if analysis.is_relevant else "Why not relevant",
            value=joined([inert(r, 150) for r in reasons], separator="\n")
            if reasons
            else "No law that governs AI, no rule-making word near an AI word, no stance.",
            inline=False,
        )
        companies = [_entry_name(catalog, i) for i in analysis.company_ids]
        laws = [_entry_name(catalog, i) for i in analysis.law_ids]
        if companies:
            embed.add_field(name="Companies", value=joined(companies), inline=True)
        if laws:
            embed.add_field(name="Laws", value=joined(laws), inline=True)
        stances = [
            f"{_entry_name(catalog, c.company_id)} {STANCE_WORDS[c.stance]} "
            f"{_entry_name(catalog, c.target_id)}: “{inert(c.evidence, 160)}”"
            for c in analysis.claims[:5]
        ]
        if stances:
            embed.add_field(name="Stances", value=joined(stances, separator="\n"), inline=False)
    embed.add_field(name="Digest", value=_digest_line(answer), inline=False)
    embed.set_footer(text=f"First seen {_ago(answer.seen_ago)} · {inert(answer.url, 300)}")
    return Reply(embeds=(embed,))


def _verdict(analysis: StoredAnalysis | None) -> str:
    if analysis is None:
        return "Seen, not analysed yet."
    verdict = "Relevant" if analysis.is_relevant else "Not relevant"
    return f"**{verdict}** to AI regulation (score {analysis.score:.2f})."


_DISPOSITION_WORDS = {
    DigestDisposition.POSTED: "a full entry",
    DigestDisposition.LISTED: "listed by its title",
    DigestDisposition.SUMMARISED: "counted among the stories left out (see /latest)",
    DigestDisposition.COVERED: "not repeated: it had carried this story from another source",
}


def _digest_line(answer: ItemExplanation) -> str:
    if answer.digests:
        return joined([_appearance(d) for d in answer.digests], separator="\n")
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


def _appearance(digest: DigestAppearance) -> str:
    """``Digest #2 in #policy, 2026-11-25: a full entry (message)``, the number being the
    subscription's, as ``/digest list`` shows it."""
    line = (
        f"Digest #{digest.subscription_id} in <#{digest.channel_id}>, "
        f"{day(digest.posted_at or digest.created_at)}: {_DISPOSITION_WORDS[digest.disposition]}"
    )
    if digest.message_id is not None:
        jump = f"https://discord.com/channels/{digest.guild_id}/{digest.channel_id}/{digest.message_id}"
        line += f" ([message]({jump}))"
    return line


def _entry_name(catalog: Catalog, entry_id: str) -> str:
    entry = catalog.company(entry_id) or catalog.law(entry_id)
    return inert(entry.name if entry is not None else entry_id, 80)


def _ago(age: timedelta) -> str:
    if age < timedelta(hours=1):
        return "less than an hour ago"
    if age < timedelta(days=2):
        hours = age // timedelta(hours=1)
        return f"{hours} hour{plural(hours)} ago"
    return f"{age.days} days ago"
