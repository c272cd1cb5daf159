"""The policybot exception tree.

Expected failures from the outside world are translated into these at the edge
(``raise FeedsFileError(...) from exc``); bugs are left to crash loudly.

    PolicybotError
    ├── ConfigError          settings that cannot run (bad URL, bad timezone, ...)
    ├── FeedsFileError       feeds.yaml unreadable or invalid; carries the entry and the field
    └── StorageError         the database cannot be opened or migrated
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
    """The database could not be reached, created or migrated."""
