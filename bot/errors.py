"""The policybot exception tree.

Expected failures from the outside world are translated into these at the edge
(``raise FeedsFileError(...) from exc``); bugs are left to crash loudly.

The database's edge is the engine: ``bot.storage.engine.make_engine`` registers SQLAlchemy's
``handle_error`` and ``do_connect`` events, which raise ``StorageError`` (from the driver's
exception) for failures outside the code: a refused or lost connection, a locked or busy
SQLite file, a full disk, a server shutting down, a serialization failure. Apart from
migrations (``bot.storage.migrate`` wraps Alembic, which builds its own engine), nothing catches
``SQLAlchemyError``: the service's loops catch ``PolicybotError`` only, and a bug (bad
SQL, a missing table, a constraint violated, an ORM misuse) stays SQLAlchemy's exception and
crashes loudly instead of being retried as if the database were down.

    PolicybotError
    ├── ConfigError          settings that cannot run (bad URL, bad timezone, ...)
    ├── FeedsFileError       feeds.yaml unreadable or invalid; carries the entry and the field
    ├── StorageError         the database cannot be opened, migrated or reached, or failed
    │   │                    for a reason outside the code (locked, disk full, connection lost)
    │   └── DatabaseUnavailableError   a statement failed and nothing stored was lost:
    │       ├── DatabaseBusyError      another program holds the lock (bot.storage.retry waits)
    │       └── DatabaseFullError      the disk is full
    ├── FeedError            a feed failed; carries the URL, a FeedErrorKind, the reason, the status
    │   ├── FetchError       it could not be fetched (adds a 429/503's Retry-After)
    │   └── ParseError       the fetched body is not a feed we accept
    ├── OpmlError            an OPML file cannot be read
    ├── ChatError            Discord refused us for good (bad token, command list rejected)
    └── DeliveryError        Discord did not take a digest's message; carries the channel,
        │                    the status and Discord's code (a 400: the message as built)
        ├── ChannelRefused   403 or 404: the channel is gone or closed to the bot
        └── DeliveryFailed   it may pass: a 5xx, a 429 beyond the client's retries, a timeout
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind


class PolicybotError(Exception):
    """Base class of every error policybot raises on purpose."""


class ConfigError(PolicybotError):
    """The settings cannot be used; the message is one line meant for the operator."""


class FeedsFileError(PolicybotError):
    """feeds.yaml is invalid; nothing from it was loaded.

    ``entry`` is the 1-based position of the offending feed (None for file-level errors) and
    ``field`` the key that is wrong, so ``str()`` reads like
    ``feeds.yaml: entry 7 (url): not an http(s) URL``.
    """

    def __init__(
        self, path: str, reason: str, *, entry: int | None = None, field: str | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.entry = entry
        self.field = field
        where = path
        if entry is not None:
            where += f": entry {entry}"
            if field is not None:
                where += f" ({field})"
        super().__init__(f"{where}: {reason}")


class StorageError(PolicybotError):
    """The database could not be reached, created or migrated, or an operation failed for a
    reason outside the code; the driver's exception is the ``__cause__``."""


class DatabaseUnavailableError(StorageError):
    """A statement failed because of the database's surroundings, not the data: the
    transaction it was part of is rolled back, so nothing already stored is lost.

    ``problem`` says what is wrong in words, ``detail`` is the driver's own first line;
    ``str()`` is one line for the operator, ending in what to do.
    """

    advice = "try again later"

    def __init__(self, problem: str, detail: str, waited: float | None = None) -> None:
        self.problem = problem
        self.detail = detail
        self.waited = waited
        for_how_long = f" for {waited:g} s" if waited is not None else ""
        super().__init__(
            f"{problem}{for_how_long} ({detail}); nothing stored was lost: {self.advice}"
        )

    def __reduce__(self) -> tuple[type[DatabaseUnavailableError], tuple[str, str, float | None]]:
        return (type(self), (self.problem, self.detail, self.waited))


class DatabaseBusyError(DatabaseUnavailableError):
    """Another connection holds the lock a write needs (SQLite ``database is locked``), or
    PostgreSQL refused a lock or a serialization; retrying the transaction can succeed."""

    advice = "try again once the other program is done with the database"


class DatabaseFullError(DatabaseUnavailableError):
    """The disk holding the database (or the database server's) has no room left."""

    advice = "free some space and run again"


class FeedError(PolicybotError):
    """A feed could not be fetched or read: ``kind`` says why (``bot.domain.feed_errors``).

    ``reason`` is the technical detail and ``status`` the HTTP status when there is one
    (``kind=HTTP, status=404``). ``info`` is the same error as a domain value, which is what
    the poller decides on and stores. Picklable: parse errors cross the worker processes.
    """

    def __init__(
        self, url: str, kind: FeedErrorKind, reason: str, *, status: int | None = None
    ) -> None:
        super().__init__(url, kind, reason)
        self.url = url
        self.kind = kind
        self.reason = reason
        self.status = status

    @property
    def info(self) -> FeedErrorInfo:
        return FeedErrorInfo(self.kind, self.reason, self.status)

    def __str__(self) -> str:
        return f"{self.url}: {self.info.detail}"

    def __reduce__(self) -> tuple[type[FeedError], tuple[str, FeedErrorKind, str], dict[str, Any]]:
        # Keyword arguments (status, retry_after) travel as the instance's state: without
        # this, unpickling in the parent process fails and the whole pool breaks.
        return (type(self), (self.url, self.kind, self.reason), dict(self.__dict__))


class FetchError(FeedError):
    """A feed could not be fetched.

    Kinds: blocked (SSRF guard), timeout, connection, redirects (loop or too many), too_large,
    http (see ``status``), bad_url. ``retry_after`` is the raw header of a 429/503, if any.
    """

    def __init__(
        self,
        url: str,
        kind: FeedErrorKind,
        reason: str,
        *,
        status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(url, kind, reason, status=status)
        self.retry_after = retry_after


class ParseError(FeedError):
    """A body was fetched but is not a feed we accept.

    Kinds: empty, entities (the document declares XML entities), not_a_feed, parse_timeout
    (the parser worker ran too long), crashed (the worker died).
    """


class OpmlError(PolicybotError):
    """An OPML document is unreadable or holds no feed outlines."""


class ChatError(PolicybotError):
    """Discord refused the bot in a way retrying cannot fix; the message tells the operator why."""


class DeliveryError(PolicybotError):
    """Discord did not accept a message for ``channel_id``; ``status`` and ``code`` are
    Discord's HTTP status and JSON error code where there was an answer."""

    def __init__(
        self,
        channel_id: int,
        reason: str,
        *,
        status: int | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(f"channel {channel_id}: {reason}")
        self.channel_id = channel_id
        self.reason = reason
        self.status = status
        self.code = code


class ChannelRefused(DeliveryError):
    """The channel is gone (404) or the bot may no longer post there (403)."""


class DeliveryFailed(DeliveryError):
    """A failure that may pass (5xx, rate limit, timeout, connection): retry later."""


def raise_if_cancelled() -> None:
    """Honour a cancel that clean-up turned into another error, before carrying on.

    A task cancelled mid-query can end in the rollback's error (a ``StorageError``: the
    connection was interrupted) instead of ``CancelledError``; a loop that then carries on as
    after an ordinary failure would never stop. Call it in ``except`` blocks that continue.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
