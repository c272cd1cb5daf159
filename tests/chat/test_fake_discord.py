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


async def test_a_repeated_nonce_returns_the_message_already_created(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    """Discord: with enforce_nonce, "if another message was created by the same author with
    the same nonce, that message will be returned and no new message will be created"."""
    channel = bot.get_partial_messageable(fake_discord.guilds[0].channel_id)

    first = await channel.send("once", nonce="digest-1-0")
    again = await channel.send("once", nonce="digest-1-0")
    other = await channel.send("twice", nonce="digest-1-1")

    assert again.id == first.id
    assert other.id != first.id
    assert [m["content"] for m in fake_discord.messages_in(channel.id)] == ["once", "twice"]
    body = fake_discord.requests_to("POST", r"/channels/\d+/messages")[0].body
    assert body["nonce"] == "digest-1-0"
    assert body["enforce_nonce"] is True


async def test_a_nonce_is_unique_only_within_its_window(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    channel = bot.get_partial_messageable(fake_discord.guilds[0].channel_id)

    first = await channel.send("once", nonce="n")
    fake_discord.advance(fake_discord.nonce_window + 1)
    later = await channel.send("once", nonce="n")

    assert later.id != first.id
    assert len(fake_discord.messages_in(channel.id)) == 2


async def test_a_nonce_longer_than_25_characters_gets_discords_400(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    channel = bot.get_partial_messageable(fake_discord.guilds[0].channel_id)

    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x", nonce="n" * 26)

    assert refused.value.status == 400
    assert "nonce" in refused.value.text
    assert fake_discord.channel_messages == {}


async def test_an_answer_lost_after_the_message_was_made_is_survived_by_the_nonce(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    """A 500 after Discord made the message: discord.py retries with the same nonce and gets
    that message back; the channel holds it once."""
    channel = bot.get_partial_messageable(fake_discord.guilds[0].channel_id)
    fake_discord.fail_after_effect(r"/channels/\d+/messages", 500)

    sent = await channel.send("once", nonce="lost-answer")

    statuses = [r.status for r in fake_discord.requests_to("POST", r"/channels/\d+/messages")]
    assert statuses == [500, 200]
    assert [m["content"] for m in fake_discord.messages_in(channel.id)] == ["once"]
    assert sent.id


async def test_deleted_and_forbidden_channels_answer_404_and_403(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    gone, closed = (channel.id for channel in fake_discord.guilds[0].channels[:2])
    fake_discord.delete_channel(gone)
    fake_discord.forbid_channel(closed)

    with pytest.raises(discord.NotFound) as not_found:
        await bot.get_partial_messageable(gone).send("x")
    with pytest.raises(discord.Forbidden) as forbidden:
        await bot.get_partial_messageable(closed).send("x")

    assert not_found.value.code == 10003
    assert forbidden.value.code == 50013
