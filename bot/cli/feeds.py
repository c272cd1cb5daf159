"""``policybot poll`` and ``policybot feeds ...``: ingestion from the command line.

Handlers call the facade and print for people: a progress bar on a terminal, then a summary
table. ``poll --once`` runs the same cycle as ``policybot run`` (poll, index, analyse).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import TextIO

from bot.app.cycle import CycleReport, FeedPollResult
from bot.cli.run import run_role
from bot.composition import open_application
from bot.domain.feed_status import plain_error
from bot.service import Role
from bot.settings import Settings


class ProgressBar:
    """A one-line bar on stderr when it is a terminal; silent otherwise.

    While it is drawn, a log line first clears the bar (it comes back with the next feed), so
    the two never share a line.
    """

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self._stream = stream
        self._width = width
        self._total = 0
        self._done = 0
        self._errors = 0
        self._live = stream.isatty()
        self._drawn = False

    def start(self, total: int) -> None:
        self._total = total
        if self._live:
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._clear)
        self._draw()

    def advance(self, result: FeedPollResult) -> None:
        self._done += 1
        self._errors += result.error_kind is not None
        self._draw()

    def finish(self) -> None:
        self._drawn = False
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._clear)
        if self._live and self._total:
            self._stream.write("\n")
            self._stream.flush()

    def _clear(self, record: logging.LogRecord) -> bool:
        """A logging filter that lets every record through, on a line of its own."""
        if self._drawn:
            self._drawn = False
            self._stream.write("\r\x1b[K")
            self._stream.flush()
        return True

    def _draw(self) -> None:
        if not self._live or not self._total:
            return
        filled = self._width * self._done // self._total
        bar = "#" * filled + "-" * (self._width - filled)
        self._stream.write(f"\r[{bar}] {self._done}/{self._total} feeds, {self._errors} errors")
        self._stream.flush()
        self._drawn = True


def summary_table(cycle: CycleReport, *, seconds: float) -> str:
    """The end-of-cycle table: what happened to how many feeds, errors by kind, analysis."""
    report = cycle.poll
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
        ("items analysed", cycle.analysis.analysed),
        ("  relevant", cycle.analysis.relevant),
        ("  still queued (next poll or run)", cycle.analysis_queued),
    ]
    rows += [(f"  error: {kind}", count) for kind, count in sorted(report.errors_by_kind.items())]
    rows += [(f"  health: {event.kind.value}", 1) for event in report.events]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {count:>7}" for label, count in rows]
    lines.append(f"{'  analysis time'.ljust(width)}  {cycle.analysis_seconds:>6.1f}s")
    lines.append(f"{'time'.ljust(width)}  {seconds:>6.1f}s")
    return "\n".join(lines)


async def poll_command(args: argparse.Namespace, settings: Settings) -> int:
    if not args.once:  # the poller role of 'policybot run', on any database
        return await run_role(Role.POLLER, settings)
    async with open_application(settings) as app:
        await app.feeds.sync_file(settings.feeds_file, now=datetime.now(UTC))
        bar = ProgressBar()
        started = time.monotonic()
        await app.cycle.requeue_stale()  # as run's start-up does; this cycle analyses them
        try:
            cycle = await app.cycle.run(
                now=datetime.now(UTC),
                only_due=not args.all,
                on_feed=bar.advance,
                on_start=bar.start,
                # run's slice, or analysis for --analyse-for seconds (0: until it is empty)
                slice_seconds=settings.analysis_slice_seconds if args.analyse_for is None else None,
                analysis_budget=args.analyse_for or None,
            )
        finally:
            bar.finish()
    print(summary_table(cycle, seconds=time.monotonic() - started))
    report = cycle.poll
    return 1 if report.feeds and report.outcomes.get("error", 0) == len(report.feeds) else 0


async def feeds_list_command(args: argparse.Namespace, settings: Settings) -> int:
    """Every feed with its health, after reading the current feeds.yaml; feeds nobody follows
    any more are listed apart, so they are not mistaken for ones being polled."""
    async with open_application(settings) as app:
        await app.feeds.sync_file(settings.feeds_file, now=datetime.now(UTC))
        feeds = await app.feeds.overview()
    followed = [feed for feed in feeds if feed.followed]
    removed = [feed for feed in feeds if not feed.followed]
    print(f"{'id':>4}  {'status':8} {'err':>3} {'items':>6}  {'next check (UTC)':16}  feed")
    for feed in followed:
        following = "instance" if feed.in_instance_list else f"{feed.guild_count} servers"
        when = feed.next_check_at.strftime("%Y-%m-%d %H:%M") if feed.next_check_at else "-"
        print(
            f"{feed.id:>4}  {feed.health:8} {feed.consecutive_errors:>3} "
            f"{feed.item_count:>6}  {when:16}  {feed.title or '(untitled)'} <{feed.url}> "
            f"[{following}]"
        )
        if feed.last_error and feed.consecutive_errors:
            print(f"{'':>6}last error: {plain_error(feed.last_error)} ({feed.last_error.detail})")
    counts = Counter(feed.health for feed in followed)
    print(f"{len(followed)} feeds: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if removed:
        print(f"\nno longer followed (removed from {settings.feeds_file}; items kept, not polled):")
        for feed in removed:
            print(
                f"{feed.id:>4}  {feed.item_count:>6} items  "
                f"{feed.title or '(untitled)'} <{feed.url}>"
            )
    return 0


async def feeds_check_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        probe = await app.feeds.probe(args.url)
    if probe.error is not None:
        print(f"not usable: {plain_error(probe.error.info)} ({probe.error.reason})")
        return 1
    if probe.url != args.url:
        print(f"found:       {probe.url} (linked from the page {args.url})")
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
        url = await app.feeds.resume(args.feed, now=datetime.now(UTC))
    if url is None:
        print(f"no feed {args.feed!r}; see 'policybot feeds list'")
        return 1
    print(f"resumed {url}; it is polled on the next cycle")
    return 0


async def feeds_import_opml_command(args: argparse.Namespace, settings: Settings) -> int:
    document = args.file.read_bytes()
    async with open_application(settings) as app:
        done = await app.feeds.append_opml(
            document,
            settings.feeds_file,
            label=str(args.file),
            kind=args.kind,
            now=datetime.now(UTC),
        )
    skipped = done.outlines - len(done.appended)
    print(f"{len(done.appended)} feeds added to {settings.feeds_file} ({skipped} already listed)")
    print(f"database: {len(done.synced.added)} new feeds, {len(done.synced.updated)} updated")
    return 0


async def feeds_export_opml_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        document = await app.feeds.export_opml(now=datetime.now(UTC))
    if args.output is None:
        sys.stdout.write(document)
    else:
        args.output.write_text(document, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0
