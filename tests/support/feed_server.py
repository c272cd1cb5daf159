"""Ingestion fixtures: a real local HTTP server, a real parser pool, a poller on the real DB.

Every server listens on 127.0.0.1, so everything here turns ``allow_private`` on, except the
SSRF tests, which build their own guarded session. Limits are small so faults end fast.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ingest.fetch import FeedFetcher, FetchLimits, make_http_session
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller, PollSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TEST_LIMITS = FetchLimits(
    total_timeout=1.5, connect_timeout=1.0, read_timeout=1.0, max_bytes=512 * 1024
)


@dataclass
class FeedServer:
    """One local server; tests put a handler per path in ``routes`` and read ``requests``."""

    server: TestServer
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    holder: list[FeedServer] = []

    async def dispatch(request: web.Request) -> web.StreamResponse:
        server = holder[0]
        server.requests.append((request.path, dict(request.headers)))
        handler = server.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such test route")
        return await handler(request)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", dispatch)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder.append(FeedServer(server))
    try:
        yield holder[0]
    finally:
        await server.close()


@pytest.fixture(scope="session")
def parser_pool() -> Iterator[ParserPool]:
    pool = ParserPool(workers=2, timeout=10.0)
    yield pool
    pool.close()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    session = make_http_session(user_agent="policybot-tests/1", allow_private=True)
    yield session
    await session.close()


@pytest.fixture
def fetcher(http_session: aiohttp.ClientSession) -> FeedFetcher:
    return FeedFetcher(http_session, TEST_LIMITS)


@pytest.fixture
def poller(
    sessions: async_sessionmaker[AsyncSession], fetcher: FeedFetcher, parser_pool: ParserPool
) -> FeedPoller:
    return FeedPoller(sessions, fetcher, parser_pool, PollSettings(), rng=random.Random(7))
