"""The command line: the argument parser, and where each subcommand's handler lives.

A handler is ``async def x(args, settings) -> int`` in one of this package's modules
(``run``, ``feeds``, ``archive``, ``digest``, ``analysis``, ``db``), named here by module and
function and imported only when its command runs: ``policybot --help`` and ``poll --once`` never pay
for Discord, Alembic or the analyser.
"""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__

if TYPE_CHECKING:
    from bot.settings import Settings

Handler = Callable[[argparse.Namespace, "Settings"], Coroutine[Any, Any, int]]


@dataclass(frozen=True, slots=True)
class HandlerRef:
    """A subcommand's handler by name: ``bot.cli.<module>.<function>``."""

    module: str
    function: str

    def load(self) -> Handler:
        handler: Handler = getattr(importlib.import_module(f"bot.cli.{self.module}"), self.function)
        return handler

    async def __call__(self, args: argparse.Namespace, settings: Settings) -> int:
        return await self.load()(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policybot",
        description="A self-hosted Discord bot that follows AI-regulation news.",
        epilog="Configuration comes from the environment (POLICYBOT_*, DISCORD_TOKEN) "
        "and an optional .env file; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"policybot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_service_commands(commands)
    _add_feed_commands(commands)
    _add_archive_commands(commands)
    _add_analysis_commands(commands)
    _add_db_commands(commands)
    return parser


def _add_service_commands(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="migrate the database, load feeds.yaml and run until Ctrl-C/SIGTERM"
    )
    run.set_defaults(handler=HandlerRef("run", "run_command"))

    sync = commands.add_parser(
        "sync-commands",
        help="register the slash commands with Discord (after installing or upgrading)",
        description="Global commands reach every server but may take a while to appear; a "
        "server sync (--guild, or POLICYBOT_DEV_GUILD_ID) shows changes at once.",
    )
    scope = sync.add_mutually_exclusive_group()
    scope.add_argument("--guild", type=int, metavar="ID", help="sync to this server only")
    scope.add_argument(
        "--global",
        dest="global_scope",
        action="store_true",
        help="sync globally even when POLICYBOT_DEV_GUILD_ID is set",
    )
    sync.set_defaults(handler=HandlerRef("run", "sync_commands_command"))


def _add_feed_commands(commands: Any) -> None:
    poll = commands.add_parser("poll", help="poll feeds: one cycle (--once) or until Ctrl-C")
    poll.add_argument("--once", action="store_true", help="run one cycle, print a summary, exit")
    poll.add_argument(
        "--all", action="store_true", help="poll every active feed, not only those due"
    )
    poll.set_defaults(handler=HandlerRef("feeds", "poll_command"))

    feeds = commands.add_parser("feeds", help="list, check, import and export feeds")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every feed with its health and next check")
    listing.set_defaults(handler=HandlerRef("feeds", "feeds_list_command"))
    check = actions.add_parser("check", help="fetch a URL once and report what it holds")
    check.add_argument("url")
    check.set_defaults(handler=HandlerRef("feeds", "feeds_check_command"))
    resume = actions.add_parser("resume", help="un-pause a feed (e.g. after a 410) by id or URL")
    resume.add_argument("feed", help="the id shown by 'feeds list', or the URL")
    resume.set_defaults(handler=HandlerRef("feeds", "feeds_resume_command"))
    importing = actions.add_parser(
        "import-opml", help="append an OPML file's feeds to feeds.yaml and load them"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--kind", default="news", choices=["official", "news", "analysis"], help="for new feeds"
    )
    importing.set_defaults(handler=HandlerRef("feeds", "feeds_import_opml_command"))
    exporting = actions.add_parser("export-opml", help="write followed feeds as OPML")
    exporting.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    exporting.set_defaults(handler=HandlerRef("feeds", "feeds_export_opml_command"))


def _add_archive_commands(commands: Any) -> None:
    search = commands.add_parser("search", help="full-text search of the archive (like /search)")
    search.add_argument("query", nargs="+", help="words that must all appear")
    search.add_argument("--page", type=_page, default=1, help="page number (default 1)")
    search.set_defaults(handler=HandlerRef("archive", "search_command"))

    latest = commands.add_parser("latest", help="the newest archived items (like /latest)")
    latest.add_argument("topic", nargs="*", help="only items mentioning these words")
    latest.add_argument("--page", type=_page, default=1, help="page number (default 1)")
    latest.set_defaults(handler=HandlerRef("archive", "latest_command"))

    digest = commands.add_parser(
        "digest",
        help="the instance feeds' digest, printed (like a Discord digest; nothing recorded)",
        description="Stance changes first, then the stories by law or jurisdiction, from the "
        "instance's feeds.yaml feeds. Markdown is ready to paste into an e-mail newsletter.",
    )
    digest.add_argument(
        "--since",
        type=_since,
        default="24h",
        metavar="SPAN",
        help="items fetched within this span: 90m, 24h (default), 7d, 2w",
    )
    digest.add_argument("--format", choices=["text", "markdown"], default="text")
    digest.add_argument(
        "--at",
        type=_moment,
        metavar="YYYY-MM-DDTHH:MM",
        help="compose it as of this moment (UTC unless an offset is given; default: now)",
    )
    digest.set_defaults(handler=HandlerRef("digest", "digest_command"))


def _add_analysis_commands(commands: Any) -> None:
    analyze = commands.add_parser(
        "analyze",
        help="analyse articles from a JSON-lines file and print one JSON line each (no database)",
        description="Each input line has id, title and text (url and published optional); each "
        'output line is {"id", "relevant", "relevance", "labels": [{"entity", "target", '
        '"stance", "evidence"}]}. Use - to read standard input.',
    )
    analyze.add_argument("articles", metavar="ARTICLES.jsonl")
    analyze.set_defaults(handler=HandlerRef("analysis", "analyze_command"))

    stance = commands.add_parser(
        "stance", help="a company's positions law by law, or who supports or opposes a law"
    )
    stance.add_argument("name", help="a company or a law: id, name or alias (e.g. meta, AI Act)")
    stance.add_argument("--target", help="only this law (for a company)")
    stance.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="ignore older reports")
    stance.add_argument("--json", action="store_true", help="print JSON instead of text")
    stance.set_defaults(handler=HandlerRef("analysis", "stance_command"))

    reanalyse = commands.add_parser(
        "reanalyse", help="analyse every stored item again (after the catalog or rules changed)"
    )
    reanalyse.set_defaults(handler=HandlerRef("analysis", "reanalyse_command"))


def _add_db_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="migrate to the newest (or a given) revision")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=HandlerRef("db", "db_upgrade_command"))
    downgrade = db_commands.add_parser("downgrade", help="migrate back to a revision")
    downgrade.add_argument("revision", help="e.g. -1, base, or a revision id")
    downgrade.set_defaults(handler=HandlerRef("db", "db_downgrade_command"))
    current = db_commands.add_parser("current", help="print the database's revision")
    current.set_defaults(handler=HandlerRef("db", "db_current_command"))
    revision = db_commands.add_parser(
        "revision", help="(developers) write a migration from the difference to the models"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(handler=HandlerRef("db", "db_revision_command"))


def _page(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("pages start at 1")
    return number


_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _since(text: str) -> timedelta:
    """``24h``, ``90m``, ``7d``, ``2w`` as a span of time."""
    match = _SPAN.match(text)
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not a span such as 24h, 90m, 7d or 2w: {text!r}")
    return timedelta(**{_SPAN_UNITS[match.group(2).lower()]: int(match.group(1))})


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a moment (YYYY-MM-DDTHH:MM): {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
