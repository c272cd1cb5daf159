"""The instance list's digest candidates, read once for the runs due around the same time.

Every server follows the instance list (most follow it alone), so the runs of a busy minute
would each read the same hundreds of items, with their mentions and claims, and the same claim
history; a server's own feeds outside the list are read by its runs alone. A
``CandidateSnapshot`` is one such read, kept for at most ``FRESH_FOR`` and only while no item
has been analysed since (the store's analysis watermark; an item analysed again, by
``policybot reanalyse``, waits out the minute); each run takes from it the items
fetched after its own ``since`` and not in its own ledger, so it composes what its own read
would have found. An item fetched within the snapshot's minute but after it is not lost: the
run is recorded as of its own ``now``, and the next run's window reaches a day further back
than that, while the item is still out of the ledger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.digest.compose import Candidate
from bot.domain.positions import ClaimFact
from bot.storage.analyses import AnalysisStore
from bot.storage.digests import DigestStore

FRESH_FOR = timedelta(minutes=1)
# Read this much further back than the run that takes the snapshot asked: yesterday's runs
# of one minute finished minutes apart, so today's windows start minutes apart too.
REACH = timedelta(hours=1)


@dataclass
class CandidateSnapshot:
    """The instance list's candidates fetched in (``since``, ``as_of``]."""

    since: datetime
    as_of: datetime
    watermark: tuple[int, int]
    candidates: tuple[Candidate, ...]
    # Per company: the laws read for it so far, and its stored claims on them.
    _facts: dict[str, tuple[frozenset[str], list[ClaimFact]]] = field(default_factory=dict)

    def covers(
        self,
        *,
        since: datetime,
        now: datetime,
        watermark: tuple[int, int],
        fresh_for: timedelta,
    ) -> bool:
        return (
            self.watermark == watermark
            and self.since <= since
            and self.as_of <= now <= self.as_of + fresh_for
        )

    def of_run(self, *, since: datetime, ledgered: Collection[int]) -> list[Candidate]:
        """A run's candidates: fetched after its ``since``, not in its ledger; oldest first."""
        return [c for c in self.candidates if c.fetched_at > since and c.item_id not in ledgered]

    async def claim_facts(
        self, session: AsyncSession, company_id: str, target_ids: Sequence[str]
    ) -> list[ClaimFact]:
        """The company's stored claims on ``target_ids``, read once per snapshot (again only
        for a law the snapshot's candidates did not pair it with, from a server's own feed)."""
        wanted = frozenset(target_ids)
        read, facts = self._facts.get(company_id, (frozenset(), []))
        if not wanted <= read:
            read = (
                wanted
                | read
                | {
                    claim.target_id
                    for item in self.candidates
                    for claim in item.claims
                    if claim.company_id == company_id
                }
            )
            facts = await AnalysisStore(session).claim_facts(
                company_id=company_id, target_ids=sorted(read)
            )
            self._facts[company_id] = (read, facts)
        return [fact for fact in facts if fact.target_id in wanted]


class SharedCandidates:
    """The latest snapshot; a run that it does not cover reads a new one (one at a time)."""

    def __init__(self, *, fresh_for: timedelta = FRESH_FOR) -> None:
        self._fresh_for = fresh_for
        self._lock = asyncio.Lock()
        self._snapshot: CandidateSnapshot | None = None

    async def snapshot(
        self, session: AsyncSession, *, since: datetime, now: datetime
    ) -> CandidateSnapshot:
        store = DigestStore(session)
        watermark = await store.analysis_watermark()
        found = self._snapshot
        if found is not None and found.covers(
            since=since, now=now, watermark=watermark, fresh_for=self._fresh_for
        ):
            return found
        async with self._lock:  # one read; the runs waiting on it take it
            found = self._snapshot
            if found is None or not found.covers(
                since=since, now=now, watermark=watermark, fresh_for=self._fresh_for
            ):
                start = since - REACH
                candidates = await store.candidates(
                    since=start, until=now, guild_id=None, subscription_id=None
                )
                found = CandidateSnapshot(start, now, watermark, tuple(candidates))
                self._snapshot = found
            return found
