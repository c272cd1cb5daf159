"""The analysis queue on SQLite and PostgreSQL: filled with the items, emptied with analyses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.analysis import ANALYSER_VERSION, Analyser
from bot.domain.analysis import ItemAnalysis as Verdict
from bot.domain.entries import ParsedEntry, key_entries
from bot.storage.analysis_queue import AnalysisQueue
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, Item, ItemAnalysis
from tests.support.clock import NOW
from tests.support.feeds import add_feed

TEXT = "Meta refused to sign the GPAI code of practice on Friday."


def _entries(*titles: str, summary: str = TEXT) -> list[ParsedEntry]:
    return [
        ParsedEntry(
            guid=title,
            link=f"https://news.example/{number}",
            title=title,
            summary=summary,
            author=None,
            published_at=NOW - timedelta(days=1),
            updated_at=None,
        )
        for number, title in enumerate(titles)
    ]


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    feed_id: int,
    entries: list[ParsedEntry],
    *,
    backlog: bool = False,
) -> None:
    async with sessions.begin() as session:
        await ItemStore(session).save(feed_id, key_entries(entries), now=NOW, backlog=backlog)


async def _queued(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await AnalysisQueue(session).size()


async def _analyses(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ItemAnalysis)) or 0)


async def test_new_and_changed_items_are_queued_with_them_and_leave_with_their_analysis(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    async with sessions() as session:  # a transaction that does not commit queues nothing
        entries = key_entries(_entries("Meta and the code"))
        await ItemStore(session).save(feed_id, entries, now=NOW, backlog=False)
        assert await AnalysisQueue(session).size() == 1
        await session.rollback()
    assert await _queued(sessions) == 0
    await _store(sessions, feed_id, _entries("Meta and the code", "Another"))
    assert await _queued(sessions) == 2
    run = await app.analysis.drain(now=NOW)
    assert run.analysed == 2
    assert (await _queued(sessions), await _analyses(sessions)) == (0, 2)
    await _store(sessions, feed_id, _entries("Meta and the code", "Another"))  # unchanged
    assert await _queued(sessions) == 0
    await _store(sessions, feed_id, _entries("Meta and the code", summary="Rewritten."))
    assert await _queued(sessions) == 1
    assert (await app.analysis.drain(now=NOW)).analysed == 1
    assert (await _queued(sessions), await _analyses(sessions)) == (0, 2)


async def test_drain_goes_batch_by_batch_and_a_deleted_item_leaves_the_queue(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    await _store(sessions, feed_id, _entries(*(f"Item {n}" for n in range(7))))
    gone = await add_feed(sessions, "https://gone.example/rss", now=NOW)
    await _store(sessions, gone, _entries("Removed with its feed"))
    async with sessions.begin() as session:
        await session.delete(await session.get_one(Feed, gone))
    assert await _queued(sessions) == 7
    run = await app.analysis.drain(now=NOW, batch_size=3)
    assert run.analysed == 7
    assert (await _queued(sessions), await _analyses(sessions)) == (0, 7)


async def test_a_drain_with_a_budget_stops_after_the_batch_that_used_it_up(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    await _store(sessions, feed_id, _entries(*(f"Item {n}" for n in range(7))))
    run = await app.analysis.drain(now=NOW, batch_size=3, budget_seconds=0)
    assert run.analysed == 3  # a spent budget still finishes the batch it started
    assert (await app.analysis.queued(), await _analyses(sessions)) == (4, 3)
    assert (await app.analysis.drain(now=NOW, batch_size=3, budget_seconds=60)).analysed == 4
    assert await app.analysis.queued() == 0


async def test_requeue_stale_takes_other_versions_and_missing_analyses(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    await _store(sessions, feed_id, _entries("One", "Two", "Three"))
    await app.analysis.drain(now=NOW)
    assert await app.analysis.requeue_stale() == 0
    async with sessions.begin() as session:
        first = await session.scalar(select(func.min(Item.id)))
        await session.execute(
            update(ItemAnalysis)
            .where(ItemAnalysis.item_id == first)
            .values(analyser_version="rules-0")
        )
    assert await app.analysis.requeue_stale() == 1
    assert await app.analysis.requeue_stale() == 0  # already queued
    assert (await app.analysis.drain(now=NOW)).analysed == 1
    async with sessions() as session:
        versions = set(await session.scalars(select(ItemAnalysis.analyser_version)))
    assert versions == {ANALYSER_VERSION}
    run = await app.analysis.reanalyse_all(now=NOW)
    assert run.analysed == 3
    assert (await _queued(sessions), await _analyses(sessions)) == (0, 3)


async def test_an_item_the_rules_fail_on_is_stored_as_failed_and_the_rest_are_analysed(
    app: Application, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    analyse = Analyser.analyse

    def failing_on_poison(self: Analyser, title: str, text: str) -> Verdict:
        if title == "Poison":  # stands for any defect a text triggers in the rules
            raise IndexError("a rules defect")
        return analyse(self, title, text)

    monkeypatch.setattr(Analyser, "analyse", failing_on_poison)
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    await _store(sessions, feed_id, _entries("Meta and the code", "Poison", "Another"))
    assert (await app.analysis.drain(now=NOW)).analysed == 3
    assert await _queued(sessions) == 0
    async with sessions() as session:
        rows = await session.execute(
            select(Item.title, ItemAnalysis.is_relevant, ItemAnalysis.reasons)
            .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .order_by(Item.id)
        )
        verdicts = {title: (relevant, reasons) for title, relevant, reasons in rows}
    assert verdicts["Poison"] == (False, ["analysis failed: IndexError"])
    assert verdicts["Meta and the code"][0] is True


async def test_new_items_are_analysed_before_a_backlog_queued_earlier(
    app: Application, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await add_feed(sessions, "https://n.example/rss", now=NOW)
    await _store(sessions, feed_id, _entries(*(f"Old {n}" for n in range(5))), backlog=True)
    await _store(sessions, feed_id, _entries("News one", "News two"))
    assert (await app.analysis.drain(now=NOW, batch_size=2, budget_seconds=0)).analysed == 2
    async with sessions() as session:
        analysed = await session.scalars(
            select(Item.title).join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        )
        assert sorted(analysed) == ["News one", "News two"]
