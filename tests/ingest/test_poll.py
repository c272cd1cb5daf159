"""The poll cycle end to end: local server -> fetch -> parse (processes) -> real database."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.instance_feeds import InstanceFeeds
from bot.composition import open_poller
from bot.domain.entries import ParsedEntry, key_entries
from bot.domain.feed_errors import FeedErrorKind
from bot.domain.health import HealthEventKind
from bot.domain.model import FeedStatus
from bot.errors import StorageError
from bot.ingest.fetch import FeedFetcher, FetchLimits
from bot.ingest.parse import ParserPool
from bot.polling import FeedPoller, Outcome
from bot.settings import Settings
from bot.storage.items import ItemStore
from bot.storage.schema import Feed, Item
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed, load_feed, rss


def static(body: bytes, **headers: str) -> web.Response:
    return web.Response(body=body, headers=headers, content_type="application/rss+xml")


async def serve_one_item_feed(
    feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession]
) -> int:
    """A feed of one item at ``/feed``, always the same body, added to the instance list."""

    async def handler(request: web.Request) -> web.Response:
        return static(rss([("a", "A")]))

    feed_server.routes["/feed"] = handler
    return await add_feed(sessions, feed_server.url("/feed"), now=NOW)


async def item_count(sessions: async_sessionmaker[AsyncSession], feed_id: int) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(Item.feed_id == feed_id))
        return int(count or 0)


async def test_200_then_304_with_etag_echoed_verbatim(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    etag = 'W/"abc-123"'

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return static(rss([("a", "A"), ("b", "B")]), ETag=etag)

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)

    first = await poller.poll(now=NOW)
    assert [r.outcome for r in first.feeds] == [Outcome.FETCHED]
    assert len(first.new_item_ids) == 2
    feed = await load_feed(sessions, feed_id)
    assert feed.etag == etag
    assert feed.next_check_at is not None
    assert NOW + timedelta(minutes=60) <= feed.next_check_at <= NOW + timedelta(minutes=72)

    second = await poller.poll(now=feed.next_check_at)
    assert [r.outcome for r in second.feeds] == [Outcome.NOT_MODIFIED]
    assert second.new_item_ids == ()
    assert feed_server.hits("/feed")[1]["If-None-Match"] == etag
    assert "Cookie" not in feed_server.hits("/feed")[1]
    assert feed_server.hits("/feed")[0]["User-Agent"] == "policybot-tests/1"
    assert await item_count(sessions, feed_id) == 2


async def test_last_modified_only_is_echoed_and_updated_from_a_304(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    stamp = "Tue, 24 Nov 2026 10:00:00 GMT"
    newer = "Tue, 24 Nov 2026 11:00:00 GMT"

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-Modified-Since") in (stamp, newer):
            return web.Response(status=304, headers={"Last-Modified": newer})
        return static(rss([("a", "A")]), **{"Last-Modified": stamp})

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await poller.poll(now=NOW)
    report = await poller.poll(now=NOW, only_due=False)
    assert report.outcomes == {"not_modified": 1}
    assert feed_server.hits("/feed")[1]["If-Modified-Since"] == stamp
    feed = await load_feed(sessions, feed_id)
    assert feed.last_modified == newer
    assert feed.etag is None


async def test_server_ignoring_validators_is_not_reparsed(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = rss([("a", "A")])

    async def handler(request: web.Request) -> web.Response:
        return static(body, ETag='"v1"')

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await poller.poll(now=NOW)
    report = await poller.poll(now=NOW, only_due=False)
    assert report.outcomes == {"unchanged": 1}
    assert await item_count(sessions, feed_id) == 1


async def test_a_warm_cycle_of_304s_and_unchanged_bodies_starts_no_parser_process(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    etag = '"v1"'

    async def conditional(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return static(rss([("a", "A")]), ETag=etag)

    async def same_body(request: web.Request) -> web.Response:
        return static(rss([("b", "B")]))

    feed_server.routes["/conditional"] = conditional
    feed_server.routes["/same"] = same_body
    for path in ("/conditional", "/same"):
        await add_feed(sessions, feed_server.url(path), now=NOW)
    await poller.poll(now=NOW)  # the cold cycle, as an earlier `policybot poll --once` ran it
    before = set(multiprocessing.active_children())
    # The next process's poller, as the composition root builds it.
    async with open_poller(Settings(allow_private_feeds=True), sessions) as warm:
        report = await warm.poll(now=NOW, only_due=False)
        started = set(multiprocessing.active_children()) - before
    assert report.outcomes == {"not_modified": 1, "unchanged": 1}
    assert started == set()


async def test_feed_without_validators_is_polled_less_often(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await serve_one_item_feed(feed_server, sessions)
    await poller.poll(now=NOW)
    feed = await load_feed(sessions, feed_id)
    assert feed.next_check_at is not None
    assert feed.next_check_at >= NOW + timedelta(hours=6)


async def test_cache_control_and_ttl_push_the_next_check(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def max_age(request: web.Request) -> web.Response:
        return static(rss([("a", "A")]), ETag='"1"', **{"Cache-Control": "public, max-age=7200"})

    async def expires(request: web.Request) -> web.Response:
        return static(rss([("a", "A")]), ETag='"1"', Expires="Fri, 27 Nov 2026 12:00:00 GMT")

    async def ttl(request: web.Request) -> web.Response:
        return static(rss([("a", "A")], extra="<ttl>180</ttl>"), ETag='"1"')

    feed_server.routes.update({"/max-age": max_age, "/expires": expires, "/ttl": ttl})
    ids = [await add_feed(sessions, feed_server.url(p), now=NOW) for p in feed_server.routes]
    await poller.poll(now=NOW)
    max_age_feed, expires_feed, ttl_feed = [await load_feed(sessions, i) for i in ids]
    assert max_age_feed.next_check_at is not None
    assert NOW + timedelta(hours=2) <= max_age_feed.next_check_at <= NOW + timedelta(hours=2.4)
    # Expires two days away is capped at the 24-hour maximum for healthy feeds.
    assert expires_feed.next_check_at == NOW + timedelta(hours=24)
    assert ttl_feed.next_check_at is not None
    assert NOW + timedelta(hours=3) <= ttl_feed.next_check_at <= NOW + timedelta(hours=3.6)


async def test_ttl_is_remembered_across_304s(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"1"':
            return web.Response(status=304, headers={"ETag": '"1"'})
        return static(rss([("a", "A")], extra="<ttl>180</ttl>"), ETag='"1"')

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    await poller.poll(now=NOW)
    later = NOW + timedelta(hours=4)
    report = await poller.poll(now=later)
    assert report.outcomes == {"not_modified": 1}
    feed = await load_feed(sessions, feed_id)
    assert feed.next_check_at is not None
    assert later + timedelta(hours=3) <= feed.next_check_at <= later + timedelta(hours=3.6)


async def test_429_and_503_honour_retry_after_without_counting_as_errors(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def seconds(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "7200"})

    async def date(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "Wed, 25 Nov 2026 17:00:00 GMT"})

    async def bare(request: web.Request) -> web.Response:
        return web.Response(status=429)

    feed_server.routes.update({"/seconds": seconds, "/date": date, "/bare": bare})
    ids = [await add_feed(sessions, feed_server.url(p), now=NOW) for p in feed_server.routes]
    report = await poller.poll(now=NOW)
    assert report.outcomes == {"throttled": 3}
    assert report.events == ()
    by_seconds, by_date, bare_feed = [await load_feed(sessions, i) for i in ids]
    assert by_seconds.consecutive_errors == 0
    assert by_seconds.status is FeedStatus.OK
    assert by_seconds.next_check_at is not None
    assert NOW + timedelta(hours=2) <= by_seconds.next_check_at <= NOW + timedelta(hours=2.4)
    assert by_date.next_check_at is not None
    assert NOW + timedelta(hours=5) <= by_date.next_check_at <= NOW + timedelta(hours=6)
    assert bare_feed.next_check_at is not None
    assert bare_feed.next_check_at >= NOW + timedelta(hours=1)
    assert report.errors_by_kind == {"http_429": 2, "http_503": 1}


async def test_errors_back_off_exponentially_and_report_failing_once_then_recovered(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    state = {"status": 500}

    async def handler(request: web.Request) -> web.Response:
        if state["status"] != 200:
            return web.Response(status=state["status"])
        return static(rss([("a", "A")]), ETag='"1"')

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    now = NOW
    waits = []
    events = []
    for status in (500, 404, 500, 500):
        state["status"] = status
        report = await poller.poll(now=now)
        assert report.outcomes == {"error": 1}
        events.extend(report.events)
        feed = await load_feed(sessions, feed_id)
        assert feed.next_check_at is not None
        waits.append(feed.next_check_at - now)
        now = feed.next_check_at
    hours = [w / timedelta(hours=1) for w in waits]
    for exponent, measured in enumerate(hours):
        assert 2**exponent <= measured <= 2**exponent * 1.25
    assert [e.kind for e in events] == [HealthEventKind.FAILING]
    feed = await load_feed(sessions, feed_id)
    assert feed.status is FeedStatus.FAILING
    assert feed.consecutive_errors == 4
    assert (feed.last_error_kind, feed.last_error_status) == (FeedErrorKind.HTTP, 500)
    assert feed.last_error is not None
    assert "500" in feed.last_error

    state["status"] = 200
    report = await poller.poll(now=now)
    assert [e.kind for e in report.events] == [HealthEventKind.RECOVERED]
    feed = await load_feed(sessions, feed_id)
    assert (feed.status, feed.consecutive_errors) == (FeedStatus.OK, 0)


async def test_backoff_is_capped_at_a_week(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=500)

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    async with sessions.begin() as session:
        feed = await session.get_one(Feed, feed_id)
        feed.consecutive_errors = 30
        feed.status = FeedStatus.FAILING
    await poller.poll(now=NOW)
    feed = await load_feed(sessions, feed_id)
    assert feed.next_check_at == NOW + timedelta(days=7)


async def test_410_pauses_the_feed_and_says_so_once(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=410)

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)
    report = await poller.poll(now=NOW)
    assert report.outcomes == {"gone": 1}
    assert [e.kind for e in report.events] == [HealthEventKind.PAUSED]
    assert (await load_feed(sessions, feed_id)).status is FeedStatus.PAUSED
    again = await poller.poll(now=NOW + timedelta(days=30), only_due=False)
    assert again.feeds == ()
    assert len(feed_server.hits("/feed")) == 1

    feeds = InstanceFeeds(sessions)
    assert await feeds.resume(str(feed_id), now=NOW) == feed_server.url("/feed")
    assert await feeds.resume("https://unknown.example/", now=NOW) is None
    resumed = await load_feed(sessions, feed_id)
    assert (resumed.status, resumed.next_check_at) == (FeedStatus.OK, NOW)


async def test_301_chain_is_adopted_after_it_repeats_but_302_never(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(feed_server.url("/moved-again"))

    async def moved_again(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(feed_server.url("/new"))

    async def temporary(request: web.Request) -> web.Response:
        raise web.HTTPFound(feed_server.url("/new"))

    async def mixed(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(feed_server.url("/mirror"))

    async def new(request: web.Request) -> web.Response:
        return static(rss([("a", "A")]), ETag='"1"')

    feed_server.routes.update(
        {
            "/old": moved,
            "/moved-again": moved_again,
            "/temporary": temporary,
            "/mirror": temporary,
            "/mixed": mixed,
            "/new": new,
        }
    )
    old_id = await add_feed(sessions, feed_server.url("/old"), now=NOW)
    temp_id = await add_feed(sessions, feed_server.url("/temporary"), now=NOW)
    mixed_id = await add_feed(sessions, feed_server.url("/mixed"), now=NOW)
    for cycle in range(3):
        report = await poller.poll(now=NOW + timedelta(days=cycle), only_due=False)
        assert report.outcomes in ({"fetched": 3}, {"unchanged": 3})
        if cycle == 0:
            old = await load_feed(sessions, old_id)
            assert (old.url, old.redirect_url, old.redirect_count) == (
                feed_server.url("/old"),
                feed_server.url("/new"),
                1,
            )
    assert (await load_feed(sessions, old_id)).url == feed_server.url("/new")
    assert (await load_feed(sessions, temp_id)).url == feed_server.url("/temporary")
    # 301 then 302: only the permanent hop counts, so the URL moves to /mirror.
    assert (await load_feed(sessions, mixed_id)).url == feed_server.url("/mirror")


async def test_day_one_to_day_two_yields_exactly_the_new_item(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    shared_dir: object,
) -> None:
    from pathlib import Path

    folder = Path(str(shared_dir)) / "fixtures" / "feeds"
    day = {"name": "eu-eci-petitions-2026-05-07.rss.xml"}

    async def handler(request: web.Request) -> web.Response:
        return static((folder / day["name"]).read_bytes())

    feed_server.routes["/eci"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/eci"), now=NOW)
    first = await poller.poll(now=NOW)
    assert len(first.new_item_ids) == 7
    async with sessions() as session:
        backlog = (await session.scalars(select(Item.is_backlog))).all()
    assert backlog == [True] * 7

    day["name"] = "eu-eci-petitions-2026-05-08.rss.xml"
    second = await poller.poll(now=NOW + timedelta(days=1), only_due=False)
    assert len(second.new_item_ids) == 1
    async with sessions() as session:
        new = await session.get_one(Item, second.new_item_ids[0])
        assert new.key == "g:1816"
        assert new.is_backlog is False
    assert second.updated_item_ids  # supporter counts changed in place
    assert await item_count(sessions, feed_id) == 8


async def test_html_page_and_empty_200_are_errors_and_keep_no_validators(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><html><body>Moved!</body></html>",
            content_type="text/html",
            headers={"ETag": '"p"'},
        )

    async def empty(request: web.Request) -> web.Response:
        return web.Response(body=b"", headers={"ETag": '"e"'})

    feed_server.routes.update({"/page": page, "/empty": empty})
    page_id = await add_feed(sessions, feed_server.url("/page"), now=NOW)
    await add_feed(sessions, feed_server.url("/empty"), now=NOW)
    report = await poller.poll(now=NOW)
    assert report.errors_by_kind == {"not_a_feed": 1, "empty": 1}
    feed = await load_feed(sessions, page_id)
    assert feed.etag is None  # or the next poll would get a 304 and hide the problem
    assert feed.body_hash is None
    assert feed.consecutive_errors == 1


async def test_at_most_two_connections_per_host(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    active = {"now": 0, "max": 0}

    async def handler(request: web.Request) -> web.Response:
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        try:
            await asyncio.sleep(0.02)
            return static(rss([(request.path, "x")]), ETag='"1"')
        finally:
            active["now"] -= 1

    for number in range(6):
        feed_server.routes[f"/f{number}"] = handler
        await add_feed(sessions, feed_server.url(f"/f{number}"), now=NOW)
    report = await poller.poll(now=NOW)
    assert report.outcomes == {"fetched": 6}
    assert active["max"] == 2


async def test_restart_spreads_due_feeds_over_one_interval(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ids = [await add_feed(sessions, f"https://f{n}.example/rss", now=NOW) for n in range(20)]
    async with sessions.begin() as session:  # fetched before the restart, overdue since
        for feed in await session.scalars(select(Feed).where(Feed.id.in_(ids))):
            feed.last_checked_at = feed.next_check_at = NOW - timedelta(hours=2)
    never = await add_feed(sessions, "https://never.example/rss", now=NOW)
    assert await poller.spread_due(now=NOW) == 20
    spots = [(await load_feed(sessions, i)).next_check_at for i in ids]
    assert all(s is not None and NOW <= s < NOW + timedelta(hours=1) for s in spots)
    assert len(set(spots)) == 20
    assert (await load_feed(sessions, never)).next_check_at is None  # due at once
    report = await poller.poll(now=NOW)
    assert 1 <= len(report.feeds) <= 2  # the new feed, and hardly anything else right at boot


async def test_feeds_nobody_follows_are_not_polled(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await serve_one_item_feed(feed_server, sessions)
    async with sessions.begin() as session:
        (await session.get_one(Feed, feed_id)).in_instance_list = False
    assert (await poller.poll(now=NOW)).feeds == ()
    assert feed_server.requests == []


async def test_ssrf_guard_from_the_composition_root_with_the_switch_off(
    feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_id = await serve_one_item_feed(feed_server, sessions)
    settings = Settings(allow_private_feeds=False, parse_workers=1)
    async with open_poller(settings, sessions) as guarded:
        report = await guarded.poll(now=NOW)
    assert report.errors_by_kind == {"blocked": 1}
    assert feed_server.requests == []
    feed = await load_feed(sessions, feed_id)
    assert feed.last_error is not None
    assert "non-public" in feed.last_error


async def test_churning_items_stop_updating_at_the_revision_cap(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    feed_id = await add_feed(sessions, "https://churn.example/rss", now=NOW)
    updated = []
    for version in range(5):
        entry = ParsedEntry("g1", None, f"Title at {version}", "text")
        async with sessions.begin() as session:
            saved = await ItemStore(session).save(
                feed_id, key_entries((entry,)), now=NOW, backlog=False, revision_cap=2
            )
        updated.append(len(saved.updated_ids))
    assert updated == [0, 1, 1, 0, 0]
    async with sessions() as session:
        item = (await session.scalars(select(Item))).one()
    assert (item.title, item.revision) == ("Title at 2", 2)


async def test_a_failed_write_surfaces_as_the_plain_error_and_nothing_is_half_written(
    feed_server: FeedServer,
    poller: FeedPoller,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return static(rss([("a", "A")]), ETag='"1"')

    feed_server.routes["/feed"] = handler
    feed_id = await add_feed(sessions, feed_server.url("/feed"), now=NOW)

    async def database_gone(*args: object, **kwargs: object) -> None:
        # What the engine makes of the driver's "disk I/O error" (bot.storage.engine).
        raise StorageError("database failure: disk I/O error") from OperationalError(
            "INSERT", {}, Exception("disk I/O error")
        )

    monkeypatch.setattr(ItemStore, "save", database_gone)
    with pytest.raises(StorageError):
        await poller.poll(now=NOW)
    feed = await load_feed(sessions, feed_id)
    assert (feed.etag, feed.next_check_at, feed.fetch_count) == (None, None, 0)
    monkeypatch.undo()
    assert len((await poller.poll(now=NOW)).new_item_ids) == 1


async def test_waiting_for_a_connection_slot_counts_against_neither_timeout_nor_health(
    feed_server: FeedServer,
    http_session: aiohttp.ClientSession,
    parser_pool: ParserPool,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two feeds that never answer hold the host's two slots for a whole timeout; the third
    feed on that host waits that long for a slot and must still get its full time after."""
    release = asyncio.Event()
    sent: list[float] = []
    loop = asyncio.get_running_loop()

    async def never(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    async def healthy(request: web.Request) -> web.Response:
        sent.append(loop.time())
        await asyncio.sleep(0.3)  # well inside the limit, once the request is on its way
        return static(rss([("h", "Healthy")]), ETag='"1"')

    feed_server.routes.update({"/never-1": never, "/never-2": never, "/healthy": healthy})
    ids = [await add_feed(sessions, feed_server.url(p), now=NOW) for p in feed_server.routes]
    limits = FetchLimits(total_timeout=1.0, connect_timeout=1.0, read_timeout=1.0)
    poller = FeedPoller(
        sessions, FeedFetcher(http_session, limits), parser_pool, rng=random.Random(1)
    )
    started = loop.time()
    try:
        report = await poller.poll(now=NOW)
    finally:
        release.set()

    by_id = {result.feed_id: result for result in report.feeds}
    assert [by_id[i].outcome for i in ids] == [Outcome.ERROR, Outcome.ERROR, Outcome.FETCHED]
    assert sent[0] - started >= 0.9  # it did wait for a slot, about one whole timeout
    feed = await load_feed(sessions, ids[2])
    assert (feed.status, feed.consecutive_errors, feed.last_error_kind) == (FeedStatus.OK, 0, None)
    assert await item_count(sessions, ids[2]) == 1
