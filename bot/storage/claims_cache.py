"""``/stance``'s read path: claim facts kept between answers, weighed off the event loop.

A common name (Meta, the AI Act) has thousands of stored claims. Reading them whole (quotes,
links, titles from the items) and weighing them on the event loop took ~40 ms at the median
and over 100 ms at p95 right after an analysis run (``bench/stance.py``, 100,000 items).
Now an answer reads only light facts from a covering index (``AnalysisStore.claim_facts``),
weighs them in a worker thread (the gateway keeps its heartbeat), and fetches text only for
the handful of claims the answer shows (``AnalysisStore.claim_texts``).

Why not the other designs (measured on the same archive): the light columns alone, still
joined to the items, cost ~25 ms in SQLite before any Python (the items are wide rows read
at random); grouping by story in SQL only turns ~6,000 rows into ~4,200 and needs the
date arithmetic of the recency weight in two SQL dialects; precomputed per-month summaries
cannot give the same scores, counts and evidence (the strongest claim of a story, and so
its date, depends on ``now`` and ``since``). Copies of three immutable item columns on the
claims keep the answers exact.

Facts change only when analysis stores new claims: the facade clears the cache after every
analysis it runs, and entries also expire after ``ttl`` so a ``policybot reanalyse`` run by
another process shows up within that time. ``since`` is applied here, on the cached,
date-ordered facts, so every period shares one entry. Weighing itself is never cached: it
depends on ``now``.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.positions import (
    ClaimFact,
    ClaimText,
    Position,
    shown_claim_ids,
    weigh,
    with_texts,
)
from bot.errors import StorageError

ClaimsKey = tuple[str | None, tuple[str, ...] | None]
TEXTS_KEPT = 5_000  # claim texts kept between answers (a few per position shown)


class ClaimSource(Protocol):
    """What the cache reads from (``AnalysisStore``)."""

    async def claim_facts(
        self, *, company_id: str | None = None, target_ids: Sequence[str] | None = None
    ) -> Sequence[ClaimFact]: ...

    async def claim_texts(self, claim_ids: Collection[int]) -> dict[int, ClaimText]: ...


@dataclass(frozen=True, slots=True)
class _Entry:
    facts: tuple[ClaimFact, ...]  # ordered by report date, as the store returns them
    read_at: float  # time.monotonic()


class ClaimsCache:
    def __init__(self, *, ttl_seconds: float = 60.0, size: int = 32) -> None:
        self._ttl = ttl_seconds
        self._size = size
        self._entries: OrderedDict[ClaimsKey, _Entry] = OrderedDict()
        self._texts: dict[int, ClaimText] = {}
        self._texts_read_at = time.monotonic()

    def clear(self) -> None:
        """Forget everything: analysis has just stored or replaced claims."""
        self._entries.clear()
        self._texts.clear()

    async def positions(
        self,
        store: ClaimSource,
        *,
        now: datetime,
        company_id: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> tuple[Position, ...]:
        """What ``positions(store.claims(...))`` gives, from facts and a few texts.

        Cached facts may name claims another process has since replaced: then the cache is
        cleared and the answer read afresh, once.
        """
        for _ in range(2):
            facts = await self.claims(
                store, company_id=company_id, target_ids=target_ids, since=since
            )
            weighed = await asyncio.to_thread(weigh, facts, now=now)
            shown = shown_claim_ids(weighed)
            texts = await self._texts_of(store, shown)
            if len(texts) == len(shown):
                return with_texts(weighed, texts)
            self.clear()
        raise StorageError("stance claims were replaced while being read; ask again")

    async def claims(
        self,
        store: ClaimSource,
        *,
        company_id: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> Sequence[ClaimFact]:
        """What ``store.claim_facts`` would return, read from the database at most once per ttl."""
        key: ClaimsKey = (company_id, tuple(target_ids) if target_ids is not None else None)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is None or now - entry.read_at > self._ttl:
            read = await store.claim_facts(company_id=company_id, target_ids=target_ids)
            entry = _Entry(tuple(read), now)
            self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        if since is None:
            return entry.facts
        return entry.facts[bisect_left(entry.facts, since, key=_reported_at) :]

    async def _texts_of(self, store: ClaimSource, claim_ids: set[int]) -> dict[int, ClaimText]:
        now = time.monotonic()
        if now - self._texts_read_at > self._ttl or len(self._texts) > TEXTS_KEPT:
            self._texts.clear()  # another process may have replaced claims (ids are reused)
            self._texts_read_at = now
        missing = claim_ids - self._texts.keys()
        if missing:
            self._texts.update(await store.claim_texts(missing))
        return {i: self._texts[i] for i in claim_ids if i in self._texts}


def _reported_at(fact: ClaimFact) -> datetime:
    return fact.reported_at
