"""``policybot`` itself, in a process of its own, talking to a FakeDiscord instead of Discord.

``python -m tests.support.policybot_at_fake API_BASE GATEWAY_URL ARGS...`` points discord.py's
REST calls and gateway at the fake (the two class attributes the in-process tests patch),
drops discord.py's five-second pause between shard IDENTIFYs (the fake has no such limit),
and runs ``policybot ARGS``.
"""

from __future__ import annotations

import sys

import discord
import yarl

from bot.__main__ import main


async def _identify_at_once(self: discord.Client, shard_id: int | None, *, initial: bool) -> None:
    """discord.py waits 5 s before a non-initial IDENTIFY; the fake has no such limit."""


if __name__ == "__main__":
    discord.http.Route.BASE = sys.argv[1]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
    discord.Client.before_identify_hook = _identify_at_once  # type: ignore[method-assign]
    sys.exit(main(sys.argv[3:]))
