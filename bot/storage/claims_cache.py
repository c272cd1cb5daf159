"""The claims behind ``/stance`` answers, kept between answers until analysis changes them.

A common name (Meta, the AI Act) has thousands of stored claims; reading them and building
their records is most of an answer's time (``bench/stance.py``: ~70 ms cold, a few ms warm at
100,000 items). Claims change only when analysis stores new ones: the facade clears the cache
after every analysis it runs, and an entry also expires after ``ttl`` so a ``policybot
reanalyse`` run by another process shows up within that time. ``since`` is applied here, on
the cached, date-ordered list, so every period shares one entry.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.positions import ClaimRecord
from bot.storage.analyses import AnalysisStore

ClaimsKey = tuple[str | None, tuple[str, ...] | None]


@dataclass(frozen=True, slots=True)
class _Entry:
    claims: tuple[ClaimRecord, ...]  # ordered by report date, as the store returns them
    read_at: float  # time.monotonic()


class ClaimsCache:
    def __init__(self, *, ttl_seconds: float = 60.0, size: int = 32) -> None:
        self._ttl = ttl_seconds
        self._size = size
        self._entries: OrderedDict[ClaimsKey, _Entry] = OrderedDict()

    def clear(self) -> None:
        """Forget everything: analysis has just stored or replaced claims."""
        self._entries.clear()

    async def claims(
        self,
        store: AnalysisStore,
        *,
        company_id: str | None = None,
        target_ids: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> Sequence[ClaimRecord]:
        """What ``store.claims`` would return, read from the database at most once per ttl."""
        key: ClaimsKey = (company_id, tuple(target_ids) if target_ids is not None else None)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is None or now - entry.read_at > self._ttl:
            read = await store.claims(company_id=company_id, target_ids=target_ids)
            entry = _Entry(tuple(read), now)
            self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        if since is None:
            return entry.claims
        return entry.claims[bisect_left(entry.claims, since, key=_reported_at) :]


def _reported_at(claim: ClaimRecord) -> datetime:
    return claim.reported_at
