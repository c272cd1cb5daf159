"""OPML in/out and the ``poll``/``feeds`` commands against a real server and database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pty
import select
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.analysis import DRAIN_BATCH
from bot.cli import build_parser
from bot.cli.feeds import (
    ProgressBar,
    feeds_check_command,
    feeds_export_opml_command,
    feeds_import_opml_command,
    feeds_list_command,
    poll_command,
)
from bot.composition import open_application
from bot.domain.analysis import ANALYSER_VERSION
from bot.domain.positions import CompanyStance
from bot.errors import OpmlError
from bot.ingest.opml import OpmlFeed, read_opml, write_opml
from bot.ingest.sources import append_to_feeds_file, load_feed_sources
from bot.settings import Settings
from tests.support.feed_server import FeedServer
from tests.support.feeds import rss

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
  <outline text="EU">
    <outline type="rss" text="EUR-Lex" xmlUrl="https://eur-lex.example/rss" htmlUrl="https://eur-lex.example/"/>
    <outline text="Nested"><outline text="Deep" xmlUrl="https://deep.example/feed"/></outline>
  </outline>
  <outline type="rss" title="Dup" xmlUrl="https://eur-lex.example/rss"/>
  <outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


def test_read_opml_flattens_folders_and_skips_duplicates_and_non_http() -> None:
    feeds = read_opml(OPML)
    assert [(f.url, f.title, f.category) for f in feeds] == [
        ("https://eur-lex.example/rss", "EUR-Lex", "EU"),
        ("https://deep.example/feed", "Deep", "Nested"),
    ]


@pytest.mark.parametrize(
    "document",
    [
        b"<?xml version='1.0'?><!DOCTYPE opml [<!ENTITY a 'aaaa'>]><opml><body/></opml>",
        b"<rss/>",
        b"<opml><body></body></opml>",
        b"<opml><body>",
    ],
    ids=["entities", "not-opml", "no-feeds", "broken"],
)
def test_bad_opml_is_refused(document: bytes) -> None:
    with pytest.raises(OpmlError):
        read_opml(document)


def test_write_then_read_round_trips() -> None:
    feeds = (OpmlFeed("https://a.example/rss", "A & B <news>", "https://a.example/", "news"),)
    text = write_opml(feeds, title="t", now=datetime(2026, 11, 25, tzinfo=UTC))
    assert read_opml(text.encode()) == (
        OpmlFeed("https://a.example/rss", "A & B <news>", "https://a.example/", None),
    )


def test_append_keeps_comments_and_skips_known_feeds(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "# my comment\nfeeds:\n    - name: EUR-Lex\n      url: https://eur-lex.example/rss\n"
        "      kind: official\n",
        encoding="utf-8",
    )
    added = append_to_feeds_file(path, read_opml(OPML), kind="news")
    assert added == ["https://deep.example/feed"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my comment\n")
    assert [s.url for s in load_feed_sources(path)] == [
        "https://eur-lex.example/rss",
        "https://deep.example/feed",
    ]
    assert append_to_feeds_file(path, read_opml(OPML), kind="news") == []


@pytest.fixture
def settings(tmp_path: Path, feed_server: FeedServer) -> Settings:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        f"feeds:\n  - {{name: Local, url: '{feed_server.url('/feed')}', kind: news}}\n",
        encoding="utf-8",
    )
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'cli.db'}",
        feeds_file=feeds_file,
        allow_private_feeds=True,
        parse_workers=1,
    )


async def test_poll_once_then_list_export_import_and_check(
    settings: Settings,
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=rss([("a", "AI Act"), ("b", "DSA")], title="Local desk"),
            content_type="application/rss+xml",
            headers={"ETag": '"1"'},
        )

    feed_server.routes["/feed"] = handler
    assert await poll_command(_poll("--once"), settings) == 0
    summary = capsys.readouterr().out
    assert "fetched (200, parsed)" in summary
    assert "new items" in summary
    assert await poll_command(_poll("--once", "--all"), settings) == 0
    assert "not modified (304)" in capsys.readouterr().out

    assert await feeds_list_command(argparse.Namespace(), settings) == 0
    listing = capsys.readouterr().out
    assert "Local" in listing
    assert "1 feeds: 1 ok" in listing

    opml_file = tmp_path / "out.opml"
    assert await feeds_export_opml_command(argparse.Namespace(output=opml_file), settings) == 0
    assert [f.url for f in read_opml(opml_file.read_bytes())] == [feed_server.url("/feed")]

    importing = tmp_path / "in.opml"
    importing.write_bytes(OPML)
    args = argparse.Namespace(file=importing, kind="analysis")
    assert await feeds_import_opml_command(args, settings) == 0
    assert "2 feeds added" in capsys.readouterr().out
    assert len(load_feed_sources(settings.feeds_file)) == 3

    assert (
        await feeds_check_command(argparse.Namespace(url=feed_server.url("/feed")), settings) == 0
    )
    check = capsys.readouterr().out
    assert "Local desk" in check
    assert "entries:     2" in check
    missing = argparse.Namespace(url=feed_server.url("/nothing"))
    assert await feeds_check_command(missing, settings) == 1
    assert "HTTP 404" in capsys.readouterr().out


async def test_a_new_user_polls_once_and_finds_positions(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = rss([("meta", "Meta refused to sign the GPAI code of practice")])
        return web.Response(body=body, content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler
    assert await poll_command(_poll("--once", "--all"), settings) == 0
    assert _summary_count(capsys.readouterr().out, "items analysed") == 1
    async with open_application(settings) as app:
        answer = await app.analysis.stance("meta", now=datetime.now(UTC))
    assert isinstance(answer, CompanyStance)
    assert [p.target_id for p in answer.positions] == ["eu-gpai-code-of-practice"]

    assert settings.database.database is not None
    with sqlite3.connect(settings.database.database) as connection:  # analysed by older rules
        connection.execute("UPDATE item_analyses SET analyser_version = 'rules-1'")
    assert await poll_command(_poll("--once"), settings) == 0
    assert _summary_count(capsys.readouterr().out, "items analysed") == 1
    with sqlite3.connect(settings.database.database) as connection:
        versions = connection.execute("SELECT analyser_version FROM item_analyses").fetchall()
    assert versions == [(ANALYSER_VERSION,)]


def _serve_a_batch_and_20_more(feed_server: FeedServer) -> None:
    """One feed of one analysis batch and 20 items more, all relevant."""
    items = [(f"i{n}", f"Meta and the AI Act, part {n}") for n in range(DRAIN_BATCH + 20)]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=rss(items), content_type="application/rss+xml")

    feed_server.routes["/feed"] = handler


async def test_poll_once_analyses_for_its_budget_and_the_next_poll_goes_on(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve_a_batch_and_20_more(feed_server)
    assert await poll_command(_poll("--once", "--analyse-for", "0.001"), settings) == 0
    summary = capsys.readouterr().out
    assert _summary_count(summary, "items analysed") == DRAIN_BATCH  # one batch, then stop
    assert _summary_count(summary, "  still queued") == 20
    assert await poll_command(_poll("--once"), settings) == 0
    summary = capsys.readouterr().out
    assert (
        _summary_count(summary, "items analysed"),
        _summary_count(summary, "  still queued"),
    ) == (20, 0)


async def test_poll_once_analyses_for_the_slice_each_cycle_of_run_has(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve_a_batch_and_20_more(feed_server)
    sliced = settings.model_copy(update={"analysis_slice_seconds": 0.001})
    assert await poll_command(_poll("--once"), sliced) == 0
    summary = capsys.readouterr().out
    assert _summary_count(summary, "items analysed") == DRAIN_BATCH
    assert _summary_count(summary, "  still queued") == 20


async def test_polling_that_takes_the_whole_slice_leaves_analysis_one_batch(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The slice is the cycle's: a cron poll lasts about the slice, however long it fetched."""
    items = [(f"i{n}", f"Meta and the AI Act, part {n}") for n in range(DRAIN_BATCH + 20)]

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.Response(body=rss(items), content_type="application/rss+xml")

    feed_server.routes["/feed"] = slow
    sliced = settings.model_copy(update={"analysis_slice_seconds": 0.5})
    assert await poll_command(_poll("--once"), sliced) == 0
    summary = capsys.readouterr().out
    assert _summary_count(summary, "items analysed") == DRAIN_BATCH
    assert _summary_count(summary, "  still queued") == 20

    roomy = settings.model_copy(update={"analysis_slice_seconds": 60})
    assert await poll_command(_poll("--once"), roomy) == 0  # polled in 1 s: 59 s to analyse
    summary = capsys.readouterr().out
    assert _summary_count(summary, "items analysed") == 20
    assert _summary_count(summary, "  still queued") == 0


