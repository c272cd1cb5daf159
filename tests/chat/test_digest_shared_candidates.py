"""Runs due in the same minute on servers that follow the instance list alone read its
candidates once, and each still gets its own digest: what its own ledger has not carried,
from its own window; a server with feeds of its own reads its own; an item analysed between
two runs is in the later one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.chat.delivery import DiscordDigestChannel
from bot.domain.digest.delivery import RunOutcome
from bot.domain.model import StanceLabel
from tests.fake_discord import FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items, subscribe


@pytest.fixture
def candidate_reads(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every read of digest candidates (items with their feed and analysis) the app makes."""
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "feeds.jurisdictions" in statement and "item_analyses.is_relevant" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    yield reads
    event.remove(engine.sync_engine, "before_cursor_execute", seen)


def titles(fake: FakeDiscord, channel_id: int) -> set[str]:
    return {
        embed["title"]
        for message in fake.messages_in(channel_id)
        for embed in message["embeds"][1:]
        if embed.get("url")
    }


async def test_a_minutes_runs_read_the_instance_list_once_each_from_its_own_ledger(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    candidate_reads: list[str],
) -> None:
    wire = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(sessions, wire, [NewsItem("Early AI Act story", hours_ago=6)])
    a, b = fake_discord.guilds
    own = await add_feed(
        sessions,
        url="https://b.example/rss",
        title="B's Own",
        in_instance_list=False,
        followed_by=[b.id],
    )
    early, other, own_channel = a.channels[0].id, a.channels[1].id, b.channels[0].id
    channel = DiscordDigestChannel(bot)
    first = await subscribe(app, a.id, early)
    await app.digests.run(first.subscription.id, channel, now=NOW - timedelta(hours=5))
    await add_items(sessions, wire, [NewsItem("Late AI Act story"), NewsItem("Late GDPR story")])
    await add_items(sessions, own, [NewsItem("Story only B follows")])
    second = await subscribe(app, a.id, other, time="09:30")
    mixed = await subscribe(app, b.id, own_channel)
    candidate_reads.clear()

    results = [
        await app.digests.run(view.subscription.id, channel, now=NOW + timedelta(seconds=n))
        for n, view in enumerate((second, first, mixed))  # the widest window first
    ]

    assert {result.outcome for result in results} == {RunOutcome.POSTED}
    assert len(candidate_reads) == 2  # the instance list once, B's own feeds once
    assert titles(fake_discord, early) == {
        "Early AI Act story",  # its run five hours ago
        "Late AI Act story",
        "Late GDPR story",
    }
    assert len(fake_discord.messages_in(early)) == 2
    assert [
        e["title"] for e in fake_discord.messages_in(early)[1]["embeds"][1:] if e.get("url")
    ] == ["Late AI Act story", "Late GDPR story"]
    assert titles(fake_discord, other) == {
        "Early AI Act story",
        "Late AI Act story",
        "Late GDPR story",
    }
    assert titles(fake_discord, own_channel) == {
        "Early AI Act story",
        "Late AI Act story",
        "Late GDPR story",
        "Story only B follows",
    }


async def test_an_item_analysed_between_two_runs_of_a_minute_is_in_the_later_one(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    candidate_reads: list[str],
) -> None:
    wire = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(sessions, wire, [NewsItem("First AI Act story", hours_ago=2)])
    guild = fake_discord.guilds[0]
    one, two = guild.channels[0].id, guild.channels[1].id
    views = [await subscribe(app, guild.id, c) for c in (one, two)]
    channel = DiscordDigestChannel(bot)

    await app.digests.run(views[0].subscription.id, channel, now=NOW)
    await add_items(sessions, wire, [NewsItem("Just analysed AI Act story", hours_ago=0.1)])
    await app.digests.run(views[1].subscription.id, channel, now=NOW + timedelta(seconds=5))

    assert titles(fake_discord, one) == {"First AI Act story"}
    assert titles(fake_discord, two) == {"First AI Act story", "Just analysed AI Act story"}
    assert len(candidate_reads) == 2


async def test_a_stance_on_a_law_only_a_servers_own_feed_reports_is_weighed_against_its_history(
    fake_discord: FakeDiscord, app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The shared claim history read for a company covers the laws of the instance list's
    items; a law only a server's own feed pairs it with is read as well."""
    a, b = fake_discord.guilds
    wire = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    own = await add_feed(
        sessions,
        url="https://b.example/rss",
        title="B's Own",
        in_instance_list=False,
        followed_by=[b.id],
    )
    said = "OpenAI said it backs the rules."
    await add_items(
        sessions,
        wire,
        [
            NewsItem(
                "OpenAI on the AI Act, last week",
                hours_ago=24 * 8,
                claims=(("openai", "eu-ai-act", StanceLabel.SUPPORT, said),),
            ),
            NewsItem(
                "OpenAI on GDPR",
                claims=(("openai", "gdpr", StanceLabel.SUPPORT, "OpenAI said it backs GDPR."),),
            ),
        ],
    )
    await add_items(
        sessions,
        own,
        [
            NewsItem(
                "OpenAI turns on the AI Act",
                claims=(("openai", "eu-ai-act", StanceLabel.OPPOSE, "OpenAI said it opposes it."),),
            )
        ],
    )
    first = await subscribe(app, a.id, a.channels[0].id)
    second = await subscribe(app, b.id, b.channels[0].id)

    shared_only = await app.digests.preview(a.id, first.subscription.id, now=NOW)
    with_own = await app.digests.preview(b.id, second.subscription.id, now=NOW)

    assert shared_only is not None
    assert with_own is not None
    assert [
        (c.before, c.after) for c in with_own.stance_changes if c.after is StanceLabel.OPPOSE
    ] == [(StanceLabel.SUPPORT, StanceLabel.OPPOSE)]
