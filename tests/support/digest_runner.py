"""One digest run in a process of its own, against a fake Discord (for the SIGKILL test).

``python -m tests.support.digest_runner API_BASE DATABASE_URL SUBSCRIPTION_ID NOW`` logs in
over HTTP only (no gateway: sending needs none) and runs the subscription once, as the
scheduler would; it prints the run's outcome.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import discord

from bot.app import Application
from bot.chat.delivery import DiscordDigestChannel
from bot.storage.engine import make_engine, make_session_factory


async def run(api_base: str, database_url: str, subscription_id: int, now: datetime) -> str:
    discord.http.Route.BASE = api_base
    engine = make_engine(database_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login("fake-token")
        app = Application(make_session_factory(engine))
        result = await app.digests.run(subscription_id, DiscordDigestChannel(client), now=now)
        return result.outcome.value
    finally:
        await client.close()
        await engine.dispose()


if __name__ == "__main__":
    api, url, subscription, moment = sys.argv[1:5]
    print(asyncio.run(run(api, url, int(subscription), datetime.fromisoformat(moment))))
