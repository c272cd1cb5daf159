"""Item identity survives a guid reused by several items: they are told apart by content.

Position in the document never decides which stored item an entry is: a new entry at the top,
entries reordered or falling off the end, and the step from one item with a guid to several,
each leave the stored items as they are and store only what is really new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.polling import FeedPoller, PollReport
from bot.storage.schema import Item
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed


@dataclass(frozen=True)
class Story:
    name: str
    guid: str = "reused"
    summary: str = ""

    def xml(self) -> str:
        summary = self.summary or f"About {self.name}"
        return (
            f"<item><guid isPermaLink='false'>{self.guid}</guid><title>{self.name}</title>"
            f"<link>https://news.example/{self.name.lower()}</link>"
            f"<description>{summary}</description></item>"
        )


class Feed:
    """A feed at ``/feed`` whose items the test sets before each poll."""

    def __init__(self, feed_server: FeedServer) -> None:
        self.stories: list[Story] = []
        self.polls = 0
        feed_server.routes["/feed"] = self._handler

    async def _handler(self, request: web.Request) -> web.Response:
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
            + "".join(story.xml() for story in self.stories)
            + "</channel></rss>"
        )
        return web.Response(body=body.encode(), content_type="application/rss+xml")


async def _poll(poller: FeedPoller, feed: Feed, *stories: Story) -> PollReport:
    feed.stories = list(stories)
    feed.polls += 1
    return await poller.poll(now=NOW + timedelta(days=feed.polls), only_due=False)


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with sessions() as session:
        return {
            item_id: title for item_id, title in await session.execute(select(Item.id, Item.title))
        }


async def _titles(sessions: async_sessionmaker[AsyncSession], ids: tuple[int, ...]) -> list[str]:
    rows = await _rows(sessions)
    return sorted(rows[item_id] for item_id in ids)


A, B, C, D = (Story(name) for name in "ABCD")


async def test_a_fourth_item_with_a_reused_guid_is_new_and_the_old_three_stay_theirs(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed = Feed(feed_server)
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    first = await _poll(poller, feed, C, B, A)
    assert await _titles(sessions, first.new_item_ids) == ["A", "B", "C"]
    stored = await _rows(sessions)

    fourth = await _poll(poller, feed, D, C, B, A)  # the newest at the top, as feeds do

    assert await _titles(sessions, fourth.new_item_ids) == ["D"]
    assert fourth.updated_item_ids == ()
    after = await _rows(sessions)
    assert {i: t for i, t in after.items() if i in stored} == stored  # no row taken over
    assert len(after) == 4

    shuffled = await _poll(poller, feed, B, D, A, C)
    fell_off = await _poll(poller, feed, D, C)
    for report in (shuffled, fell_off):
        assert (report.new_item_ids, report.updated_item_ids) == ((), ())
    assert await _rows(sessions) == after


async def test_a_guid_that_starts_being_reused_keeps_its_first_item(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed = Feed(feed_server)
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await _poll(poller, feed, A)
    stored = await _rows(sessions)

    second = await _poll(poller, feed, B, A)
    assert await _titles(sessions, second.new_item_ids) == ["B"]
    assert second.updated_item_ids == ()
    alone_again = await _poll(poller, feed, B)  # A fell off: B is alone with the guid again
    assert (alone_again.new_item_ids, alone_again.updated_item_ids) == ((), ())
    rows = await _rows(sessions)
    assert {i: t for i, t in rows.items() if i in stored} == stored
    assert sorted(rows.values()) == ["A", "B"]


async def test_an_edited_item_with_a_reused_guid_is_updated_in_place(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed = Feed(feed_server)
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await _poll(poller, feed, C, B, A)
    stored = await _rows(sessions)

    edited = await _poll(poller, feed, C, Story("B", summary="About B, corrected"), A)

    assert edited.new_item_ids == ()
    assert [stored[i] for i in edited.updated_item_ids] == ["B"]
    async with sessions() as session:
        summaries = set(await session.scalars(select(Item.summary)))
    assert summaries == {"About A", "About B, corrected", "About C"}


async def test_a_unique_guid_is_still_its_item_whatever_the_edit(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed = Feed(feed_server)
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await _poll(poller, feed, Story("A", guid="a"), Story("B", guid="b"))
    retitled = await _poll(poller, feed, Story("A2", guid="a"), Story("B", guid="b"))
    assert retitled.new_item_ids == ()
    assert len(retitled.updated_item_ids) == 1
    assert sorted((await _rows(sessions)).values()) == ["A2", "B"]


async def test_the_last_item_left_with_a_reused_guid_edited_is_still_its_own_item(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed = Feed(feed_server)
    await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await _poll(poller, feed, C, B, A)
    stored = await _rows(sessions)

    alone = await _poll(poller, feed, Story("B", summary="About B, corrected"))

    assert alone.new_item_ids == ()
    assert [stored[i] for i in alone.updated_item_ids] == ["B"]
    assert await _rows(sessions) == stored  # C's row was not handed to B
