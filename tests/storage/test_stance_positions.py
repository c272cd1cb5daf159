"""Stored stance positions on SQLite and PostgreSQL: queued with the claims that change them,
refreshed by drains (one drain per pair, never losing a change that races a refresh), and
``/stance`` answering from them exactly as weighing every claim afresh does."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.analysis import ItemAnalysis
from bot.domain.catalog import Catalog
from bot.domain.model import Attribution, StanceLabel
from bot.domain.positions import CompanyStance, LawStance, law_positions, positions, settle
from bot.domain.relevance import Relevance
from bot.domain.stance import StanceClaim as ExtractedClaim
from bot.storage.analyses import AnalysisStore
from bot.storage.position_queue import LeasedPair, Pair, PositionQueue
from bot.storage.positions import PositionStore
from bot.storage.schema import Item, StanceClaim
from tests.support.clock import NOW
from tests.support.feeds import add_feed

Claim = tuple[str, str, StanceLabel]  # company, target, stance
COMPANIES = ("meta", "openai", "google", "cohere")
FRESH_ONLY = {"google", "cohere"}  # their claims are all younger than two years
LAWS = ("eu-ai-act", "gdpr", "eu-gpai-code-of-practice", "eu-dsa", "california-sb-53")
ASKED_LAWS = ("eu-regulation", "eu-ai-act", "gdpr", "california-sb-53")
HOUR = timedelta(hours=1)


@pytest.fixture
def postgres_only(database_url: URL) -> None:
    if database_url.get_backend_name() != "postgresql":
        pytest.skip("row locks and SKIP LOCKED: PostgreSQL only (SQLite has one writer)")


async def _items(
    sessions: async_sessionmaker[AsyncSession], ages: Sequence[timedelta]
) -> list[int]:
    feed_id = await add_feed(sessions, f"https://n{len(ages)}.example/rss", now=NOW)
    async with sessions.begin() as session:
        first = len(list(await session.scalars(select(Item.id))))
        rows = [
            {
                "feed_id": feed_id,
                "key": f"k{first + number}",
                "url": f"https://news.example/{first + number}",
                "title": f"Story {(first + number) // 3}",
                "summary": "",
                "published_at": NOW - age,
                "fetched_at": NOW - age + HOUR,
                "content_hash": str(number),
                "revision": 0,
                "is_backlog": False,
                "story_key": f"s:{(first + number) // 3}" if number % 4 else None,
            }
            for number, age in enumerate(ages)
        ]
        await session.execute(insert(Item), rows)
        return sorted(await session.scalars(select(Item.id).where(Item.feed_id == feed_id)))


def _analysis(claims: Sequence[Claim], *, relevant: bool = True, seed: int = 0) -> ItemAnalysis:
    rng = random.Random(seed)
    extracted = tuple(
        ExtractedClaim(
            company_id=company,
            target_id=target,
            stance=stance,
            evidence=f"{company} on {target}: {stance} ({seed}.{index})",
            sentence_index=index,
            confidence=rng.choice((0.6, 0.8, 0.8)),
            attribution=rng.choice(list(Attribution)),
            cue="",
        )
        for index, (company, target, stance) in enumerate(claims)
    )
    return ItemAnalysis(Relevance(0.9 if relevant else 0.1, relevant, ()), (), extracted)


async def _save(
    sessions: async_sessionmaker[AsyncSession],
    item_id: int,
    claims: Sequence[Claim],
    *,
    relevant: bool = True,
) -> None:
    async with sessions.begin() as session:
        analysis = _analysis(claims, relevant=relevant, seed=item_id)
        await AnalysisStore(session).save(item_id, analysis, now=NOW, version="test")


async def _queued(sessions: async_sessionmaker[AsyncSession]) -> set[Pair]:
    async with sessions() as session:
        return await PositionQueue(session).pairs()


async def _stored(sessions: async_sessionmaker[AsyncSession]) -> set[Pair]:
    async with sessions() as session:
        return {position.pair for position in await PositionStore(session).settled()}


async def _lease(sessions: async_sessionmaker[AsyncSession], owner: str) -> list[LeasedPair]:
    async with sessions.begin() as session:
        return await PositionQueue(session).lease_batch(
            limit=100, owner=owner, now=NOW, until=NOW + HOUR
        )


async def _finish(
    sessions: async_sessionmaker[AsyncSession], leased: list[LeasedPair]
) -> set[Pair]:
    async with sessions.begin() as session:
        return await PositionQueue(session).finish(leased)


META_ACT = ("meta", "eu-ai-act")
OPENAI_GDPR = ("openai", "gdpr")


async def test_saved_claims_queue_the_pairs_they_replace_and_bring_and_a_refresh_stores_them(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first, second, third = await _items(sessions, [timedelta(days=d) for d in (3, 2, 1)])
    await _save(sessions, first, [(*META_ACT, StanceLabel.SUPPORT)])
    await _save(sessions, third, [("google", "gdpr", StanceLabel.OPPOSE)], relevant=False)
    assert await _queued(sessions) == {META_ACT}  # an irrelevant item's claims weigh nothing
    assert await app.analysis.refresh_positions(now=NOW) == 1
    assert (await _queued(sessions), await _stored(sessions)) == (set(), {META_ACT})

    await _save(sessions, first, [(*OPENAI_GDPR, StanceLabel.SUPPORT)])  # meta's claim goes
    await _save(sessions, second, [])
    assert await _queued(sessions) == {META_ACT, OPENAI_GDPR}
    assert await app.analysis.refresh_positions(now=NOW) == 2
    assert (await _queued(sessions), await _stored(sessions)) == (set(), {OPENAI_GDPR})

    async with sessions() as session:  # a transaction that does not commit queues nothing
        analysis = _analysis([(*META_ACT, StanceLabel.OPPOSE)])
        await AnalysisStore(session).save(second, analysis, now=NOW, version="test")
        assert await PositionQueue(session).pairs() == {META_ACT}
        await session.rollback()
    assert await _queued(sessions) == set()


async def test_a_drain_refreshes_the_positions_its_analyses_changed(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (item,) = await _items(sessions, [timedelta(days=1)])
    await _save(sessions, item, [(*META_ACT, StanceLabel.SUPPORT)])
    await app.analysis.drain(now=NOW)
    assert (await _queued(sessions), await _stored(sessions)) == (set(), {META_ACT})


async def test_a_change_after_a_pair_was_leased_keeps_it_queued_until_weighed_again(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (item,) = await _items(sessions, [timedelta(days=1)])
    await _save(sessions, item, [(*META_ACT, StanceLabel.SUPPORT)])
    leased = await _lease(sessions, "slow-drain")
    assert [pair[:2] for pair in leased] == [META_ACT]
    await _save(sessions, item, [(*META_ACT, StanceLabel.OPPOSE)])  # lands while weighing
    assert await _finish(sessions, leased) == set()  # so its (old) weighing is not stored
    assert await _queued(sessions) == {META_ACT}
    assert await app.analysis.refresh_positions(now=NOW) == 1  # the change freed the lease
    answer = await app.analysis.stance("meta", now=NOW)
    assert isinstance(answer, CompanyStance)
    assert [p.label for p in answer.positions] == [StanceLabel.OPPOSE]


async def test_leases_are_disjoint_and_lapse(sessions: async_sessionmaker[AsyncSession]) -> None:
    items = await _items(sessions, [timedelta(days=1)] * 2)
    await _save(sessions, items[0], [(*META_ACT, StanceLabel.SUPPORT)])
    await _save(sessions, items[1], [(*OPENAI_GDPR, StanceLabel.SUPPORT)])
    async with sessions.begin() as session:
        queue = PositionQueue(session)
        one = await queue.lease_batch(limit=1, owner="a", now=NOW, until=NOW + HOUR)
        other = await queue.lease_batch(limit=5, owner="b", now=NOW, until=NOW + HOUR)
        none = await queue.lease_batch(limit=5, owner="c", now=NOW, until=NOW + HOUR)
        later = NOW + 2 * HOUR
        lapsed = await queue.lease_batch(limit=5, owner="c", now=later, until=later + HOUR)
    assert [p[:2] for p in one] == [META_ACT]
    assert [p[:2] for p in other] == [OPENAI_GDPR]
    assert none == []
    assert sorted(p[:2] for p in lapsed) == [META_ACT, OPENAI_GDPR]


async def test_concurrent_leases_skip_the_pairs_another_drain_is_leasing(
    sessions: async_sessionmaker[AsyncSession], postgres_only: None
) -> None:
    items = await _items(sessions, [timedelta(days=1)] * 2)
    await _save(sessions, items[0], [(*META_ACT, StanceLabel.SUPPORT)])
    await _save(sessions, items[1], [(*OPENAI_GDPR, StanceLabel.SUPPORT)])
    async with sessions() as holding:
        first = await PositionQueue(holding).lease_batch(
            limit=1, owner="a", now=NOW, until=NOW + HOUR
        )  # not committed: the row stays locked
        second = await asyncio.wait_for(_lease(sessions, "b"), 5)
        await holding.commit()
    assert [p[:2] for p in first] == [META_ACT]
    assert [p[:2] for p in second] == [OPENAI_GDPR]


async def test_a_change_waiting_on_a_refresh_in_progress_queues_the_pair_again(
    app: Application, sessions: async_sessionmaker[AsyncSession], postgres_only: None
) -> None:
    (item,) = await _items(sessions, [timedelta(days=1)])
    await _save(sessions, item, [(*META_ACT, StanceLabel.SUPPORT)])
    leased = await _lease(sessions, "refresh")
    async with sessions() as refreshing:
        assert await PositionQueue(refreshing).finish(leased) == {META_ACT}
        change = asyncio.create_task(_save(sessions, item, [(*META_ACT, StanceLabel.OPPOSE)]))
        await asyncio.sleep(0.5)
        assert not change.done()  # it waits for the refresh's lock on the queued row
        await refreshing.commit()
    await asyncio.wait_for(change, 10)
    assert await _queued(sessions) == {META_ACT}


async def test_a_refresh_finishing_while_a_change_is_uncommitted_leaves_the_pair_queued(
    sessions: async_sessionmaker[AsyncSession], postgres_only: None
) -> None:
    (item,) = await _items(sessions, [timedelta(days=1)])
    await _save(sessions, item, [(*META_ACT, StanceLabel.SUPPORT)])
    leased = await _lease(sessions, "refresh")
    async with sessions() as changing:
        analysis = _analysis([(*META_ACT, StanceLabel.OPPOSE)])
        await AnalysisStore(changing).save(item, analysis, now=NOW, version="test")
        finishing = asyncio.create_task(_finish(sessions, leased))
        await asyncio.sleep(0.5)
        assert not finishing.done()  # it waits for the change's lock on the queued row
        await changing.commit()
    assert await asyncio.wait_for(finishing, 10) == set()
    assert await _queued(sessions) == {META_ACT}


async def test_concurrent_drains_refresh_each_pair_once_and_agree_with_weighing(
    sessions: async_sessionmaker[AsyncSession], postgres_only: None
) -> None:
    await random_archive(sessions, items=120, seed=3)
    pairs = await _queued(sessions)
    drains = [Application(sessions).analysis for _ in range(2)]
    refreshed = await asyncio.gather(*(d.refresh_positions(now=NOW, batch_size=2) for d in drains))
    assert sum(refreshed) == len(pairs)
    assert all(refreshed)
    assert await _queued(sessions) == set()
    await assert_answers_as_weighing_afresh(sessions, now=NOW)


async def random_archive(
    sessions: async_sessionmaker[AsyncSession], *, items: int, seed: int
) -> list[int]:
    """Items of the last two years (and for some companies five and more) with random claims,
    saved through ``AnalysisStore`` (so every pair is queued)."""
    rng = random.Random(seed)
    companies = [rng.choice(COMPANIES) for _ in range(items)]
    ages = [
        timedelta(days=rng.randint(0, 600) if c in FRESH_ONLY else rng.randint(0, 2000))
        for c in companies
    ]
    item_ids = await _items(sessions, ages)
    for item_id, company in zip(item_ids, companies, strict=True):
        await _save(sessions, item_id, _random_claims(rng, company))
    return item_ids


def _random_claims(rng: random.Random, company: str) -> list[Claim]:
    stances = list(StanceLabel)
    return [
        (company, rng.choice(LAWS), rng.choices(stances, weights=[4, 4, 1, 2])[0])
        for _ in range(rng.randint(0, 3))
    ]


async def assert_answers_as_weighing_afresh(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime
) -> None:
    """Every company, company on a law and law (with the laws below it) answers as weighing
    all its claims from the items does.

    Asked of a new facade: the claims cache keeps another process's facts for its ttl (the
    claims here are written around the facade), as it did before positions were stored.
    """
    analysis = Application(sessions).analysis
    catalog: Catalog = analysis.catalog
    async with sessions() as session:
        plain = AnalysisStore(session)
        for company in COMPANIES:
            answer = await analysis.stance(company, now=now)
            assert isinstance(answer, CompanyStance)
            assert answer.positions == positions(await plain.claims(company_id=company), now=now)
            for law in LAWS:
                narrowed = await analysis.stance(company, now=now, target=law)
                claims = await plain.claims(company_id=company, target_ids=[law])
                assert isinstance(narrowed, CompanyStance)
                assert narrowed.positions == positions(claims, now=now)
        for law in ASKED_LAWS:
            children = catalog.descendants(law)
            answer = await analysis.stance(law, now=now)
            claims = await plain.claims(target_ids=[law, *children])
            assert isinstance(answer, LawStance)
            assert answer.positions == law_positions(law, claims, now=now, children=children)


async def test_stance_answers_as_weighing_afresh_queued_refreshed_fading_and_replaced(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rng = random.Random(5)
    item_ids = await random_archive(sessions, items=240, seed=5)
    await assert_answers_as_weighing_afresh(sessions, now=NOW)  # all queued

    assert await app.analysis.refresh_positions(now=NOW) == len(await _stored(sessions))
    async with sessions() as session:
        settled = await PositionStore(session).settled()
    assert all(p.holds_at(NOW) for p in settled)  # weighed today: they hold all day
    tomorrow = NOW + timedelta(days=1)
    holding = [p for p in settled if p.holds_at(tomorrow)]
    assert holding
    assert len(holding) < len(settled)
    assert {p.company_id for p in holding} >= FRESH_ONLY
    await assert_answers_as_weighing_afresh(sessions, now=NOW)
    await assert_answers_as_weighing_afresh(sessions, now=tomorrow)  # the fading ones live
    later = NOW + timedelta(days=200)  # more pairs fade
    assert sum(p.holds_at(later) for p in settled) < len(holding)
    await assert_answers_as_weighing_afresh(sessions, now=later)
    # The first drain of a new day weighs the fading pairs again, and only them.
    assert await app.analysis.refresh_positions(now=tomorrow) == len(settled) - len(holding)
    async with sessions() as session:
        assert all(p.holds_at(tomorrow) for p in await PositionStore(session).settled())
    assert await app.analysis.refresh_positions(now=tomorrow) == 0
    await assert_answers_as_weighing_afresh(sessions, now=tomorrow)

    for item_id in rng.sample(item_ids, 30):  # changed since: queued, not yet refreshed
        await _save(sessions, item_id, _random_claims(rng, rng.choice(COMPANIES)))
    assert await _queued(sessions)
    await assert_answers_as_weighing_afresh(sessions, now=NOW)

    await app.analysis.refresh_positions(now=NOW)
    async with sessions.begin() as session:  # another process replaced a shown claim
        settled = [p for p in await PositionStore(session).settled() if p.holds_at(NOW)]
        shown = [p.shown_claim_ids[0] for p in settled[:3]]
        await session.execute(delete(StanceClaim).where(StanceClaim.id.in_(shown)))
    await assert_answers_as_weighing_afresh(sessions, now=NOW)


async def test_a_stored_position_keeps_its_score_exactly_even_a_negative_zero(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (item,) = await _items(sessions, [timedelta(days=1)])
    await _save(sessions, item, [(*META_ACT, StanceLabel.MIXED)])
    async with sessions() as session:
        (weighed,) = settle(await AnalysisStore(session).claim_facts(), now=NOW)
    for score in (-0.0, 0.1 + 0.2, -1 / 3):
        async with sessions.begin() as session:
            await PositionStore(session).replace({META_ACT}, [replace(weighed, score=score)])
        async with sessions() as session:
            (stored,) = await PositionStore(session).settled()
        assert f"{stored.score!r}" == f"{score!r}"  # -0.0 renders as "score -0.00"
