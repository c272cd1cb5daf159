"""The command line for ingestion: ``policybot poll`` and ``policybot feeds ...``.

Handlers follow ``bot.cli``'s contract (``async def x(args, settings) -> int``), call the
facade, and print for people: a progress bar on a terminal, then a summary table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.composition import open_application
from bot.errors import FeedsFileError
from bot.ingest.opml import OpmlFeed, read_opml, write_opml
from bot.ingest.sources import load_feed_sources, parse_feed_sources
from bot.polling import FeedPollResult, PollReport
from bot.service import IngestionLoops, install_stop_signals
from bot.settings import Settings


def register_feed_commands(commands: Any) -> None:
    """Add ``poll`` and ``feeds`` to the top-level subcommands of ``bot.cli``."""
    poll = commands.add_parser("poll", help="poll feeds: one cycle (--once) or until Ctrl-C")
    poll.add_argument("--once", action="store_true", help="run one cycle, print a summary, exit")
    poll.add_argument(
        "--all", action="store_true", help="poll every active feed, not only those due"
    )
    poll.set_defaults(handler=poll_command)

    feeds = commands.add_parser("feeds", help="list, check, import and export feeds")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every feed with its health and next check")
    listing.set_defaults(handler=feeds_list_command)
    check = actions.add_parser("check", help="fetch a URL once and report what it holds")
    check.add_argument("url")
    check.set_defaults(handler=feeds_check_command)
    resume = actions.add_parser("resume", help="un-pause a feed (e.g. after a 410) by id or URL")
    resume.add_argument("feed", help="the id shown by 'feeds list', or the URL")
    resume.set_defaults(handler=feeds_resume_command)
    importing = actions.add_parser(
        "import-opml", help="append an OPML file's feeds to feeds.yaml and load them"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--kind", default="news", choices=["official", "news", "analysis"], help="for new feeds"
    )
    importing.set_defaults(handler=feeds_import_opml_command)
    exporting = actions.add_parser("export-opml", help="write followed feeds as OPML")
    exporting.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    exporting.set_defaults(handler=feeds_export_opml_command)


class ProgressBar:
    """A one-line bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self._stream = stream
        self._width = width
        self._total = 0
        self._done = 0
        self._errors = 0
        self._live = stream.isatty()

    def start(self, total: int) -> None:
        self._total = total
        self._draw()

    def advance(self, result: FeedPollResult) -> None:
        self._done += 1
        self._errors += result.error_kind is not None
        self._draw()

    def finish(self) -> None:
        if self._live and self._total:
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self) -> None:
        if not self._live or not self._total:
            return
        filled = self._width * self._done // self._total
        bar = "#" * filled + "-" * (self._width - filled)
        self._stream.write(f"\r[{bar}] {self._done}/{self._total} feeds, {self._errors} errors")
        self._stream.flush()


def summary_table(report: PollReport, *, seconds: float) -> str:
    """The end-of-cycle table: what happened to how many feeds, and errors by kind."""
    rows = [
        ("feeds polled", len(report.feeds)),
        ("fetched (200, parsed)", report.outcomes.get("fetched", 0)),
        ("unchanged body (200, not parsed)", report.outcomes.get("unchanged", 0)),
        ("not modified (304)", report.outcomes.get("not_modified", 0)),
        ("throttled (429/503)", report.outcomes.get("throttled", 0)),
        ("gone (410, paused)", report.outcomes.get("gone", 0)),
        ("errors", report.outcomes.get("error", 0)),
        ("new items", len(report.new_item_ids)),
        ("updated items", len(report.updated_item_ids)),
    ]
    rows += [(f"  error: {kind}", count) for kind, count in sorted(report.errors_by_kind.items())]
    rows += [(f"  health: {event.kind.value}", 1) for event in report.events]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {count:>7}" for label, count in rows]
    lines.append(f"{'time'.ljust(width)}  {seconds:>6.1f}s")
    return "\n".join(lines)


async def poll_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        await app.sync_instance_feeds(load_feed_sources(settings.feeds_file), now=datetime.now(UTC))
        if not args.once:
            stop = asyncio.Event()
            install_stop_signals(stop)
            loops = IngestionLoops(app, settings)
            loops.start()
            await stop.wait()
            await loops.stop()
            return 0
        bar = ProgressBar()
        started = time.monotonic()
        report = await app.poll(
            now=datetime.now(UTC), only_due=not args.all, on_feed=bar.advance, on_start=bar.start
        )
        bar.finish()
        await app.index_search()
    print(summary_table(report, seconds=time.monotonic() - started))
    return 1 if report.feeds and report.outcomes.get("error", 0) == len(report.feeds) else 0


