"""feeds: why the last fetch failed is kept typed (kind, HTTP status, reason), not as text

Until 0003 the poller stored ``"<kind>: <reason>"`` in ``last_error`` (``"http_404: HTTP 404
Not Found"``) and readers split it apart again. Now the kind and the HTTP status have their
own columns and ``last_error`` holds the reason alone. Upgrading splits the stored strings
(a parse timeout is told from a fetch timeout by its reason, "parsing took over ..."); a
string with no known kind keeps its text and gets no kind. Downgrading joins them again.
Only ``feeds`` is altered, so the FTS triggers on ``items`` (0001, 0002) are untouched.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the kinds as of this revision (bot.domain.feed_errors.FeedErrorKind).
_KINDS = (
    "blocked",
    "timeout",
    "connection",
    "redirects",
    "too_large",
    "http",
    "bad_url",
    "empty",
    "entities",
    "not_a_feed",
    "parse_timeout",
    "crashed",
)
_PARSE_TIMEOUT_REASON = "parsing took over"

_feeds = sa.table(
    "feeds",
    sa.column("id", sa.Integer()),
    sa.column("last_error", sa.Text()),
    sa.column("last_error_kind", sa.String(16)),
    sa.column("last_error_status", sa.Integer()),
)


def split_error(stored: str) -> tuple[str | None, int | None, str]:
    """``"http_404: HTTP 404 Not Found"`` -> ``("http", 404, "HTTP 404 Not Found")``."""
    label, separator, reason = stored.partition(": ")
    if not separator:
        return None, None, stored
    if label.startswith("http_") and label[5:].isdigit():
        return "http", int(label[5:]), reason
    if label == "timeout" and reason.startswith(_PARSE_TIMEOUT_REASON):
        return "parse_timeout", None, reason
    if label in _KINDS:
        return label, None, reason
    return None, None, stored


def join_error(kind: str | None, status: int | None, reason: str) -> str:
    """The reverse of ``split_error``: the text 0003's readers expect."""
    if kind is None:
        return reason
    if kind == "http" and status is not None:
        return f"http_{status}: {reason}"
    if kind == "parse_timeout":
        return f"timeout: {reason}"
    return f"{kind}: {reason}"


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_error_kind",
                sa.Enum(*_KINDS, name="feederrorkind", native_enum=False, length=16),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("last_error_status", sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_feeds.c.id, _feeds.c.last_error).where(_feeds.c.last_error.is_not(None))
    ).all()
    for feed_id, stored in rows:
        kind, status, reason = split_error(stored)
        bind.execute(
            _feeds.update()
            .where(_feeds.c.id == feed_id)
            .values(last_error_kind=kind, last_error_status=status, last_error=reason)
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _feeds.c.id,
            _feeds.c.last_error_kind,
            _feeds.c.last_error_status,
            _feeds.c.last_error,
        ).where(_feeds.c.last_error.is_not(None))
    ).all()
    for feed_id, kind, status, reason in rows:
        bind.execute(
            _feeds.update()
            .where(_feeds.c.id == feed_id)
            .values(last_error=join_error(kind, status, reason))
        )
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("last_error_status")
        batch_op.drop_column("last_error_kind")
