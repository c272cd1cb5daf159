"""/feeds end to end: admins only, one server at a time, every refusal specific and private."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.following import FeedCheckResult
from bot.domain.model import FeedKind, FeedSource
from bot.settings import Settings
from tests.fake_discord import MEMBER, FakeDiscord
from tests.fake_discord.harness import running_bot
from tests.fake_discord.server import EPHEMERAL
from tests.support.clock import NOW

FEED = "https://news.example/ai.xml"


def guild_a(fake: FakeDiscord) -> int:
    return fake.guilds[0].id


def guild_b(fake: FakeDiscord) -> int:
    return fake.guilds[1].id


async def followed_urls(app: Application, guild_id: int) -> list[str]:
    listing = await app.guild_feeds.listing(guild_id, cap=100)
    return [feed.url for feed in listing.followed]


@pytest.mark.usefixtures("bot")
async def test_admin_adds_and_lists_feeds_privately(
    fake_discord: FakeDiscord, app: Application
) -> None:
    added = await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))
    listed = await fake_discord.invoke(fake_discord.slash("feeds list"))

    assert added.callback_type == 5
    assert added.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert added.ephemeral
    assert added.embeds[0]["title"] == "Feed added"
    assert added.embeds[0]["url"] == FEED
    assert listed.ephemeral
    assert "1 of at most 3 added here" in listed.text
    assert FEED in listed.text
    assert await followed_urls(app, guild_a(fake_discord)) == [FEED]


@pytest.mark.usefixtures("bot")
@pytest.mark.parametrize("command", ["feeds add", "feeds list", "feeds remove"])
async def test_a_member_without_manage_server_is_refused_and_nothing_changes(
    fake_discord: FakeDiscord, app: Application, command: str
) -> None:
    arguments = {"feeds add": {"url": FEED}, "feeds remove": {"feed": FEED}}.get(command, {})
    await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))

    refused = await fake_discord.invoke(fake_discord.slash(command, user=MEMBER, **arguments))

    assert refused.callback_type == 4
    assert refused.ephemeral
    assert "Manage Server" in refused.text
    assert FEED not in refused.text
    assert await followed_urls(app, guild_a(fake_discord)) == [FEED]


@pytest.mark.usefixtures("bot")
async def test_feeds_in_direct_messages_are_refused(fake_discord: FakeDiscord) -> None:
    refused = await fake_discord.invoke(fake_discord.slash("feeds list", dm=True))

    assert refused.ephemeral
    assert "not in direct messages" in refused.text


@pytest.mark.usefixtures("bot")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not an http(s) URL"),
        ("ftp://news.example/feed", "is not an http(s) URL"),
        ("https://user:pw@news.example/feed", "is not an http(s) URL"),
        ("@everyone [x](https://evil.example)", "@\u200beveryone \\[x](https://evil.example)"),
    ],
)
async def test_add_refuses_what_is_not_a_url(
    fake_discord: FakeDiscord, app: Application, url: str, expected: str
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("feeds add", url=url))

    assert reply.ephemeral
    assert expected in reply.text
    assert await followed_urls(app, guild_a(fake_discord)) == []


@pytest.mark.usefixtures("bot")
async def test_add_refuses_a_duplicate_and_anything_over_the_cap(
    fake_discord: FakeDiscord, app: Application
) -> None:
    for number in range(3):
        await fake_discord.invoke(fake_discord.slash("feeds add", url=f"{FEED}?n={number}"))

    duplicate = await fake_discord.invoke(fake_discord.slash("feeds add", url=f"{FEED}?n=0"))
    over_cap = await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))

    assert "already follows" in duplicate.text
    assert "follows 3 feeds, the most allowed" in over_cap.text
    assert duplicate.ephemeral
    assert over_cap.ephemeral
    assert len(await followed_urls(app, guild_a(fake_discord))) == 3


@pytest.mark.usefixtures("bot")
async def test_a_feed_of_the_instance_list_is_refused_as_already_there_even_at_the_cap(
    fake_discord: FakeDiscord, app: Application
) -> None:
    instance = "https://instance.example/feed.xml"
    await app.feeds.sync((FeedSource(instance, "Everyone's", (), FeedKind.NEWS),), now=NOW)
    for number in range(3):
        await fake_discord.invoke(fake_discord.slash("feeds add", url=f"{FEED}?n={number}"))

    reply = await fake_discord.invoke(fake_discord.slash("feeds add", url=instance))

    assert "already gets" in reply.text
    assert "the most allowed" not in reply.text
    assert instance not in await followed_urls(app, guild_a(fake_discord))


@pytest.mark.usefixtures("bot")
async def test_one_server_cannot_see_or_change_anothers_feeds(
    fake_discord: FakeDiscord, app: Application
) -> None:
    await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))
    (feed,) = (await app.guild_feeds.listing(guild_a(fake_discord), cap=3)).followed

    listed_in_b = await fake_discord.invoke(
        fake_discord.slash("feeds list", guild_id=guild_b(fake_discord))
    )
    removed_in_b = await fake_discord.invoke(
        fake_discord.slash("feeds remove", guild_id=guild_b(fake_discord), feed=str(feed.feed_id))
    )
    choices_in_b = await fake_discord.invoke(
        fake_discord.autocomplete("feeds remove", "feed", guild_id=guild_b(fake_discord))
    )
    added_in_b = await fake_discord.invoke(
        fake_discord.slash("feeds add", guild_id=guild_b(fake_discord), url=FEED)
    )

    assert FEED not in listed_in_b.text
    assert "0 of at most 3" in listed_in_b.text
    assert "does not follow" in removed_in_b.text
    assert choices_in_b.choices == []
    assert added_in_b.embeds[0]["title"] == "Feed added"  # B follows it on its own account
    assert await followed_urls(app, guild_a(fake_discord)) == [FEED]
    assert await followed_urls(app, guild_b(fake_discord)) == [FEED]


@pytest.mark.usefixtures("bot")
async def test_remove_offers_the_servers_feeds_and_revalidates_the_choice(
    fake_discord: FakeDiscord, app: Application
) -> None:
    await fake_discord.invoke(fake_discord.slash("feeds add", url="https://eu.example/feed"))
    await fake_discord.invoke(fake_discord.slash("feeds add", url="https://us.example/feed"))

    choices = await fake_discord.invoke(
        fake_discord.autocomplete("feeds remove", "feed", feed="EU.EX")
    )
    assert choices.callback_type == 8
    (choice,) = choices.choices
    assert "https://eu.example/feed" in choice["name"]

    removed = await fake_discord.invoke(fake_discord.slash("feeds remove", feed=choice["value"]))
    by_url = await fake_discord.invoke(
        fake_discord.slash("feeds remove", feed="https://us.example/feed")
    )
    made_up = await fake_discord.invoke(fake_discord.slash("feeds remove", feed="99999"))

    assert removed.embeds[0]["title"] == "Feed removed"
    assert by_url.embeds[0]["title"] == "Feed removed"
    assert made_up.ephemeral
    assert "does not follow 99999" in made_up.text
    assert await followed_urls(app, guild_a(fake_discord)) == []


@pytest.mark.usefixtures("bot")
async def test_autocomplete_offers_at_most_25_choices_within_limits(
    fake_discord: FakeDiscord, app: Application
) -> None:
    for number in range(30):
        await app.guild_feeds.follow(
            guild_a(fake_discord),
            f"https://many.example/{'long-path-' * 12}{number}",
            guild_name="Guild A",
            added_by=None,
            now=NOW,
            cap=100,
        )

    everything = await fake_discord.invoke(fake_discord.autocomplete("feeds remove", "feed"))
    unicode_miss = await fake_discord.invoke(
        fake_discord.autocomplete("feeds remove", "feed", feed="日本語")
    )

    assert len(everything.choices) == 25
    assert all(1 <= len(choice["name"]) <= 100 for choice in everything.choices)
    assert unicode_miss.choices == []


@pytest.mark.usefixtures("bot")
async def test_autocomplete_shows_nothing_to_a_member_without_manage_server(
    fake_discord: FakeDiscord,
) -> None:
    await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))

    choices = await fake_discord.invoke(
        fake_discord.autocomplete("feeds remove", "feed", user=MEMBER)
    )

    assert choices.callback_type == 8
    assert choices.choices == []


async def test_the_fetch_check_runs_after_the_acknowledgement_and_can_refuse(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    release = asyncio.Event()
    checked: list[str] = []

    async def slow_check(url: str) -> FeedCheckResult:
        checked.append(url)
        await release.wait()
        not_a_feed = FeedErrorInfo(FeedErrorKind.NOT_A_FEED, "not a feed")
        return FeedCheckResult(ok=url.endswith(".xml"), title="AI news", error=not_a_feed)

    async with running_bot(
        fake_discord, Application(sessions, check_feed=slow_check), chat_settings
    ):
        pending = await fake_discord.send_interaction(fake_discord.slash("feeds add", url=FEED))
        await fake_discord.until(lambda: bool(checked))
        assert pending.callbacks[0]["type"] == 5  # acknowledged before the slow work
        release.set()
        await fake_discord.until(lambda: pending.complete)

        refused = await fake_discord.invoke(
            fake_discord.slash("feeds add", url="https://news.example/page.html")
        )

    assert pending.embeds[0]["title"] == "Feed added"
    assert "could not be added: the site's answer is not an RSS, Atom or JSON feed" in refused.text
    assert "not\\_a\\_feed" not in refused.text  # no internal codes
    listing = await app.guild_feeds.listing(guild_a(fake_discord), cap=3)
    assert [(feed.url, feed.title) for feed in listing.followed] == [(FEED, "AI news")]


async def test_a_hostile_feed_title_is_listed_inert(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def hostile(url: str) -> FeedCheckResult:
        return FeedCheckResult(
            ok=True, title="@everyone <@&123456789012345678> [win](https://x.example)"
        )

    async with running_bot(fake_discord, Application(sessions, check_feed=hostile), chat_settings):
        await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))
        listed = await fake_discord.invoke(fake_discord.slash("feeds list"))

    (field,) = listed.embeds[0]["fields"]
    assert (
        field["name"] == "@\u200beveryone <@\u200b&123456789012345678> \\[win](https://x.example)"
    )


async def test_a_servers_feeds_survive_a_restart(
    fake_discord: FakeDiscord, app: Application, chat_settings: Settings
) -> None:
    async with running_bot(fake_discord, app, chat_settings):
        await fake_discord.invoke(fake_discord.slash("feeds add", url=FEED))
    async with running_bot(fake_discord, app, chat_settings) as restarted:
        listed = await fake_discord.invoke(fake_discord.slash("feeds list"))
        assert isinstance(restarted, PolicyBot)

    assert FEED in listed.text