def test_poll_refuses_a_negative_analysis_budget(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _poll("--once", "--analyse-for", "-1")
    assert "must be 0 or more seconds" in capsys.readouterr().err


def _poll(*args: str) -> argparse.Namespace:
    return build_parser().parse_args(["poll", *args])


def _summary_count(summary: str, label: str) -> int:
    line = next(line for line in summary.splitlines() if line.startswith(label))
    return int(line.split()[-1])


def test_log_lines_never_share_a_line_with_the_progress_bar() -> None:
    main, terminal = pty.openpty()
    stream = os.fdopen(terminal, "w")
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        bar = ProgressBar(stream)
        bar.start(2)
        logging.getLogger("bot.test").warning("feed moved url=a new_url=b")
        bar.finish()
        logging.getLogger("bot.test").warning("after the bar")
    finally:
        root.removeHandler(handler)
        stream.close()
    screen = ""
    while select.select([main], [], [], 0.2)[0]:  # the terminal hands output over in chunks
        try:
            screen += os.read(main, 4096).decode()
        except OSError:  # the other end is closed and drained
            break
    os.close(main)
    before_log = screen.split("feed moved")[0]
    assert before_log.endswith("\r\x1b[K"), repr(screen)
    assert screen.count("\x1b[K") == 1  # the bar is gone: later lines are left alone


async def test_feeds_list_tells_new_failing_and_removed_feeds_apart(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def good(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "AI Act")]), content_type="application/rss+xml")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="down")

    feed_server.routes.update({"/good": good, "/broken": broken, "/gone": good})
    entries = {
        name: f"  - {{name: {name}, url: '{feed_server.url('/' + name)}', kind: news}}\n"
        for name in ("good", "broken", "gone", "later")
    }
    settings.feeds_file.write_text(
        "feeds:\n" + entries["good"] + entries["broken"] + entries["gone"]
    )
    await poll_command(_poll("--once", "--all"), settings)
    # The operator edits the file: one feed out, one feed in; the list reads it as it is now.
    settings.feeds_file.write_text(
        "feeds:\n" + entries["good"] + entries["broken"] + entries["later"]
    )
    capsys.readouterr()

    assert await feeds_list_command(argparse.Namespace(), settings) == 0

    listing = capsys.readouterr().out
    followed, removed = listing.split("no longer followed")
    health = {
        line.split("<")[1].split(">")[0].rsplit("/", 1)[1]: line.split()[1]
        for line in followed.splitlines()
        if "<" in line
    }
    assert health == {"good": "ok", "broken": "failing", "later": "new"}
    assert "the site has a server error (HTTP 500)" in followed
    assert "3 feeds: 1 failing, 1 new, 1 ok" in followed
    assert "/gone>" in removed


async def test_feeds_check_follows_a_page_to_the_feed_it_links(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def home(request: web.Request) -> web.Response:
        link = '<link rel="alternate" type="application/atom+xml" href="feeds/all.xml">'
        return web.Response(text=f"<html><head>{link}</head></html>", content_type="text/html")

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=rss([("a", "AI Act")], title="Desk"), content_type="text/xml")

    feed_server.routes.update({"/site/": home, "/site/feeds/all.xml": feed})

    assert (
        await feeds_check_command(argparse.Namespace(url=feed_server.url("/site/")), settings) == 0
    )

    out = capsys.readouterr().out
    assert f"found:       {feed_server.url('/site/feeds/all.xml')}" in out
    assert "Desk" in out


async def test_feeds_check_of_a_page_without_feed_links_says_so_in_words(
    settings: Settings, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def home(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>hello</body></html>", content_type="text/html")

    feed_server.routes["/plain"] = home

    assert (
        await feeds_check_command(argparse.Namespace(url=feed_server.url("/plain")), settings) == 1
    )

    out = capsys.readouterr().out
    assert out.startswith("not usable: the site's answer is not an RSS, Atom or JSON feed")
    assert "not_a_feed" not in out
