"""``/stance``: a company's positions law by law, or who supports and opposes a law.

Which claim to quote, how sure and the trend are the domain's (``PositionSummary``), shared
with ``policybot stance``; this module only lays them out within Discord's limits.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands

from bot.chat.render.text import (
    CHOICE_NAME_LIMIT,
    CHOICE_VALUE_LIMIT,
    CHOICES_LIMIT,
    COLOUR,
    TITLE_LIMIT,
    Reply,
    capped,
    day,
    inert,
    joined,
    link,
    plural,
    refusal,
    within_total,
)
from bot.domain.catalog import Catalog
from bot.domain.model import StanceLabel
from bot.domain.name_choices import NameChoice
from bot.domain.position_summary import PositionSummary, law_row_name
from bot.domain.positions import CompanyStance, LawStance, Position, StanceAnswer, UnknownName

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
    of_company = isinstance(answer, CompanyStance)
    if isinstance(answer, CompanyStance):
        found = answer.positions
        about, empty = "positions law by law", "No stated position on any law found yet."
    else:
        found = _strongest_first(answer)
        about, empty = "who supports, opposes, is mixed", "No company position on it found yet."

    def heading(position: Position) -> str:
        if isinstance(answer, LawStance):
            return law_row_name(position, answer.law_id, catalog)
        law = catalog.law(position.target_id)
        return law.name if law is not None else position.target_id

    summary = discord.Embed(title=f"{inert(answer.name, 200)}: {about}", colour=COLOUR)
    if not found:
        summary.description = (
            f"{empty} Positions come from relevant news as it arrives ({inert(period, 100)})."
        )
        return Reply(embeds=(summary,), content=_unused_target(answer, target))
    reports = sum(position.reports for position in found)
    summary.description = (
        f"From {reports} report{plural(reports)} ({inert(period, 100)}); "
        "several outlets running one story count once."
    )
    for label, name in STANCE_GROUPS:
        members = [p for p in found if p.label is label]
        if members:
            names = [f"{inert(heading(p), 80)} ({p.reports})" for p in members]
            summary.add_field(name=f"{name} ({len(members)})", value=joined(names), inline=False)
    details = [_position_embed(p, inert(heading(p), 200)) for p in found[:STANCE_DETAILS]]
    embeds = within_total([summary, *details])
    shown = len(embeds) - 1
    notes = [_unused_target(answer, target)]
    if shown < len(found):
        narrow = "`target:`" if of_company else "`period:`"
        notes.append(f"Evidence for the {shown} strongest of {len(found)}; narrow with {narrow}.")
    return Reply(embeds=embeds, content=" ".join(n for n in notes if n) or None)


def _strongest_first(answer: LawStance) -> tuple[Position, ...]:
    groups = answer.positions
    return tuple(
        sorted(
            (*groups.supporters, *groups.opponents, *groups.mixed, *groups.neutral),
            key=lambda p: (-p.reports, -abs(p.score), p.company_id),
        )
    )


def _unused_target(answer: CompanyStance | LawStance, target: str | None) -> str | None:
    if target is None or not isinstance(answer, LawStance):
        return None
    return (
        f"`target:` narrows a company's answer; this is every company on {inert(answer.name, 200)}."
    )


def _position_embed(position: Position, heading: str) -> discord.Embed:
    summary = PositionSummary.of(position)
    quote = summary.quote
    embed = discord.Embed(
        title=capped(f"{heading}: {STANCE_WORDS[position.label]}", TITLE_LIMIT),
        url=link(quote.url),
        description=f"“{inert(quote.evidence, QUOTE_LIMIT)}”",
        colour=COLOUR,
    )
    embed.add_field(name="How sure", value=summary.how_sure, inline=True)
    embed.add_field(name="Trend", value=summary.trend, inline=True)
    source = inert(quote.title, 150) or "source"
    embed.set_footer(text=f"{source} · {day(quote.reported_at)} · {quote.attribution}")
    return embed


def unknown_name_reply(unknown: UnknownName, *, law_only: bool = False) -> Reply:
    """A private "did you mean" for a name the catalog does not know."""
    if unknown.company is not None:
        same = unknown.company.casefold() == unknown.name.casefold()
        company = "a company" if same else f"the company {inert(unknown.company, 200)}"
        return refusal(
            f"“{inert(unknown.name, 200)}” is {company}; `target:` takes a law, such as the AI Act."
        )
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
        app_commands.Choice(name=capped(choice.label, CHOICE_NAME_LIMIT), value=choice.value)
        for choice in choices[:CHOICES_LIMIT]
        if len(choice.value) <= CHOICE_VALUE_LIMIT
    ]
