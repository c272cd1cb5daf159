"""Digest run leases and notice claims on the real databases: what keeps two runs of one
digest, or two tellers of one notice, from both reaching Discord.

Two ``Digests`` over one database stand for two processes; the multi-process tests in
``test_process_roles.py`` run real ones.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.digests import NOTICE_CLAIM, RUN_IN_PROGRESS, RUN_LEASE, Digests
from bot.chat.client import PolicyBot
from bot.chat.delivery import DiscordDigestChannel
from bot.domain.digest.delivery import RunOutcome
from bot.domain.health import HealthEvent, HealthEventKind
from bot.domain.shards import Shards, shard_of
from bot.storage.digests import DigestStore
from bot.storage.health_notices import HealthNoticeStore
from tests.fake_discord import FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items, subscribe

MESSAGES = r"/channels/\d+/messages"


class Clock:
    """A lease clock a test moves on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def news(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    *,
    feed_url: str = "https://wire.example/rss",
    **item: object,
) -> None:
    feed = await add_feed(sessions, url=feed_url, title="Policy Wire")
    await add_items(
        sessions,
        feed,
        [
            NewsItem(f"EU story {n} on the AI Act", hours_ago=1 + n / 10, **item)
            for n in range(count)
        ],  # type: ignore[arg-type]
    )


def other_process(
    app: Application, sessions: async_sessionmaker[AsyncSession], **options: object
) -> Digests:
    return Digests(sessions, app.catalog, **options)  # type: ignore[arg-type]


