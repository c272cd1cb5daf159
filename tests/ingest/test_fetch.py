"""The fetcher against a real local server: limits, redirects, timeouts and the SSRF guard."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.domain.responses import FetchedFeed
from bot.errors import FetchError
from bot.ingest.fetch import FeedFetcher, FetchLimits, make_http_session
from tests.support.feed_server import TEST_LIMITS, FeedServer
from tests.support.feeds import rss

FAST = FetchLimits(total_timeout=0.4, connect_timeout=0.3, read_timeout=0.3, max_bytes=512 * 1024)


def gzip_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    chunk = b"\0" * (1024 * 1024)
    return b"".join(compressor.compress(chunk) for _ in range(size // len(chunk))) + (
        compressor.flush()
    )


async def fetch_error(fetcher: FeedFetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)
    return caught.value


async def test_gzip_is_accepted_and_decoded(feed_server: FeedServer, fetcher: FeedFetcher) -> None:
    body = rss([("a", "A")])

    async def handler(request: web.Request) -> web.Response:
        assert "gzip" in request.headers["Accept-Encoding"]
        return web.Response(
            body=gzip.compress(body),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
        )

    feed_server.routes["/feed"] = handler
    result = await fetcher.fetch(feed_server.url("/feed"))
    assert isinstance(result, FetchedFeed)
    assert result.body == body
    sent = feed_server.hits("/feed")[0]
    assert "application/rss+xml" in sent["Accept"]


async def test_gzip_bomb_stops_at_the_cap(feed_server: FeedServer, fetcher: FeedFetcher) -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    feed_server.routes["/bomb"] = handler
    error = await fetch_error(fetcher, feed_server.url("/bomb"))
    assert error.kind == "too_large"


async def test_oversized_chunked_body_stops_at_the_cap(
    feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(64):
                await response.write(b"x" * 64 * 1024)
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass
        return response

    feed_server.routes["/big"] = handler
    error = await fetch_error(fetcher, feed_server.url("/big"))
    assert error.kind == "too_large"


async def test_declared_length_over_the_cap_is_refused_before_reading(
    feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (TEST_LIMITS.max_bytes + 1))

    feed_server.routes["/big"] = handler
    assert (await fetch_error(fetcher, feed_server.url("/big"))).kind == "too_large"


async def test_redirect_loop_and_too_many_redirects(
    feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def chain(request: web.Request) -> web.Response:
        step = int(request.query.get("n", "0"))
        if request.query.get("stop") == str(step):
            return web.Response(body=rss([]))
        raise web.HTTPMovedPermanently(f"/chain?n={step + 1}&stop={request.query.get('stop')}")

    feed_server.routes.update({"/loop": loop, "/chain": chain})
    assert isinstance(await fetcher.fetch(feed_server.url("/chain?stop=5")), FetchedFeed)
    feed_server.requests.clear()
    assert (await fetch_error(fetcher, feed_server.url("/loop"))).kind == "redirects"
    assert (await fetch_error(fetcher, feed_server.url("/chain"))).kind == "redirects"
    assert len(feed_server.hits("/chain")) == 6  # the first request and 5 redirects


async def test_redirect_to_another_scheme_is_refused(
    feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    feed_server.routes["/feed"] = handler
    assert (await fetch_error(fetcher, feed_server.url("/feed"))).kind == "redirects"


async def test_slow_drip_hits_the_total_timeout(
    feed_server: FeedServer, http_session: aiohttp.ClientSession
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            for _ in range(40):
                await response.write(b" ")
                await asyncio.sleep(0.05)
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass
        return response

    feed_server.routes["/drip"] = handler
    error = await fetch_error(FeedFetcher(http_session, FAST), feed_server.url("/drip"))
    assert error.kind == "timeout"


async def test_a_server_that_never_answers_times_out(
    feed_server: FeedServer, http_session: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    feed_server.routes["/stall"] = handler
    try:
        error = await fetch_error(FeedFetcher(http_session, FAST), feed_server.url("/stall"))
    finally:
        release.set()
    assert error.kind == "timeout"


async def test_connection_refused(fetcher: FeedFetcher) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await fetch_error(fetcher, f"http://127.0.0.1:{port}/feed")
    assert error.kind == "connection"


async def test_bad_urls_are_refused_without_a_request(fetcher: FeedFetcher) -> None:
    for url in ("ftp://example.org/feed", "file:///etc/passwd", "not a url", "http://"):
        assert (await fetch_error(fetcher, url)).kind == "bad_url"


async def test_cookies_are_never_sent_back(feed_server: FeedServer, fetcher: FeedFetcher) -> None:
    async def handler(request: web.Request) -> web.Response:
        response = web.Response(body=rss([]), content_type="application/rss+xml")
        response.set_cookie("session", "tracking")
        return response

    feed_server.routes["/feed"] = handler
    await fetcher.fetch(feed_server.url("/feed"))
    await fetcher.fetch(feed_server.url("/feed"))
    assert all("Cookie" not in headers for headers in feed_server.hits("/feed"))


# --- SSRF: the switch is OFF in these tests ------------------------------------------------


@pytest.fixture
async def guarded() -> AsyncIterator[FeedFetcher]:
    session = make_http_session(user_agent="policybot-tests/1", allow_private=False)
    yield FeedFetcher(session, FAST)
    await session.close()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "169.254.169.254", "[::1]", "10.1.2.3", "0.0.0.0", "100.64.0.1"],
)
async def test_private_addresses_are_refused(
    guarded: FeedFetcher, feed_server: FeedServer, host: str
) -> None:
    port = feed_server.server.port
    error = await fetch_error(guarded, f"http://{host}:{port}/feed")
    assert error.kind == "blocked"
    assert feed_server.requests == []


async def test_a_redirect_into_a_private_range_is_refused(feed_server: FeedServer) -> None:
    # The test server itself is allowed by exact address; the hop to the metadata IP is not.
    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    feed_server.routes["/feed"] = handler
    session = make_http_session(
        user_agent="t", allow_private=False, allowed_addresses=frozenset({"127.0.0.1"})
    )
    try:
        error = await fetch_error(FeedFetcher(session, FAST), feed_server.url("/feed"))
    finally:
        await session.close()
    assert error.kind == "blocked"
    assert len(feed_server.hits("/feed")) == 1


class PrivateAnswer(AbstractResolver):
    """A DNS server that answers a public-looking name with a loopback address."""

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=0,
            )
        ]

    async def close(self) -> None:
        return None


async def test_a_public_name_resolving_to_a_private_address_is_refused(
    feed_server: FeedServer,
) -> None:
    session = make_http_session(user_agent="t", allow_private=False, resolver=PrivateAnswer())
    try:
        fetcher = FeedFetcher(session, FAST)
        error = await fetch_error(fetcher, f"http://feeds.example:{feed_server.server.port}/")
    finally:
        await session.close()
    assert error.kind == "blocked"
    assert feed_server.requests == []
