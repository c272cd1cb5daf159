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
    │                        for a reason outside the code (locked, disk full, connection lost)
    ├── FetchError           a feed could not be fetched; carries the URL, a kind and the status
    ├── ParseError           a fetched body is not a feed we accept; carries the URL and a kind
    ├── OpmlError            an OPML file cannot be read
    └── ChatError            Discord refused us for good (bad token, command list rejected)
"""

from __future__ import annotations


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


class FetchError(PolicybotError):
    """A feed could not be fetched.

    ``kind`` says why, for counting and for admins: ``blocked`` (SSRF guard), ``timeout``,
    ``connection``, ``redirects`` (loop or too many), ``too_large``, ``http`` (see ``status``),
    ``bad_url``. ``retry_after`` is the raw header of a 429/503, if any.
    """

    def __init__(
        self,
        url: str,
        kind: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        self.url = url
        self.kind = kind
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{url}: {kind}: {reason}")


class ParseError(PolicybotError):
    """A body was fetched but is not a feed we accept.

    ``kind`` is ``empty``, ``entities`` (the document declares XML entities), ``not_a_feed``,
    ``timeout`` (the parser worker ran too long) or ``crashed`` (the worker died).
    """

    def __init__(self, url: str, kind: str, reason: str) -> None:
        self.url = url
        self.kind = kind
        self.reason = reason
        super().__init__(f"{url}: {kind}: {reason}")

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str, str]]:
        # Raised in parser worker processes: must unpickle, or the whole pool breaks.
        return (type(self), (self.url, self.kind, self.reason))


class OpmlError(PolicybotError):
    """An OPML document is unreadable or holds no feed outlines."""


class ChatError(PolicybotError):
    """Discord refused the bot in a way retrying cannot fix; the message tells the operator why."""
