"""DiscordDigestChannel: the ``DigestChannel`` the digest facade sends through.

Rendering is ``render.digest``; sending is ``channel.send`` on a partial channel (no cache
needed) with the part's nonce (discord.py adds ``enforce_nonce``, so Discord returns the
message it already created for a repeated nonce instead of posting it twice) and no mentions.
Discord's answers become the delivery errors here, and only here: 403 and 404 are
``ChannelRefused``; 5xx, a 429 beyond discord.py's own retries, a timeout or a lost connection
are ``DeliveryFailed``; anything else (a 400: the message as built) is ``DeliveryError``.

Every message waits for its slot in ``SendPacing`` first: discord.py keeps each channel within
its bucket from the headers, but it does not pace a process under Discord's global 50
requests a second; a due minute of digests across hundreds of channels would get global 429s.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from bot.chat.render.digest import DigestMessage, digest_messages
from bot.chat.render.notices import notice_embed
from bot.chat.render.text import NO_MENTIONS
from bot.domain.admin import AdminNotice
from bot.domain.digest.compose import Digest
from bot.domain.digest.delivery import SendPacing
from bot.errors import ChannelRefused, DeliveryError, DeliveryFailed

log = logging.getLogger(__name__)
SEND_TIMEOUT = 60.0  # seconds for one part, retries included; then it is retried later
# Below Discord's 50 requests a second per bot: room for commands, notices and followups.
SENDS_PER_SECOND = 40.0


class DiscordDigestChannel:
    def __init__(
        self,
        client: discord.Client,
        *,
        send_timeout: float = SEND_TIMEOUT,
        sends_per_second: float = SENDS_PER_SECOND,
    ) -> None:
        self._client = client
        self._send_timeout = send_timeout
        self._pacing = SendPacing(sends_per_second)

    async def _slot(self) -> None:
        delay = self._pacing.reserve(asyncio.get_running_loop().time())
        if delay > 0:
            await asyncio.sleep(delay)

    def render(self, digest: Digest) -> tuple[DigestMessage, ...]:
        return digest_messages(digest)

    async def send(self, channel_id: int, part: DigestMessage, *, nonce: str) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        await self._slot()
        try:
            async with asyncio.timeout(self._send_timeout):
                message = await channel.send(
                    embeds=list(part.embeds), nonce=nonce, allowed_mentions=NO_MENTIONS
                )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise ChannelRefused(
                channel_id, exc.text or str(exc), status=exc.status, code=exc.code
            ) from exc
        except discord.DiscordServerError as exc:
            raise DeliveryFailed(
                channel_id, exc.text or "server error", status=exc.status, code=exc.code
            ) from exc
        except discord.RateLimited as exc:
            raise DeliveryFailed(
                channel_id, f"rate limited for {exc.retry_after:.0f} s", status=429
            ) from exc
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise DeliveryFailed(
                    channel_id, exc.text or "rate limited", status=exc.status, code=exc.code
                ) from exc
            raise DeliveryError(
                channel_id, exc.text or str(exc), status=exc.status, code=exc.code
            ) from exc
        except TimeoutError as exc:
            raise DeliveryFailed(channel_id, "no answer from Discord in time") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryFailed(channel_id, f"cannot reach Discord: {exc}") from exc
        return message.id

    async def notify(self, channel_id: int, notice: AdminNotice) -> bool:
        """Post an admin notice; False (and a log line) when Discord does not take it."""
        channel = self._client.get_partial_messageable(channel_id)
        await self._slot()
        try:
            async with asyncio.timeout(self._send_timeout):
                await channel.send(embed=notice_embed(notice), allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning(
                "admin notice not delivered channel=%s error=%s", channel_id, type(exc).__name__
            )
            return False
        return True
