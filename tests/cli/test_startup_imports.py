"""A warm ``policybot poll --once`` imports only what polling needs (cron pays it every run).

The check runs the real command (``bot.__main__.main``) in a fresh interpreter, against a
database already at head, and lists the heavy packages the process loaded anyway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_FOR_POLLING = [
    "discord",  # the chat layer
    "apscheduler",  # the digest scheduler, built with the Discord bot
    "alembic",  # migrations: the database is at head already
    "mako",
    "feedparser",  # the parser processes import it; the parent never parses
    "multiprocessing",  # the parser pool starts at the first body that needs parsing
    "bot.domain.stance",  # its rules compile at import; loaded at the first analysis
    "sqlalchemy.dialects.postgresql",
    "asyncpg",
]
POLL_ONCE = """
import json, sys

from bot.__main__ import main

code = main(["poll", "--once", "--all"])
assert code == 1, code  # the cycle ran: the one feed refuses connections
print(json.dumps(sorted(sys.modules)))
"""


def test_a_poll_at_head_imports_no_discord_scheduler_alembic_or_feedparser(
    tmp_path: Path,
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {name: Nowhere, url: 'http://127.0.0.1:9/rss', kind: news}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
    env.pop("DISCORD_TOKEN", None)
    env.update(
        POLICYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        POLICYBOT_FEEDS_FILE=str(feeds),
        POLICYBOT_ALLOW_PRIVATE_FEEDS="true",
        PYTHONPATH=str(REPO),
    )
    upgrade = "from bot.settings import Settings; from bot.storage import migrate; "
    upgrade += "migrate.upgrade(Settings.load().database)"
    for code in (upgrade, POLL_ONCE):
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert "bot.polling" in modules
    loaded = [name for name in NOT_FOR_POLLING if name in modules]
    assert loaded == []
