"""What a server's admins set (``/settings``) and what policybot tells them.

Notices go to the server's admin channel, once per event: a followed feed starts failing, is
paused after a 410 or recovers (``HealthEvent``, from the ingestion cycle's report), or a
digest is paused because Discord refused its channel (``DigestPaused``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.health import HealthEvent


@dataclass(frozen=True, slots=True)
class ServerSettings:
    guild_id: int
    timezone: str | None = None  # None: POLICYBOT_TIMEZONE
    admin_channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class DigestPaused:
    """A digest stopped because its channel is gone or closed to the bot."""

    subscription_id: int
    channel_id: int
    reason: str


AdminNotice = HealthEvent | DigestPaused
