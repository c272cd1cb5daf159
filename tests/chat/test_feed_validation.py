"""``/feeds add`` fetches the URL once through the real ingestion poller before following it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.ingest.fetch import FeedFetcher, make_http_session
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller, PollSettings
from bot.settings import Settings
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import running_bot
from tests.support.feed_server import (  # noqa: F401 - fixtures shared with the ingestion tests
    TEST_LIMITS,
    FeedServer,
    feed_server,
    fetcher,
    http_session,
    parser_pool,
    poller,
)
from tests.support.feeds import rss


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """Nothing here depends on the database engine; SQLite alone keeps the suite fast."""
    return sqlite_url


@pytest.fixture
async def checking_app(
    sessions: async_sessionmaker[AsyncSession],
    poller: FeedPoller,  # noqa: F811
    fetcher: FeedFetcher,  # noqa: F811
) -> Application:
    return Application(sessions, poller=poller, page_fetcher=fetcher)


async def _rss(request: web.Request) -> web.Response:
    body = rss([("a", "EU AI Act news")], title="AI Policy Daily")
    return web.Response(body=body, content_type="application/rss+xml")


async def _html(request: web.Request) -> web.Response:
    return web.Response(text="<html><body>Just a page</body></html>", content_type="text/html")


async def test_add_follows_a_real_feed_under_its_own_title(
    fake_discord: FakeDiscord,
    checking_app: Application,
    chat_settings: Settings,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    feed_server.routes["/feed.xml"] = _rss
    url = feed_server.url("/feed.xml")

    async with running_bot(fake_discord, checking_app, chat_settings):
        reply = await fake_discord.invoke(fake_discord.slash("feeds add", url=url))

    assert reply.embeds[0]["title"] == "Feed added"
    listing = await checking_app.guild_feeds.listing(fake_discord.guilds[0].id, cap=3)
    assert [(f.url, f.title) for f in listing.followed] == [(url, "AI Policy Daily")]
    assert len(feed_server.hits("/feed.xml")) == 1


async def test_add_of_a_sites_page_follows_the_feed_it_links(
    fake_discord: FakeDiscord,
    checking_app: Application,
    chat_settings: Settings,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    async def home(request: web.Request) -> web.Response:
        page = (
            "<html><head><title>AI Policy Daily</title>"
            '<link rel="stylesheet" href="/style.css">'
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">'
            "</head><body>Welcome</body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    feed_server.routes.update({"/": home, "/feed.xml": _rss})

    async with running_bot(fake_discord, checking_app, chat_settings):
        reply = await fake_discord.invoke(fake_discord.slash("feeds add", url=feed_server.url("/")))

    assert reply.embeds[0]["title"] == "Feed added"
    listing = await checking_app.guild_feeds.listing(fake_discord.guilds[0].id, cap=3)
    assert [(f.url, f.title) for f in listing.followed] == [
        (feed_server.url("/feed.xml"), "AI Policy Daily")
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/page.html", "an HTML page, not a feed"), ("/missing.xml", "404")],
)
async def test_add_refuses_what_is_not_a_feed_and_follows_nothing(
    fake_discord: FakeDiscord,
    checking_app: Application,
    chat_settings: Settings,
    feed_server: FeedServer,  # noqa: F811
    path: str,
    expected: str,
) -> None:
    feed_server.routes["/page.html"] = _html

    async with running_bot(fake_discord, checking_app, chat_settings):
        reply = await fake_discord.invoke(
            fake_discord.slash("feeds add", url=feed_server.url(path))
        )

    assert reply.ephemeral
    assert "could not be added" in reply.text
    assert expected in reply.text
    assert (await checking_app.guild_feeds.listing(fake_discord.guilds[0].id, cap=3)).followed == ()


@pytest.fixture
async def guarded_app(
    sessions: async_sessionmaker[AsyncSession],
    parser_pool: ParserPool,  # noqa: F811
) -> AsyncIterator[Application]:
    http = make_http_session(user_agent="policybot-tests/1", allow_private=False)
    try:
        fetching = FeedPoller(sessions, FeedFetcher(http, TEST_LIMITS), parser_pool, PollSettings())
        yield Application(sessions, poller=fetching)
    finally:
        await http.close()


async def test_add_refuses_a_private_address(
    fake_discord: FakeDiscord,
    guarded_app: Application,
    chat_settings: Settings,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    feed_server.routes["/feed.xml"] = _rss

    async with running_bot(fake_discord, guarded_app, chat_settings):
        reply = await fake_discord.invoke(
            fake_discord.slash("feeds add", url=feed_server.url("/feed.xml"))
        )

    assert "could not be added" in reply.text
    assert "private or local network" in reply.text
    assert r"POLICYBOT\_ALLOW\_PRIVATE\_FEEDS=true" in reply.text  # Markdown-escaped
    assert "blocked:" not in reply.text  # no internal codes
    assert feed_server.hits("/feed.xml") == []
