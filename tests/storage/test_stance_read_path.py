"""/stance's fast path (facts from a covering index, a few texts) answers as the plain path does.

On SQLite and PostgreSQL: a generated archive stored through ``AnalysisStore.save`` (which
copies each item's verdict, story and date onto its claims), then every name, target and
period answered both ways.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.analysis import ItemAnalysis
from bot.domain.model import Attribution, FeedKind, FeedSource, StanceLabel
from bot.domain.positions import CompanyStance, LawStance, law_positions, positions
from bot.domain.relevance import Relevance
from bot.domain.stance import StanceClaim as ExtractedClaim
from bot.storage.analyses import AnalysisStore
from bot.storage.schema import Feed, Item, StanceClaim
from tests.support.clock import NOW

COMPANIES = ("meta", "openai", "google")
LAWS = ("eu-ai-act", "gdpr", "california-sb-53")
PERIODS = (None, NOW - timedelta(days=30), NOW - timedelta(days=800))


async def generated_archive(
    app: Application, sessions: async_sessionmaker[AsyncSession], *, items: int = 240
) -> None:
    rng = random.Random(11)
    await app.feeds.sync((FeedSource("https://n.example/rss", "N", (), FeedKind.NEWS),), now=NOW)
    async with sessions.begin() as session:
        feed_id = await session.scalar(select(Feed.id))
        rows = []
        for number in range(items):
            published = NOW - timedelta(
                days=rng.choice((rng.randint(0, 60), rng.randint(60, 2000)))
            )
            rows.append(
                {
                    "feed_id": feed_id,
                    "key": f"k{number}",
                    "url": f"https://news{number % 7}.example/{number}",
                    "title": f"Story {number // 3}",
                    "summary": "",
                    "published_at": published if number % 5 else None,  # undated: fetched_at
                    "fetched_at": published + timedelta(hours=2),
                    "content_hash": str(number),
                    "revision": 0,
                    "is_backlog": False,
                    # Three outlets per story, or no story yet ("item:<id>").
                    "story_key": f"s:{number // 3}" if number % 4 else None,
                }
            )
        await session.execute(insert(Item), rows)
        item_ids = list(await session.scalars(select(Item.id).order_by(Item.id)))
        store = AnalysisStore(session)
        for item_id in item_ids:
            relevant = rng.random() < 0.85
            claims = tuple(
                ExtractedClaim(
                    company_id=rng.choice(COMPANIES),
                    target_id=rng.choice(LAWS),
                    stance=rng.choices(list(StanceLabel), weights=[4, 4, 1, 2])[0],
                    evidence=f"claim {item_id}.{index}",
                    sentence_index=index,
                    confidence=rng.choice((0.6, 0.8, 0.8)),
                    attribution=rng.choice(list(Attribution)),
                    cue="",
                )
                for index in range(rng.randint(0, 3))
            )
            analysis = ItemAnalysis(Relevance(0.9 if relevant else 0.1, relevant, ()), (), claims)
            await store.save(item_id, analysis, now=NOW, version="test")


async def test_every_name_target_and_period_answers_as_the_plain_path(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await generated_archive(app, sessions)
    async with sessions() as session:
        plain = AnalysisStore(session)
        for since in PERIODS:
            for company in COMPANIES:
                answer = await app.analysis.stance(company, now=NOW, since=since)
                claims = await plain.claims(company_id=company, since=since)
                assert isinstance(answer, CompanyStance)
                assert answer.positions == positions(claims, now=NOW)
                for law in LAWS:
                    narrowed = await app.analysis.stance(company, now=NOW, target=law, since=since)
                    claims = await plain.claims(company_id=company, target_ids=[law], since=since)
                    assert isinstance(narrowed, CompanyStance)
                    assert narrowed.positions == positions(claims, now=NOW)
            for law in LAWS:
                answer = await app.analysis.stance(law, now=NOW, since=since)
                claims = await plain.claims(target_ids=[law], since=since)
                assert isinstance(answer, LawStance)
                assert answer.positions == law_positions(law, claims, now=NOW)
    everything = await app.analysis.stance("meta", now=NOW)
    assert isinstance(everything, CompanyStance)
    assert sum(p.reports for p in everything.positions) > 40  # a real archive, not an empty one


async def test_claims_carry_their_items_verdict_story_and_date(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await generated_archive(app, sessions, items=40)
    async with sessions() as session:
        rows = (
            await session.execute(
                select(StanceClaim, Item).join(Item, Item.id == StanceClaim.item_id)
            )
        ).all()
    assert rows
    for claim, item in rows:
        assert claim.story_key == (item.story_key or f"item:{item.id}")
        assert claim.reported_at == (item.published_at or item.fetched_at)
        assert claim.reported_at.tzinfo is not None