async def feeds_list_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        feeds = await app.feed_overview()
    print(f"{'id':>4}  {'status':8} {'err':>3} {'items':>6}  {'next check (UTC)':16}  feed")
    for feed in feeds:
        following = "instance" if feed.in_instance_list else f"{feed.guild_count} servers"
        when = feed.next_check_at.strftime("%Y-%m-%d %H:%M") if feed.next_check_at else "-"
        print(
            f"{feed.id:>4}  {feed.status.value:8} {feed.consecutive_errors:>3} "
            f"{feed.item_count:>6}  {when:16}  {feed.title or '(untitled)'} <{feed.url}> "
            f"[{following}]"
        )
        if feed.last_error and feed.consecutive_errors:
            print(f"{'':>6}last error: {feed.last_error.detail}")
    counts = Counter(feed.status.value for feed in feeds)
    print(f"{len(feeds)} feeds: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0


async def feeds_check_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        probe = await app.probe_feed(args.url)
    if not probe.ok:
        print(f"not usable: {probe.error}")
        return 1
    print(f"feed:        {probe.title or '(untitled)'} ({probe.version})")
    if probe.final_url and probe.final_url != probe.url:
        print(f"redirected:  {probe.final_url}")
    print(f"entries:     {probe.entry_count}")
    print(f"conditional: {'yes (ETag/Last-Modified)' if probe.has_validators else 'no'}")
    if probe.cache_control:
        print(f"cache:       {probe.cache_control}")
    for title in probe.sample_titles:
        print(f"  - {title}")
    return 0


async def feeds_resume_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        url = await app.resume_feed(args.feed, now=datetime.now(UTC))
    if url is None:
        print(f"no feed {args.feed!r}; see 'policybot feeds list'")
        return 1
    print(f"resumed {url}; it is polled on the next cycle")
    return 0


async def feeds_import_opml_command(args: argparse.Namespace, settings: Settings) -> int:
    outlines = read_opml(args.file.read_bytes(), label=str(args.file))
    added = append_to_feeds_file(settings.feeds_file, outlines, kind=args.kind)
    async with open_application(settings) as app:
        synced = await app.sync_instance_feeds(
            load_feed_sources(settings.feeds_file), now=datetime.now(UTC)
        )
    skipped = len(outlines) - len(added)
    print(f"{len(added)} feeds added to {settings.feeds_file} ({skipped} already listed)")
    print(f"database: {len(synced.added)} new feeds, {len(synced.updated)} updated")
    return 0


async def feeds_export_opml_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        feeds = await app.feed_overview()
    document = write_opml(
        (
            OpmlFeed(feed.url, feed.title or feed.url, feed.site_url, feed.kind)
            for feed in feeds
            if feed.in_instance_list or feed.guild_count
        ),
        title="policybot feeds",
        now=datetime.now(UTC),
    )
    if args.output is None:
        sys.stdout.write(document)
    else:
        args.output.write_text(document, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def append_to_feeds_file(path: Path, outlines: tuple[OpmlFeed, ...], *, kind: str) -> list[str]:
    """Append unseen feeds to feeds.yaml as one-line entries, keeping its comments.

    The result is validated whole before it replaces the file; nothing is half-written.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "feeds:\n"
    known = {source.url for source in load_feed_sources(path)} if path.exists() else set()
    indent = "  "
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("- "):
            indent = line[: len(line) - len(stripped)]
            break
    added: list[str] = []
    lines: list[str] = []
    for outline in outlines:
        if outline.url in known:
            continue
        known.add(outline.url)
        added.append(outline.url)
        name = json.dumps(outline.title[:200], ensure_ascii=False)
        lines.append(f"{indent}- {{name: {name}, url: {json.dumps(outline.url)}, kind: {kind}}}")
    if not lines:
        return []
    updated = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    try:
        parse_feed_sources(yaml.safe_load(updated), label=path.name)
    except yaml.YAMLError as exc:
        raise FeedsFileError(str(path), f"the import would make it invalid YAML: {exc}") from exc
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(path)
    return added
