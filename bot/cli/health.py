"""``policybot health``: a container's health check, run beside ``policybot run``.

Exit 0 when the database answers and the last ingestion cycle stamped the heartbeat file
recently; otherwise exit 1. One line either way; nothing is migrated, polled or written.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from bot.app.health import check_liveness
from bot.domain.liveness import tick_allowance
from bot.settings import Settings


async def health_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.max_age is not None:
        max_age = timedelta(seconds=args.max_age)
    else:
        max_age = tick_allowance(settings.poll_tick_seconds)
    verdict = await check_liveness(
        settings.database, settings.heartbeat, now=datetime.now(UTC), max_age=max_age
    )
    print(verdict.line)
    return 0 if verdict.ok else 1
