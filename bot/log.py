"""Logging set-up: the only place handlers and formats are configured."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    """Send ``key=value`` event lines to stderr; quieten chatty libraries below WARNING."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        force=True,
    )
    # Alembic speaks at INFO on every run (plugins, "Context impl"); ``bot.storage.migrate``
    # logs one line of its own when a migration actually runs.
    for noisy in ("aiosqlite", "alembic", "apscheduler.executors", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
