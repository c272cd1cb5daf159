"""Claim facts kept between ``/stance`` answers, weighed off the event loop.

Answers without ``since`` read stored positions (``bot.storage.positions``) and take from here
only the facts of the pairs they weigh live (queued, or with a claim old enough to fade);
answers with ``since`` are weighed from here entirely.

An answer reads light facts from a covering index (``AnalysisStore.claim_facts``), weighs
them in a worker thread, and fetches text only for the claims it shows
(``AnalysisStore.claim_texts``); ``docs/design-notes.md`` gives the measurements and the
designs this beat. Facts change only when analysis stores claims: the facade clears the
cache after each analysis, and entries expire after ``ttl`` so another process's changes
show too. ``since`` is applied to the cached facts, so every period shares one entry;
weighing is never cached, since it depends on ``now``.
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
            texts = await self.texts(store, shown)
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

    async def texts(self, store: ClaimSource, claim_ids: set[int]) -> dict[int, ClaimText]:
        """What ``store.claim_texts`` would return, the texts read before kept for ttl."""
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
