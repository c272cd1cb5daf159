"""Rendering, without Discord: every reply fits Discord's limits and feed text is inert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.catalog import load_catalog
from bot.chat.render.archive import archive_reply
from bot.chat.render.feeds import feed_choices, feeds_list_reply
from bot.chat.render.help import CommandSummary, help_reply
from bot.chat.render.text import (
    ELLIPSIS,
    EMBED_TOTAL_LIMIT,
    Reply,
    failure_reply,
    inert,
    link,
    refusal,
)
from bot.chat.render.why import why_reply
from bot.domain.archive import ArchiveEntry, ArchivePage
from bot.domain.explanation import DigestAppearance, ItemExplanation, Sighting
from bot.domain.following import FollowedFeed, GuildFeedList
from bot.domain.model import DigestDisposition, DigestStatus, FeedStatus
from tests.fake_discord import limits

WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOSTILE = "@everyone @here <@&123456789012345678> <@!123456789012345678> <#123456789012345678>"


def body_of(reply: Reply) -> dict[str, object]:
    return {"content": reply.content, "embeds": [embed.to_dict() for embed in reply.embeds]}


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "[click me](https://evil.example) **bold** __under__ ~~strike~~ ||spoiler|| `code`",
        "> quote\n# heading\n- list",
        "a\\" * 300,
        "é" * 5000,
        "",
    ],
)
def test_inert_text_never_pings_never_formats_and_fits(text: str) -> None:
    shown = inert(text, 100)

    assert len(shown) <= 100
    assert "@everyone" not in shown
    assert "@here" not in shown
    assert "<@&1" not in shown
    assert "<@!1" not in shown
    assert "<#1" not in shown
    assert "](" not in shown or "\\[" in shown
    assert "\n" not in shown
    if shown.endswith(ELLIPSIS):
        assert not shown[: -len(ELLIPSIS)].endswith("\\")


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://eur-lex.europa.eu/a_b", True),
        ("http://example.org/feed", True),
        ("javascript:alert(1)", False),
        ("https://example.org/with space", False),
        ("https://example.org/" + "x" * 3000, False),
        (None, False),
    ],
)
def test_only_http_links_go_in_embed_url(url: str | None, kept: bool) -> None:
    assert link(url) == (url if kept else None)


def test_a_page_of_huge_entries_fits_in_one_message() -> None:
    entries = tuple(
        ArchiveEntry("T" * 5000, f"https://x.example/{n}", "S" * 9000, "F" * 3000, WHEN)
        for n in range(10)
    )
    page = ArchivePage(entries, page=1, per_page=10, has_more=True)

    reply = archive_reply("Results for " + "q" * 3000, page, next_page_hint="`page:2`")

    assert limits.message_problems(body_of(reply)) == []
    assert sum(len(embed) for embed in reply.embeds) <= EMBED_TOTAL_LIMIT


def test_a_long_feed_list_stays_within_field_limits() -> None:
    feeds = tuple(
        FollowedFeed(
            n, "https://f.example/" + "p" * 2000, "N" * 400, FeedStatus.OK, False, WHEN, None
        )
        for n in range(40)
    )

    reply = feeds_list_reply(GuildFeedList(feeds, instance_feed_count=12, cap=50))

    assert limits.message_problems(body_of(reply)) == []
    assert reply.ephemeral
    shown = len(reply.embeds[0].fields)
    assert 0 < shown <= 25
    assert reply.embeds[0].footer.text == f"and {40 - shown} more"


def test_choices_are_capped_at_25_with_short_names_and_values() -> None:
    feeds = tuple(
        FollowedFeed(
            n, "https://f.example/" + "p" * 300, "Title " * 40, FeedStatus.OK, False, WHEN, None
        )
        for n in range(40)
    )

    choices = feed_choices(GuildFeedList(feeds, 0, 0))

    payload = [{"name": choice.name, "value": choice.value} for choice in choices]
    assert len(payload) == 25
    assert limits.choice_problems(payload) == []


def test_help_and_failure_replies_are_private() -> None:
    summary = CommandSummary("search", "Search the archive", False, ("query:", "[page:]"))

    shown = help_reply([summary])

    assert shown.ephemeral
    assert shown.embeds[0].fields[0].name == "/search `query:` `[page:]`"
    assert failure_reply().ephemeral
    assert refusal("no").ephemeral


def test_why_says_what_each_digest_did_with_the_item() -> None:
    sighting = Sighting(
        1,
        "Policy Wire",
        "https://wire.example/rss",
        "Title",
        "https://a.example/1",
        None,
        WHEN,
        False,
    )

    def appearance(
        subscription: int, disposition: DigestDisposition, message: int | None
    ) -> DigestAppearance:
        return DigestAppearance(
            subscription + 10,
            subscription,
            5,
            6,
            DigestStatus.POSTED,
            disposition,
            WHEN,
            WHEN,
            message,
        )

    answer = ItemExplanation(
        url="https://a.example/1",
        sightings=(sighting,),
        analysis=None,
        digests=(
            appearance(1, DigestDisposition.POSTED, 70),
            appearance(2, DigestDisposition.LISTED, 71),
            appearance(3, DigestDisposition.SUMMARISED, None),
            appearance(4, DigestDisposition.COVERED, None),
        ),
        absence=None,
        seen_ago=timedelta(hours=3),
    )
    field = next(
        f for f in why_reply(answer, load_catalog()).embeds[0].fields if f.name == "Digest"
    )
    assert field.value is not None
    jump = "https://discord.com/channels/5/6"
    assert field.value.splitlines() == [
        f"Digest #1 in <#6>, 2026-11-25: a full entry ([message]({jump}/70))",
        f"Digest #2 in <#6>, 2026-11-25: listed by its title ([message]({jump}/71))",
        "Digest #3 in <#6>, 2026-11-25: counted among the stories left out (see /latest)",
        "Digest #4 in <#6>, 2026-11-25: not repeated: it had carried this story from another "
        "source",
    ]
