"""A local fake Discord (REST + gateway) for running the real discord.py client in tests."""

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
