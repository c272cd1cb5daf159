"""/stance and /why end to end: feeds served on 127.0.0.1 -> polled -> analysed -> asked in Discord.

The real poller fetches two local feeds (the same article reaches both), the real analyser
reads the items, and the real discord.py client answers through the fake Discord.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from bot.domain.model import DigestCadence, DigestDisposition, DigestStatus
from bot.polling import FeedPoller
from bot.settings import Settings
from bot.storage.schema import Digest, DigestEntry, DigestSubscription, Guild, Item
from tests.fake_discord import MEMBER, FakeDiscord
from tests.fake_discord.harness import running_bot
from tests.support.feed_server import (  # noqa: F401 - fixtures shared with the ingestion tests
    FeedServer,
    feed_server,
    fetcher,
    http_session,
    parser_pool,
    poller,
)
from tests.support.feeds import add_feed

KAPLAN_2 = (
    "Meta policy chief Joel Kaplan said the AI Act is an overreach that will hurt "
    "European startups."
)
KAPLAN_1 = (
    "Joel Kaplan said the AI Act rules were an overreach that would throttle the development "
    "of frontier models in Europe."
)
OPENAI = "OpenAI said it supports the AI Act and will sign the code of practice."


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    text: str
    days_ago: float

    @property
    def link(self) -> str:
        return f"https://news.example/{self.slug}"


META_OVERREACH = Article("meta-overreach", "Meta attacks EU AI rules", KAPLAN_1, days_ago=3)
TRACTORS = Article("tractors", "Farmers try new tractors", "Tractor sales rose in spring.", 2)
OPENAI_BACKS = Article("openai-backs", "OpenAI backs the AI Act", OPENAI, days_ago=400)
KAPLAN_AGAIN = Article("kaplan-again", "Kaplan doubles down on AI Act", KAPLAN_2, days_ago=1)


def rss(title: str, articles: list[Article], *, now: datetime) -> bytes:
    items = "".join(
        f"<item><guid isPermaLink='false'>{a.slug}</guid><title>{escape(a.title)}</title>"
        f"<link>{a.link}?utm_source=rss</link><description>{escape(a.text)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(days=a.days_ago), usegmt=True)}</pubDate>"
        "</item>"
        for a in articles
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://news.example/</link>{items}"
        "</channel></rss>"
    ).encode()


@dataclass
class Newsroom:
    """Two feeds on the local server; ``publish`` changes what the wire serves next."""

    server: FeedServer
    now: datetime
    wire: list[Article]

    async def serve_wire(self, request: web.Request) -> web.Response:
        body = rss("EU Policy Wire", self.wire, now=self.now)
        return web.Response(body=body, content_type="application/rss+xml")

    async def serve_daily(self, request: web.Request) -> web.Response:
        body = rss("AI Law Daily", [META_OVERREACH], now=self.now)
        return web.Response(body=body, content_type="application/rss+xml")


@pytest.fixture
def news_app(
    sessions: async_sessionmaker[AsyncSession],
    poller: FeedPoller,  # noqa: F811
) -> Application:
    return Application(sessions, poller=poller)


@pytest.fixture
async def newsroom(
    feed_server: FeedServer,  # noqa: F811
    news_app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> Newsroom:
    """Run a cycle over both feeds (first fetch: backlog), publish one more article, run again."""
    now = datetime.now(UTC)
    room = Newsroom(feed_server, now, [META_OVERREACH, TRACTORS, OPENAI_BACKS])
    feed_server.routes["/wire.xml"] = room.serve_wire
    feed_server.routes["/daily.xml"] = room.serve_daily
    for path in ("/wire.xml", "/daily.xml"):
        await add_feed(sessions, feed_server.url(path), now=now)
    first = await news_app.cycle.run(now=now)
    assert len(first.poll.new_item_ids) == 4
    room.wire = [KAPLAN_AGAIN, *room.wire]
    second = await news_app.cycle.run(now=now, only_due=False)
    assert len(second.poll.new_item_ids) == 1
    # Three articles about the AI Act (one in both feeds), analysed by the cycle that stored them.
    assert first.analysis.relevant + second.analysis.relevant == 4
    return room


@pytest.fixture
async def news_bot(
    fake_discord: FakeDiscord, news_app: Application, chat_settings: Settings
) -> AsyncIterator[PolicyBot]:
    async with running_bot(fake_discord, news_app, chat_settings) as running:
        yield running


pytestmark = pytest.mark.usefixtures("news_bot")


async def test_stance_of_a_company_quotes_the_latest_evidence_with_its_link(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("stance", name="meta", user=MEMBER))

    assert reply.callback_type == 5
    assert reply.ack_delay < 3
    assert not reply.ephemeral
    summary, ai_act = reply.embeds
    assert summary["title"] == "Meta: positions law by law"
    opposes = next(f for f in summary["fields"] if f["name"].startswith("Opposes"))
    # The same article in two feeds is one report; the second article makes it two.
    assert opposes["value"] == "EU AI Act (2)"
    assert ai_act["title"] == "EU AI Act: opposes"
    assert ai_act["description"] == f"“{KAPLAN_2}”"
    assert ai_act["url"] == KAPLAN_AGAIN.link  # canonical: the tracking parameter is gone
    fields = {f["name"]: f["value"] for f in ai_act["fields"]}
    assert fields["How sure"].startswith("medium · 2 reports · score -1.00")
    assert fields["Trend"].startswith("steady since ")
    assert ai_act["footer"]["text"].startswith("Kaplan doubles down on AI Act · ")
    assert ai_act["footer"]["text"].endswith(" · stated")


async def test_stance_of_a_law_groups_companies_by_side(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("stance", name="ai-act"))

    summary, *evidence = reply.embeds
    assert summary["title"] == "EU AI Act: who supports, opposes, is mixed"
    fields = {f["name"]: f["value"] for f in summary["fields"]}
    # The code of practice is part of the AI Act: OpenAI's position on it is rolled up, named.
    assert fields == {
        "Supports (2)": "OpenAI (1), OpenAI (EU General-Purpose AI Code of Practice) (1)",
        "Opposes (1)": "Meta (2)",
    }
    assert [e["title"] for e in evidence] == [
        "Meta: opposes",
        "OpenAI: supports",
        "OpenAI (EU General-Purpose AI Code of Practice): supports",
    ]
    assert evidence[1]["url"] == OPENAI_BACKS.link
    assert evidence[1]["description"] == f"“{OPENAI}”"


async def test_stance_narrowed_by_period_and_target(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    recent = await fake_discord.invoke(fake_discord.slash("stance", name="OpenAI", period="30d"))
    ever = await fake_discord.invoke(fake_discord.slash("stance", name="OpenAI", period="all"))
    code = await fake_discord.invoke(
        fake_discord.slash("stance", name="OpenAI", target="GPAI code")
    )

    (only,) = recent.embeds
    assert "No stated position on any law found yet" in only["description"]
    assert "last 30 days" in only["description"]
    assert [e["title"] for e in ever.embeds[1:]] == [
        "EU AI Act: supports",
        "EU General-Purpose AI Code of Practice: supports",
    ]
    assert [e["title"] for e in code.embeds[1:]] == [
        "EU General-Purpose AI Code of Practice: supports"
    ]


async def test_an_unknown_name_gets_close_matches_privately(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("stance", name="Metta"))

    assert reply.callback_type == 4  # answered at once, no defer
    assert reply.ephemeral
    assert "knows no company or law called “Metta”" in reply.text
    assert "Did you mean **Meta**" in reply.text


async def test_a_target_that_is_not_a_law_is_refused(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("stance", name="meta", target="OpenAI"))

    assert reply.ephemeral
    assert "“OpenAI” is a company; `target:` takes a law" in reply.text


async def test_an_unknown_name_is_echoed_inert(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("stance", name="@everyone **x**"))

    assert "@\u200beveryone \\*\\*x\\*\\*" in reply.text
    assert "@everyone" not in reply.text


async def test_autocomplete_offers_at_most_25_names_including_aliases(
    fake_discord: FakeDiscord,
) -> None:
    empty = await fake_discord.invoke(fake_discord.autocomplete("stance", "name"))
    alias = await fake_discord.invoke(fake_discord.autocomplete("stance", "name", name="AI Act"))
    owner = await fake_discord.invoke(fake_discord.autocomplete("stance", "name", name="faceb"))
    typo = await fake_discord.invoke(fake_discord.autocomplete("stance", "name", name="Antropic"))
    laws = await fake_discord.invoke(
        fake_discord.autocomplete("stance", "target", name="meta", target="")
    )

    assert empty.callback_type == 8
    assert len(empty.choices) == 25
    assert {c["value"] for c in empty.choices} >= {"meta", "eu-ai-act"}
    assert alias.choices[0] == {"name": "AI Act → EU AI Act (law)", "value": "eu-ai-act"}
    assert owner.choices[0]["value"] == "meta"
    assert typo.choices[0]["value"] == "anthropic"
    assert len(laws.choices) == 25
    assert all(c["name"].endswith("(law)") for c in laws.choices)
    for reply in (empty, alias, owner, typo, laws):
        assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in reply.choices)


async def test_why_explains_a_relevant_item_in_two_feeds(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    pasted = f"<{META_OVERREACH.link}/?utm_campaign=share#comments>"
    reply = await fake_discord.invoke(fake_discord.slash("why", url=pasted))

    assert reply.callback_type == 5
    (embed,) = reply.embeds
    assert embed["title"] == "Meta attacks EU AI rules"
    assert embed["url"] == META_OVERREACH.link
    assert embed["description"].startswith("**Relevant** to AI regulation")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "EU Policy Wire" in fields["Seen in"]
    assert "AI Law Daily" in fields["Seen in"]
    assert "names EU AI Act" in fields["Why relevant"]
    assert "Meta takes a position on EU AI Act" in fields["Why relevant"]
    assert fields["Companies"] == "Meta"
    assert fields["Laws"] == "EU AI Act"
    assert fields["Stances"] == f"Meta opposes EU AI Act: “{KAPLAN_1}”"
    assert "backlog" in fields["Digest"]  # it came with both feeds' first fetch


async def test_why_a_new_relevant_item_is_in_no_digest_yet(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("why", url=KAPLAN_AGAIN.link))

    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Digest"].startswith("Not in any digest yet")


async def test_why_names_the_digest_that_carried_an_item(
    fake_discord: FakeDiscord, newsroom: Newsroom, sessions: async_sessionmaker[AsyncSession]
) -> None:
    guild_id = fake_discord.guilds[0].id
    async with sessions.begin() as session:
        session.add(
            Guild(id=guild_id, name="Policy", created_at=newsroom.now, updated_at=newsroom.now)
        )
        await session.flush()
        subscription = DigestSubscription(
            guild_id=guild_id,
            channel_id=fake_discord.guilds[0].channel_id,
            cadence=DigestCadence.DAILY,
            time_of_day="09:00",
            topics=[],
            max_stories=10,
            created_at=newsroom.now,
            updated_at=newsroom.now,
        )
        session.add(subscription)
        await session.flush()
        digest = Digest(
            guild_id=guild_id,
            subscription_id=subscription.id,
            channel_id=fake_discord.guilds[0].channel_id,
            status=DigestStatus.POSTED,
            plan={},
            created_at=newsroom.now,
            posted_at=newsroom.now,
        )
        session.add(digest)
        await session.flush()
        item_id = (await news_item_ids(sessions, KAPLAN_AGAIN.link))[0]
        session.add(
            DigestEntry(
                digest_id=digest.id,
                subscription_id=subscription.id,
                guild_id=guild_id,
                item_id=item_id,
                disposition=DigestDisposition.POSTED,
                part=0,
                message_id=900,
            )
        )

    here = await fake_discord.invoke(fake_discord.slash("why", url=KAPLAN_AGAIN.link))
    elsewhere = await fake_discord.invoke(
        fake_discord.slash("why", url=KAPLAN_AGAIN.link, guild_id=fake_discord.guilds[1].id)
    )

    here_digest = next(f for f in here.embeds[0]["fields"] if f["name"] == "Digest")
    channel_id = fake_discord.guilds[0].channel_id
    assert here_digest["value"] == (
        f"Digest #{subscription.id} in <#{channel_id}>, {newsroom.now:%Y-%m-%d}: a full entry "
        f"([message](https://discord.com/channels/{guild_id}/{channel_id}/900))"
    )
    other_digest = next(f for f in elsewhere.embeds[0]["fields"] if f["name"] == "Digest")
    assert other_digest["value"].startswith("Not in any digest yet")


async def test_why_an_irrelevant_item_was_left_out(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("why", url=TRACTORS.link))

    (embed,) = reply.embeds
    assert embed["description"].startswith("**Not relevant**")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "no rule-making word near an AI word" in fields["Why not relevant"]
    assert fields["Digest"].startswith("Not in any digest: digests carry only items about AI")


async def test_why_an_unseen_url_says_so(fake_discord: FakeDiscord, newsroom: Newsroom) -> None:
    reply = await fake_discord.invoke(
        fake_discord.slash("why", url="https://news.example/never-published")
    )

    (embed,) = reply.embeds
    assert embed["title"] == "Not seen"
    assert "https://news.example/never-published" in embed["description"]


@pytest.mark.parametrize("url", ["not a link", "ftp://news.example/x", "javascript:alert(1)"])
async def test_why_refuses_what_is_not_a_web_link(fake_discord: FakeDiscord, url: str) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("why", url=url))

    assert reply.callback_type == 4
    assert reply.ephemeral
    assert "full link" in reply.text


async def test_arguments_discord_would_never_send(fake_discord: FakeDiscord) -> None:
    with pytest.raises(AssertionError, match="would not send"):
        fake_discord.slash("stance", name="x" * 101)
    with pytest.raises(AssertionError, match="requires option"):
        fake_discord.slash("stance")
    with pytest.raises(AssertionError, match="requires option"):
        fake_discord.slash("why")


async def news_item_ids(sessions: async_sessionmaker[AsyncSession], url: str) -> list[int]:
    async with sessions() as session:
        return list(await session.scalars(select(Item.id).where(Item.url == url)))


async def test_help_lists_stance_and_why_with_their_options(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.invoke(fake_discord.slash("help", user=MEMBER))

    assert "/stance `name:` `[target:]` `[period:]`" in reply.text
    assert "/why `url:`" in reply.text


async def test_a_target_given_with_a_law_is_said_to_be_unused(
    fake_discord: FakeDiscord, newsroom: Newsroom
) -> None:
    reply = await fake_discord.invoke(
        fake_discord.slash("stance", name="AI Act", target="GPAI code", period="1y")
    )

    assert "`target:` narrows a company's answer" in reply.answer["content"]
    assert reply.embeds[0]["title"] == "EU AI Act: who supports, opposes, is mixed"
    assert "(last year)" in reply.embeds[0]["description"]
