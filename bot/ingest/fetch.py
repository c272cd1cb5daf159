"""Feed bytes over HTTP: conditional GET, hard limits, an SSRF guard; aiohttp errors end here.

The fetcher echoes ``ETag``/``Last-Modified`` byte for byte, sends an honest User-Agent and a
feed ``Accept``, keeps no cookies, follows at most 5 redirects, stops reading a body (after
gzip decoding) at a size cap, and refuses to connect to non-public addresses unless allowed.
The guard sits in the connector's socket factory, so it sees the address actually dialled:
after DNS, for IP literals and for every redirect hop (no DNS-rebinding window).

A fetch's time limit counts from when it may use a connection: time spent waiting for one of a
host's few connection slots (held by other feeds of that host) is the host's queue, not this
feed's slowness, so the limit is paused meanwhile (the session's trace hooks say when).
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import socket
from dataclasses import dataclass
from types import SimpleNamespace

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from bot.domain.feed_errors import FeedErrorKind
from bot.domain.responses import FetchedFeed, FetchResult, NotModified
from bot.domain.text import is_storable
from bot.errors import FetchError

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
)
PERMANENT_REDIRECTS = frozenset({301, 308})
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchLimits:
    total_timeout: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5


class BlockedAddressError(OSError):
    """Raised inside the connector when the dialled address is not public."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_ADDRESS_SPACE)
    )


class AddressGuard:
    """aiohttp socket factory that refuses non-public addresses (the SSRF guard).

    ``allowed`` lists exact addresses let through anyway (an operator's own feed server).
    """

    def __init__(self, allowed: frozenset[str] = frozenset()) -> None:
        self._allowed = allowed

    def __call__(self, addr_info: tuple[int, int, int, str, tuple[object, ...]]) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = str(sockaddr[0])
        if address not in self._allowed and not is_public_address(address):
            raise BlockedAddressError(f"refusing to connect to non-public address {address}")
        return socket.socket(family=family, type=type_, proto=proto)


class FetchDeadline:
    """A fetch's total time limit, paused while the request waits for a connection slot.

    ``FeedFetcher`` runs each fetch under ``asyncio.timeout``; the connector tells the session's
    trace hooks (``slot_wait_trace``) when a request starts and stops waiting for a slot of its
    host (the first request, and every redirect hop), and the limit is suspended in between.
    """

    def __init__(self, seconds: float) -> None:
        self._left = seconds
        self._timeout: asyncio.Timeout | None = None

    def start(self, timeout: asyncio.Timeout) -> None:
        self._timeout = timeout
        timeout.reschedule(asyncio.get_running_loop().time() + self._left)

    def pause(self) -> None:
        if self._timeout is None or (when := self._timeout.when()) is None:
            return
        self._left = max(0.0, when - asyncio.get_running_loop().time())
        self._timeout.reschedule(None)

    def resume(self) -> None:
        if self._timeout is not None and self._timeout.when() is None:
            self._timeout.reschedule(asyncio.get_running_loop().time() + self._left)


def slot_wait_trace() -> aiohttp.TraceConfig:
    """Trace hooks that pause a request's ``FetchDeadline`` while it waits for a connection."""

    async def queued(_session: object, context: SimpleNamespace, _params: object) -> None:
        deadline = context.trace_request_ctx
        if isinstance(deadline, FetchDeadline):
            deadline.pause()

    async def dequeued(_session: object, context: SimpleNamespace, _params: object) -> None:
        deadline = context.trace_request_ctx
        if isinstance(deadline, FetchDeadline):
            deadline.resume()

    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(queued)
    trace.on_connection_queued_end.append(dequeued)
    return trace


def make_http_session(
    *,
    user_agent: str,
    allow_private: bool,
    limit: int = 50,
    limit_per_host: int = 2,
    resolver: AbstractResolver | None = None,
    allowed_addresses: frozenset[str] = frozenset(),
) -> aiohttp.ClientSession:
    """The one cookie-less session the fetcher uses; built by the composition root."""
    connector = aiohttp.TCPConnector(
        limit=limit,
        limit_per_host=limit_per_host,
        ttl_dns_cache=300,
        resolver=resolver,
        socket_factory=None if allow_private else AddressGuard(allowed_addresses),
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": user_agent, "Accept": ACCEPT},
        auto_decompress=True,
        trace_configs=[slot_wait_trace()],
    )


