"""``policybot search`` and ``policybot latest``: the archive from the command line.

The same facade calls as ``/search`` and ``/latest``, printed for a terminal, so console mode
(no DISCORD_TOKEN) answers the same questions.
"""

from __future__ import annotations

import argparse
import sys

from bot.composition import open_application
from bot.domain.archive import ArchivePage
from bot.domain.search_query import NO_SEARCH_WORDS, parse_search
from bot.settings import Settings

PER_PAGE = 10


async def search_command(args: argparse.Namespace, settings: Settings) -> int:
    query = " ".join(args.query)
    if parse_search(query) is None:
        print(NO_SEARCH_WORDS, file=sys.stderr)
        return 1
    async with open_application(settings) as app:
        page = await app.archive.search_page(query, page=args.page, per_page=PER_PAGE)
    sys.stdout.write(format_page(page, empty=f"nothing matches {query!r}") + "\n")
    return 0


async def latest_command(args: argparse.Namespace, settings: Settings) -> int:
    topic = " ".join(args.topic) or None
    if topic is not None and parse_search(topic) is None:
        print(NO_SEARCH_WORDS, file=sys.stderr)
        return 1
    async with open_application(settings) as app:
        page = await app.archive.latest_page(topic, page=args.page, per_page=PER_PAGE)
    empty = "the archive has no items yet" if topic is None else f"nothing about {topic!r}"
    sys.stdout.write(format_page(page, empty=empty) + "\n")
    return 0


def format_page(page: ArchivePage, *, empty: str) -> str:
    """One numbered entry per item: title, then feed and date, then the link."""
    if not page.entries:
        return empty if page.page == 1 else f"no results on page {page.page}"
    lines: list[str] = []
    for number, entry in enumerate(page.entries, start=page.first_number):
        when = entry.published_at.strftime("%Y-%m-%d") if entry.published_at else "undated"
        lines.append(f"{number:>3}. {' '.join(entry.title.split()) or 'Untitled'}")
        lines.append(f"     {entry.feed_title} · {when}")
        if entry.url:
            lines.append(f"     {entry.url}")
    if page.has_more:
        lines.append(f"(more with --page {page.page + 1})")
    return "\n".join(lines)
