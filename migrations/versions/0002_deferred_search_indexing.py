"""SQLite search: new items are queued for indexing instead of indexed inside the insert

Tokenising an article for FTS5 costs several times more than storing it, and it ran inside
the poll's write transaction. Now an insert only queues the item's id in
``items_fts_pending``; ``bot.storage.search.index_pending`` indexes the queue in short
transactions after each poll cycle. Updates and deletes touch the FTS index only for items
already indexed (an external-content FTS5 table must be told exactly what it holds).
PostgreSQL is unchanged: its GIN index is maintained by the server. A later batch ("move and
copy") alteration of ``items`` on SQLite drops these triggers: recreate them as written here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = ("items_fts_insert", "items_fts_delete", "items_fts_update")

_QUEUED = (
    "CREATE TABLE items_fts_pending (item_id INTEGER PRIMARY KEY)",
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts_pending(item_id) VALUES (new.id); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, summary) "
    "SELECT 'delete', old.id, old.title, old.summary "
    "WHERE NOT EXISTS (SELECT 1 FROM items_fts_pending WHERE item_id = old.id); "
    "DELETE FROM items_fts_pending WHERE item_id = old.id; END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items "
    "WHEN NOT EXISTS (SELECT 1 FROM items_fts_pending WHERE item_id = old.id) BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, summary) "
    "VALUES ('delete', old.id, old.title, old.summary); "
    "INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary); END",
)

# 0001's triggers: every change indexed at once.
_IMMEDIATE = (
    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
    "INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary); END",
    "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, summary) "
    "VALUES ('delete', old.id, old.title, old.summary); END",
    "CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN "
    "INSERT INTO items_fts(items_fts, rowid, title, summary) "
    "VALUES ('delete', old.id, old.title, old.summary); "
    "INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in _QUEUED:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(  # index what is still queued, so 0001's triggers find everything indexed
        "INSERT INTO items_fts(rowid, title, summary) SELECT items.id, items.title, "
        "items.summary FROM items JOIN items_fts_pending ON items_fts_pending.item_id = items.id"
    )
    for trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE items_fts_pending")
    for statement in _IMMEDIATE:
        op.execute(statement)
