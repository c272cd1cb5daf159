"""The fake Discord's rate limits, and the real discord.py client living within them.

The fake answers as Discord documents: X-RateLimit-* headers on every Create Message answer,
a 429 with scope ``user`` past a channel's bucket, a 429 with ``global: true`` past 50
requests a second, interaction endpoints outside the global limit. discord.py waits on the
bucket headers before it is refused, and sleeps out the 429s it does get; every message
arrives once either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from sqlalchemy.engine import URL

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.chat.delivery import DiscordDigestChannel
from bot.chat.render.digest import DigestMessage
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import point_discord_at, running_bot
from tests.fake_discord.limits import (
    GLOBAL,
    MESSAGE_CREATE,
    USER,
    BucketRule,
    BucketState,
    RateLimited,
    RateLimiter,
    route_bucket,
    under_global_limit,
)

QUICK_BUCKET = BucketRule("fake-message-create", 5, 0.3)  # Discord's 5, with a shorter reset


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """Nothing here depends on the database engine."""
    return sqlite_url


# -- the limiter, on a clock the test holds ----------------------------------------------


def test_a_channels_bucket_counts_down_refuses_the_sixth_and_resets() -> None:
    limiter = RateLimiter()
    bucket = route_bucket("POST", "/channels/42/messages")

    states = [
        limiter.admit(now=10.0 + n / 10, counts_globally=True, bucket=bucket) for n in range(5)
    ]
    refused = limiter.admit(now=10.5, counts_globally=True, bucket=bucket)
    after_reset = limiter.admit(now=15.0, counts_globally=True, bucket=bucket)

    assert [s.remaining for s in states if isinstance(s, BucketState)] == [4, 3, 2, 1, 0]
    assert [round(s.reset_after, 3) for s in states if isinstance(s, BucketState)] == [
        5.0,
        4.9,
        4.8,
        4.7,
        4.6,
    ]
    assert isinstance(refused, RateLimited)
    assert refused.scope == USER
    assert refused.retry_after == pytest.approx(4.5)
    assert isinstance(after_reset, BucketState)
    assert after_reset.remaining == 4


def test_channels_have_buckets_of_their_own() -> None:
    limiter = RateLimiter()
    for _ in range(5):
        limiter.admit(
            now=0.0, counts_globally=True, bucket=route_bucket("POST", "/channels/1/messages")
        )

    other = limiter.admit(
        now=0.0, counts_globally=True, bucket=route_bucket("POST", "/channels/2/messages")
    )

    assert isinstance(other, BucketState)
    assert other.remaining == MESSAGE_CREATE.limit - 1


def test_the_global_limit_refuses_the_51st_request_of_a_second_and_frees_a_slot_later() -> None:
    limiter = RateLimiter()
    for n in range(50):
        assert not isinstance(
            limiter.admit(now=n / 100, counts_globally=True, bucket=None), RateLimited
        )

    refused = limiter.admit(now=0.6, counts_globally=True, bucket=None)
    exempt = limiter.admit(now=0.6, counts_globally=False, bucket=None)
    freed = limiter.admit(now=1.0, counts_globally=True, bucket=None)
    full_again = limiter.admit(now=1.0, counts_globally=True, bucket=None)

    assert isinstance(refused, RateLimited)
    assert refused.scope == GLOBAL
    assert refused.retry_after == pytest.approx(0.4)
    assert exempt is None
    assert freed is None  # the request of 0.00 s left the window
    assert isinstance(full_again, RateLimited)


def test_a_refused_request_uses_up_nothing() -> None:
    limiter = RateLimiter(global_per_second=1)
    bucket = route_bucket("POST", "/channels/1/messages")
    limiter.admit(now=0.0, counts_globally=True, bucket=None)

    refused = limiter.admit(now=0.5, counts_globally=True, bucket=bucket)
    admitted = limiter.admit(now=1.0, counts_globally=True, bucket=bucket)

    assert isinstance(refused, RateLimited)
    assert refused.scope == GLOBAL
    assert isinstance(admitted, BucketState)
    assert admitted.remaining == MESSAGE_CREATE.limit - 1


def test_which_routes_are_bucketed_and_which_are_under_the_global_limit() -> None:
    assert route_bucket("POST", "/channels/7/messages") == (MESSAGE_CREATE, "7")
    assert route_bucket("GET", "/channels/7/messages") is None
    assert route_bucket("GET", "/users/@me") is None
    assert under_global_limit("/channels/7/messages")
    assert under_global_limit("/users/@me")
    assert not under_global_limit("/interactions/1/token/callback")
    assert not under_global_limit("/webhooks/1/token")


# -- the fake over HTTP ------------------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _post_message(
    http: aiohttp.ClientSession, fake: FakeDiscord, channel_id: int
) -> tuple[int, dict[str, str], Any]:
    async with http.post(
        f"{fake.api_base}/channels/{channel_id}/messages",
        json={"content": "hello"},
        headers={"Authorization": f"Bot {fake.token}"},
    ) as response:
        return response.status, dict(response.headers), await response.json()


async def test_every_answer_carries_the_bucket_headers_and_the_sixth_is_a_user_429(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord() as fake:
        channel = fake.guilds[0].channel_id
        answers = [await _post_message(http, fake, channel) for _ in range(6)]
        fake.advance(MESSAGE_CREATE.reset)
        status_after_reset, headers_after_reset, _ = await _post_message(http, fake, channel)

    *accepted, (status, headers, body) = answers
    assert [a[0] for a in accepted] == [200] * 5
    assert [a[1]["X-RateLimit-Remaining"] for a in accepted] == ["4", "3", "2", "1", "0"]
    for _, sent, _ in accepted:
        assert sent["X-RateLimit-Limit"] == "5"
        assert sent["X-RateLimit-Bucket"] == MESSAGE_CREATE.bucket
        assert 0 < float(sent["X-RateLimit-Reset-After"]) <= MESSAGE_CREATE.reset
        assert float(sent["X-RateLimit-Reset"]) > 1_700_000_000  # Unix time, in seconds
    assert status == 429
    assert headers["X-RateLimit-Scope"] == "user"
    assert "X-RateLimit-Global" not in headers
    assert headers["Via"]
    assert int(headers["Retry-After"]) >= 1
    assert body["global"] is False
    assert 0 < body["retry_after"] <= MESSAGE_CREATE.reset
    assert (status_after_reset, headers_after_reset["X-RateLimit-Remaining"]) == (200, "4")
    assert len(fake.messages_in(channel)) == 6
    assert fake.rate_limited == {"user": 1}


async def test_past_the_global_limit_any_route_gets_a_global_429_but_interactions_do_not(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(global_per_second=2) as fake:
        auth = {"Authorization": f"Bot {fake.token}"}
        for _ in range(2):
            async with http.get(f"{fake.api_base}/users/@me", headers=auth) as response:
                assert response.status == 200
        async with http.get(f"{fake.api_base}/users/@me", headers=auth) as response:
            status, headers, body = response.status, response.headers, await response.json()
        async with http.post(
            f"{fake.api_base}/interactions/1/no-such-token/callback", json={"type": 1}
        ) as callback:
            callback_status = callback.status

    assert status == 429
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert int(headers["Retry-After"]) >= 1
    assert headers["Via"]
    assert body["global"] is True
    assert 0 < body["retry_after"] <= 1
    assert callback_status == 404  # Unknown interaction: answered, not rate limited
    assert fake.rate_limited == {"global": 1}


async def test_without_rate_limits_the_fake_sends_no_bucket_headers(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(rate_limits=False) as fake:
        answers = [await _post_message(http, fake, fake.guilds[0].channel_id) for _ in range(8)]

    assert [status for status, _, _ in answers] == [200] * 8
    assert all("X-RateLimit-Remaining" not in headers for _, headers, _ in answers)


# -- the real discord.py client ------------------------------------------------------------


@pytest.fixture
async def quick_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """Discord's bucket of 5 per channel, resetting in 0.3 s so a test sends a few windows."""
    async with FakeDiscord(message_bucket=QUICK_BUCKET) as fake:
        point_discord_at(fake, monkeypatch)
        yield fake


