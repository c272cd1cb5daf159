"""A CLI that explains itself: help with examples, the settings in effect, typos caught,
and the health check a container runs."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.support.cli import run_policybot


def _subcommands(
    parser: argparse.ArgumentParser, path: str = "policybot"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub.prog.endswith(" " + name):  # aliases point at the same parser
                    found.append((f"{path} {name}", sub))
                    found.extend(_subcommands(sub, f"{path} {name}"))
    return found


def test_every_subcommand_has_a_description_and_examples() -> None:
    commands = _subcommands(build_parser())
    assert len(commands) >= 20
    for name, parser in commands:
        assert parser.description, name
        assert str(parser.epilog).startswith("examples:\n  "), name
        assert "policybot " in str(parser.epilog), name
        for action in parser._actions:
            if action.option_strings or action.dest == "help":
                continue
            if isinstance(action, argparse._SubParsersAction):
                assert action.metavar == "ACTION", name
            else:  # positionals are named in capitals, like every other metavar
                stem = str(action.metavar).split(".")[0]  # ARTICLES.jsonl names its format
                assert stem.upper() == stem, (name, action.dest)


def test_one_spelling_with_the_other_accepted() -> None:
    parser = build_parser()
    assert (
        parser.parse_args(["analyze", "x.jsonl"]).handler
        == parser.parse_args(["analyse", "x.jsonl"]).handler
    )
    assert parser.parse_args(["reanalyze"]).handler == parser.parse_args(["reanalyse"]).handler


def test_config_prints_effective_settings_with_secrets_hidden(tmp_path: Path) -> None:
    result = run_policybot(
        tmp_path,
        "config",
        DISCORD_TOKEN="very-secret-token",
        POLICYBOT_TIMEZONE="Europe/Brussels",
        POLICYBOT_DATABASE_URL="postgresql://bot:hunter2@db.example/policybot",
    )
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "very-secret-token" not in result.stdout
    assert "hunter2" not in result.stdout
    assert lines["DISCORD_TOKEN"].split(None, 1)[1].startswith("(set, hidden)")
    assert lines["POLICYBOT_TIMEZONE"].split(None, 1)[1] == "Europe/Brussels  (default: UTC)"
    assert "postgresql+asyncpg://bot:***@db.example/policybot" in lines["POLICYBOT_DATABASE_URL"]
    assert lines["POLICYBOT_POLL_INTERVAL_MINUTES"].split(None, 1)[1] == "60"


def test_a_mistyped_setting_gets_a_warning(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "config", POLICYBOT_TIMEZOEN="Europe/Paris")
    assert result.returncode == 0
    assert (
        "unknown setting POLICYBOT_TIMEZOEN is ignored; did you mean POLICYBOT_TIMEZONE?"
        in result.stderr
    )


def test_health_is_unhealthy_before_the_first_cycle_then_healthy_then_stale(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: Nowhere, url: 'http://127.0.0.1:9/rss', kind: news}\n")
    env = {"POLICYBOT_FEEDS_FILE": str(feeds), "POLICYBOT_ALLOW_PRIVATE_FEEDS": "true"}
    assert run_policybot(tmp_path, "db", "upgrade").returncode == 0

    before = run_policybot(tmp_path, "health", **env)
    assert before.returncode == 1
    assert before.stdout.startswith("unhealthy: nothing has stamped the heartbeat yet")

    run_policybot(tmp_path, "poll", "--once", **env)  # the one feed fails; the cycle still ticks
    after = run_policybot(tmp_path, "health", **env)
    assert after.returncode == 0, after.stdout
    assert after.stdout.startswith("ok: database answers, last heartbeat")

    stale = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    (tmp_path / "data" / "policybot.heartbeat").write_text(stale)
    late = run_policybot(tmp_path, "health", **env)
    assert late.returncode == 1
    assert "unhealthy: the last heartbeat was" in late.stdout


def test_health_when_the_database_does_not_answer(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    result = run_policybot(
        tmp_path, "health", POLICYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'blocker' / 'bot.db'}"
    )
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: the database does not answer")


@pytest.mark.parametrize("command", ["search", "stance", "feeds check", "db downgrade"])
def test_help_shows_examples(tmp_path: Path, command: str) -> None:
    result = run_policybot(tmp_path, *command.split(), "--help")
    assert result.returncode == 0
    assert "examples:\n  policybot " + command.split()[0] in result.stdout
