"""Commands are registered only by ``policybot sync-commands``, exactly as snapshotted.

Admin commands are gated and work only in servers; a sync can target one server; every way a
sync can fail (refused list, unknown server, Discord out of reach, wrong or missing token) is
one readable error.

To accept a deliberate change of the command list, run the tests once with
``POLICYBOT_UPDATE_SNAPSHOTS=1`` and review the diff of ``command_schema.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.cli import build_parser
from bot.errors import ChatError, ConfigError
from bot.settings import Settings
from tests.fake_discord import APP_ID, FakeDiscord
from tests.fake_discord.limits import Problem, invalid_form_body

SNAPSHOT = Path(__file__).with_name("command_schema.json")


@pytest.fixture
def sync_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'policybot.db'}",
        discord_token="fake-token",
    )


# Every slash command policybot registers.
COMMAND_NAMES = {"help", "search", "latest", "stance", "why", "feeds", "digest", "settings"}


async def sync(settings: Settings, *arguments: str) -> int:
    args = build_parser().parse_args(["sync-commands", *arguments])
    code: int = await args.handler(args, settings)
    return code


async def test_sync_registers_exactly_the_snapshotted_commands(
    fake_discord: FakeDiscord, sync_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sync(sync_settings) == 0

    (put,) = fake_discord.command_puts()
    assert put.path == f"/applications/{APP_ID}/commands"
    assert put.status == 200  # the fake's schema validators accepted it
    if os.environ.get("POLICYBOT_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(put.body, indent=2, sort_keys=True) + "\n")
    assert put.body == json.loads(SNAPSHOT.read_text())
    assert "synced 8 commands to every server" in capsys.readouterr().out


def test_admin_commands_are_gated_and_guild_only_and_public_ones_are_not() -> None:
    commands: dict[str, dict[str, Any]] = {c["name"]: c for c in json.loads(SNAPSHOT.read_text())}

    assert set(commands) == COMMAND_NAMES
    for admin in ("feeds", "digest", "settings"):
        assert int(commands[admin]["default_member_permissions"]) == 1 << 5  # Manage Server
        assert commands[admin]["contexts"] == [0]
    for public in ("help", "search", "latest", "stance", "why"):
        assert commands[public]["default_member_permissions"] is None
    subcommands = {option["name"] for option in commands["feeds"]["options"]}
    assert subcommands == {"list", "add", "remove", "status", "export", "import"}
    subcommands = {option["name"] for option in commands["digest"]["options"]}
    assert subcommands == {"add", "list", "remove", "pause", "resume", "preview", "now"}


async def test_sync_to_one_server_by_flag_or_by_the_dev_guild_setting(
    fake_discord: FakeDiscord, sync_settings: Settings
) -> None:
    dev = sync_settings.model_copy(update={"dev_guild_id": 222})

    await sync(sync_settings, "--guild", "111")
    await sync(dev)
    await sync(dev, "--global")

    assert [put.path for put in fake_discord.command_puts()] == [
        f"/applications/{APP_ID}/guilds/111/commands",
        f"/applications/{APP_ID}/guilds/222/commands",
        f"/applications/{APP_ID}/commands",
    ]
    assert {c["name"] for c in fake_discord.commands[111]} == COMMAND_NAMES


async def test_a_refused_command_list_is_one_readable_error(
    fake_discord: FakeDiscord, sync_settings: Settings
) -> None:
    problem = Problem((0, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100.")
    fake_discord.fail_next(r"/commands$", 400, method="PUT", body=invalid_form_body([problem]))

    with pytest.raises(ChatError, match=r"(?s)refused the command list.*'help'.*description"):
        await sync(sync_settings)


async def test_a_server_the_bot_is_not_in_is_one_readable_error(
    fake_discord: FakeDiscord, sync_settings: Settings
) -> None:
    fake_discord.fail_next(r"/guilds/\d+/commands$", 403, code=50001, message="Missing Access")

    with pytest.raises(ChatError, match="Discord refused: 403 Missing Access"):
        await sync(sync_settings, "--guild", "999")


async def test_discord_out_of_reach_is_one_readable_error(
    sync_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")

    with pytest.raises(ChatError, match="cannot reach Discord"):
        await sync(sync_settings)


async def test_a_wrong_token_is_one_readable_error(
    fake_discord: FakeDiscord, sync_settings: Settings
) -> None:
    wrong = Settings(database_url=sync_settings.database_url, discord_token="not-the-token")

    with pytest.raises(ChatError, match="rejected DISCORD_TOKEN"):
        await sync(wrong)
    assert fake_discord.command_puts() == []


async def test_sync_without_a_token_says_what_is_missing(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    if settings.discord_token is not None:
        pytest.skip("DISCORD_TOKEN is set in this environment")

    with pytest.raises(ConfigError, match="needs DISCORD_TOKEN"):
        await sync(settings)
