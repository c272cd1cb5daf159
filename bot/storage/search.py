"""Full-text search over items: FTS5 on SQLite, a tsvector expression index on PostgreSQL.

On SQLite, new items wait in ``items_fts_pending`` until ``index_pending`` indexes them (after
each poll cycle): tokenising is the costliest part of storing an article, and it no longer
runs inside the poll's write transaction. PostgreSQL maintains its index itself.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, TextClause

from bot.storage.schema import Item

_ITEMS_FTS = table("items_fts", column("rowid"))
_WORD = re.compile(r"\w+", re.UNICODE)
# Must match the expression of ix_items_search in the migrations, or PostgreSQL ignores the index.
_POSTGRES_DOCUMENT = "to_tsvector('english', items.title || ' ' || items.summary)"


INDEX_BATCH = 2_000


async def index_pending(session: AsyncSession, *, limit: int = INDEX_BATCH) -> int:
    """Index up to ``limit`` queued items (oldest first); how many were indexed.

    The caller commits. A batch is small enough for a short write transaction, so the bot's
    other writers (a poll cycle, an admin adding a feed) wait at most for one batch.
    """
    if session.get_bind().dialect.name != "sqlite":
        return 0
    last = await session.scalar(
        text(
            "SELECT max(item_id) FROM (SELECT item_id FROM items_fts_pending "
            "ORDER BY item_id LIMIT :limit)"
        ).bindparams(limit=limit)
    )
    if last is None:
        return 0
    await session.execute(
        text(
            "INSERT INTO items_fts(rowid, title, summary) SELECT items.id, items.title, "
            "items.summary FROM items JOIN items_fts_pending ON items_fts_pending.item_id = "
            "items.id WHERE items_fts_pending.item_id <= :last"
        ).bindparams(last=last)
    )
    deleted = await session.execute(
        text("DELETE FROM items_fts_pending WHERE item_id <= :last").bindparams(last=last)
    )
    return int(getattr(deleted, "rowcount", 0))


def search_terms(query: str) -> list[str]:
    """The words of a user's query; operators and punctuation carry no meaning here."""
    return _WORD.findall(query)


def _fts5_match(terms: list[str]) -> TextClause:
    """``items_fts MATCH`` every word, each quoted so FTS5 syntax in user input
    (AND, NEAR, "*", ...) is taken literally."""
    match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return text("items_fts MATCH :match").bindparams(match=match)


def _postgres_match(terms: list[str]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The indexed document expression and the query it is matched against."""
    return literal_column(_POSTGRES_DOCUMENT), func.plainto_tsquery("english", " ".join(terms))


async def search_items(
    session: AsyncSession, query: str, *, limit: int = 10, offset: int = 0
) -> list[Item]:
    """Items matching every word of ``query``, best match first (newest first on ties)."""
    terms = search_terms(query)
    if not terms:
        return []
    statement: Select[Item]
    if session.get_bind().dialect.name == "sqlite":
        statement = (
            select(Item)
            .join(_ITEMS_FTS, _ITEMS_FTS.c.rowid == Item.id)
            .where(_fts5_match(terms))
            .order_by(text("bm25(items_fts)"), Item.published_at.desc())
        )
    else:
        document, tsquery = _postgres_match(terms)
        statement = (
            select(Item)
            .where(document.op("@@")(tsquery))
            .order_by(func.ts_rank(document, tsquery).desc(), Item.published_at.desc())
        )
    result = await session.scalars(statement.limit(limit).offset(offset))
    return list(result)


def search_condition(dialect_name: str, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause for items matching every word of ``query``; None when it has no words.

    For listings that filter by words but order by something else than rank (``/latest``).
    """
    terms = search_terms(query)
    if not terms:
        return None
    if dialect_name == "sqlite":
        matching_ids: Select[tuple[Any]] = (
            select(_ITEMS_FTS.c.rowid).select_from(_ITEMS_FTS).where(_fts5_match(terms))
        )
        return Item.id.in_(matching_ids)
    document, tsquery = _postgres_match(terms)
    matches: ColumnElement[bool] = document.op("@@")(tsquery)
    return matches
