"""The claims cache behind /stance: read once, same answers as the store, never stale in-process."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.model import Attribution, FeedKind, FeedSource, StanceLabel
from bot.domain.positions import ClaimFact, ClaimText, CompanyStance
from bot.errors import StorageError
from bot.storage.claims_cache import ClaimsCache
from bot.storage.schema import Feed, Item
from tests.support.clock import NOW


def claim(days_ago: int, item_id: int) -> ClaimFact:
    return ClaimFact(
        claim_id=item_id,
        company_id="meta",
        target_id="eu-ai-act",
        stance=StanceLabel.OPPOSE,
        confidence=0.8,
        attribution=Attribution.STATED,
        item_id=item_id,
        story_key=f"s{item_id}",
        reported_at=NOW - timedelta(days=days_ago),
    )


class CountingStore:
    """Stands in for AnalysisStore: date-ordered claim facts, and how often it was asked."""

    def __init__(self, claims: list[ClaimFact]) -> None:
        self._claims = claims
        self.reads: list[dict[str, Any]] = []

    async def claim_facts(self, **query: Any) -> list[ClaimFact]:
        self.reads.append(query)
        return list(self._claims)


async def cached(
    cache: ClaimsCache, store: CountingStore, since: datetime | None = None
) -> Sequence[ClaimFact]:
    return await cache.claims(store, company_id="meta", since=since)  # type: ignore[arg-type]


async def test_one_read_serves_every_period_with_the_stores_date_rule() -> None:
    store = CountingStore([claim(400, 1), claim(30, 2), claim(3, 3)])
    cache = ClaimsCache()

    everything = await cached(cache, store)
    month = await cached(cache, store, since=NOW - timedelta(days=30))
    week = await cached(cache, store, since=NOW - timedelta(days=7))

    assert [c.item_id for c in everything] == [1, 2, 3]
    assert [c.item_id for c in month] == [2, 3]  # "since" is inclusive, as in SQL ">="
    assert [c.item_id for c in week] == [3]
    assert store.reads == [{"company_id": "meta", "target_ids": None}]


async def test_cleared_or_expired_entries_are_read_again() -> None:
    store = CountingStore([claim(3, 1)])
    cache = ClaimsCache()
    await cached(cache, store)
    cache.clear()
    await cached(cache, store)
    expiring = ClaimsCache(ttl_seconds=0)
    await cached(expiring, store)
    await cached(expiring, store)

    assert len(store.reads) == 4


async def test_a_name_asked_before_analysis_is_answered_afresh_after_it(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await app.feeds.sync((FeedSource("https://n.example/rss", "N", (), FeedKind.NEWS),), now=NOW)
    async with sessions.begin() as session:
        feed_id = await session.scalar(select(Feed.id))
        assert feed_id is not None
        item = Item(
            feed_id=feed_id,
            key="k",
            url="https://one.example/meta",
            title="Meta attacks EU AI rules",
            summary="Joel Kaplan said the AI Act rules were an overreach.",
            published_at=NOW - timedelta(days=1),
            fetched_at=NOW,
            content_hash="h",
            revision=0,
            is_backlog=False,
        )
        session.add(item)
        await session.flush()
        item_id = item.id

    before = await app.analysis.stance("meta", now=NOW)
    await app.analysis.analyse_items([item_id], now=NOW)
    after = await app.analysis.stance("meta", now=NOW)

    assert isinstance(before, CompanyStance)
    assert before.positions == ()
    assert isinstance(after, CompanyStance)
    assert [p.target_id for p in after.positions] == ["eu-ai-act"]


class ReplacedClaimsStore(CountingStore):
    """Cached facts name claim 1, which another process has since replaced with claim 2."""

    async def claim_texts(self, claim_ids: Collection[int]) -> dict[int, ClaimText]:
        return {i: ClaimText(f"quote {i}", None, "") for i in claim_ids if i == 2}


async def test_facts_naming_replaced_claims_are_read_afresh() -> None:
    store = ReplacedClaimsStore([claim(3, 1)])
    cache = ClaimsCache()
    await cached(cache, store)  # cached before the other process reanalysed
    store._claims = [claim(3, 2)]

    (position,) = await cache.positions(store, now=NOW, company_id="meta")  # type: ignore[arg-type]

    assert position.latest.evidence == "quote 2"
    assert len(store.reads) == 2


async def test_claims_replaced_again_while_answering_give_a_clear_error() -> None:
    store = ReplacedClaimsStore([claim(3, 1)])

    with pytest.raises(StorageError, match="ask again"):
        await ClaimsCache().positions(store, now=NOW, company_id="meta")  # type: ignore[arg-type]
