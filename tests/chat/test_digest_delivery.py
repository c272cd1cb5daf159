"""Digests posted by the real discord.py client to the fake Discord: split within every limit,
each part with its nonce, the ledger written only after Discord accepted a part, resumed at
the first unsent part, paused (once, with a word to the admins) on a 403 or 404."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.chat.delivery import DiscordDigestChannel
from bot.domain.digest.delivery import RunOutcome
from bot.domain.model import DigestCadence, DigestDisposition, StanceLabel
from bot.storage.digests import DigestStore, LedgerRow
from tests.fake_discord import FakeDiscord
from tests.fake_discord.limits import EMBED_TOTAL, EMBEDS, embed_length
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items, subscribe

MESSAGES = r"/channels/\d+/messages"


async def ledger(
    sessions: async_sessionmaker[AsyncSession], subscription_id: int
) -> list[LedgerRow]:
    async with sessions() as session:
        return await DigestStore(session).ledger(subscription_id)


async def wire(sessions: async_sessionmaker[AsyncSession], count: int, **item: object) -> list[int]:
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    return await add_items(
        sessions,
        feed,
        [
            NewsItem(f"EU story {n} on the AI Act", hours_ago=1 + n / 10, **item)  # type: ignore[arg-type]
            for n in range(count)
        ],
    )


def digest_channel(fake: FakeDiscord) -> int:
    return fake.guilds[0].channels[0].id  # "digest"


def admin_channel(fake: FakeDiscord) -> int:
    return fake.guilds[0].channels[1].id  # "admins"


async def test_a_digest_is_posted_once_with_its_nonce_and_recorded_after_acceptance(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    items = await wire(sessions, 3, laws=("eu-ai-act",))
    view = await subscribe(app, fake_discord.guilds[0].id, digest_channel(fake_discord))
    channel = DiscordDigestChannel(bot)

    first = await app.digests.run(view.subscription.id, channel, now=NOW)
    (listed,) = await app.digests.listing(fake_discord.guilds[0].id, now=NOW)
    again = await app.digests.run(view.subscription.id, channel, now=NOW)

    assert first.outcome is RunOutcome.POSTED
    assert again.outcome is RunOutcome.NOTHING_NEW
    posted = fake_discord.messages_in(digest_channel(fake_discord))
    assert len(posted) == first.parts_total == 1
    (message,) = posted
    assert message["allowed_mentions"] == {"parse": []}
    assert message["enforce_nonce"] is True
    assert len(message["nonce"]) <= 25
    assert message["embeds"][0]["title"].startswith("AI policy digest")
    assert message["embeds"][0]["description"].startswith("3 stories")
    assert {e["title"] for e in message["embeds"][1:]} == {
        f"EU story {n} on the AI Act" for n in range(3)
    }
    rows = await ledger(sessions, view.subscription.id)
    assert [row.item_id for row in rows] == items
    assert {row.disposition for row in rows} == {DigestDisposition.POSTED}
    assert len({row.message_id for row in rows}) == 1
    assert rows[0].message_id is not None
    assert listed.subscription.last_result == "posted 3 stories in 1 message"
    assert listed.subscription.last_run_at == NOW


async def test_200_long_unicode_titles_split_within_every_limit_and_nothing_is_lost(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fake_discord.quicken_buckets()  # a dozen parts into one channel, in seconds
    view = await subscribe(
        app, fake_discord.guilds[0].id, digest_channel(fake_discord), max_stories=50
    )
    channel = DiscordDigestChannel(bot)
    earlier = await app.digests.run(view.subscription.id, channel, now=NOW - timedelta(hours=5))
    assert earlier.outcome is RunOutcome.NOTHING_NEW  # so this is not a first run (no list)
    feed = await add_feed(
        sessions, url="https://wire.example/rss", title="Zürich Wire — ünïcödé ✨" * 5
    )
    title = "Règlement européen sur l\u2019IA : 🚀 Ωmega — «обзор» 人工知能規制 " * 8
    items = await add_items(
        sessions,
        feed,
        [
            NewsItem(
                f"{n} {title}",
                summary="Säve Artîcle. " + "Les régulateurs européens ont publié des règles. " * 20,
                hours_ago=1 + n / 100,
                laws=("eu-ai-act",) if n % 2 else ("california-sb-53",),
                companies=("meta", "openai"),
                claims=(("meta", "eu-ai-act", StanceLabel.OPPOSE, "Meta « s\u2019oppose » " * 40),),
                url=f"https://wire.example/{n}/" + "ç" * 300,
            )
            for n in range(200)
        ],
    )

    result = await app.digests.run(view.subscription.id, channel, now=NOW)

    assert result.outcome is RunOutcome.POSTED
    statuses = [r.status for r in fake_discord.requests_to("POST", MESSAGES)]
    assert statuses == [200] * result.parts_total
    assert result.parts_total > 3
    for message in fake_discord.messages_in(digest_channel(fake_discord)):
        assert len(message["embeds"]) <= EMBEDS
        assert sum(embed_length(embed) for embed in message["embeds"]) <= EMBED_TOTAL
    rows = await ledger(sessions, view.subscription.id)
    assert sorted(row.item_id for row in rows) == items  # every item, once
    kinds = Counter(row.disposition for row in rows)
    assert kinds == {
        DigestDisposition.POSTED: 50,
        DigestDisposition.LISTED: 40,
        DigestDisposition.SUMMARISED: 110,
    }
    closing = fake_discord.messages_in(digest_channel(fake_discord))[-1]["embeds"][-1]
    assert "110 more stories" in closing["description"]
    assert "/latest" in closing["description"]


async def test_a_503_on_the_second_of_three_messages_then_recovery_loses_and_repeats_nothing(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    items = await wire(sessions, 25, summary="A long summary of the rules. " * 30)
    guild = fake_discord.guilds[0].id
    view = await subscribe(app, guild, digest_channel(fake_discord), max_stories=25)
    channel = DiscordDigestChannel(bot)
    preview = await app.digests.preview(guild, view.subscription.id, now=NOW)
    assert preview is not None
    parts = channel.render(preview)
    assert len(parts) == 3
    fake_discord.fail_next(MESSAGES, 503, method="POST", skip=1)

    first = await app.digests.run(view.subscription.id, channel, now=NOW)

    assert first.outcome is RunOutcome.RETRYING
    assert first.parts_sent == 1
    assert first.retry_at is not None
    rows = await ledger(sessions, view.subscription.id)
    assert {row.item_id for row in rows} == set(parts[0].item_ids)
    (listed,) = await app.digests.listing(guild, now=NOW)
    assert listed.subscription.failing_reason == "Discord answered 503: 503: error"

    second = await app.digests.run(view.subscription.id, channel, now=NOW)

    assert second.outcome is RunOutcome.POSTED
    assert second.parts_sent == 2  # resumed at the first unsent part
    posted = fake_discord.messages_in(digest_channel(fake_discord))
    assert len(posted) == 3
    assert len({message["nonce"] for message in posted}) == 3
    assert [message["embeds"] for message in posted] == [
        [embed.to_dict() for embed in part.embeds] for part in parts
    ]
    rows = await ledger(sessions, view.subscription.id)
    assert sorted(row.item_id for row in rows) == items
    (listed,) = await app.digests.listing(guild, now=NOW)
    assert listed.subscription.failing_reason is None


async def test_a_500_on_the_second_of_three_messages_is_retried_and_posts_each_once(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """discord.py retries a 500 by itself (after a second), with the same nonce."""
    items = await wire(sessions, 25, summary="A long summary of the rules. " * 30)
    view = await subscribe(
        app, fake_discord.guilds[0].id, digest_channel(fake_discord), max_stories=25
    )
    fake_discord.fail_next(MESSAGES, 500, method="POST", skip=1)

    result = await app.digests.run(view.subscription.id, DiscordDigestChannel(bot), now=NOW)

    assert result.outcome is RunOutcome.POSTED
    statuses = [r.status for r in fake_discord.requests_to("POST", MESSAGES)]
    assert statuses == [200, 500, 200, 200]
    posted = fake_discord.messages_in(digest_channel(fake_discord))
    assert len(posted) == 3
    assert len({message["nonce"] for message in posted}) == 3
    rows = await ledger(sessions, view.subscription.id)
    assert sorted(row.item_id for row in rows) == items


async def test_an_answer_lost_after_discord_made_the_part_is_not_posted_twice(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A 500 once Discord had made the message: discord.py retries with the part's nonce and
    gets the message back; nothing lost, nothing twice."""
    items = await wire(sessions, 25, summary="A long summary of the rules. " * 30)
    view = await subscribe(
        app, fake_discord.guilds[0].id, digest_channel(fake_discord), max_stories=25
    )
    fake_discord.fail_after_effect(MESSAGES, 500, method="POST")

    result = await app.digests.run(view.subscription.id, DiscordDigestChannel(bot), now=NOW)

    assert result.outcome is RunOutcome.POSTED
    statuses = [r.status for r in fake_discord.requests_to("POST", MESSAGES)]
    assert statuses == [500, 200, 200, 200]
    assert len(fake_discord.messages_in(digest_channel(fake_discord))) == 3
    rows = await ledger(sessions, view.subscription.id)
    assert sorted(row.item_id for row in rows) == items


