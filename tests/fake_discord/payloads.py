"""The little world the fake serves: the bot, two servers, an admin and a plain member.

Payload shapes follow what discord.py 2.7 parses (see ../shared/docs/discord-testing.md);
every id is a snowflake string on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

APP_ID = 900000000000000001
BOT_ID = APP_ID
OWNER_ID = 300000000000000009
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
# VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS: what @everyone may do in the fake's servers.
EVERYONE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
MANAGE_GUILD = 1 << 5
ATTACHMENT_SIZE_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class FakeUser:
    id: int
    username: str
    bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(frozen=True)
class FakeMember:
    user: FakeUser
    permissions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user.to_dict(),
            "roles": [],
            "flags": 0,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
        }


@dataclass(frozen=True)
class FakeChannel:
    """A text channel; ``bot_denied`` are the permissions an overwrite takes from the bot."""

    id: int
    name: str
    bot_denied: int = 0

    def to_dict(self, position: int) -> dict[str, Any]:
        overwrites = []
        if self.bot_denied:
            overwrites.append(
                {"id": str(BOT_ID), "type": 1, "allow": "0", "deny": str(self.bot_denied)}
            )
        return {
            "id": str(self.id),
            "type": 0,
            "name": self.name,
            "position": position,
            "permission_overwrites": overwrites,
        }


@dataclass
class FakeGuild:
    id: int
    name: str
    channel_id: int
    members: list[FakeMember] = field(default_factory=list)
    # More text channels besides ``channel_id`` ("news"), e.g. a digest or an admin channel.
    channels: list[FakeChannel] = field(default_factory=list)

    @property
    def channel_ids(self) -> set[int]:
        return {self.channel_id, *(channel.id for channel in self.channels)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "unavailable": False,
            "member_count": len(self.members),
            "owner_id": str(OWNER_ID),
            "roles": [
                {
                    "id": str(self.id),
                    "name": "@everyone",
                    "permissions": str(EVERYONE_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                FakeChannel(self.channel_id, "news").to_dict(0),
                *(channel.to_dict(number) for number, channel in enumerate(self.channels, 1)),
            ],
            "members": [member.to_dict() for member in self.members],
        }


BOT_USER = FakeUser(BOT_ID, "policybot", bot=True)
ADMIN = FakeUser(300000000000000001, "alice")
MEMBER = FakeUser(300000000000000002, "bob")


def default_guilds(ids: tuple[int, int] | None = None) -> list[FakeGuild]:
    """Two servers, A and B; alice manages both, bob manages neither. Besides "news", each
    has "digest", "admins" and "closed" (where the bot may not send messages or embed links).
    ``ids`` gives them other ids (servers on chosen shards)."""
    guilds = []
    for number, name in ((1, "Guild A"), (2, "Guild B")):
        guild_id = number * 100000000000000000 + number if ids is None else ids[number - 1]
        guilds.append(
            FakeGuild(
                id=guild_id,
                name=name,
                channel_id=guild_id + 10,
                members=[
                    FakeMember(BOT_USER, EVERYONE_PERMISSIONS),
                    FakeMember(ADMIN, EVERYONE_PERMISSIONS | MANAGE_GUILD),
                    FakeMember(MEMBER, EVERYONE_PERMISSIONS),
                ],
                channels=[
                    FakeChannel(guild_id + 11, "digest"),
                    FakeChannel(guild_id + 12, "admins"),
                    FakeChannel(guild_id + 13, "closed", bot_denied=SEND_MESSAGES | EMBED_LINKS),
                ],
            )
        )
    return guilds


def application_info() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "policybot",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": FakeUser(OWNER_ID, "owner").to_dict(),
        "verify_key": "0" * 64,
        "flags": 0,
        "summary": "",
        "team": None,
    }


def message(
    message_id: int, channel_id: int, body: dict[str, Any], *, author: FakeUser = BOT_USER
) -> dict[str, Any]:
    """The message Discord would return for ``body`` (what followups and sends get back)."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": 0,
        "content": body.get("content") or "",
        "author": author.to_dict(),
        "embeds": body.get("embeds") or [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "timestamp": "2026-11-25T12:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "pinned": False,
        "flags": int(body.get("flags") or 0),
        "components": body.get("components") or [],
        **({"nonce": body["nonce"]} if body.get("nonce") is not None else {}),
    }