async def test_a_second_run_while_one_is_sending_is_skipped_and_nothing_is_posted_twice(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A scheduled run in one process, and ``/digest now`` in another meanwhile."""
    await news(sessions, 3)
    channel_id = fake_discord.guilds[0].channels[0].id
    view = await subscribe(app, fake_discord.guilds[0].id, channel_id)
    channel = DiscordDigestChannel(bot)
    held = fake_discord.hold_next(MESSAGES)

    scheduled = asyncio.create_task(
        app.digests.run(view.subscription.id, channel, now=NOW, scheduled=True)
    )
    await asyncio.wait_for(held.reached.wait(), 10)
    now_elsewhere = await other_process(app, sessions).run(view.subscription.id, channel, now=NOW)
    held.release.set()
    first = await scheduled
    after = await other_process(app, sessions).run(view.subscription.id, channel, now=NOW)

    assert now_elsewhere.outcome is RunOutcome.SKIPPED
    assert now_elsewhere.reason == RUN_IN_PROGRESS
    assert first.outcome is RunOutcome.POSTED
    assert after.outcome is RunOutcome.NOTHING_NEW  # the lease was let go
    assert len(fake_discord.messages_in(channel_id)) == first.parts_total == 1


async def test_a_scheduled_time_run_by_another_process_is_not_run_again(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await news(sessions, 2)
    channel_id = fake_discord.guilds[0].channels[0].id
    view = await subscribe(app, fake_discord.guilds[0].id, channel_id)
    channel = DiscordDigestChannel(bot)

    first = await app.digests.run(view.subscription.id, channel, now=NOW, scheduled=True)
    await news(sessions, 1, feed_url="https://late.example/rss")
    late = NOW + timedelta(seconds=2)
    second = await other_process(app, sessions).run(
        view.subscription.id, channel, now=late, scheduled=True
    )

    assert first.outcome is RunOutcome.POSTED
    assert second.outcome is RunOutcome.SKIPPED
    assert second.reason == "this time was run already"
    assert len(fake_discord.messages_in(channel_id)) == 1


async def test_a_dead_runs_lease_expires_and_the_next_run_resumes_at_the_first_unsent_part(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await news(sessions, 25, summary="A long summary of the rules. " * 30)
    channel_id = fake_discord.guilds[0].channels[0].id
    view = await subscribe(app, fake_discord.guilds[0].id, channel_id, max_stories=25)
    channel = DiscordDigestChannel(bot)
    clock = Clock()
    digests = other_process(app, sessions, lease_clock=clock)
    fake_discord.fail_next(MESSAGES, 503, method="POST", skip=1)
    interrupted = await digests.run(view.subscription.id, channel, now=NOW)
    assert interrupted.outcome is RunOutcome.RETRYING  # part 1 sent, the rest pending
    async with sessions.begin() as session:  # a process takes the lease, then dies
        await DigestStore(session).take_run_lease(
            view.subscription.id, owner="dead", now=clock.now, until=clock.now + RUN_LEASE
        )

    clock.now += RUN_LEASE - timedelta(seconds=1)
    while_held = await digests.run(view.subscription.id, channel, now=NOW)
    clock.now += timedelta(seconds=2)
    resumed = await digests.run(view.subscription.id, channel, now=NOW)

    assert while_held.outcome is RunOutcome.SKIPPED
    assert resumed.outcome is RunOutcome.POSTED
    assert resumed.run_id == interrupted.run_id
    assert resumed.parts_sent == interrupted.parts_total - 1  # from the first unsent part
    posted = fake_discord.messages_in(channel_id)
    assert len(posted) == interrupted.parts_total
    assert len({message["nonce"] for message in posted}) == len(posted)


def on_shard(shard: int, count: int, n: int) -> int:
    """A server id Discord routes to ``shard`` of ``count``."""
    guild_id = 100000000000000000 + ((n * count) << 22)
    while shard_of(guild_id, count) != shard:
        guild_id += 1 << 22
    return guild_id


async def notices_for(sessions: async_sessionmaker[AsyncSession], guild_ids: list[int]) -> None:
    feed = await add_feed(
        sessions,
        url="https://own.example/rss",
        title="Own",
        in_instance_list=False,
        followed_by=guild_ids,
    )
    event = HealthEvent(
        feed, "https://own.example/rss", "Own", HealthEventKind.FAILING, "timeout", NOW
    )
    async with sessions.begin() as session:
        assert await HealthNoticeStore(session).record(event) == len(guild_ids)


async def test_notices_are_claimed_by_shard_once_until_the_claim_expires(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    guilds = [on_shard(0, 3, 1), on_shard(1, 3, 2), on_shard(2, 3, 3), on_shard(1, 3, 4)]
    await notices_for(sessions, guilds)
    now = NOW

    async with sessions.begin() as session:
        mine = await HealthNoticeStore(session).claim(
            owner="a", now=now, until=now + NOTICE_CLAIM, shards=Shards(3, (1,))
        )
    async with sessions.begin() as session:
        again = await HealthNoticeStore(session).claim(
            owner="b", now=now, until=now + NOTICE_CLAIM, shards=None
        )
    async with sessions.begin() as session:
        store = HealthNoticeStore(session)
        await store.mark_told([n.id for n in again], owner="a", now=now)  # not a's: no effect
        await store.mark_told([n.id for n in again], owner="b", now=now)
    later = now + NOTICE_CLAIM
    async with sessions.begin() as session:
        expired = await HealthNoticeStore(session).claim(
            owner="c", now=later, until=later + NOTICE_CLAIM, shards=None
        )

    assert sorted(n.guild_id for n in mine) == sorted([guilds[1], guilds[3]])
    assert sorted(n.guild_id for n in again) == sorted([guilds[0], guilds[2]])  # a's are held
    assert sorted(n.guild_id for n in expired) == sorted([guilds[1], guilds[3]])  # a never told
    assert {n.event.kind for n in mine} == {HealthEventKind.FAILING}


async def test_two_tellers_at_once_on_postgresql_claim_disjoint_notices(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """FOR UPDATE SKIP LOCKED: a second claim while the first transaction is still open
    skips the rows the first holds instead of waiting for them or taking them too."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer process")
    guilds = [on_shard(0, 1, n) for n in range(1, 7)]
    await notices_for(sessions, guilds)
    async with sessions.begin() as first_session:
        first = await HealthNoticeStore(first_session).claim(
            owner="a", now=NOW, until=NOW + NOTICE_CLAIM, shards=None, limit=4
        )
        async with sessions.begin() as second_session:
            second = await asyncio.wait_for(
                HealthNoticeStore(second_session).claim(
                    owner="b", now=NOW, until=NOW + NOTICE_CLAIM, shards=None
                ),
                10,
            )

    assert len(first) == 4
    assert len(second) == 2
    assert not {n.id for n in first} & {n.id for n in second}
