"""One digest run in a process of its own, against a fake Discord (for the SIGKILL test).

``python -m tests.support.digest_runner API_BASE DATABASE_URL SUBSCRIPTION_ID NOW [LATER]`` logs
in over HTTP only (no gateway: sending needs none) and runs the subscription once, as the
scheduler would; it prints the run's outcome. ``LATER`` (seconds) puts the run's lease clock
that far ahead: a process started once a dead one's lease has run out, without the wait.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

import discord

from bot.app import Application
from bot.app.digests import Digests
from bot.chat.delivery import DiscordDigestChannel
from bot.storage.engine import make_engine, make_session_factory


async def run(
    api_base: str, database_url: str, subscription_id: int, now: datetime, later: float
) -> str:
    discord.http.Route.BASE = api_base
    engine = make_engine(database_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login("fake-token")
        app = Application(make_session_factory(engine))
        ahead = timedelta(seconds=later)
        digests = Digests(
            app.digests._sessions, app.catalog, lease_clock=lambda: _utc_now() + ahead
        )
        result = await digests.run(subscription_id, DiscordDigestChannel(client), now=now)
        return result.outcome.value
    finally:
        await client.close()
        await engine.dispose()


def _utc_now() -> datetime:
    return datetime.now(UTC)


if __name__ == "__main__":
    api, url, subscription, moment = sys.argv[1:5]
    later = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    print(asyncio.run(run(api, url, int(subscription), datetime.fromisoformat(moment), later)))
