"""One feed never stops polling: hostile text is stored, and any failure stays that feed's.

Real local servers, the real parser processes and the real database; where a failure has to be
forced (an exception policybot does not expect), one feed's parse or store step is wrapped and
every other feed of the cycle runs the real path.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.entries import ParsedFeed
from bot.domain.feed_errors import FeedErrorKind
from bot.domain.model import FeedStatus
from bot.ingest.fetch import FeedFetcher
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller, PollSettings
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, Item
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed, load_feed, rss

REPLACEMENT = "\ufffd"


def _rss_with_title(title: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Odd</title>"
        f"<item><guid>odd-1</guid><title>{title}</title><description>Text</description></item>"
        "</channel></rss>"
    ).encode()


def _json_feed(title: str) -> bytes:
    # json.dumps writes a lone surrogate and NUL as \ud800 and \u0000 escapes, as a server would.
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"JSON {title}",
        "items": [{"id": f"j-{title}", "title": f"A {title} B", "content_text": f"x{title}y"}],
    }
    return json.dumps(document).encode()


async def _titles(sessions: async_sessionmaker[AsyncSession], feed_id: int) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(Item.title).where(Item.feed_id == feed_id)))


async def test_lone_surrogates_and_nul_in_feed_text_are_stored_replaced_and_the_cycle_goes_on(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bodies = {
        "/charref": (_rss_with_title("x &#xD800; y &#0; z &#1114112; w"), "application/rss+xml"),
        "/decimal": (_rss_with_title("x &#56320; y"), "application/rss+xml"),
        "/json-surrogate": (_json_feed("\ud800"), "application/feed+json"),
        "/json-nul": (_json_feed("\x00"), "application/feed+json"),
        "/healthy": (rss([("h", "Healthy")]), "application/rss+xml"),
    }

    async def handler(request: web.Request) -> web.Response:
        body, content_type = bodies[request.path]
        return web.Response(body=body, content_type=content_type)

    ids = {}
    for path in bodies:
        feed_server.routes[path] = handler
        ids[path] = await add_feed(sessions, feed_server.url(path), now=NOW)

    report = await poller.poll(now=NOW)

    assert report.outcomes == {"fetched": 5}
    assert await _titles(sessions, ids["/charref"]) == [f"x {REPLACEMENT} y z {REPLACEMENT} w"]
    assert await _titles(sessions, ids["/decimal"]) == [f"x {REPLACEMENT} y"]
    assert await _titles(sessions, ids["/json-surrogate"]) == [f"A {REPLACEMENT} B"]
    assert await _titles(sessions, ids["/json-nul"]) == ["A B"]
    assert await _titles(sessions, ids["/healthy"]) == ["Healthy"]
    json_feed = await load_feed(sessions, ids["/json-surrogate"])
    assert json_feed.title == f"JSON {REPLACEMENT}"
    async with sessions() as session:
        keys = set(await session.scalars(select(Item.key)))
    assert f"g:j-{REPLACEMENT}" in keys
    assert "g:j-" in keys  # the NUL dropped from the guid


@pytest.fixture
async def raw_server() -> AsyncIterator[str]:
    """A server that answers with raw bytes: an ETag holding bytes that are not UTF-8."""
    body = rss([("r", "Raw")])

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b'ETag: "v\xff\xfe1"\r\nLast-Modified: Tue, 24 Nov 2026 10:00:00 GMT\r\n'
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/feed"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_validator_that_is_not_text_is_dropped_not_stored(
    raw_server: str, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, raw_server, now=NOW)
    report = await poller.poll(now=NOW)
    assert report.outcomes == {"fetched": 1}
    feed = await load_feed(sessions, feed_id)
    assert feed.etag is None  # echoing it back byte for byte is impossible; asking again is not
    assert feed.last_modified == "Tue, 24 Nov 2026 10:00:00 GMT"
    assert await _titles(sessions, feed_id) == ["Raw"]


class _BrokenFor:
    """The real parser pool, except that one URL's parse raises what nobody expected."""

    def __init__(self, pool: ParserPool, url: str) -> None:
        self._pool = pool
        self._url = url

    async def parse(self, url: str, body: bytes, content_type: str | None) -> ParsedFeed:
        if url == self._url:
            raise RuntimeError("the parser tripped over something new")
        return await self._pool.parse(url, body, content_type)


async def test_any_exception_parsing_or_storing_one_feed_is_recorded_on_it_and_the_cycle_goes_on(
    feed_server: FeedServer,
    fetcher: FeedFetcher,
    parser_pool: ParserPool,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=rss([(request.path, "Item")]), content_type="application/rss+xml")

    paths = ["/ok-1", "/parse-bug", "/store-bug", "/ok-2"]
    ids = {}
    for path in paths:
        feed_server.routes[path] = handler
        ids[path] = await add_feed(sessions, feed_server.url(path), now=NOW)
    save = ItemStore.save

    async def save_or_fail(
        store: ItemStore, feed_id: int, *args: object, **kwargs: object
    ) -> object:
        if feed_id == ids["/store-bug"]:
            raise ValueError("a value the database layer never expected")
        return await save(store, feed_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ItemStore, "save", save_or_fail)
    poller = FeedPoller(
        sessions,
        fetcher,
        _BrokenFor(parser_pool, feed_server.url("/parse-bug")),
        PollSettings(),
        rng=random.Random(3),
    )

    report = await poller.poll(now=NOW)

    assert report.outcomes == {"fetched": 2, "error": 2}
    assert report.errors_by_kind == {"internal": 2}
    assert len(report.new_item_ids) == 2
    for path, exception in (("/parse-bug", "RuntimeError"), ("/store-bug", "ValueError")):
        feed = await load_feed(sessions, ids[path])
        assert feed.last_error_kind is FeedErrorKind.INTERNAL
        assert feed.last_error is not None
        assert feed.last_error.startswith(exception)
        assert (feed.status, feed.consecutive_errors, feed.error_count) == (FeedStatus.OK, 1, 1)
        assert (feed.etag, feed.body_hash) == (None, None)  # fetched again next time
        # Backed off as for any error: one interval (60 min) to 1.25 intervals.
        assert feed.next_check_at is not None
        assert NOW + timedelta(hours=1) <= feed.next_check_at <= NOW + timedelta(hours=1.25)
        assert await _titles(sessions, ids[path]) == []
    for path in ("/ok-1", "/ok-2"):
        assert await _titles(sessions, ids[path]) == ["Item"]
    async with sessions() as session:
        ok = await session.get_one(Feed, ids["/ok-1"])
        assert ok.last_error_kind is None
