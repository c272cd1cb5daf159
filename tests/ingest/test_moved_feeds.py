"""A moved feed stays one feed: the URL it was given by is remembered and matched on.

A feed's URL changes when a permanent redirect is adopted (three polls in a row); feeds.yaml
and the server admins keep the URL they gave. Real local server, parser processes, database.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.analysis import ItemAnalysis
from bot.domain.model import Attribution, StanceLabel
from bot.domain.relevance import Relevance
from bot.domain.stance import StanceClaim
from bot.polling import FeedPoller
from bot.storage.analyses import AnalysisStore
from bot.storage.guilds import GuildStore
from bot.storage.position_queue import PositionQueue
from bot.storage.positions import PositionStore
from bot.storage.schema import Feed, Guild, GuildFeed, Item
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import rss

ADOPTED_AFTER = 3  # polls that see the same permanent redirect


def _feeds_yaml(path: Path, *entries: tuple[str, str]) -> Path:
    path.write_text(
        "feeds:\n"
        + "".join(f"  - {{name: {name}, url: '{url}', kind: news}}\n" for name, url in entries),
        encoding="utf-8",
    )
    return path


async def _feeds(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, bool]]:
    async with sessions() as session:
        rows = await session.execute(select(Feed.url, Feed.in_instance_list).order_by(Feed.id))
        return [(url, listed) for url, listed in rows]


async def _item_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Item)) or 0)


async def _positions(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    """The stored stance positions' pairs, once the refresh queue is drained."""
    async with sessions() as session:
        assert await PositionQueue(session).size() == 0
        return [position.pair for position in await PositionStore(session).settled()]


async def _poll_until_adopted(app: Application, days: int = ADOPTED_AFTER) -> None:
    for day in range(days):
        await app.cycle.run(now=NOW + timedelta(days=day), only_due=False)


async def test_a_feed_moved_by_an_adopted_301_stays_one_feed_across_feeds_yaml_syncs(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    async def old(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(feed_server.url("/new"))

    async def new(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "A"), ("b", "B")]), content_type="application/rss+xml")

    feed_server.routes.update({"/old": old, "/new": new})
    feeds_file = _feeds_yaml(tmp_path / "feeds.yaml", ("Desk", feed_server.url("/old")))
    app = Application(sessions, poller=poller)
    await app.feeds.sync_file(feeds_file, now=NOW)
    await _poll_until_adopted(app)
    assert await _feeds(sessions) == [(feed_server.url("/new"), True)]

    synced = await app.feeds.sync_file(feeds_file, now=NOW + timedelta(days=3))  # e.g. a restart

    assert (synced.synced.added, synced.synced.removed) == ((), ())
    assert await _feeds(sessions) == [(feed_server.url("/new"), True)]
    report = await app.cycle.run(now=NOW + timedelta(days=4), only_due=False)
    assert len(report.poll.feeds) == 1
    assert report.poll.new_item_ids == ()
    assert await _item_count(sessions) == 2
    hits = len(feed_server.hits("/old"))
    assert hits == ADOPTED_AFTER  # polled at its new home only, once adopted

    # An admin who adds the URL they know follows the same feed.
    async with sessions.begin() as session:
        session.add(Guild(id=1, name="g", created_at=NOW, updated_at=NOW))
        await session.flush()
        store = GuildStore(session)
        assert not await store.follows(1, feed_server.url("/old"))
        followed = await store.follow(1, feed_server.url("/old"), title="", added_by=None, now=NOW)
        assert await store.follows(1, feed_server.url("/old"))
    assert followed.url == feed_server.url("/new")
    assert len(await _feeds(sessions)) == 1
    assert await app.feeds.resume(feed_server.url("/old"), now=NOW) == feed_server.url("/new")


