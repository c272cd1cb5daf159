"""FakeDiscord: the REST API and the gateway, on 127.0.0.1, for the real discord.py client.

It records every request, enforces Discord's documented limits with Discord-shaped 400s,
answers 401/403/404/429/5xx on demand, and injects gateway events (READY, GUILD_CREATE,
INTERACTION_CREATE, RECONNECT, INVALID_SESSION). Tests wait for events with ``until``;
nothing sleeps for a fixed time.

Sharding works as Discord documents it: ``/gateway/bot`` recommends ``recommended_shards``;
an IDENTIFY with ``shard: [id, count]`` opens a session that carries only the servers with
``(guild_id >> 22) % count == id`` (READY's guild list, GUILD_CREATE), and a server's
interactions arrive on the session of its shard (direct messages on shard 0). Each gateway
connection (a shard, or another process) has its own session and sequence numbers.

Message nonces work as Discord documents them (Create Message: ``nonce`` is an integer or a
string of at most 25 characters; with ``enforce_nonce``, "it will be checked for uniqueness in
the past few minutes. If another message was created by the same author with the same nonce,
that message will be returned and no new message will be created"). The window is
``nonce_window`` seconds on the fake's clock, which ``advance`` moves on.

Rate limits are on unless ``rate_limits=False``: 50 requests per second per bot token
(interaction callbacks and followups exempt), and Create Message in buckets of 5 per 5 s per
channel. Every response on a bucketed route carries ``X-RateLimit-Limit``, ``-Remaining``,
``-Reset``, ``-Reset-After`` and ``-Bucket``; a request over a limit gets the 429 Discord
sends (``retry_after`` and ``global`` in the body, ``Retry-After``, ``X-RateLimit-Scope``
and, for the global limit, ``X-RateLimit-Global``). ``rate_limited`` counts every 429
answered, by scope.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fake_discord import limits
from tests.fake_discord.payloads import (
    ADMIN,
    APP_ID,
    ATTACHMENT_SIZE_LIMIT,
    BOT_USER,
    EVERYONE_PERMISSIONS,
    FakeGuild,
    FakeUser,
    application_info,
    default_guilds,
    message,
)

API_PREFIX = "/api/v10"
CHANNEL = 7
ATTACHMENT = 11
EPHEMERAL = 1 << 6
# Callback types: 4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 9 modal.
ANSWERED = {4, 7, 8, 9}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float
    status: int = 0


@dataclass
class InjectedFailure:
    method: str | None
    path_pattern: str
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int
    after_effect: bool = False  # the request takes effect, then the answer is this error
    skip: int = 0  # matching requests let through before this one


@dataclass
class HeldRequest:
    """A request that took effect and waits for ``release`` before it is answered."""

    path_pattern: str
    skip: int = 0  # matching requests answered at once before this one
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    used: bool = False


@dataclass(frozen=True)
class SentNonce:
    at: float
    message: dict[str, Any]


@dataclass
class GatewaySession:
    """One IDENTIFYed gateway session: its shard (None: unsharded), id and sequence."""

    session_id: str
    shard: tuple[int, int] | None
    seq: int = 0

    def carries(self, guild_id: int | None) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (0 if guild_id is None else (guild_id >> 22) % count) == shard_id


@dataclass
class InteractionRecord:
    """One injected interaction and everything the bot sent back for it."""

    payload: dict[str, Any]
    sent_at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    callback_times: list[float] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def complete(self) -> bool:
        if not self.callbacks:
            return False
        if self.callbacks[0]["type"] in ANSWERED:
            return True
        return bool(self.followups or self.edits)

    @property
    def callback_type(self) -> int:
        return int(self.callbacks[0]["type"])

    @property
    def ack_delay(self) -> float:
        return self.callback_times[0] - self.sent_at

    @property
    def answer(self) -> dict[str, Any]:
        """The message the user ends up seeing: the reply, or the first followup or edit."""
        if self.callbacks and self.callbacks[0]["type"] in ANSWERED:
            return dict(self.callbacks[0].get("data") or {})
        return (self.followups or self.edits)[0]

    @property
    def ephemeral(self) -> bool:
        """As in Discord, a deferred reply is as private as the defer that announced it."""
        flags = int((self.callbacks[0].get("data") or {}).get("flags") or 0)
        return bool(flags & EPHEMERAL)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.answer.get("embeds") or [])

    @property
    def text(self) -> str:
        """Everything a person would read in the answer, for simple assertions."""
        parts = [self.answer.get("content") or ""]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(parts)

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list((self.callbacks[0].get("data") or {}).get("choices") or [])


Handler = Callable[[web.Request, RecordedRequest, dict[str, str]], Awaitable[web.Response]]


class FakeDiscord:
    """A local Discord for one test. ``async with FakeDiscord() as fake: ...``."""

    def __init__(
        self,
        *,
        token: str = "fake-token",
        guilds: list[FakeGuild] | None = None,
        ack_deadline: float = 3.0,
        token_lifetime: float = 15 * 60,
        nonce_window: float = 5 * 60,
        rate_limits: bool = True,
        global_per_second: int = limits.GLOBAL_PER_SECOND,
        message_bucket: limits.BucketRule = limits.MESSAGE_CREATE,
    ) -> None:
        self.token = token
        self.limiter = (
            limits.RateLimiter(global_per_second=global_per_second) if rate_limits else None
        )
        self.message_bucket = message_bucket
        self.rate_limited: Counter[str] = Counter()  # 429s answered, by X-RateLimit-Scope
        self.nonce_window = nonce_window
        self.guilds = guilds if guilds is not None else default_guilds()
        self.ack_deadline = ack_deadline
        self.token_lifetime = token_lifetime
        self.requests: list[RecordedRequest] = []
        self.unexpected: list[RecordedRequest] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.channel_messages: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.connections = 0
        self._failures: list[InjectedFailure] = []
        self._holds: list[HeldRequest] = []
        # Message nonces by (author, nonce), for enforce_nonce; and the channels closed since.
        self._nonces: dict[tuple[int, str], SentNonce] = {}
        self.deleted_channels: set[int] = set()
        self.forbidden_channels: set[int] = set()
        self._clock_offset = 0.0
        self._ids = itertools.count(1_100_000_000_000_000_000)
        # Files users attach to commands (served from /cdn/...), by attachment id.
        self.attachments: dict[int, tuple[str, bytes]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        # The session each open connection runs, and every session still resumable.
        self._socket_sessions: dict[web.WebSocketResponse, GatewaySession] = {}
        self._resumable: dict[str, GatewaySession] = {}
        self.recommended_shards = 1
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/users/@me"), self._me),
            ("GET", re.compile(r"/oauth2/applications/@me"), self._application),
            ("GET", re.compile(r"/gateway/bot"), self._gateway_bot),
            ("GET", re.compile(r"/gateway"), self._gateway_url),
            ("PUT", re.compile(r"/applications/(?P<app>\d+)/commands"), self._put_commands),
            ("GET", re.compile(r"/applications/(?P<app>\d+)/commands"), self._get_commands),
            (
                "PUT",
                re.compile(r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands"),
                self._put_commands,
            ),
            (
                "GET",
                re.compile(r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands"),
                self._get_commands,
            ),
            (
                "POST",
                re.compile(r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback"),
                self._callback,
            ),
            ("POST", re.compile(r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"), self._followup),
            (
                "*",
                re.compile(
                    r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)"
                ),
                self._webhook_message,
            ),
            ("POST", re.compile(r"/channels/(?P<channel>\d+)/messages"), self._channel_message),
        ]

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/attachments/{id}/{name}", self._attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- inspection ----------------------------------------------------------------------

    def requests_to(self, method: str, pattern: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    def command_puts(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "PUT" and r.path.endswith("/commands")]

    def all_outgoing_messages(self) -> list[dict[str, Any]]:
        """Every message body the bot sent: replies, followups, edits, channel messages."""
        bodies: list[dict[str, Any]] = []
        for record in self.interactions.values():
            bodies += [c["data"] for c in record.callbacks if c["type"] in {4, 7} and c.get("data")]
            bodies += record.followups + record.edits
        for sent in self.channel_messages.values():
            bodies += sent
        return bodies

    async def until(self, predicate: Callable[[], bool], *, within: float = 3.0) -> None:
        """Wait for ``predicate`` to hold, polling briefly; fail the test on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {within}s waiting for {predicate}")
            await asyncio.sleep(0.005)

    # -- error injection -----------------------------------------------------------------

    def fail_next(
        self,
        path_pattern: str,
        status: int,
        *,
        method: str | None = None,
        code: int = 0,
        message: str = "",
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """Answer the next ``times`` requests whose path matches ``path_pattern`` with an error
        (after letting ``skip`` of them through)."""
        if body is None:
            body = {"code": code, "message": message or f"{status}: error"}
        self._failures.append(
            InjectedFailure(method, path_pattern, status, body, headers or {}, times, skip=skip)
        )

    def fail_after_effect(
        self, path_pattern: str, status: int, *, method: str | None = None
    ) -> None:
        """Let the next matching request take effect (a message is created), then answer it
        with ``status``: the lost answer a retry with the same nonce must survive."""
        body = {"code": 0, "message": f"{status}: error"}
        self._failures.append(
            InjectedFailure(method, path_pattern, status, body, {}, 1, after_effect=True)
        )

    def hold_next(self, path_pattern: str, *, skip: int = 0) -> HeldRequest:
        """The next matching request (after ``skip`` of them) takes effect, then waits for
        ``release`` to be answered (a process can be killed between Discord's work and its
        answer)."""
        held = HeldRequest(path_pattern, skip)
        self._holds.append(held)
        return held

    def delete_channel(self, channel_id: int) -> None:
        """The channel is gone: sends answer 404 Unknown Channel (10003)."""
        self.deleted_channels.add(channel_id)

    def forbid_channel(self, channel_id: int) -> None:
        """The bot lost its permissions there: sends answer 403 Missing Permissions (50013)."""
        self.forbidden_channels.add(channel_id)

    def quicken_buckets(self, reset: float = 0.2) -> None:
        """Discord's bucket sizes with a shorter reset, for a test that posts days of digests
        in seconds (call it before the first message)."""
        self.message_bucket = limits.BucketRule(
            self.message_bucket.bucket, self.message_bucket.limit, reset
        )

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (for the nonce window)."""
        self._clock_offset += seconds

    def _now(self) -> float:
        return asyncio.get_running_loop().time() + self._clock_offset

    def messages_in(self, channel_id: int) -> list[dict[str, Any]]:
        """The messages the channel holds, in order (deduplicated nonces appear once)."""
        return list(self.channel_messages.get(channel_id, []))

    def rate_limit_next(
        self,
        path_pattern: str,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        via: bool = True,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """A 429 as Discord sends it; without ``via`` discord.py takes it for a Cloudflare ban."""
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        if via:
            headers["Via"] = "1.1 google"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        self.fail_next(path_pattern, 429, method=method, body=body, headers=headers, times=times)

    # -- gateway control -----------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self._dispatch(self._current_socket(), event, data)

    async def reconnect(self) -> None:
        """Op 7: the client should reconnect and RESUME."""
        await self._send(self._current_socket(), {"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Op 9: the client should IDENTIFY again (and get a second READY)."""
        socket = self._current_socket()
        if not resumable and socket in self._socket_sessions:
            self._resumable.pop(self._socket_sessions[socket].session_id, None)
        await self._send(socket, {"op": 9, "d": resumable, "s": None, "t": None})

    async def close_gateway(self, code: int) -> None:
        await self._current_socket().close(code=code)

    def _current_socket(self) -> web.WebSocketResponse:
        open_sockets = [s for s in self._sockets if not s.closed]
        if not open_sockets:
            raise AssertionError("the bot is not connected to the fake gateway")
        return open_sockets[-1]

    def _socket_for_guild(self, guild_id: int | None) -> web.WebSocketResponse:
        """The newest open session that carries ``guild_id`` (its shard's)."""
        for socket in reversed(self._sockets):
            session = self._socket_sessions.get(socket)
            if not socket.closed and session is not None and session.carries(guild_id):
                return socket
        raise AssertionError(f"no gateway session carries server {guild_id}")

    def sessions(self) -> list[GatewaySession]:
        """The sessions of the open gateway connections, oldest first."""
        return [
            self._socket_sessions[s]
            for s in self._sockets
            if not s.closed and s in self._socket_sessions
        ]

    # -- interactions --------------------------------------------------------------------

    def install_commands(
        self, commands: list[dict[str, Any]], *, guild_id: int | None = None
    ) -> None:
        """Register commands as a previous sync would have (no HTTP, no PUT recorded)."""
        self.commands[guild_id] = [self._registered(c, guild_id) for c in commands]

    def slash(
        self,
        command: str,
        *,
        guild_id: int | None = None,
        user: FakeUser = ADMIN,
        permissions: int | None = None,
        dm: bool = False,
        **options: Any,
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND interaction for ``command`` ("feeds add"), checked against
        the registered schema so tests never send what Discord itself would not."""
        return self._interaction(2, command, options, None, guild_id, user, permissions, dm)

    def autocomplete(
        self,
        command: str,
        focused: str,
        *,
        guild_id: int | None = None,
        user: FakeUser = ADMIN,
        permissions: int | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        return self._interaction(4, command, options, focused, guild_id, user, permissions, False)

    async def send_interaction(self, payload: dict[str, Any]) -> InteractionRecord:
        record = InteractionRecord(payload, asyncio.get_running_loop().time())
        self.interactions[record.id] = record
        guild_id = payload.get("guild_id")
        socket = self._socket_for_guild(int(guild_id) if guild_id is not None else None)
        await self._dispatch(socket, "INTERACTION_CREATE", payload)
        return record

    async def invoke(self, payload: dict[str, Any], *, within: float = 3.0) -> InteractionRecord:
        """Send an interaction and wait until the bot has answered it (reply or followup)."""
        record = await self.send_interaction(payload)
        await self.until(lambda: record.complete, within=within)
        return record

    def _interaction(
        self,
        kind: int,
        command: str,
        options: dict[str, Any],
        focused: str | None,
        guild_id: int | None,
        user: FakeUser,
        permissions: int | None,
        dm: bool,
    ) -> dict[str, Any]:
        guild = None if dm else self._guild(guild_id)
        names = command.split()
        schema = self._find_command(names[0], guild.id if guild else None)
        node = schema
        for name in names[1:]:
            node = next(
                (o for o in node.get("options") or [] if o["name"] == name and o["type"] in (1, 2)),
                None,
            ) or _fail(f"/{command}: no subcommand {name!r} in the registered schema")
        leaf = [
            self._option(command, node, name, value, name == focused)
            for name, value in options.items()
        ]
        if focused is not None and focused not in options:
            leaf.append(self._option(command, node, focused, "", True))
        if kind == 2:
            for option in node.get("options") or []:
                if option.get("required") and option["name"] not in options:
                    _fail(f"/{command}: Discord requires option {option['name']!r}")
        for name in reversed(names[1:]):
            kind_of = next(
                o["type"] for o in _options_on_path(schema, names[1:]) if o["name"] == name
            )
            leaf = [{"name": name, "type": kind_of, "options": leaf}]
        data: dict[str, Any] = {"id": schema["id"], "name": names[0], "type": 1, "options": leaf}
        resolved = {
            option["value"]: self._resolved_attachment(int(option["value"]))
            for option in _leaf_options(leaf)
            if option["type"] == ATTACHMENT and not option.get("focused")
        }
        channels = {
            option["value"]: self._resolved_channel(int(option["value"]), guild, user, permissions)
            for option in _leaf_options(leaf)
            if option["type"] == CHANNEL and not option.get("focused")
        }
        if resolved or channels:
            data["resolved"] = {
                **({"attachments": resolved} if resolved else {}),
                **({"channels": channels} if channels else {}),
            }
        if schema.get("guild_id"):
            data["guild_id"] = schema["guild_id"]
        interaction_id = next(self._ids)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"token-{interaction_id}",
            "version": 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "data": data,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": str(EVERYONE_PERMISSIONS),
        }
        if guild is None:
            channel_id = next(self._ids)
            payload |= {
                "context": 1,
                "channel_id": str(channel_id),
                "channel": {"id": str(channel_id), "type": 1, "recipients": [user.to_dict()]},
                "user": user.to_dict(),
                "authorizing_integration_owners": {"1": str(user.id)},
            }
            return payload
        member = next((m for m in guild.members if m.user.id == user.id), None)
        granted = (
            permissions
            if permissions is not None
            else (member.permissions if member else EVERYONE_PERMISSIONS)
        )
        payload |= {
            "context": 0,
            "guild_id": str(guild.id),
            "guild_locale": "en-US",
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(guild.channel_id),
            "channel": {
                "id": str(guild.channel_id),
                "type": 0,
                "guild_id": str(guild.id),
                "name": "news",
                "position": 0,
                "permissions": str(granted),
            },
            "member": {
                **(
                    member.to_dict()
                    if member
                    else {"user": user.to_dict(), "roles": [], "flags": 0}
                ),
                "permissions": str(granted),
            },
            "authorizing_integration_owners": {"0": str(guild.id)},
        }
        return payload

    def _option(
        self, command: str, node: dict[str, Any], name: str, value: Any, focused: bool
    ) -> dict[str, Any]:
        schema = next((o for o in node.get("options") or [] if o["name"] == name), None)
        if schema is None:
            _fail(f"/{command}: no option {name!r} in the registered schema")
        kind = int(schema["type"])
        option: dict[str, Any] = {"name": name, "type": kind, "value": value}
        if focused:
            if not schema.get("autocomplete"):
                _fail(f"/{command}: option {name!r} has no autocomplete")
            option["focused"] = True
            return option
        if kind == limits.STRING:
            if not isinstance(value, str):
                _fail(f"/{command}: {name} must be a string")
            if not schema.get("min_length", 0) <= len(value) <= schema.get("max_length", 6000):
                _fail(f"/{command}: Discord would not send {name} of length {len(value)}")
        elif kind == CHANNEL:
            if not isinstance(value, int):
                _fail(f"/{command}: {name} must be a channel id")
            option["value"] = str(value)
        elif kind == ATTACHMENT:
            filename, content = value
            attachment_id = next(self._ids)
            self.attachments[attachment_id] = (filename, content)
            option["value"] = str(attachment_id)
        elif kind in (limits.INTEGER, limits.NUMBER):
            if isinstance(value, bool) or not isinstance(value, int | float):
                _fail(f"/{command}: {name} must be a number")
            low, high = schema.get("min_value"), schema.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                _fail(f"/{command}: Discord would not send {name}={value}")
        return option

    def _resolved_channel(
        self, channel_id: int, guild: FakeGuild | None, user: FakeUser, permissions: int | None
    ) -> dict[str, Any]:
        """A channel option as Discord resolves it: the invoking member's permissions there."""
        if guild is None or channel_id not in guild.channel_ids:
            _fail(f"channel {channel_id} is not in the server the command runs in")
        names = {channel.id: channel.name for channel in guild.channels}
        member = next((m for m in guild.members if m.user.id == user.id), None)
        granted = permissions if permissions is not None else (member.permissions if member else 0)
        return {
            "id": str(channel_id),
            "name": names.get(channel_id, "news"),
            "type": 0,
            "guild_id": str(guild.id),
            "permissions": str(granted),
        }

    def _resolved_attachment(self, attachment_id: int) -> dict[str, Any]:
        filename, content = self.attachments[attachment_id]
        url = f"http://127.0.0.1:{self.port}/cdn/attachments/{attachment_id}/{filename}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": "application/octet-stream",
        }

    async def _attachment(self, request: web.Request) -> web.Response:
        _filename, content = self.attachments[int(request.match_info["id"])]
        return web.Response(body=content, content_type="application/octet-stream")

    def _guild(self, guild_id: int | None) -> FakeGuild:
        if guild_id is None:
            return self.guilds[0]
        return next(g for g in self.guilds if g.id == guild_id)

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        for scope in (guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        _fail(f"/{name} is not registered with the fake (install_commands or sync first)")

    def _registered(self, command: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        registered = {
            **command,
            "id": str(next(self._ids)),
            "application_id": str(APP_ID),
            "version": "1",
        }
        if guild_id is not None:
            registered["guild_id"] = str(guild_id)
        return registered

    # -- REST ----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        recorded = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            dict(request.headers),
            await _body(request),
            asyncio.get_running_loop().time(),
        )
        self.requests.append(recorded)
        admitted = self._admit(request.method, path)
        if isinstance(admitted, limits.RateLimited):
            response = _too_many_requests(admitted, self._wall_clock())
        else:
            response = await self._answer(request, recorded, path)
            if admitted is not None:
                response.headers.update(_bucket_headers(admitted, self._wall_clock()))
        recorded.status = response.status
        if response.status == 429:
            self.rate_limited[response.headers.get("X-RateLimit-Scope", "unknown")] += 1
        return response

    async def _answer(
        self, request: web.Request, recorded: RecordedRequest, path: str
    ) -> web.Response:
        """The answer of a request the rate limits let through: injected, or the route's."""
        failure = self._injected(request.method, path)
        if failure is not None and not failure.after_effect:
            return _json(failure.status, failure.body, failure.headers)
        response = await self._route(request, recorded, path)
        held = self._held(path)
        if held is not None:
            held.reached.set()
            await held.release.wait()
        if failure is not None:
            return _json(failure.status, failure.body, failure.headers)
        return response

    def _admit(self, method: str, path: str) -> limits.BucketState | limits.RateLimited | None:
        if self.limiter is None:
            return None
        return self.limiter.admit(
            now=self._now(),
            counts_globally=limits.under_global_limit(path),
            bucket=limits.route_bucket(method, path, self.message_bucket),
        )

    def _wall_clock(self) -> float:
        """Unix time on the fake's clock, for X-RateLimit-Reset."""
        return time.time() + self._clock_offset

    def _held(self, path: str) -> HeldRequest | None:
        for held in self._holds:
            if not held.used and re.search(held.path_pattern, path):
                if held.skip:
                    held.skip -= 1
                    continue
                held.used = True
                return held
        return None

    def _injected(self, method: str, path: str) -> InjectedFailure | None:
        for failure in self._failures:
            if (
                failure.remaining
                and (failure.method in (None, method))
                and re.search(failure.path_pattern, path)
            ):
                if failure.skip:
                    failure.skip -= 1
                    continue
                failure.remaining -= 1
                return failure
        return None

    async def _route(
        self, request: web.Request, recorded: RecordedRequest, path: str
    ) -> web.Response:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method in ("*", request.method):
                needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
                if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    return _json(401, {"code": 0, "message": "401: Unauthorized"})
                return await handler(request, recorded, match.groupdict())
        self.unexpected.append(recorded)
        return _json(404, {"code": 0, "message": "404: Not Found"})

    async def _me(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        return _json(200, BOT_USER.to_dict())

    async def _application(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        return _json(200, application_info())

    async def _gateway_bot(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        body = {"url": self.gateway_url, "shards": self.recommended_shards}
        return _json(200, body | {"session_start_limit": limit})

    async def _gateway_url(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        return _json(200, {"url": self.gateway_url})

    async def _put_commands(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        commands = recorded.body
        if not isinstance(commands, list):
            return _json(
                400,
                limits.invalid_form_body(
                    [limits.Problem((), "BASE_TYPE_ARRAY", "Must be an array.")]
                ),
            )
        problems = limits.command_list_problems(commands)
        if problems:
            return _json(400, limits.invalid_form_body(problems))
        guild_id = int(groups["guild"]) if groups.get("guild") else None
        self.install_commands(commands, guild_id=guild_id)
        return _json(200, self.commands[guild_id])

    async def _get_commands(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        guild_id = int(groups["guild"]) if groups.get("guild") else None
        return _json(200, self.commands.get(guild_id, []))

    async def _callback(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        record = self.interactions.get(int(groups["id"]))
        if record is None or record.token != groups["token"]:
            return _json(404, {"code": 10062, "message": "Unknown interaction"})
        if record.callbacks:
            return _json(
                400, {"code": 40060, "message": "Interaction has already been acknowledged."}
            )
        now = asyncio.get_running_loop().time()
        if now - record.sent_at > self.ack_deadline:
            return _json(404, {"code": 10062, "message": "Unknown interaction"})
        body = recorded.body if isinstance(recorded.body, dict) else {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        problems: list[limits.Problem] = []
        if kind in (4, 7):
            problems = [
                limits.Problem(("data", *p.path), p.code, p.message)
                for p in limits.message_problems(data)
            ]
        elif kind == 8:
            problems = limits.choice_problems(data.get("choices") or [])
        if problems:
            return _json(400, limits.invalid_form_body(problems))
        record.callbacks.append(body)
        record.callback_times.append(now)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.payload["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
            }
        }
        if kind in (4, 5):
            reply = message(next(self._ids), int(record.payload["channel_id"]), data)
            answer["interaction"]["response_message_id"] = reply["id"]
            answer["resource"] = {"type": kind, "message": reply}
        return _json(200, answer)

    def _record_by_token(self, token: str) -> InteractionRecord | None:
        return next((r for r in self.interactions.values() if r.token == token), None)

    def _webhook_refusal(self, record: InteractionRecord | None) -> web.Response | None:
        """Followups need an acknowledged interaction whose token is under 15 minutes old."""
        if record is None or not record.callbacks:
            return _json(404, {"code": 10015, "message": "Unknown Webhook"})
        if asyncio.get_running_loop().time() - record.sent_at > self.token_lifetime:
            return _json(401, {"code": 50027, "message": "Invalid Webhook Token"})
        return None

    async def _followup(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        record = self._record_by_token(groups["token"])
        refusal = self._webhook_refusal(record)
        if refusal is not None or record is None:
            return refusal or _json(404, {"code": 10015, "message": "Unknown Webhook"})
        body = recorded.body if isinstance(recorded.body, dict) else {}
        problems = limits.message_problems(body)
        if problems:
            return _json(400, limits.invalid_form_body(problems))
        record.followups.append(body)
        if request.query.get("wait") not in ("1", "true", "True"):
            return web.Response(status=204)
        return _json(200, message(next(self._ids), int(record.payload["channel_id"]), body))

    async def _webhook_message(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        record = self._record_by_token(groups["token"])
        refusal = self._webhook_refusal(record)
        if refusal is not None or record is None:
            return refusal or _json(404, {"code": 10015, "message": "Unknown Webhook"})
        channel_id = int(record.payload["channel_id"])
        if request.method == "DELETE":
            return web.Response(status=204)
        if request.method == "PATCH":
            body = recorded.body if isinstance(recorded.body, dict) else {}
            problems = limits.message_problems(body)
            if problems:
                return _json(400, limits.invalid_form_body(problems))
            record.edits.append(body)
            return _json(200, message(next(self._ids), channel_id, body))
        return _json(
            200, message(next(self._ids), channel_id, record.answer if record.complete else {})
        )

    async def _channel_message(
        self, request: web.Request, recorded: RecordedRequest, groups: dict[str, str]
    ) -> web.Response:
        channel_id = int(groups["channel"])
        known = {channel for guild in self.guilds for channel in guild.channel_ids}
        if channel_id not in known or channel_id in self.deleted_channels:
            return _json(404, {"code": 10003, "message": "Unknown Channel"})
        if channel_id in self.forbidden_channels:
            return _json(403, {"code": 50013, "message": "Missing Permissions"})
        body = recorded.body if isinstance(recorded.body, dict) else {}
        problems = limits.message_problems(body) + limits.nonce_problems(body)
        if problems:
            return _json(400, limits.invalid_form_body(problems))
        nonce = body.get("nonce")
        key = (BOT_USER.id, str(nonce))
        now = self._now()
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get(key)
            if earlier is not None and now - earlier.at <= self.nonce_window:
                return _json(200, earlier.message)  # the message already created, not a new one
        self.channel_messages.setdefault(channel_id, []).append(body)
        created = message(next(self._ids), channel_id, body)
        if nonce is not None:
            self._nonces[key] = SentNonce(now, created)
        return _json(200, created)

    # -- gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        self._sockets.append(socket)
        self.connections += 1
        try:
            await self._send(
                socket, {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}
            )
            async for frame in socket:
                if frame.type is WSMsgType.TEXT:
                    await self._on_gateway_message(socket, json.loads(frame.data))
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.remove(socket)
            self._socket_sessions.pop(socket, None)
        return socket

    async def _on_gateway_message(
        self, socket: web.WebSocketResponse, payload: dict[str, Any]
    ) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            self.heartbeats += 1
            await self._send(socket, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            self.identifies.append(data)
            if data.get("token") != self.token:
                await socket.close(code=4004, message=b"Authentication failed.")
                return
            shard = data.get("shard")
            session = GatewaySession(
                f"session-{len(self.identifies)}",
                (int(shard[0]), int(shard[1])) if shard else None,
            )
            if session.shard is not None and not 0 <= session.shard[0] < session.shard[1]:
                await socket.close(code=4010, message=b"Invalid shard.")
                return
            self._socket_sessions[socket] = self._resumable[session.session_id] = session
            guilds = [g for g in self.guilds if session.carries(g.id)]
            ready = {
                "v": 10,
                "user": BOT_USER.to_dict(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(APP_ID), "flags": 0},
            }
            if session.shard is not None:
                ready["shard"] = list(session.shard)
            await self._dispatch(socket, "READY", ready)
            for guild in guilds:
                await self._dispatch(socket, "GUILD_CREATE", guild.to_dict())
        elif op == 6:
            self.resumes.append(data)
            resumed = self._resumable.get(str(data.get("session_id")))
            if resumed is None:
                await self._send(socket, {"op": 9, "d": False, "s": None, "t": None})
                return
            self._socket_sessions[socket] = resumed
            await self._dispatch(socket, "RESUMED", {})

    async def _dispatch(
        self, socket: web.WebSocketResponse, event: str, data: dict[str, Any]
    ) -> None:
        session = self._socket_sessions.get(socket)
        if session is None:
            raise AssertionError("the gateway connection has not identified yet")
        session.seq += 1
        await self._send(socket, {"op": 0, "t": event, "s": session.seq, "d": data})

    async def _send(self, socket: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        await socket.send_str(json.dumps(payload))


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py parses nothing else (no "; charset=utf-8").
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _bucket_headers(state: limits.BucketState, wall_clock: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(state.rule.limit),
        "X-RateLimit-Remaining": str(state.remaining),
        "X-RateLimit-Reset": f"{wall_clock + state.reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{state.reset_after:.3f}",
        "X-RateLimit-Bucket": state.rule.bucket,
    }


def _too_many_requests(limited: limits.RateLimited, wall_clock: float) -> web.Response:
    """Discord's 429: ``Via`` set (else discord.py takes it for a Cloudflare ban)."""
    headers = {
        "Retry-After": str(math.ceil(limited.retry_after)),
        "X-RateLimit-Scope": limited.scope,
        "Via": "1.1 google",
    }
    if limited.scope == limits.GLOBAL:
        headers["X-RateLimit-Global"] = "true"
    if limited.bucket is not None:
        headers |= _bucket_headers(limited.bucket, wall_clock)
    body = {
        "message": "You are being rate limited.",
        "retry_after": math.ceil(limited.retry_after * 1000) / 1000,
        "global": limited.scope == limits.GLOBAL,
    }
    return _json(429, body, headers)


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        # Messages with files: the JSON part, plus the files under "_files" (name -> bytes).
        form = await request.post()
        raw = form.get("payload_json")
        body = json.loads(str(raw)) if raw is not None else {}
        files = {
            part.filename: part.file.read()
            for key, part in form.items()
            if key.startswith("files[") and isinstance(part, web.FileField)
        }
        if files:
            body["_files"] = files
        return body
    text = await request.text()
    return json.loads(text) if text else None


def _leaf_options(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The value options under any subcommand nesting."""
    found: list[dict[str, Any]] = []
    for option in options:
        if option["type"] in (1, 2):
            found += _leaf_options(option.get("options") or [])
        else:
            found.append(option)
    return found


def _options_on_path(schema: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """Every subcommand and group node along ``names`` (for rebuilding nested options)."""
    found: list[dict[str, Any]] = []
    node = schema
    for name in names:
        node = next(o for o in node.get("options") or [] if o["name"] == name)
        found.append(node)
    return found


def _fail(message: str) -> Any:
    raise AssertionError(message)
