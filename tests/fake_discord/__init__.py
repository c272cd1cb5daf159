"""A local fake Discord (REST + gateway) for running the real discord.py client in tests.

Typical use (``tests/chat/conftest.py`` has the fixtures ``fake_discord`` and ``bot``)::

    reply = await fake_discord.invoke(fake_discord.slash("feeds add", url="https://x/feed"))
    assert reply.ephemeral and reply.embeds[0]["title"] == "Feed added"

- ``slash(path, guild_id=..., user=ADMIN|MEMBER, permissions=..., dm=..., **options)`` and
  ``autocomplete(path, focused, **options)`` build INTERACTION_CREATE payloads, checked
  against the registered command schema (so a test cannot send what Discord never would);
  ``invoke`` dispatches one and waits for the answer (reply, or defer + followup/edit);
  ``send_interaction`` dispatches without waiting.
- ``fail_next(pattern, status, code=...)`` and ``rate_limit_next(pattern, ...)`` inject errors;
  ``reconnect()``, ``invalidate_session()``, ``close_gateway(code)`` and ``dispatch(t, d)``
  drive the gateway; ``until(predicate)`` waits for anything.
- Discord's rate limits are on by default (``rate_limits=False`` turns them off): 50 requests
  a second per token, Create Message in buckets of 5 per 5 s per channel (``quicken_buckets``
  shortens the reset for tests that post days of digests); ``rate_limited`` counts the 429s
  answered, by scope.
- Everything is recorded: ``requests`` (raw JSON bodies), ``interactions``,
  ``channel_messages``, ``identifies``, ``resumes``, ``commands`` (per scope), and
  ``unexpected`` (calls to routes the fake does not know; the fixture fails the test on any).
"""

from tests.fake_discord.payloads import ADMIN, APP_ID, MANAGE_GUILD, MEMBER, FakeGuild, FakeUser
from tests.fake_discord.server import FakeDiscord, InteractionRecord, RecordedRequest

__all__ = [
    "ADMIN",
    "APP_ID",
    "MANAGE_GUILD",
    "MEMBER",
    "FakeDiscord",
    "FakeGuild",
    "FakeUser",
    "InteractionRecord",
    "RecordedRequest",
]
