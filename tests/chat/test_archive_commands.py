"""/help, /search and /latest end to end: the real client, the fake Discord, a real database."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.domain.search_query import NO_SEARCH_WORDS, SEARCH_SYNTAX
from tests.fake_discord import MEMBER, FakeDiscord
from tests.fake_discord.server import EPHEMERAL
from tests.support.archive import Story, archive_of

pytestmark = pytest.mark.usefixtures("bot")


async def test_help_lists_every_command_privately(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("help", user=MEMBER))

    assert reply.callback_type == 4
    assert reply.ephemeral
    text = reply.text
    for command in ("/help", "/search", "/latest", "/feeds list", "/feeds add", "/feeds remove"):
        assert command in text
    assert "query:" in text
    assert "[page:]" in text
    assert "server admins only" in text


async def test_search_defers_then_follows_up_with_one_embed_per_item(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await archive_of(
        sessions,
        [
            Story("Parliament adopts the AI Act", "Final vote on the AI Act", hours_ago=3),
            Story("Council agrees AI Act text", "The AI Act moves on", hours_ago=1),
            Story("Unrelated farming news", "Tractors"),
        ],
    )

    reply = await fake_discord.invoke(fake_discord.slash("search", query="AI Act", user=MEMBER))

    assert reply.callback_type == 5
    assert reply.ack_delay < 3
    assert not reply.ephemeral
    titles = [embed["title"] for embed in reply.embeds]
    assert len(titles) == 2
    assert all("AI Act" in title for title in titles)
    assert all(embed["url"].startswith("https://wire.example/") for embed in reply.embeds)
    assert all("EU Policy Wire" in embed["footer"]["text"] for embed in reply.embeds)
    assert "Results for" in reply.answer["content"]
    assert "page 1" in reply.answer["content"]
    assert "page:2" not in reply.answer["content"]


async def test_search_pages_through_results(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await archive_of(sessions, [Story(f"Regulation update {n}", hours_ago=n) for n in range(7)])

    first = await fake_discord.invoke(fake_discord.slash("search", query="regulation"))
    second = await fake_discord.invoke(fake_discord.slash("search", query="regulation", page=2))
    third = await fake_discord.invoke(fake_discord.slash("search", query="regulation", page=3))

    assert len(first.embeds) == 5
    assert "page:2" in first.answer["content"]
    assert len(second.embeds) == 2
    assert second.embeds[0]["title"].startswith("6. ")
    assert "page:3" not in second.answer["content"]
    assert third.embeds[0]["title"] == "No results on page 3."


@pytest.mark.parametrize("query", ["?!*", "-meta", "NOT ai OR"])
async def test_search_without_words_is_refused_privately_before_any_work(
    fake_discord: FakeDiscord, query: str
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("search", query=query))

    assert reply.callback_type == 4
    assert reply.ephemeral
    assert NO_SEARCH_WORDS in reply.text


async def test_help_gives_the_search_syntax_in_one_line(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("help", user=MEMBER))

    assert SEARCH_SYNTAX in reply.text


async def test_search_with_no_match_says_so(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("search", query="nothing here"))

    assert reply.embeds[0]["title"] == "Nothing found."


async def test_the_query_is_echoed_inert(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await archive_of(sessions, [Story("everyone agrees on regulation")])

    found = await fake_discord.invoke(fake_discord.slash("search", query="@everyone regulation"))
    missed = await fake_discord.invoke(fake_discord.slash("search", query="@here **zzz**"))

    assert "@\u200beveryone" in found.answer["content"]
    assert "@everyone" not in found.answer["content"]
    assert "@\u200bhere \\*\\*zzz\\*\\*" in missed.embeds[0]["description"]


async def test_the_fake_refuses_arguments_discord_would_never_send(
    fake_discord: FakeDiscord,
) -> None:
    with pytest.raises(AssertionError, match="would not send"):
        fake_discord.slash("search", query="ai", page=0)
    with pytest.raises(AssertionError, match="would not send"):
        fake_discord.slash("search", query="x" * 201)
    with pytest.raises(AssertionError, match="requires option"):
        fake_discord.slash("search")


async def test_latest_lists_newest_first_and_filters_by_topic(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await archive_of(
        sessions,
        [
            Story("Old copyright ruling", hours_ago=48),
            Story("Fresh AI Act guidance", hours_ago=1),
            Story("Middle AI Act debate", hours_ago=5),
        ],
    )

    everything = await fake_discord.invoke(fake_discord.slash("latest"))
    on_topic = await fake_discord.invoke(fake_discord.slash("latest", topic="AI Act"))

    assert [e["title"] for e in everything.embeds] == [
        "1. Fresh AI Act guidance",
        "2. Middle AI Act debate",
        "3. Old copyright ruling",
    ]
    assert [e["title"] for e in on_topic.embeds] == [
        "1. Fresh AI Act guidance",
        "2. Middle AI Act debate",
    ]
    assert "Latest on" in on_topic.answer["content"]


async def test_feed_text_renders_inert(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await archive_of(
        sessions,
        [
            Story(
                "@everyone <@&123456789012345678> read [this](https://evil.example) now **AI**",
                "@here <@123456789012345678> <#123456789012345678> `code` regulation",
                url="javascript:alert(1)",
            )
        ],
        feed_title="@everyone Feed [x](https://evil.example)",
    )

    reply = await fake_discord.invoke(fake_discord.slash("search", query="regulation"))

    (embed,) = reply.embeds
    assert "@everyone" not in embed["title"]
    assert "@\u200beveryone" in embed["title"]
    assert "<@\u200b&123456789012345678>" in embed["title"]
    assert "\\[this](https://evil.example)" in embed["title"]
    assert "\\*\\*AI\\*\\*" in embed["title"]
    assert "@\u200bhere" in embed["description"]
    assert "<@\u200b123456789012345678>" in embed["description"]
    assert "<#\u200b123456789012345678>" in embed["description"]
    assert "@\u200beveryone" in embed["footer"]["text"]
    assert "url" not in embed  # not an http(s) link, so no link at all
    assert reply.followups[0]["allowed_mentions"] == {"parse": []}


async def test_huge_feed_text_stays_within_discords_limits(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await archive_of(
        sessions,
        [Story("budget " + "é*_" * 2000, "budget " + "ü@" * 5000, hours_ago=n) for n in range(6)],
    )

    reply = await fake_discord.invoke(fake_discord.slash("search", query="budget"))

    # The fake answers 400 to anything over a limit, so a complete reply means it fitted.
    assert len(reply.embeds) == 5
    assert all(len(embed["title"]) <= 256 for embed in reply.embeds)


async def test_an_unexpected_error_gives_a_private_apology_and_a_traceback(
    fake_discord: FakeDiscord,
    app: Application,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.archive, "search_page", broken)
    with caplog.at_level(logging.ERROR, logger="bot.chat.failures"):
        reply = await fake_discord.invoke(fake_discord.slash("search", query="ai"))

    assert reply.callback_type == 5
    assert reply.followups[0]["flags"] & EPHEMERAL
    assert "Something went wrong" in reply.text
    assert "database on fire" not in reply.text
    (record,) = [r for r in caplog.records if "command failed" in r.getMessage()]
    assert "command=search" in record.getMessage()
    assert record.exc_info is not None
    assert "database on fire" in str(record.exc_info[1])


async def test_an_error_before_any_reply_is_answered_in_the_first_response(
    fake_discord: FakeDiscord,
    bot: PolicyBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("help is broken")

    monkeypatch.setattr("bot.chat.cogs.help.command_summaries", broken)
    with caplog.at_level(logging.ERROR, logger="bot.chat.failures"):
        reply = await fake_discord.invoke(fake_discord.slash("help"))

    assert reply.callback_type == 4
    assert reply.ephemeral
    assert "Something went wrong" in reply.text
    assert any(r.exc_info for r in caplog.records)