async def test_a_feed_that_moves_onto_another_feeds_url_is_merged_into_it(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    async def mirror(request: web.Request) -> web.Response:
        if len(feed_server.hits("/mirror")) > 1:  # it served its own copy once, then moved
            raise web.HTTPMovedPermanently(feed_server.url("/main"))
        body = rss([("shared", "Shared story"), ("only-mirror", "Only on the mirror")])
        return web.Response(body=body, content_type="application/rss+xml")

    async def main(request: web.Request) -> web.Response:
        body = rss([("shared", "Shared story"), ("only-main", "Only on the main")])
        return web.Response(body=body, content_type="application/rss+xml")

    feed_server.routes.update({"/mirror": mirror, "/main": main})
    feeds_file = _feeds_yaml(tmp_path / "feeds.yaml", ("Mirror", feed_server.url("/mirror")))
    app = Application(sessions, poller=poller)
    await app.feeds.sync_file(feeds_file, now=NOW)
    async with sessions.begin() as session:  # a server follows the main URL by itself
        session.add(Guild(id=7, name="g", created_at=NOW, updated_at=NOW))
        await session.flush()
        await GuildStore(session).follow(
            7, feed_server.url("/main"), title="Main", added_by=None, now=NOW
        )
    await app.cycle.run(now=NOW, only_due=False)  # both fetched once, each its own items
    assert await _item_count(sessions) == 4
    async with sessions.begin() as session:  # the mirror's copy says something of Meta
        mirrored = await session.scalar(
            select(Item.id)
            .join(Feed, Feed.id == Item.feed_id)
            .where(Feed.url == feed_server.url("/mirror"), Item.title == "Shared story")
        )
        assert mirrored is not None
        claim = StanceClaim(
            "meta",
            "eu-ai-act",
            StanceLabel.SUPPORT,
            "Meta backs it.",
            0,
            0.8,
            Attribution.STATED,
            "",
        )
        analysis = ItemAnalysis(Relevance(0.9, True, ()), (), (claim,))
        await AnalysisStore(session).save(mirrored, analysis, now=NOW, version="test")
    await app.analysis.refresh_positions(now=NOW)
    assert await _positions(sessions) == [("meta", "eu-ai-act")]

    await _poll_until_adopted(app, days=ADOPTED_AFTER + 1)

    assert await _feeds(sessions) == [(feed_server.url("/main"), True)]  # one feed, listed
    async with sessions() as session:
        titles = sorted(await session.scalars(select(Item.title)))
        follows = list(await session.scalars(select(GuildFeed.feed_id)))
        (main_id,) = await session.scalars(select(Feed.id))
    assert titles == ["Only on the main", "Only on the mirror", "Shared story"]  # once each
    assert follows == [main_id]
    assert await _positions(sessions) == []  # the claim went with the mirror's copy
    synced = await app.feeds.sync_file(feeds_file, now=NOW + timedelta(days=5))
    assert (synced.synced.added, synced.synced.removed) == ((), ())
    assert await _feeds(sessions) == [(feed_server.url("/main"), True)]


async def test_a_feed_that_moves_back_keeps_both_urls_and_stays_one_feed(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    home = {"at": "/b"}

    async def serve(request: web.Request) -> web.Response:
        if request.path != home["at"]:
            raise web.HTTPMovedPermanently(feed_server.url(home["at"]))
        return web.Response(body=rss([("a", "A")]), content_type="application/rss+xml")

    feed_server.routes.update({"/a": serve, "/b": serve})
    feeds_file = _feeds_yaml(tmp_path / "feeds.yaml", ("Desk", feed_server.url("/a")))
    app = Application(sessions, poller=poller)
    await app.feeds.sync_file(feeds_file, now=NOW)
    await _poll_until_adopted(app)
    assert await _feeds(sessions) == [(feed_server.url("/b"), True)]
    home["at"] = "/a"
    await _poll_until_adopted(app)
    assert await _feeds(sessions) == [(feed_server.url("/a"), True)]
    synced = await app.feeds.sync_file(
        _feeds_yaml(tmp_path / "feeds.yaml", ("Desk", feed_server.url("/b"))), now=NOW
    )
    assert (synced.synced.added, synced.synced.removed) == ((), ())
    assert await _feeds(sessions) == [(feed_server.url("/a"), True)]
    assert await _item_count(sessions) == 1
