"""An entry dated only by Atom's ``<updated>`` (required; ``<published>`` is optional) is dated.

The date is read wherever dates are read: the archive's newest-first order and its dates, a
stance claim's date, a feed's items per day. Real local server, parser processes, database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.polling import FeedPoller
from bot.storage.schema import Item, StanceClaim
from tests.support.clock import NOW
from tests.support.feed_server import FeedServer
from tests.support.feeds import add_feed

OLD = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # weeks before the fetch
RECENT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the day before


def _atom(*entries: tuple[str, str, datetime]) -> bytes:
    body = "".join(
        f"<entry><id>urn:x:{key}</id><title>{title}</title>"
        f"<link href='https://atom.example/{key}'/><updated>{when.isoformat()}</updated>"
        f"<summary>{title}</summary></entry>"
        for key, title, when in entries
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>Atom desk</title><id>urn:x</id><updated>{RECENT.isoformat()}</updated>"
        f"{body}</feed>"
    ).encode()


def _rss_item_between() -> bytes:
    between = (NOW - timedelta(days=10)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>RSS desk</title>"
        "<item><guid>between</guid><title>Ten days ago</title>"
        f"<link>https://rss.example/between</link><pubDate>{between}</pubDate></item>"
        "</channel></rss>"
    ).encode()


async def test_an_entry_with_only_updated_is_dated_by_it_everywhere(
    feed_server: FeedServer, poller: FeedPoller, sessions: async_sessionmaker[AsyncSession]
) -> None:
    atom = _atom(
        ("old", "Meta refused to sign the GPAI code of practice", OLD),
        ("recent", "Yesterday's news", RECENT),
    )

    async def atom_feed(request: web.Request) -> web.Response:
        return web.Response(body=atom, content_type="application/atom+xml")

    async def rss_feed(request: web.Request) -> web.Response:
        return web.Response(body=_rss_item_between(), content_type="application/rss+xml")

    feed_server.routes.update({"/atom": atom_feed, "/rss": rss_feed})
    atom_id = await add_feed(sessions, feed_server.url("/atom"), now=NOW)
    await add_feed(sessions, feed_server.url("/rss"), now=NOW)
    app = Application(sessions, poller=poller)

    report = await app.cycle.run(now=NOW)

    assert len(report.poll.new_item_ids) == 3
    async with sessions() as session:
        dates = dict(
            (title, published)
            for title, published in await session.execute(
                select(Item.title, Item.published_at).where(Item.feed_id == atom_id)
            )
        )
        claims = list(await session.scalars(select(StanceClaim.reported_at)))
    assert dates == {
        "Meta refused to sign the GPAI code of practice": OLD,
        "Yesterday's news": RECENT,
    }
    page = await app.archive.latest_page(None, page=1, per_page=10)
    assert [entry.title for entry in page.entries] == [
        "Yesterday's news",
        "Ten days ago",
        "Meta refused to sign the GPAI code of practice",  # not above newer items
    ]
    assert page.entries[2].published_at == OLD  # shown with its date, not as undated
    assert claims == [OLD]  # the evidence is dated by the entry, not by the fetch day
