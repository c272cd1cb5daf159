"""The fake Discord itself: its hooks into discord.py, and the rules it enforces.

The patch points it relies on still exist in the pinned discord.py (start here after an
upgrade); it tracks servers joined and left after READY; and it rejects what Discord rejects
but discord.py lets through: oversized messages, too many or too long autocomplete choices,
and invalid command schemas.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy.engine import URL

from bot.chat.client import PolicyBot
from tests.fake_discord import FakeDiscord
from tests.fake_discord.limits import choice_problems, command_list_problems


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """Nothing here depends on the database engine; SQLite alone keeps the suite fast."""
    return sqlite_url


def test_the_patch_points_still_exist() -> None:
    assert discord.http.Route.BASE.startswith("https://")
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).startswith("wss://")


async def test_an_oversized_message_gets_discords_400(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    channel = bot.get_channel(fake_discord.guilds[0].channel_id)
    assert isinstance(channel, discord.TextChannel)
    big = [discord.Embed(title="t", description="d" * 4000) for _ in range(2)]

    with pytest.raises(discord.HTTPException) as too_big:
        await channel.send(embeds=big)
    with pytest.raises(discord.HTTPException) as long_title:
        await channel.send(embed=discord.Embed(title="t" * 257))

    assert too_big.value.code == 50035
    assert "6000" in too_big.value.text
    assert long_title.value.code == 50035
    assert "embeds.0.title" in long_title.value.text
    assert fake_discord.channel_messages == {}


async def test_guilds_joined_and_left_after_ready_are_tracked(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    joined = fake_discord.guilds[0].to_dict() | {"id": "300000000000000003", "name": "Guild C"}

    await fake_discord.dispatch("GUILD_CREATE", joined)
    await fake_discord.until(lambda: len(bot.guilds) == 3)
    await fake_discord.dispatch("GUILD_DELETE", {"id": "300000000000000003"})
    await fake_discord.until(lambda: len(bot.guilds) == 2)


def test_autocomplete_limits() -> None:
    too_many = [{"name": f"c{n}", "value": str(n)} for n in range(26)]
    too_long = [{"name": "n" * 101, "value": "v" * 101}]

    assert choice_problems(too_many)[0].message == "Must be 25 or fewer in length."
    assert [p.path[-1] for p in choice_problems(too_long)] == ["name", "value"]


def _command(**changes: Any) -> dict[str, Any]:
    return {"name": "search", "description": "Search", "type": 1, "options": []} | changes


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (_command(name="Search"), "APPLICATION_COMMAND_INVALID_NAME"),
        (_command(name="with space"), "APPLICATION_COMMAND_INVALID_NAME"),
        (_command(description="d" * 101), "BASE_TYPE_BAD_LENGTH"),
        (
            _command(
                options=[
                    {"name": "a", "description": "a", "type": 3, "required": False},
                    {"name": "b", "description": "b", "type": 3, "required": True},
                ]
            ),
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        ),
        (
            _command(options=[{"name": f"o{n}", "description": "o", "type": 3} for n in range(26)]),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            _command(
                options=[
                    {
                        "name": "o",
                        "description": "o",
                        "type": 3,
                        "autocomplete": True,
                        "choices": [{"name": "a", "value": "a"}],
                    }
                ]
            ),
            "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID",
        ),
    ],
)
def test_command_schema_rules(command: dict[str, Any], code: str) -> None:
    assert code in {problem.code for problem in command_list_problems([command])}


def test_a_valid_command_passes() -> None:
    assert command_list_problems([_command()]) == []