class FeedFetcher:
    """Fetches one feed URL; everything that can go wrong comes out as ``FetchError``."""

    def __init__(self, session: aiohttp.ClientSession, limits: FetchLimits) -> None:
        self._session = session
        self._limits = limits
        # The total limit is FetchDeadline's (it leaves out waiting for a connection slot), and
        # so is the connect limit's: aiohttp's "connect" would include that wait.
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None,
            sock_connect=limits.connect_timeout,
            sock_read=limits.read_timeout,
        )

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            target = URL(url, encoded=False)
        except (ValueError, TypeError) as exc:
            raise FetchError(url, FeedErrorKind.BAD_URL, "not a valid URL") from exc
        if target.scheme not in {"http", "https"} or not target.host:
            raise FetchError(url, FeedErrorKind.BAD_URL, "only http(s) URLs are fetched")
        deadline = FetchDeadline(self._limits.total_timeout)
        try:
            async with asyncio.timeout(None) as limit:
                deadline.start(limit)
                async with self._session.get(
                    target,
                    headers=headers,
                    timeout=self._timeout,
                    # aiohttp counts the redirect that breaks the limit, hence + 1.
                    max_redirects=self._limits.max_redirects + 1,
                    allow_redirects=True,
                    trace_request_ctx=deadline,
                ) as response:
                    return await self._read(url, response)
        except FetchError:
            raise
        except aiohttp.TooManyRedirects as exc:
            raise FetchError(
                url, FeedErrorKind.REDIRECTS, "too many redirects (or a loop)"
            ) from exc
        except aiohttp.RedirectClientError as exc:
            raise FetchError(
                url, FeedErrorKind.REDIRECTS, "redirect to an invalid or non-http(s) URL"
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, BlockedAddressError):
                raise FetchError(url, FeedErrorKind.BLOCKED, str(exc.os_error)) from exc
            raise FetchError(url, FeedErrorKind.CONNECTION, str(exc)) from exc
        except BlockedAddressError as exc:
            raise FetchError(url, FeedErrorKind.BLOCKED, str(exc)) from exc
        except TimeoutError as exc:
            raise FetchError(
                url, FeedErrorKind.FETCH_TIMEOUT, "no complete answer in time"
            ) from exc
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(url, FeedErrorKind.CONNECTION, f"broken body: {exc}") from exc
        except aiohttp.InvalidURL as exc:
            raise FetchError(url, FeedErrorKind.BAD_URL, str(exc)) from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise FetchError(url, FeedErrorKind.CONNECTION, f"{type(exc).__name__}: {exc}") from exc

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> FetchResult:
        permanent = _permanent_target(response)
        headers = response.headers
        if response.status == 304:
            return NotModified(
                url=url,
                permanent_url=permanent,
                etag=_validator(headers.get("ETag")),
                last_modified=_validator(headers.get("Last-Modified")),
                cache_control=headers.get("Cache-Control"),
                expires=headers.get("Expires"),
            )
        if response.status != 200:
            raise FetchError(
                url,
                FeedErrorKind.HTTP,
                f"HTTP {response.status} {response.reason or ''}".strip(),
                status=response.status,
                retry_after=headers.get("Retry-After"),
            )
        declared = response.content_length
        if (
            declared is not None
            and declared > self._limits.max_bytes
            and not headers.get("Content-Encoding")
        ):
            raise FetchError(
                url, FeedErrorKind.TOO_LARGE, f"Content-Length {declared} over the cap"
            )
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > self._limits.max_bytes:
                raise FetchError(
                    url,
                    FeedErrorKind.TOO_LARGE,
                    f"body over {self._limits.max_bytes} bytes (decoded)",
                )
        log.debug("feed fetched url=%s final=%s bytes=%d", url, response.url, len(body))
        return FetchedFeed(
            url=url,
            final_url=str(response.url),
            permanent_url=permanent,
            status=response.status,
            body=bytes(body),
            content_type=headers.get("Content-Type"),
            etag=_validator(headers.get("ETag")),
            last_modified=_validator(headers.get("Last-Modified")),
            cache_control=headers.get("Cache-Control"),
            expires=headers.get("Expires"),
        )


def _validator(value: str | None) -> str | None:
    """A validator to store and echo back, or None when it holds bytes that are not UTF-8.

    aiohttp decodes such bytes as lone surrogates, which no database stores; and a validator
    is echoed byte for byte or not at all, so the feed is simply asked unconditionally.
    """
    return value if value is None or is_storable(value) else None


def _permanent_target(response: aiohttp.ClientResponse) -> str | None:
    """Where the leading run of permanent (301/308) hops led, if it started with one."""
    hops = [*response.history, response]
    target: str | None = None
    for hop, following in itertools.pairwise(hops):
        if hop.status not in PERMANENT_REDIRECTS:
            break
        target = str(following.url)
    return target
