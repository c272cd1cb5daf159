"""The command line: the argument parser, and where each subcommand's handler lives.

A handler is ``async def x(args, settings) -> int`` in one of this package's modules
(``run``, ``feeds``, ``archive``, ``digest``, ``analysis``, ``catalog``, ``db``), named here
by module and function and imported only when its command runs: ``policybot --help`` and
``poll --once`` never pay for Discord, Alembic or the analyser.
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
from bot.domain.search_query import SEARCH_SYNTAX

if TYPE_CHECKING:
    from bot.settings import Settings

Handler = Callable[[argparse.Namespace, "Settings"], Coroutine[Any, Any, int]]


@dataclass(frozen=True, slots=True)
class HandlerRef:
    """A subcommand's handler by name: ``bot.cli.<module>.<function>``."""

    module: str
    function: str
    # What Ctrl-C means for this command, said instead of a traceback (exit 130).
    interrupted: str = "interrupted"

    def load(self) -> Handler:
        handler: Handler = getattr(importlib.import_module(f"bot.cli.{self.module}"), self.function)
        return handler

    async def __call__(self, args: argparse.Namespace, settings: Settings) -> int:
        return await self.load()(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policybot",
        description="A self-hosted Discord bot that follows AI-regulation news.",
        epilog="Configuration comes from the environment (POLICYBOT_*, DISCORD_TOKEN) and an "
        "optional .env file; 'policybot config' lists every setting with its variable, value "
        "and default.",
    )
    parser.add_argument("--version", action="version", version=f"policybot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_service_commands(commands)
    _add_feed_commands(commands)
    _add_archive_commands(commands)
    _add_analysis_commands(commands)
    _add_db_commands(commands)
    return parser


def _command(
    group: Any,
    name: str,
    *,
    help: str,
    description: str,
    examples: tuple[str, ...],
    aliases: tuple[str, ...] = (),
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` says what it does and shows how it is typed."""
    lines = "\n".join(f"  {example}" for example in examples)
    command: argparse.ArgumentParser = group.add_parser(
        name,
        aliases=list(aliases),
        help=help,
        description=description,
        epilog=f"examples:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return command


def _add_service_commands(commands: Any) -> None:
    run = _command(
        commands,
        "run",
        help="migrate the database, load feeds.yaml and run until Ctrl-C/SIGTERM",
        description="The long-running bot: polls feeds on a tick, keeps the archive and the "
        "analyses current and, with DISCORD_TOKEN set, answers slash commands (console mode "
        "without it).",
        examples=(
            "policybot run",
            "DISCORD_TOKEN=... POLICYBOT_LOG_LEVEL=DEBUG policybot run",
            "POLICYBOT_DATABASE_URL=postgresql://... policybot run --role poller",
            "POLICYBOT_DATABASE_URL=postgresql://... DISCORD_TOKEN=... policybot run --role bot",
        ),
    )
    run.add_argument(
        "--role",
        choices=("all", "poller", "bot"),  # bot.service.Role, not imported for --help's sake
        default="all",
        help="all: everything in one process (default); poller: only fetch, parse, index and "
        "analyse feeds, never Discord; bot: only Discord (commands, digests, admin notices), "
        "never polling. poller and bot share a PostgreSQL database (see Scaling in the README)",
    )
    run.set_defaults(handler=HandlerRef("run", "run_command"))

    sync = _command(
        commands,
        "sync-commands",
        help="register the slash commands with Discord (after installing or upgrading)",
        description="Global commands reach every server but may take a while to appear; a "
        "server sync (--guild, or POLICYBOT_DEV_GUILD_ID) shows changes at once.",
        examples=("policybot sync-commands", "policybot sync-commands --guild 123456789012345678"),
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

    config = _command(
        commands,
        "config",
        help="print the effective settings (secrets hidden)",
        description="Every setting with its environment variable, the value in effect and "
        "its default; the bot token and database passwords are never printed.",
        examples=("policybot config", "POLICYBOT_TIMEZONE=Europe/Brussels policybot config"),
    )
    config.set_defaults(handler=HandlerRef("config", "config_command"))

    health = _command(
        commands,
        "health",
        help="exit 0 when the database answers and the process stamped its heartbeat recently",
        description="For container health checks: checks the database and the heartbeat file "
        "that each ingestion cycle of 'policybot run' stamps (a '--role bot' process: each "
        "minute it is connected to Discord), and prints one line.",
        examples=("policybot health", "policybot health --max-age 900"),
    )
    health.add_argument(
        "--max-age",
        type=float,
        metavar="SECONDS",
        default=None,
        help="the oldest acceptable heartbeat (default: 3 poll ticks, at least 5 minutes)",
    )
    health.set_defaults(handler=HandlerRef("health", "health_command"))


def _add_feed_commands(commands: Any) -> None:
    poll = _command(
        commands,
        "poll",
        help="poll feeds: one cycle (--once) or until Ctrl-C",
        description="The ingestion cycle 'policybot run' runs (poll, index for search, "
        "analyse), without Discord; --once prints a summary table and exits (for cron).",
        examples=("policybot poll --once", "policybot poll --once --all"),
    )
    poll.add_argument("--once", action="store_true", help="run one cycle, print a summary, exit")
    poll.add_argument(
        "--all", action="store_true", help="poll every active feed, not only those due"
    )
    poll.add_argument(
        "--analyse-for",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="with --once: analyse for at most this long, leaving the rest queued for the "
        "next poll or for run (0: until the queue is empty; default: what polling left of "
        "the cycle's POLICYBOT_ANALYSIS_SLICE_SECONDS, 30, as each cycle of run)",
    )
    poll.set_defaults(
        handler=HandlerRef(
            "feeds", "poll_command", interrupted="interrupted; feeds finished so far are stored"
        )
    )

    feeds = _command(
        commands,
        "feeds",
        help="list, check, import and export feeds",
        description="The instance's feeds: their health, one-off checks, OPML in and out.",
        examples=("policybot feeds list", "policybot feeds check https://example.org/"),
    )
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    listing = _command(
        actions,
        "list",
        help="every feed with its health and next check",
        description="Reads the current feeds.yaml first. Health: new (never fetched), ok, "
        "failing (recent errors, with the last one in words) or paused; feeds nobody follows "
        "any more are listed apart.",
        examples=("policybot feeds list",),
    )
    listing.set_defaults(handler=HandlerRef("feeds", "feeds_list_command"))
    check = _command(
        actions,
        "check",
        help="fetch a URL once and report what it holds",
        description="Fetches and parses once, storing nothing. A site's page that links its "
        "feed is followed to that feed.",
        examples=("policybot feeds check https://example.org/feed.xml",),
    )
    check.add_argument("url", metavar="URL")
    check.set_defaults(handler=HandlerRef("feeds", "feeds_check_command"))
    resume = _command(
        actions,
        "resume",
        help="un-pause a feed (e.g. after a 410) by id or URL",
        description="The feed is polled again on the next cycle.",
        examples=("policybot feeds resume 12", "policybot feeds resume https://example.org/rss"),
    )
    resume.add_argument("feed", metavar="ID|URL", help="the id shown by 'feeds list', or the URL")
    resume.set_defaults(handler=HandlerRef("feeds", "feeds_resume_command"))
    importing = _command(
        actions,
        "import-opml",
        help="append an OPML file's feeds to feeds.yaml and load them",
        description="Feeds already listed are skipped; the file is validated before it "
        "replaces feeds.yaml, and its comments are kept.",
        examples=("policybot feeds import-opml reader.opml --kind analysis",),
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.add_argument(
        "--kind",
        default="news",
        choices=["official", "news", "analysis"],
        help="for new feeds (default: news)",
    )
    importing.set_defaults(handler=HandlerRef("feeds", "feeds_import_opml_command"))
    exporting = _command(
        actions,
        "export-opml",
        help="write followed feeds as OPML",
        description="Every feed the instance list or a server follows, for any feed reader.",
        examples=("policybot feeds export-opml -o feeds.opml",),
    )
    exporting.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="file to write (default: stdout)"
    )
    exporting.set_defaults(handler=HandlerRef("feeds", "feeds_export_opml_command"))


def _add_archive_commands(commands: Any) -> None:
    search = _command(
        commands,
        "search",
        help="full-text search of the archive (like /search)",
        description=f"Best match first, ten a page. Search syntax: {SEARCH_SYNTAX}.",
        examples=("policybot search AI Act fines", "policybot search '\"AI Act\" -UK' --page 2"),
    )
    search.add_argument("query", nargs="+", metavar="WORDS", help="what to look for")
    search.add_argument("--page", type=_page, default=1, metavar="N", help="page (default 1)")
    search.set_defaults(handler=HandlerRef("archive", "search_command"))

    latest = _command(
        commands,
        "latest",
        help="the newest archived items (like /latest)",
        description=f"Optionally only those matching WORDS; search syntax: {SEARCH_SYNTAX}.",
        examples=("policybot latest", "policybot latest deepfakes --page 2"),
    )
    latest.add_argument("topic", nargs="*", metavar="WORDS", help="only items matching these")
    latest.add_argument("--page", type=_page, default=1, metavar="N", help="page (default 1)")
    latest.set_defaults(handler=HandlerRef("archive", "latest_command"))

    digest = _command(
        commands,
        "digest",
        help="the instance feeds' digest, printed (like a Discord digest; nothing recorded)",
        description="Stance changes first, then the stories by law or jurisdiction, from the "
        "instance's feeds.yaml feeds. Markdown is ready to paste into an e-mail newsletter.",
        examples=("policybot digest", "policybot digest --since 7d --format markdown"),
    )
    digest.add_argument(
        "--since",
        type=_since,
        default="24h",
        metavar="SPAN",
        help="items fetched within this span: 90m, 24h (default), 7d, 2w",
    )
    digest.add_argument(
        "--format", choices=["text", "markdown"], default="text", help="default: text"
    )
    digest.add_argument(
        "--at",
        type=_moment,
        metavar="YYYY-MM-DDTHH:MM",
        help="compose it as of this moment (UTC unless an offset is given; default: now)",
    )
    digest.set_defaults(handler=HandlerRef("digest", "digest_command"))


def _add_analysis_commands(commands: Any) -> None:
    analyse = _command(
        commands,
        "analyse",
        aliases=("analyze",),
        help="analyse articles from a JSON-lines file and print one JSON line each (no database)",
        description="Each input line has id, title and text (url and published optional); each "
        'output line is {"id", "relevant", "relevance", "labels": [{"entity", "target", '
        '"stance", "evidence"}]}. Use - to read standard input.',
        examples=("policybot analyse articles.jsonl > predictions.jsonl",),
    )
    analyse.add_argument("articles", metavar="ARTICLES.jsonl")
    analyse.set_defaults(handler=HandlerRef("analysis", "analyze_command"))

    stance = _command(
        commands,
        "stance",
        help="a company's positions law by law, or who supports or opposes a law",
        description="The same answer as /stance, with evidence and links; an unknown name "
        "prints close matches and exits 1.",
        examples=(
            "policybot stance meta",
            "policybot stance meta --target 'AI Act' --since 2025-01-01",
            "policybot stance 'AI Act' --json",
        ),
    )
    stance.add_argument(
        "name", metavar="NAME", help="a company or a law: id, name or alias (e.g. meta, AI Act)"
    )
    stance.add_argument("--target", metavar="LAW", help="only this law (for a company)")
    stance.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="ignore older reports")
    stance.add_argument("--json", action="store_true", help="print JSON instead of text")
    stance.set_defaults(handler=HandlerRef("analysis", "stance_command"))

    reanalyse = _command(
        commands,
        "reanalyse",
        aliases=("reanalyze",),
        help="analyse every stored item again (after the catalog or rules changed)",
        description="Needed after editing the catalog; a rules upgrade is picked up by itself.",
        examples=("POLICYBOT_CATALOG_FILE=mine.yaml policybot reanalyse",),
    )
    reanalyse.set_defaults(handler=HandlerRef("analysis", "reanalyse_command"))
    catalog = _command(
        commands,
        "catalog",
        help="review the catalog against the archive",
        description="What the news names that the catalog does not know yet.",
        examples=("policybot catalog unknown",),
    )
    catalog_commands = catalog.add_subparsers(dest="action", required=True, metavar="ACTION")
    unknown = _command(
        catalog_commands,
        "unknown",
        help="the most mentioned laws in relevant items that the catalog lacks",
        description="Each with a sample sentence and a link: add them to the catalog file "
        "(POLICYBOT_CATALOG_FILE), then run policybot reanalyse.",
        examples=("policybot catalog unknown --limit 50",),
    )
    unknown.add_argument(
        "--limit", type=int, default=20, metavar="N", help="how many names (default 20)"
    )
    unknown.set_defaults(handler=HandlerRef("catalog", "catalog_unknown_command"))


def _add_db_commands(commands: Any) -> None:
    db = _command(
        commands,
        "db",
        help="database migrations",
        description="policybot migrates by itself at start; these are for doing it by hand.",
        examples=("policybot db upgrade", "policybot db downgrade -1", "policybot db current"),
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = _command(
        db_commands,
        "upgrade",
        help="migrate to the newest (or a given) revision",
        description="Creates the database if needed.",
        examples=("policybot db upgrade", "policybot db upgrade 0004"),
    )
    upgrade.add_argument("revision", nargs="?", default="head", metavar="REV")
    upgrade.set_defaults(handler=HandlerRef("db", "db_upgrade_command"))
    downgrade = _command(
        db_commands,
        "downgrade",
        help="migrate back to a revision",
        description="Data in dropped tables or columns is lost.",
        examples=("policybot db downgrade -1", "policybot db downgrade base"),
    )
    downgrade.add_argument("revision", metavar="REV", help="e.g. -1, base, or a revision id")
    downgrade.set_defaults(handler=HandlerRef("db", "db_downgrade_command"))
    current = _command(
        db_commands,
        "current",
        help="print the database's revision",
        description="Prints '(empty database)' before the first upgrade.",
        examples=("policybot db current",),
    )
    current.set_defaults(handler=HandlerRef("db", "db_current_command"))
    copy = _command(
        db_commands,
        "copy",
        help="copy the whole archive into a new, empty database (e.g. SQLite to PostgreSQL)",
        description="Ids are kept, PostgreSQL's sequences set after them and the row counts "
        "checked; a target that holds rows is refused.",
        examples=("policybot db copy --to postgresql://user@dbhost/policybot",),
    )
    copy.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="the database to read (default: POLICYBOT_DATABASE_URL)",
    )
    copy.add_argument(
        "--to", dest="target", metavar="URL", required=True, help="the empty database to fill"
    )
    copy.set_defaults(handler=HandlerRef("db", "db_copy_command"))
    revision = _command(
        db_commands,
        "revision",
        help="(developers) write a migration from the difference to the models",
        description="Upgrades first, then autogenerates a migration into migrations/versions.",
        examples=("policybot db revision -m 'feeds: add a column'",),
    )
    revision.add_argument("-m", "--message", required=True, metavar="MSG")
    revision.set_defaults(handler=HandlerRef("db", "db_revision_command"))


def _page(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("pages start at 1")
    return number


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {value}")
    return seconds


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
