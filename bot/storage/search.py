"""Full-text search over items: FTS5 on SQLite, a tsvector expression index on PostgreSQL.

On SQLite, new items wait in ``items_fts_pending`` until ``index_pending`` indexes them (after
each poll cycle): tokenising is the costliest part of storing an article, and it no longer
runs inside the poll's write transaction. PostgreSQL maintains its index itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, TextClause

from bot.domain.search_query import SearchQuery, SearchTerm, parse_search
from bot.storage.schema import Item

_ITEMS_FTS = table("items_fts", column("rowid"))
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


def fts5_expression(query: SearchQuery) -> str:
    """The query in FTS5's syntax; every word is quoted, so no user text is FTS5 syntax."""

    def term(t: SearchTerm) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    def any_of(terms: tuple[SearchTerm, ...]) -> str:
        return term(terms[0]) if len(terms) == 1 else "(" + " OR ".join(map(term, terms)) + ")"

    positive = " AND ".join(any_of(group) for group in query.groups)
    if not query.excluded:
        return positive
    return f"({positive}) NOT {any_of(query.excluded)}"


def tsquery_expression(query: SearchQuery) -> str:
    """The query in ``to_tsquery`` syntax: words quoted as lexemes, phrases joined by ``<->``,
    a prefix as ``:*``; ``to_tsquery('english', ...)`` then stems them like the documents."""

    def term(t: SearchTerm) -> str:
        lexemes = [f"'{word}'" for word in t.words]
        if t.prefix:
            lexemes[-1] += ":*"
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"

    def any_of(terms: tuple[SearchTerm, ...]) -> str:
        return term(terms[0]) if len(terms) == 1 else "(" + " | ".join(map(term, terms)) + ")"

    expression = " & ".join(any_of(group) for group in query.groups)
    if query.excluded:
        expression += f" & !{any_of(query.excluded)}"
    return expression


def _fts5_match(query: SearchQuery) -> TextClause:
    return text("items_fts MATCH :match").bindparams(match=fts5_expression(query))


def _postgres_match(query: SearchQuery) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The indexed document expression and the query it is matched against."""
    tsquery = func.to_tsquery("english", tsquery_expression(query))
    return literal_column(_POSTGRES_DOCUMENT), tsquery


async def search_items(
    session: AsyncSession, query: str, *, limit: int = 10, offset: int = 0
) -> list[Item]:
    """Items matching ``query`` (``bot.domain.search_query``'s syntax), best match first
    (newest first on ties); none for a query without words."""
    terms = parse_search(query)
    if terms is None:
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
    """A WHERE clause for items matching ``query``; None when it has no words.

    For listings that filter by words but order by something else than rank (``/latest``).
    """
    terms = parse_search(query)
    if terms is None:
        return None
    if dialect_name == "sqlite":
        matching_ids: Select[tuple[Any]] = (
            select(_ITEMS_FTS.c.rowid).select_from(_ITEMS_FTS).where(_fts5_match(terms))
        )
        return Item.id.in_(matching_ids)
    document, tsquery = _postgres_match(terms)
    matches: ColumnElement[bool] = document.op("@@")(tsquery)
    return matches
