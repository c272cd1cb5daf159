"""``policybot`` as an operator runs it: a real subprocess with its own database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def policybot_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without policybot's settings, a database under ``tmp_path``
    and the repository's feeds.yaml; ``extra`` adds or overrides variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("POLICYBOT_") and k != "DISCORD_TOKEN"
    }
    env.update(
        POLICYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'bot.db'}",
        POLICYBOT_FEEDS_FILE=str(REPO / "feeds.yaml"),
    )
    env.update(extra)
    return env


def run_policybot(
    tmp_path: Path, *args: str, stdin: str | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` in ``tmp_path`` and capture what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=policybot_environment(tmp_path, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
