"""``policybot run --role``: each refusal is one line and exit 1, before anything starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import policybot_environment, run_policybot

POSTGRES = "postgresql://postgres@127.0.0.1:1/nowhere"  # never reached: refused before


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("role", ["poller", "bot"])
def test_a_split_role_refuses_sqlite_naming_the_setting_and_the_readme(
    tmp_path: Path, role: str
) -> None:
    result = run_policybot(tmp_path, "run", "--role", role, DISCORD_TOKEN="a-token")

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"policybot: error: --role {role} needs PostgreSQL")
    assert "POLICYBOT_DATABASE_URL" in line
    assert '"Scaling"' in line
    assert not (tmp_path / "data" / "bot.db").exists()  # nothing was created


def test_the_bot_role_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "run", "--role", "bot", POLICYBOT_DATABASE_URL=POSTGRES)

    assert result.returncode == 1
    assert one_error_line(result.stderr) == (
        "policybot: error: --role bot needs DISCORD_TOKEN (the bot token from Discord)"
    )


def test_an_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "run", "--role", "poler")

    assert result.returncode == 2
    assert "invalid choice: 'poler'" in result.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"POLICYBOT_SHARD_COUNT": "2", "POLICYBOT_SHARD_IDS": "1,2"},
            "invalid settings: POLICYBOT_SHARD_IDS must be below POLICYBOT_SHARD_COUNT=2: 2",
        ),
        (
            {"POLICYBOT_SHARD_IDS": "0"},
            "invalid settings: POLICYBOT_SHARD_IDS needs POLICYBOT_SHARD_COUNT",
        ),
        (
            {"POLICYBOT_SHARD_COUNT": "2", "POLICYBOT_SHARD_IDS": "zero"},
            "invalid setting POLICYBOT_SHARD_IDS: not a comma-separated list of shard numbers: "
            "'zero'",
        ),
        (
            {"POLICYBOT_SHARD_COUNT": "0"},
            "invalid setting POLICYBOT_SHARD_COUNT: Input should be greater than or equal to 1",
        ),
    ],
)
def test_shard_settings_are_checked_in_one_line(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    result = run_policybot(tmp_path, "run", "--role", "bot", **variables)

    assert result.returncode == 1
    assert one_error_line(result.stderr) == f"policybot: error: {message}"


def test_the_shard_settings_are_shown_by_config(tmp_path: Path) -> None:
    result = run_policybot(
        tmp_path, "config", POLICYBOT_SHARD_COUNT="4", POLICYBOT_SHARD_IDS="3, 1"
    )

    assert result.returncode == 0, result.stderr
    assert "POLICYBOT_SHARD_COUNT" in result.stdout
    assert "1,3" in result.stdout


def test_poll_without_once_is_the_poller_role_on_any_database(tmp_path: Path) -> None:
    """``policybot poll`` runs the loops ``run --role poller`` runs; SQLite is fine for it."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll"],
        cwd=tmp_path,
        env=policybot_environment(
            tmp_path, DISCORD_TOKEN="a-token", POLICYBOT_FEEDS_FILE=str(feeds)
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "policybot running" in line:
            break
    process.terminate()
    log = "".join(lines) + process.communicate(timeout=60)[1]

    assert process.returncode == 0, log
    assert "policybot starting mode=poller role=poller" in log
    assert "policybot running mode=poller" in log
    assert " discord." not in log  # discord.py never logged a thing: no client was built