@pytest.fixture
async def quick_bot(
    quick_discord: FakeDiscord, app: Application, chat_settings: Settings
) -> AsyncIterator[PolicyBot]:
    async with running_bot(quick_discord, app, chat_settings) as running:
        yield running


async def test_a_burst_into_one_channel_waits_on_the_headers_and_arrives_once(
    quick_bot: PolicyBot, quick_discord: FakeDiscord
) -> None:
    channel = quick_bot.get_partial_messageable(quick_discord.guilds[0].channel_id)

    sent = await asyncio.gather(*(channel.send(f"part {n}", nonce=f"burst-{n}") for n in range(12)))

    posts = quick_discord.requests_to("POST", r"/channels/\d+/messages")
    contents = sorted(m["content"] for m in quick_discord.messages_in(channel.id))
    assert contents == sorted(f"part {n}" for n in range(12))
    assert len({message.id for message in sent}) == 12
    assert [r.status for r in posts] == [200] * 12  # discord.py never went past the bucket
    assert quick_discord.rate_limited == {}


async def test_a_bucket_spent_elsewhere_is_a_user_429_discord_py_sleeps_out(
    quick_bot: PolicyBot, quick_discord: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    """Another process with the same token spent the channel's bucket; the bot's send is
    refused once, retried after ``retry_after``, and posted once."""
    channel_id = quick_discord.guilds[0].channel_id
    for _ in range(QUICK_BUCKET.limit):
        await _post_message(http, quick_discord, channel_id)

    await quick_bot.get_partial_messageable(channel_id).send("digest", nonce="spent-elsewhere")

    statuses = [r.status for r in quick_discord.requests_to("POST", r"/channels/\d+/messages")]
    assert statuses == [200] * QUICK_BUCKET.limit + [429, 200]
    assert [m["content"] for m in quick_discord.messages_in(channel_id)].count("digest") == 1
    assert quick_discord.rate_limited == {"user": 1}


async def test_a_fan_out_past_the_global_limit_pauses_and_every_channel_gets_its_message(
    monkeypatch: pytest.MonkeyPatch, app: Application, chat_settings: Settings
) -> None:
    async with FakeDiscord(global_per_second=4) as fake:
        point_discord_at(fake, monkeypatch)
        async with running_bot(fake, app, chat_settings) as bot:
            channels = sorted(c for guild in fake.guilds for c in guild.channel_ids)

            await asyncio.gather(
                *(bot.get_partial_messageable(c).send("digest", nonce=f"fan-{c}") for c in channels)
            )

        assert all(len(fake.messages_in(c)) == 1 for c in channels)
        assert fake.rate_limited["global"] >= 1
        assert fake.rate_limited["user"] == 0


async def test_digest_parts_fanned_out_stay_under_the_global_limit_where_unpaced_ones_do_not(
    monkeypatch: pytest.MonkeyPatch, app: Application, chat_settings: Settings
) -> None:
    """discord.py does not pace a process under the global limit; the digest channel does."""
    part = DigestMessage((discord.Embed(title="AI policy digest"),))
    async with FakeDiscord(global_per_second=6) as fake:
        point_discord_at(fake, monkeypatch)
        async with running_bot(fake, app, chat_settings) as bot:
            channels = sorted(c for guild in fake.guilds for c in guild.channel_ids)
            for name, rate in (("paced", 5.0), ("unpaced", 1000.0)):
                digests = DiscordDigestChannel(bot, sends_per_second=rate)
                fake.rate_limited.clear()
                fake.advance(1.0)  # the global window of the previous round is over

                await asyncio.gather(
                    *(
                        digests.send(c, part, nonce=f"{name}-{i}-{n}")
                        for i, c in enumerate(channels)
                        for n in (0, 1)
                    )
                )

                if name == "paced":
                    assert fake.rate_limited == {}
                else:
                    assert fake.rate_limited["global"] >= 1
            assert all(len(fake.messages_in(c)) == 4 for c in channels)
