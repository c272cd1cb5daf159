"""Analysis stored and read back through the facade, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.model import Attribution, FeedKind, FeedSource, StanceLabel
from bot.domain.position_summary import law_row_name
from bot.domain.positions import CompanyStance, LawStance, UnknownName
from bot.storage.schema import Feed, Item, ItemAnalysis, Mention, StanceClaim
from tests.support.clock import NOW

# (url, title, text, days ago); written for this test.
ARTICLES = [
    (
        "https://one.example/meta-code",
        "Meta refuses to sign the EU AI code of practice",
        "Meta refused to sign the GPAI code of practice on Friday. "
        "Joel Kaplan said the rules were an overreach.",
        3,
    ),
    (
        "https://two.example/copy?utm_source=rss",
        "Meta refuses to sign the EU's AI code of practice",
        "Meta refused to sign the GPAI code of practice, the company said on Friday.",
        3,
    ),
    (
        "https://three.example/anthropic",
        "Anthropic backs SB 53",
        "Anthropic endorsed SB 53, the California bill on frontier AI models.",
        20,
    ),
    (
        "https://four.example/meta-sb53",
        "Meta and SB 53",
        "Meta criticised SB 53 as a burden on AI developers in California.",
        10,
    ),
    ("https://five.example/earnings", "Quarterly earnings", "Revenue rose on cloud demand.", 1),
]


@pytest.fixture
async def item_ids(app: Application, sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    await app.feeds.sync((FeedSource("https://n.example/rss", "N", (), FeedKind.NEWS),), now=NOW)
    ids = []
    async with sessions.begin() as session:
        feed_id = await session.scalar(select(Feed.id))
        assert feed_id is not None
        for number, (url, title, text, days) in enumerate(ARTICLES):
            item = Item(
                feed_id=feed_id,
                key=f"k{number}",
                url=url,
                title=title,
                summary=text,
                published_at=NOW - timedelta(days=days),
                fetched_at=NOW,
                content_hash=str(number),
                revision=0,
                is_backlog=False,
            )
            session.add(item)
            await session.flush()
            ids.append(item.id)
    return ids


async def _count(sessions: async_sessionmaker[AsyncSession], table: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_analysis_is_stored_and_replaced(
    app: Application, sessions: async_sessionmaker[AsyncSession], item_ids: list[int]
) -> None:
    run = await app.analysis.analyse_items(item_ids, now=NOW)
    assert (run.analysed, run.relevant) == (5, 4)
    claims = await _count(sessions, StanceClaim)
    mentions = await _count(sessions, Mention)
    assert claims >= 4
    again = await app.analysis.analyse_items(item_ids, now=NOW + timedelta(hours=1))
    assert again == run
    assert await _count(sessions, StanceClaim) == claims
    assert await _count(sessions, Mention) == mentions
    async with sessions() as session:
        earnings = await session.get(ItemAnalysis, item_ids[-1])
        assert earnings is not None
        assert not earnings.is_relevant
        assert earnings.analysed_at == NOW + timedelta(hours=1)
        keys = list(await session.scalars(select(Item.story_key).order_by(Item.id)))
    assert keys[0] == keys[1]  # the syndicated copy joins the first report's story
    assert len(set(keys)) == 4


async def test_company_positions_law_by_law(app: Application, item_ids: list[int]) -> None:
    await app.analysis.analyse_items(item_ids, now=NOW)
    answer = await app.analysis.stance("Meta Platforms", now=NOW)
    assert isinstance(answer, CompanyStance)
    by_target = {p.target_id: p for p in answer.positions}
    code = by_target["eu-gpai-code-of-practice"]
    assert code.label is StanceLabel.OPPOSE
    assert code.reports == 1  # two outlets, one story
    assert code.latest.url is not None
    assert code.latest.reported_at == NOW - timedelta(days=3)
    assert code.latest.evidence in ARTICLES[0][2]  # the strongest claim: Kaplan's own words
    assert code.latest.attribution is Attribution.STATED
    assert by_target["california-sb-53"].label is StanceLabel.OPPOSE
    only = await app.analysis.stance("meta", now=NOW, target="SB 53")
    assert isinstance(only, CompanyStance)
    assert [p.target_id for p in only.positions] == ["california-sb-53"]
    recent = await app.analysis.stance("meta", now=NOW, since=NOW - timedelta(days=5))
    assert isinstance(recent, CompanyStance)
    assert [p.target_id for p in recent.positions] == ["eu-gpai-code-of-practice"]


async def test_law_supporters_and_opponents(app: Application, item_ids: list[int]) -> None:
    await app.analysis.analyse_items(item_ids, now=NOW)
    answer = await app.analysis.stance("SB 53", now=NOW)
    assert isinstance(answer, LawStance)
    assert answer.law_id == "california-sb-53"
    assert [p.company_id for p in answer.positions.supporters] == ["anthropic"]
    assert [p.company_id for p in answer.positions.opponents] == ["meta"]
    supporter = answer.positions.supporters[0]
    assert supporter.latest.attribution in set(Attribution)


async def test_unknown_name_suggests_close_matches(app: Application) -> None:
    answer = await app.analysis.stance("antropic", now=NOW)
    assert isinstance(answer, UnknownName)
    assert "Anthropic" in answer.suggestions


async def test_reanalyse_walks_the_whole_archive(
    app: Application, sessions: async_sessionmaker[AsyncSession], item_ids: list[int]
) -> None:
    run = await app.analysis.reanalyse_all(now=NOW, batch_size=2)
    assert run.analysed == len(item_ids)
    assert await _count(sessions, ItemAnalysis) == len(item_ids)


async def test_a_law_answer_rolls_up_the_laws_below_it_and_names_them(
    app: Application, item_ids: list[int]
) -> None:
    await app.analysis.analyse_items(item_ids, now=NOW)
    answer = await app.analysis.stance("eu-regulation", now=NOW)
    assert isinstance(answer, LawStance)
    rows = [
        law_row_name(position, answer.law_id, app.analysis.catalog)
        for position in answer.positions.opponents
    ]
    assert rows == ["Meta (EU General-Purpose AI Code of Practice)"]
    narrow = await app.analysis.stance("eu-gpai-code-of-practice", now=NOW)
    assert isinstance(narrow, LawStance)
    assert [
        law_row_name(p, narrow.law_id, app.analysis.catalog) for p in narrow.positions.opponents
    ] == ["Meta"]
