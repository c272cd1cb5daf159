"""ItemStore: a feed's entries into ``items``: batch insert-or-ignore, update in place.

Which stored item an entry is, is its key's; for entries that share a base key (a reused guid)
or are not stored under their own key yet, the pure ``bot.domain.entries.match_stored``
decides by content among the feed's items with that base. New keys go in with one
``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` per feed (SQLite and PostgreSQL share the
syntax), so a retried or concurrent cycle never duplicates a row.
Changed entries are updated in place and their revision counted; an item stops being
updated after ``revision_cap`` changes, so a feed that rewrites every entry on every fetch
cannot churn forever. New and changed items are queued for analysis in the same transaction
(``bot.storage.analysis_queue``). Receives a session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Insert, Table, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.entries import KeyedEntry, StoredIdentity, match_stored, needs_matching
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.schema import Item

REVISION_CAP = 24
_MAX_URL = 2048
_KEY_BATCH = 500
_ITEM_KEY = ["feed_id", "key"]  # the unique key a duplicate insert is ignored on


class _Stored(NamedTuple):
    id: int
    content_hash: str
    revision: int
    url: str | None


@dataclass(frozen=True, slots=True)
class ItemSaveResult:
    new_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]


class ItemStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self,
        feed_id: int,
        entries: Sequence[KeyedEntry],
        *,
        now: datetime,
        backlog: bool,
        revision_cap: int = REVISION_CAP,
        expect_new: bool = False,
    ) -> ItemSaveResult:
        """Insert unseen keys, update changed ones; return the ids of both.

        ``expect_new`` (a feed's first fetch, when normally nothing is stored yet) inserts
        first and looks up only the keys that were already there: one statement, not two,
        once a cheap look shows the feed has no items. The outcome is the same either way.
        """
        if not entries:
            return ItemSaveResult((), ())
        if expect_new and not await self._has_items(feed_id):
            inserted = await self._insert(feed_id, entries, now=now, backlog=backlog)
            rest = [entry.key for entry in entries if entry.key not in inserted]
            known = await self._known(feed_id, rest) if rest else {}
        else:
            entries, known = await self._identify(feed_id, entries)
            fresh = [entry for entry in entries if entry.key not in known]
            inserted = await self._insert(feed_id, fresh, now=now, backlog=backlog)
        new_ids = tuple(sorted(inserted.values()))
        changes: list[dict[str, Any]] = []
        for keyed in entries:
            row = known.get(keyed.key)
            if row is None:
                continue
            item_id, old_hash, revision, _ = row
            if old_hash == keyed.content_hash or revision >= revision_cap:
                continue
            entry = keyed.entry
            changes.append(
                {
                    "id": item_id,
                    "url": _url(entry.link),
                    "title": entry.title,
                    "summary": entry.summary,
                    "author": entry.author,
                    "updated_at": entry.updated_at or now,
                    "content_hash": keyed.content_hash,
                    "revision": revision + 1,
                }
            )
        if changes:
            await self._session.execute(update(Item), changes)
        updated_ids = tuple(change["id"] for change in changes)
        await AnalysisQueue(self._session).add(new_ids + updated_ids)
        return ItemSaveResult(new_ids, updated_ids)

    async def _identify(
        self, feed_id: int, entries: Sequence[KeyedEntry]
    ) -> tuple[Sequence[KeyedEntry], dict[str, _Stored]]:
        """The entries keyed as the stored items they are, and those items by key.

        One look-up by key (the entries' keys, and the bases of shared ones) answers a usual
        poll; only when an entry is new, changed or shares its base are the feed's
        disambiguated items read too, and the keys matched by content.
        """
        shared = [entry.base for entry in entries if entry.shares_base]
        known = await self._known(feed_id, list(dict.fromkeys([e.key for e in entries] + shared)))
        if not needs_matching(entries, _identities(known)):
            return entries, known
        known.update(await self._disambiguated(feed_id))
        return match_stored(tuple(entries), _identities(known).values()), known

    async def _has_items(self, feed_id: int) -> bool:
        first = await self._session.scalar(select(Item.id).where(Item.feed_id == feed_id).limit(1))
        return first is not None

    async def _known(self, feed_id: int, keys: list[str]) -> dict[str, _Stored]:
        known: dict[str, _Stored] = {}
        for start in range(0, len(keys), _KEY_BATCH):
            rows = await self._session.execute(
                select(*_STORED).where(
                    Item.feed_id == feed_id, Item.key.in_(keys[start : start + _KEY_BATCH])
                )
            )
            for key, item_id, content_hash, revision, url in rows:
                known[key] = _Stored(item_id, content_hash, revision, url)
        return known

    async def _disambiguated(self, feed_id: int) -> dict[str, _Stored]:
        """The feed's items whose key may carry a disambiguation (``base|digest``)."""
        rows = await self._session.execute(
            select(*_STORED).where(Item.feed_id == feed_id, Item.key.contains("|"))
        )
        return {
            key: _Stored(item_id, content_hash, revision, url)
            for key, item_id, content_hash, revision, url in rows
        }

    async def _insert(
        self, feed_id: int, entries: Sequence[KeyedEntry], *, now: datetime, backlog: bool
    ) -> dict[str, int]:
        """Insert-or-ignore; the keys actually inserted, with their new ids."""
        if not entries:
            return {}
        rows = [
            {
                "feed_id": feed_id,
                "key": keyed.key,
                "url": _url(keyed.entry.link),
                "title": keyed.entry.title,
                "summary": keyed.entry.summary,
                "author": keyed.entry.author,
                "published_at": keyed.entry.date,  # published, else updated (Atom)
                "updated_at": keyed.entry.updated_at,
                "fetched_at": now,
                "content_hash": keyed.content_hash,
                "revision": 0,
                "is_backlog": backlog,
            }
            for keyed in entries
        ]
        # A Core insert on the table (not the ORM bulk path): one executemany, ids returned.
        table = cast(Table, Item.__table__)
        ignoring: Insert
        if self._session.get_bind().dialect.name == "postgresql":
            # Imported here: the PostgreSQL dialect costs SQLite installs 50 ms at start-up.
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            ignoring = postgresql_insert(table).on_conflict_do_nothing(index_elements=_ITEM_KEY)
        else:
            ignoring = sqlite_insert(table).on_conflict_do_nothing(index_elements=_ITEM_KEY)
        statement = ignoring.returning(table.c.key, table.c.id)
        result = await self._session.execute(statement, rows)
        return {key: item_id for key, item_id in result}


_STORED = (Item.key, Item.id, Item.content_hash, Item.revision, Item.url)


def _identities(known: dict[str, _Stored]) -> dict[str, StoredIdentity]:
    return {key: StoredIdentity(key, row.content_hash, row.url) for key, row in known.items()}


def _url(link: str | None) -> str | None:
    return link if link and len(link) <= _MAX_URL else None
