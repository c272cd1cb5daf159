"""``/stance``: a company's positions law by law, or who supports and opposes a law."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.analysis import Analysis
from bot.chat.render import stance as render
from bot.chat.render.text import CHOICES_LIMIT
from bot.chat.replies import send_reply, think
from bot.domain.model import EntityKind
from bot.domain.name_choices import name_choices

PERIODS = {  # choice value -> (how far back, how the reply says it)
    "30d": (timedelta(days=30), "last 30 days"),
    "90d": (timedelta(days=90), "last 90 days"),
    "1y": (timedelta(days=365), "last year"),
    "all": (None, "all time"),
}
LAWS = frozenset({EntityKind.LAW})


class StanceCog(commands.Cog):
    def __init__(self, analysis: Analysis) -> None:
        self._analysis = analysis

    @app_commands.command(
        name="stance", description="Where a company stands on AI laws, or who backs a law"
    )
    @app_commands.describe(
        name="A company or a law, e.g. Meta or AI Act",
        target="Only this law (for a company)",
        period="Only reports from this period (default: all time)",
    )
    @app_commands.choices(
        period=[
            app_commands.Choice(name=label, value=value) for value, (_, label) in PERIODS.items()
        ]
    )
    async def stance(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        target: app_commands.Range[str, 1, 100] | None = None,
        period: str = "all",
    ) -> None:
        unknown = self._analysis.unknown_stance_name(name, target=target)
        if unknown is not None:
            reply = render.unknown_name_reply(unknown, law_only=unknown.name != name)
            await send_reply(interaction, reply)
            return
        await think(interaction)
        now = datetime.now(UTC)
        back, label = PERIODS.get(period, PERIODS["all"])
        since = now - back if back is not None else None
        answer = await self._analysis.stance(name, now=now, target=target, since=since)
        reply = render.stance_reply(answer, self._analysis.catalog, period=label, target=target)
        await send_reply(interaction, reply)

    @stance.autocomplete("name")
    async def name_suggestions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = name_choices(self._analysis.catalog, current, limit=CHOICES_LIMIT)
        return render.name_choices(found)

    @stance.autocomplete("target")
    async def target_suggestions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = name_choices(self._analysis.catalog, current, limit=CHOICES_LIMIT, kinds=LAWS)
        return render.name_choices(found)
