"""/feeds status, export and import end to end: the real client against the fake Discord."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.guild_feeds import GuildFeeds
from bot.chat.client import PolicyBot
from bot.chat.cogs.feeds import FeedsCog
from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.feed_import import OPML_MAX_BYTES
from bot.domain.following import FeedCheckResult
from bot.domain.model import FeedStatus
from bot.ingest.opml import OpmlFeed, read_opml, write_opml
from bot.settings import Settings
from bot.storage.schema import Feed, Item
from tests.fake_discord import MEMBER, FakeDiscord
from tests.fake_discord.harness import command_schema, running_bot
from tests.support.clock import NOW

HOSTILE = "@everyone <@&123456789012345678> [win](https://x.example) **loud**"
HOSTILE_SHOWN = (
    "@\u200beveryone <@\u200b&123456789012345678> \\[win](https://x.example) \\*\\*loud\\*\\*"
)


def guild_a(fake: FakeDiscord) -> int:
    return fake.guilds[0].id


def guild_b(fake: FakeDiscord) -> int:
    return fake.guilds[1].id


def opml(*urls: str, titles: dict[str, str] | None = None) -> bytes:
    feeds = [OpmlFeed(url, (titles or {}).get(url, url)) for url in urls]
    return write_opml(feeds, title="reader export", now=NOW).encode()


async def followed_urls(app: Application, guild_id: int) -> list[str]:
    listing = await app.guild_feeds.listing(guild_id, cap=100)
    return [feed.url for feed in listing.followed]


async def follow(
    sessions: async_sessionmaker[AsyncSession], guild_id: int, url: str, *, title: str = ""
) -> int:
    async def titled(_: str) -> FeedCheckResult:
        return FeedCheckResult(ok=True, title=title or None)

    result = await GuildFeeds(sessions, check_feed=titled).follow(
        guild_id, url, guild_name="G", added_by=None, now=NOW, cap=100
    )
    assert result.feed is not None
    return result.feed.feed_id


async def set_health(
    sessions: async_sessionmaker[AsyncSession], feed_id: int, **values: object
) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Feed).where(Feed.id == feed_id).values(**values))


async def add_items(
    sessions: async_sessionmaker[AsyncSession], feed_id: int, ages: list[timedelta]
) -> None:
    """Items published ``ages`` before now (the clock of the command, not the fixture's NOW)."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for number, age in enumerate(ages):
            session.add(
                Item(
                    feed_id=feed_id,
                    key=f"k{feed_id}-{number}",
                    url=f"https://items.example/{feed_id}/{number}",
                    title=f"item {number}",
                    summary="",
                    published_at=now - age,
                    fetched_at=now,
                    content_hash=hashlib.sha256(str(number).encode()).hexdigest(),
                    revision=0,
                    is_backlog=False,
                )
            )


# -- /feeds status --------------------------------------------------------------------------


@pytest.mark.usefixtures("bot")
async def test_status_lists_health_problems_first_with_activity(
    fake_discord: FakeDiscord, app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    healthy = await follow(
        sessions, guild_a(fake_discord), "https://ok.example/feed", title="Healthy"
    )
    broken = await follow(
        sessions, guild_a(fake_discord), "https://dead.example/feed", title="Broken"
    )
    now = datetime.now(UTC)
    await set_health(
        sessions,
        healthy,
        last_success_at=now - timedelta(hours=2),
        next_check_at=now + timedelta(minutes=30),
    )
    await set_health(
        sessions,
        broken,
        status=FeedStatus.FAILING,
        consecutive_errors=4,
        last_error_kind=FeedErrorKind.HTTP,
        last_error_status=404,
        last_error="HTTP 404 Not Found",
        last_error_at=now - timedelta(minutes=5),
    )
    # 14 items this week, 16 more earlier this month, 5 older than 30 days, 1 dated in the future.
    ages = [timedelta(days=d % 7, hours=1) for d in range(14)]
    ages += [timedelta(days=10)] * 16 + [timedelta(days=40)] * 5 + [timedelta(days=-3)]
    await add_items(sessions, healthy, ages)

    reply = await fake_discord.invoke(fake_discord.slash("feeds status"))

    assert reply.ephemeral
    assert reply.callback_type == 5
    (embed,) = reply.embeds
    assert "2 feeds added here: 1 ok, 1 failing, 0 paused" in embed["description"]
    first, second = embed["fields"]
    assert "Broken" in first["name"]  # problems first
    assert "failing: the site says the feed does not exist (404 Not Found)" in first["value"]
    assert "last fetch never yet" in first["value"]
    assert "Healthy" in second["name"]
    assert "(2 hours ago)" in second["value"]
    assert "(in 29 minutes)" in second["value"] or "(in 30 minutes)" in second["value"]
    assert "2.0 items/day over 7 days, 1.0 over 30" in second["value"]


@pytest.mark.usefixtures("bot")
async def test_status_of_one_feed_in_detail_picked_by_autocomplete(
    fake_discord: FakeDiscord, app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await follow(
        sessions, guild_a(fake_discord), "https://gone.example/rss", title="Gone"
    )
    await set_health(
        sessions,
        feed_id,
        status=FeedStatus.PAUSED,
        consecutive_errors=1,
        last_error_kind=FeedErrorKind.HTTP,
        last_error_status=410,
        last_error="HTTP 410 Gone `<@&1>`",
        last_error_at=datetime.now(UTC) - timedelta(days=3),
    )

    choices = await fake_discord.invoke(
        fake_discord.autocomplete("feeds status", "feed", feed="gone")
    )
    (choice,) = choices.choices
    detail = await fake_discord.invoke(fake_discord.slash("feeds status", feed=choice["value"]))

    assert detail.ephemeral
    (embed,) = detail.embeds
    assert embed["title"] == "Gone"
    assert embed["url"] == "https://gone.example/rss"
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Health"].endswith("paused · 1 failed fetch in a row")
    assert fields["Last error"].startswith("the site says the feed is gone for good (410 Gone)")
    assert "\nLast failed: " in fields["Last error"]
    assert "(3 days ago)" in fields["Last error"]
    assert "Detail: `http_410: HTTP 410 Gone '<@&1>'`" in fields["Last error"]
    assert fields["Last successful fetch"] == "never yet"
    assert "policybot feeds resume" in fields["Next check"]
    assert fields["Items per day"].startswith("0.0 over 7 days (0 items)")


@pytest.mark.usefixtures("bot")
async def test_status_with_nothing_added_and_with_a_made_up_feed(
    fake_discord: FakeDiscord,
) -> None:
    empty = await fake_discord.invoke(fake_discord.slash("feeds status"))
    unknown = await fake_discord.invoke(fake_discord.slash("feeds status", feed=HOSTILE))

    assert "has added no feeds yet" in empty.text
    assert unknown.ephemeral
    assert f"does not follow {HOSTILE_SHOWN}" in unknown.text


async def test_hostile_feed_titles_are_inert_in_status(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def hostile(url: str) -> FeedCheckResult:
        return FeedCheckResult(ok=True, title=HOSTILE)

    async with running_bot(fake_discord, Application(sessions, check_feed=hostile), chat_settings):
        await fake_discord.invoke(fake_discord.slash("feeds add", url="https://h.example/feed"))
        listed = await fake_discord.invoke(fake_discord.slash("feeds status"))
        (feed,) = (await app.guild_feeds.listing(guild_a(fake_discord), cap=3)).followed
        detail = await fake_discord.invoke(
            fake_discord.slash("feeds status", feed=str(feed.feed_id))
        )

    (field,) = listed.embeds[0]["fields"]
    assert field["name"].endswith(HOSTILE_SHOWN)
    assert detail.embeds[0]["title"] == HOSTILE_SHOWN
    for reply in (listed, detail):
        assert "@everyone" not in reply.text
        assert "](https://x.example)" not in reply.text.replace("\\[win](", "")


@pytest.mark.usefixtures("bot")
async def test_status_shows_only_this_servers_feeds(
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    feed_id = await follow(sessions, guild_a(fake_discord), "https://a-only.example/feed")

    listed_in_b = await fake_discord.invoke(
        fake_discord.slash("feeds status", guild_id=guild_b(fake_discord))
    )
    detail_in_b = await fake_discord.invoke(
        fake_discord.slash("feeds status", guild_id=guild_b(fake_discord), feed=str(feed_id))
    )
    choices_in_b = await fake_discord.invoke(
        fake_discord.autocomplete("feeds status", "feed", guild_id=guild_b(fake_discord))
    )

    assert "a-only.example" not in listed_in_b.text
    assert "has added no feeds yet" in listed_in_b.text
    assert f"does not follow {feed_id}" in detail_in_b.text
    assert choices_in_b.choices == []


# -- /feeds export --------------------------------------------------------------------------


async def test_export_attaches_this_servers_feeds_as_opml_and_never_anothers(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def titled(url: str) -> FeedCheckResult:
        return FeedCheckResult(ok=True, title=f'{HOSTILE} "&" <b>\x07' if "a1" in url else "Two")

    async with running_bot(fake_discord, Application(sessions, check_feed=titled), chat_settings):
        for url in ("https://a1.example/feed", "https://a2.example/feed"):
            await fake_discord.invoke(fake_discord.slash("feeds add", url=url))
        await fake_discord.invoke(
            fake_discord.slash(
                "feeds add", guild_id=guild_b(fake_discord), url="https://b.example/f"
            )
        )
        exported = await fake_discord.invoke(fake_discord.slash("feeds export"))
        exported_b = await fake_discord.invoke(
            fake_discord.slash("feeds export", guild_id=guild_b(fake_discord))
        )

    assert exported.ephemeral
    assert exported.embeds[0]["title"] == "Feeds exported"
    assert "2 feeds" in exported.embeds[0]["description"]
    assert "@everyone" not in exported.text
    (document,) = exported.answer["_files"].values()
    assert list(exported.answer["_files"]) == ["policybot-feeds.opml"]
    feeds = read_opml(document)
    assert [feed.url for feed in feeds] == ["https://a1.example/feed", "https://a2.example/feed"]
    assert feeds[0].title == f'{HOSTILE} "&" <b>'  # escaped in XML, control character dropped
    assert b"b.example" not in document
    assert [feed.url for feed in read_opml(*exported_b.answer["_files"].values())] == [
        "https://b.example/f"
    ]


@pytest.mark.usefixtures("bot")
async def test_export_with_nothing_added_says_so_without_a_file(
    fake_discord: FakeDiscord,
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("feeds export"))

    assert reply.ephemeral
    assert "nothing to export" in reply.text
    assert "_files" not in reply.answer


@pytest.mark.usefixtures("bot")
async def test_an_export_imports_into_another_server(
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for url in ("https://one.example/feed", "https://two.example/feed"):
        await follow(sessions, guild_a(fake_discord), url)
    exported = await fake_discord.invoke(fake_discord.slash("feeds export"))
    (document,) = exported.answer["_files"].values()

    imported = await fake_discord.invoke(
        fake_discord.slash(
            "feeds import", guild_id=guild_b(fake_discord), file=("policybot-feeds.opml", document)
        )
    )

    assert imported.embeds[0]["title"] == "Feeds imported"
    assert await followed_urls(app, guild_b(fake_discord)) == await followed_urls(
        app, guild_a(fake_discord)
    )


# -- /feeds import --------------------------------------------------------------------------


async def test_import_adds_checks_and_summarises_every_feed(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    checked: list[str] = []

    async def check(url: str) -> FeedCheckResult:
        checked.append(url)
        if "private" in url:
            blocked = FeedErrorInfo(FeedErrorKind.BLOCKED, "a private address")
            return FeedCheckResult(ok=False, error=blocked)
        return FeedCheckResult(ok=True, title=f"Checked {url[8:11]}")

    await follow(sessions, guild_a(fake_discord), "https://old.example/feed")
    document = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Reader</title></head><body>
  <outline text="Policy"><outline text="A" xmlUrl="https://new-a.example/feed"/>
    <outline text="Old" xmlUrl="https://old.example/feed"/></outline>
  <outline text="Intranet" xmlUrl="http://private.example/feed"/>
  <outline text="FTP" xmlUrl="ftp://files.example/feed"/>
  <outline text="B" xmlUrl="https://new-b.example/feed"/>
  <outline text="C" xmlUrl="https://new-c.example/feed"/>
  <outline text="D" xmlUrl="https://new-d.example/feed"/>
</body></opml>"""

    async with running_bot(fake_discord, Application(sessions, check_feed=check), chat_settings):
        reply = await fake_discord.invoke(
            fake_discord.slash("feeds import", file=("reader.opml", document))
        )

    assert reply.callback_type == 5
    assert reply.ephemeral
    (embed,) = reply.embeds
    assert embed["title"] == "Feeds imported"
    assert "From reader.opml: 2 of 7 feeds added to this server." in embed["description"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Added (2)"].splitlines() == [
        "Checked new (https://new-a.example/feed)",
        "Checked new (https://new-b.example/feed)",
    ]
    assert fields["Already followed (1)"] == "Old (https://old.example/feed)"
    intranet, ftp = fields["Refused (2)"].splitlines()
    assert intranet.startswith(
        "Intranet (http://private.example/feed): the address is on a private or local network"
    )
    assert ftp == "ftp://files.example/feed: not an http(s) URL"
    assert fields["Over the cap of 3 (2)"].splitlines() == [
        "C (https://new-c.example/feed)",
        "D (https://new-d.example/feed)",
    ]
    assert "Remove some with /feeds remove" in embed["footer"]["text"]
    assert await followed_urls(app, guild_a(fake_discord)) == [
        "https://old.example/feed",
        "https://new-a.example/feed",
        "https://new-b.example/feed",
    ]
    # Nothing already followed or beyond the cap was fetched.
    assert "https://old.example/feed" not in checked
    assert "https://new-d.example/feed" not in checked


async def test_one_slow_feed_neither_blocks_the_others_nor_the_reply(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    never = asyncio.Event()

    async def check(url: str) -> FeedCheckResult:
        if "slow" in url:
            await never.wait()
        return FeedCheckResult(ok=True, title="Fine")

    urls = ["https://slow.example/feed", "https://fast-1.example/feed", "https://fast-2.example/f"]
    async with running_bot(
        fake_discord, Application(sessions, check_feed=check), chat_settings
    ) as bot:
        short_budget = FeedsCog(GuildFeeds(sessions, check_feed=check), cap=3, import_budget=0.5)
        await bot.add_cog(short_budget, override=True)
        fake_discord.install_commands(command_schema(bot))
        pending = await fake_discord.send_interaction(
            fake_discord.slash("feeds import", file=("feeds.opml", opml(*urls)))
        )
        await fake_discord.until(lambda: bool(pending.callbacks))
        assert pending.callbacks[0]["type"] == 5  # acknowledged before any check
        await fake_discord.until(lambda: pending.complete, within=5)

    assert pending.ack_delay < 3
    fields = {field["name"]: field["value"] for field in pending.embeds[0]["fields"]}
    assert fields["Added (2)"].count("https://fast-") == 2
    assert fields["Refused (1)"] == (
        "https://slow.example/feed: not checked within 0.5 s; import the file again to retry"
    )
    assert await followed_urls(app, guild_a(fake_discord)) == urls[1:]


@pytest.mark.usefixtures("bot")
@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("cat.png", b"\x89PNG\r\n\x1a\n", "cat.png is not an OPML file"),
        ("feeds.opml", b"", "feeds.opml is empty"),
        ("feeds.opml", b"<opml" + b" " * OPML_MAX_BYTES + b"/>", "too large: OPML files up to"),
        ("feeds.opml", b"<opml><body><outline", "could not be read as OPML: feeds.opml: not well"),
        ("feeds.xml", b"<rss><channel/></rss>", "the root element is <rss>, not <opml>"),
        ("feeds.opml", b"<opml><body></body></opml>", "no feed outlines with an http(s) xmlUrl"),
        (
            "bomb.opml",
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<opml><body><outline text="&b;" xmlUrl="https://x.example/f"/></body></opml>',
            "declares a DOCTYPE or entities; refused",
        ),
    ],
    ids=["not-opml", "empty", "too-large", "malformed", "not-opml-root", "no-feeds", "entities"],
)
async def test_import_refuses_bad_files_clearly_and_adds_nothing(
    fake_discord: FakeDiscord, app: Application, filename: str, content: bytes, expected: str
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("feeds import", file=(filename, content)))

    assert reply.ephemeral
    assert expected in reply.text
    assert "Nothing was added." in reply.text
    assert await followed_urls(app, guild_a(fake_discord)) == []


@pytest.mark.usefixtures("bot")
async def test_a_hostile_file_name_and_titles_are_inert_in_the_summary(
    fake_discord: FakeDiscord,
) -> None:
    document = opml("https://h.example/feed", titles={"https://h.example/feed": HOSTILE})

    reply = await fake_discord.invoke(
        fake_discord.slash("feeds import", file=("@everyone_**x**.opml", document))
    )

    assert "@everyone" not in reply.text
    assert HOSTILE_SHOWN in reply.embeds[0]["fields"][0]["value"]


@pytest.mark.usefixtures("bot")
async def test_a_lost_attachment_is_a_clear_refusal(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(
        fake_discord.slash("feeds import", file=("feeds.opml", opml("https://x.example/f")))
    )
    assert "Feeds imported" in reply.text
    fake_discord.attachments.clear()  # the next upload's URL leads nowhere

    payload = fake_discord.slash("feeds import", file=("feeds.opml", opml("https://y.example/f")))
    fake_discord.attachments.clear()
    lost = await fake_discord.invoke(payload)

    assert lost.ephemeral
    assert "Discord did not hand over the file" in lost.text


@pytest.mark.usefixtures("bot")
@pytest.mark.parametrize("command", ["feeds status", "feeds export", "feeds import"])
async def test_a_member_without_manage_server_is_refused_and_nothing_changes(
    fake_discord: FakeDiscord,
    app: Application,
    command: str,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await follow(sessions, guild_a(fake_discord), "https://kept.example/feed")
    arguments = {"feeds import": {"file": ("f.opml", opml("https://new.example/feed"))}}

    refused = await fake_discord.invoke(
        fake_discord.slash(command, user=MEMBER, **arguments.get(command, {}))
    )

    assert refused.callback_type == 4
    assert refused.ephemeral
    assert "Manage Server" in refused.text
    assert "kept.example" not in refused.text
    assert "_files" not in refused.answer
    assert await followed_urls(app, guild_a(fake_discord)) == ["https://kept.example/feed"]


@pytest.mark.usefixtures("bot")
async def test_import_in_one_server_leaves_the_other_alone(
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await follow(sessions, guild_b(fake_discord), "https://b-feed.example/feed")

    reply = await fake_discord.invoke(
        fake_discord.slash(
            "feeds import",
            file=("f.opml", opml("https://b-feed.example/feed", "https://a-new.example/feed")),
        )
    )

    assert "From f.opml: 2 of 2 feeds added" in reply.text  # B's feed is new to A
    assert await followed_urls(app, guild_b(fake_discord)) == ["https://b-feed.example/feed"]
    assert len(await followed_urls(app, guild_a(fake_discord))) == 2


async def test_feeds_in_direct_messages_are_refused(
    fake_discord: FakeDiscord, bot: PolicyBot
) -> None:
    refused = await fake_discord.invoke(fake_discord.slash("feeds export", dm=True))

    assert "not in direct messages" in refused.text


@pytest.mark.usefixtures("bot")
async def test_overlong_addresses_are_refused_and_overlong_titles_cut(
    fake_discord: FakeDiscord, app: Application
) -> None:
    long_url = "https://long.example/" + "p" * 2100
    titled = "https://titled.example/feed"
    document = opml(long_url, titled, titles={titled: "T" * 900})

    reply = await fake_discord.invoke(fake_discord.slash("feeds import", file=("f.opml", document)))

    fields = {field["name"]: field["value"] for field in reply.embeds[0]["fields"]}
    assert "an address longer than 2048 characters" in fields["Refused (1)"]
    assert "titled.example" in fields["Added (1)"]
    (feed,) = (await app.guild_feeds.listing(guild_a(fake_discord), cap=3)).followed
    assert feed.title == "T" * 512
