"""Whether this process may write its SQLite file, asked before SQLite is: its own answer,
"unable to open database file", names neither the cause nor the fix. The usual cause is a
bind-mounted folder owned by another user than the container's (uid 10001)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL

from bot.errors import StorageError


def check_sqlite_writable(url: URL) -> None:
    """Raise ``StorageError`` in one line when the database file or its folder is not
    writable for this user; a no-op for PostgreSQL and in-memory databases."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):
        return
    path = Path(database).expanduser().absolute()
    try:
        if path.exists():
            with path.open("ab"):
                pass
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            probe = path.with_name(f".{path.name}.write-test")
            probe.touch()
            probe.unlink()
    except OSError as exc:
        who = f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"
        raise StorageError(
            f"cannot write the database {path} ({(exc.strerror or str(exc)).lower()}, running "
            f"as {who}): make {path.parent} writable for that user (for a bind mount: "
            f"chown -R {who.removeprefix('uid ')} {path.parent}) or set POLICYBOT_DATABASE_URL"
        ) from exc