async def test_a_deleted_channel_pauses_the_subscription_and_tells_the_admins_once(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await wire(sessions, 2)
    guild = fake_discord.guilds[0].id
    await app.digests.update_settings(
        guild, guild_name="Guild A", now=NOW, admin_channel_id=admin_channel(fake_discord)
    )
    view = await subscribe(app, guild, digest_channel(fake_discord))
    fake_discord.delete_channel(digest_channel(fake_discord))
    channel = DiscordDigestChannel(bot)

    first = await app.digests.run(view.subscription.id, channel, now=NOW)
    second = await app.digests.run(view.subscription.id, channel, now=NOW + timedelta(days=1))

    assert first.outcome is RunOutcome.PAUSED
    assert second.outcome is RunOutcome.SKIPPED
    assert (
        len(fake_discord.requests_to("POST", rf"/channels/{digest_channel(fake_discord)}/messages"))
        == 1
    )
    notices = fake_discord.messages_in(admin_channel(fake_discord))
    assert len(notices) == 1
    (embed,) = notices[0]["embeds"]
    assert embed["title"] == f"Digest #{view.subscription.id} is paused"
    assert "no longer exists" in embed["description"]
    assert f"/digest resume id:{view.subscription.id}" in embed["description"]
    assert notices[0]["allowed_mentions"] == {"parse": []}
    (listed,) = await app.digests.listing(guild, now=NOW)
    assert (
        listed.subscription.paused_reason == "the channel no longer exists (Discord answered 404)"
    )
    assert listed.next_run is None
    assert await ledger(sessions, view.subscription.id) == []


async def test_mentions_and_masked_links_in_feed_text_stay_inert(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    feed = await add_feed(
        sessions, url="https://evil.example/rss", title="@everyone [Wire](https://evil.example)"
    )
    await add_items(
        sessions,
        feed,
        [
            NewsItem(
                "@everyone <@&123> AI Act [click here](https://evil.example/phish) news",
                summary="# Big @here news [x](https://evil.example) about the AI Act rules today.",
                laws=("eu-ai-act",),
            )
        ],
    )
    view = await subscribe(app, fake_discord.guilds[0].id, digest_channel(fake_discord))

    await app.digests.run(view.subscription.id, DiscordDigestChannel(bot), now=NOW)

    (message,) = fake_discord.messages_in(digest_channel(fake_discord))
    assert message["allowed_mentions"] == {"parse": []}
    story = message["embeds"][1]
    assert story["title"].startswith("@\u200beveryone")
    assert "\\[click here](https://evil.example/phish)" in story["title"]
    assert story["description"].startswith("\\# Big @\u200bhere news \\[x](https://evil.example)")
    assert story["footer"]["text"].startswith("@\u200beveryone \\[Wire]")


async def test_two_subscriptions_of_a_server_each_carry_an_item_once(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    items = await wire(sessions, 2)
    guild = fake_discord.guilds[0].id
    daily = await subscribe(app, guild, digest_channel(fake_discord))
    weekly = await subscribe(
        app, guild, fake_discord.guilds[0].channel_id, cadence=DigestCadence.WEEKLY, day="monday"
    )
    channel = DiscordDigestChannel(bot)

    for subscription in (daily, weekly, daily, weekly):
        await app.digests.run(subscription.subscription.id, channel, now=NOW)

    assert len(fake_discord.messages_in(digest_channel(fake_discord))) == 1
    assert len(fake_discord.messages_in(fake_discord.guilds[0].channel_id)) == 1
    for subscription in (daily, weekly):
        rows = await ledger(sessions, subscription.subscription.id)
        assert [row.item_id for row in rows] == items


async def test_two_servers_following_different_feeds_get_different_digests(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = (guild.id for guild in fake_discord.guilds)
    shared = await add_feed(sessions, url="https://shared.example/rss", title="Instance Wire")
    only_a = await add_feed(
        sessions,
        url="https://a.example/rss",
        title="A's Own",
        in_instance_list=False,
        followed_by=[a],
    )
    only_b = await add_feed(
        sessions,
        url="https://b.example/rss",
        title="B's Own",
        in_instance_list=False,
        followed_by=[b],
    )
    await add_items(sessions, shared, [NewsItem("Shared AI Act story")])
    await add_items(sessions, only_a, [NewsItem("Story only A follows")])
    await add_items(sessions, only_b, [NewsItem("Story only B follows")])
    channel = DiscordDigestChannel(bot)
    digests = {
        guild.id: await subscribe(app, guild.id, guild.channels[0].id)
        for guild in fake_discord.guilds
    }

    for view in digests.values():
        await app.digests.run(view.subscription.id, channel, now=NOW)

    def titles(guild_index: int) -> set[str]:
        (message,) = fake_discord.messages_in(fake_discord.guilds[guild_index].channels[0].id)
        return {embed["title"] for embed in message["embeds"][1:]}

    assert titles(0) == {"Shared AI Act story", "Story only A follows"}
    assert titles(1) == {"Shared AI Act story", "Story only B follows"}


async def test_digests_due_at_once_each_post_and_record_every_part(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Runs in parallel write the same database between sends (on SQLite, a run that read
    while another wrote must try its write again); none loses a part it posted."""
    fake_discord.quicken_buckets()
    await wire(sessions, 25, laws=("eu-ai-act",))
    channel = DiscordDigestChannel(bot)
    views = [
        await subscribe(app, guild.id, target.id, time=f"09:{minute:02d}", max_stories=25)
        for guild in fake_discord.guilds
        for target in guild.channels[:2]
        for minute in range(5)
    ]

    results = await asyncio.gather(
        *(app.digests.run(view.subscription.id, channel, now=NOW) for view in views)
    )

    assert {result.outcome for result in results} == {RunOutcome.POSTED}
    assert all(result.parts_sent == result.parts_total > 1 for result in results)
    posted = sum(
        len(fake_discord.messages_in(c.id)) for g in fake_discord.guilds for c in g.channels
    )
    assert posted == sum(result.parts_total for result in results)
    for view in views:
        rows = await ledger(sessions, view.subscription.id)
        assert len(rows) == 25
        assert all(row.message_id is not None for row in rows)
