"""The command line as an operator meets it: a real subprocess, a real database file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import policybot_environment, run_policybot


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "--help")
    assert result.returncode == 0
    assert "run" in result.stdout
    assert "db" in result.stdout


def test_run_migrates_loads_feeds_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=policybot_environment(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "polling started" in line:  # the parser processes are up by now
            break
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches every process of the group
    rest = process.communicate(timeout=30)[1]
    log = "".join(lines) + rest
    assert process.returncode == 0, log
    assert "feeds loaded" in log
    assert "Traceback" not in log
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        assert db.execute("select count(*) from feeds where in_instance_list").fetchone()[0] >= 20
        assert db.execute("select version_num from alembic_version").fetchone() is not None


def test_sigterm_also_stops_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=policybot_environment(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "policybot running" in line:
            break
    process.terminate()
    rest = process.communicate(timeout=30)[1]
    assert process.returncode == 0, rest
    assert "policybot stopping" in rest


def test_bad_feeds_file_gives_one_line_and_nonzero_exit(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: A, url: 'gopher://x', kind: news}\n")
    result = run_policybot(tmp_path, "run", POLICYBOT_FEEDS_FILE=str(feeds))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == ["policybot: error: feeds.yaml: entry 1 (url): not an http(s) URL"]


@pytest.mark.parametrize(
    ("name", "value"), [("POLICYBOT_TIMEZONE", "Nowhere/Land"), ("POLICYBOT_LOG_LEVEL", "chatty")]
)
def test_bad_setting_gives_one_line_and_nonzero_exit(tmp_path: Path, name: str, value: str) -> None:
    result = run_policybot(tmp_path, "run", **{name: value})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"policybot: error: invalid setting {name}: "
        + result.stderr.split(f"invalid setting {name}: ", 1)[1].strip()
    ]
    assert value in result.stderr


def test_db_upgrade_current_and_downgrade(tmp_path: Path) -> None:
    assert run_policybot(tmp_path, "db", "upgrade").returncode == 0
    assert run_policybot(tmp_path, "db", "current").stdout.strip() == "0006"
    assert run_policybot(tmp_path, "db", "downgrade", "base").returncode == 0
    assert run_policybot(tmp_path, "db", "current").stdout.strip() == "(empty database)"


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
