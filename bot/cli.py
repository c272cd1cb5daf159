"""The command line: parses arguments, calls the facade, prints results for people.

Each subcommand is an ``async def`` taking ``(args, settings)`` and returning an exit code;
``build_parser`` wires it to its arguments with ``set_defaults(handler=...)``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from alembic import command as alembic_command
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import __version__
from bot.app import Application
from bot.archive_commands import register_archive_commands
from bot.catalog import load_catalog
from bot.composition import make_scheduler, open_application, open_chat_bot
from bot.domain.analysis import Analyser
from bot.domain.position_summary import PositionSummary
from bot.domain.positions import (
    CompanyStance,
    LawStance,
    Position,
    StanceAnswer,
    UnknownName,
)
from bot.errors import ConfigError
from bot.feed_commands import register_feed_commands
from bot.service import announce_start, install_stop_signals, run_service
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.engine import make_engine

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policybot",
        description="A self-hosted Discord bot that follows AI-regulation news.",
        epilog="Configuration comes from the environment (POLICYBOT_*, DISCORD_TOKEN) "
        "and an optional .env file; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"policybot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="migrate the database, load feeds.yaml and run until Ctrl-C/SIGTERM"
    )
    run.set_defaults(handler=run_command)

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
    sync.set_defaults(handler=sync_commands_command)

    register_feed_commands(commands)
    register_archive_commands(commands)

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="migrate to the newest (or a given) revision")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=db_upgrade_command)
    downgrade = db_commands.add_parser("downgrade", help="migrate back to a revision")
    downgrade.add_argument("revision", help="e.g. -1, base, or a revision id")
    downgrade.set_defaults(handler=db_downgrade_command)
    current = db_commands.add_parser("current", help="print the database's revision")
    current.set_defaults(handler=db_current_command)
    revision = db_commands.add_parser(
        "revision", help="(developers) write a migration from the difference to the models"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(handler=db_revision_command)

    analyze = commands.add_parser(
        "analyze",
        help="analyse articles from a JSON-lines file and print one JSON line each (no database)",
        description="Each input line has id, title and text (url and published optional); each "
        'output line is {"id", "relevant", "relevance", "labels": [{"entity", "target", '
        '"stance", "evidence"}]}. Use - to read standard input.',
    )
    analyze.add_argument("articles", metavar="ARTICLES.jsonl")
    analyze.set_defaults(handler=analyze_command)

    stance = commands.add_parser(
        "stance", help="a company's positions law by law, or who supports or opposes a law"
    )
    stance.add_argument("name", help="a company or a law: id, name or alias (e.g. meta, AI Act)")
    stance.add_argument("--target", help="only this law (for a company)")
    stance.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="ignore older reports")
    stance.add_argument("--json", action="store_true", help="print JSON instead of text")
    stance.set_defaults(handler=stance_command)

    reanalyse = commands.add_parser(
        "reanalyse", help="analyse every stored item again (after the catalog or rules changed)"
    )
    reanalyse.set_defaults(handler=reanalyse_command)
    return parser


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    announce_start(settings)
    stop = asyncio.Event()
    install_stop_signals(stop)
    async with (
        open_application(settings) as app,
        open_chat_bot(app, settings, make_scheduler()) as chat,
    ):
        await run_service(app, settings, stop, chat=chat)
    return 0


async def sync_commands_command(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        raise ConfigError("sync-commands needs DISCORD_TOKEN (the bot token from Discord)")
    guild_id = None if args.global_scope else (args.guild or settings.dev_guild_id)
    # Registering needs the command tree only: no migration, no poller, no database at all.
    offline = Application(async_sessionmaker())
    async with open_chat_bot(offline, settings, make_scheduler()) as chat:
        assert chat is not None  # the token is set
        synced = await chat.sync_commands(
            settings.discord_token.get_secret_value(), guild_id=guild_id
        )
    names = ", ".join(sorted(f"/{command.name}" for command in synced))
    where = f"server {guild_id}" if guild_id else "every server (global; may take a while)"
    print(f"synced {len(synced)} commands to {where}: {names}")
    return 0


async def db_upgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.upgrade, settings.database, args.revision)
    return 0


async def db_downgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.downgrade, settings.database, args.revision)
    return 0


async def db_current_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database)
    try:
        print(await migrate.current_revision(engine) or "(empty database)")
    finally:
        await engine.dispose()
    return 0


async def db_revision_command(args: argparse.Namespace, settings: Settings) -> int:
    await asyncio.to_thread(migrate.upgrade, settings.database)
    config = migrate.alembic_config(settings.database)
    await asyncio.to_thread(
        alembic_command.revision, config, message=args.message, autogenerate=True
    )
    return 0


async def analyze_command(args: argparse.Namespace, settings: Settings) -> int:
    analyser = Analyser(await asyncio.to_thread(load_catalog, settings.catalog_file))
    return await asyncio.to_thread(_analyze_file, analyser, args.articles)


def _analyze_file(analyser: Analyser, path: str) -> int:
    if path == "-":
        return _analyze_lines(analyser, sys.stdin, "<stdin>")
    try:
        with Path(path).open(encoding="utf-8") as handle:
            return _analyze_lines(analyser, handle, path)
    except OSError as exc:
        print(f"policybot analyze: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2


def _analyze_lines(analyser: Analyser, lines: TextIO, name: str) -> int:
    for number, article in _articles(lines):
        if article is None:
            print(f"policybot analyze: {name}:{number}: not a JSON object", file=sys.stderr)
            return 2
        result = analyser.analyse(str(article.get("title") or ""), str(article.get("text") or ""))
        labels = [
            {
                "entity": claim.company_id,
                "target": claim.target_id,
                "stance": str(claim.stance),
                "evidence": claim.evidence,
            }
            for claim in result.positions()
        ]
        line = {
            "id": article.get("id"),
            "relevant": result.relevance.is_relevant,
            "relevance": result.relevance.score,
            "labels": labels,
        }
        print(json.dumps(line, ensure_ascii=False))
    return 0


def _articles(lines: TextIO) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            value = None
        yield number, value if isinstance(value, dict) else None


async def stance_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        answer = await app.stance(
            args.name, now=datetime.now(UTC), target=args.target, since=args.since
        )
    if args.json:
        print(json.dumps(stance_json(answer), ensure_ascii=False, indent=2))
    else:
        print(stance_text(answer, app.catalog.law, app.catalog.company))
    return 1 if isinstance(answer, UnknownName) else 0


async def reanalyse_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        run = await app.reanalyse_all(now=datetime.now(UTC))
    print(f"analysed {run.analysed} items: {run.relevant} relevant, {run.claims} stance claims")
    return 0


def stance_json(answer: StanceAnswer) -> dict[str, Any]:
    if isinstance(answer, UnknownName):
        return {"unknown": answer.name, "did_you_mean": list(answer.suggestions)}
    if isinstance(answer, CompanyStance):
        return {
            "company": answer.company_id,
            "name": answer.name,
            "positions": [_position_json(p) for p in answer.positions],
        }
    groups = answer.positions
    return {
        "law": answer.law_id,
        "name": answer.name,
        "support": [_position_json(p) for p in groups.supporters],
        "oppose": [_position_json(p) for p in groups.opponents],
        "mixed": [_position_json(p) for p in groups.mixed],
        "neutral": [_position_json(p) for p in groups.neutral],
    }


def _position_json(position: Position) -> dict[str, Any]:
    return {
        "company": position.company_id,
        "target": position.target_id,
        "stance": str(position.label),
        "score": position.score,
        "reports": position.reports,
        "changed": position.changed,
        "evidence": [
            {
                "stance": str(claim.stance),
                "quote": claim.evidence,
                "attribution": str(claim.attribution),
                "url": claim.url,
                "title": claim.title,
                "date": claim.reported_at.date().isoformat(),
            }
            for claim in position.evidence
        ],
    }


def stance_text(
    answer: StanceAnswer, law_named: Callable[[str], Any], company_named: Callable[[str], Any]
) -> str:
    def name(lookup: Callable[[str], Any], entry_id: str) -> str:
        entry = lookup(entry_id)
        return str(entry.name) if entry is not None else entry_id

    if isinstance(answer, UnknownName):
        hint = ", ".join(answer.suggestions)
        more = f" Did you mean: {hint}?" if hint else ""
        return f"No company or law called {answer.name!r} in the catalog.{more}"
    lines: list[str] = []
    if isinstance(answer, CompanyStance):
        lines.append(f"{answer.name} ({answer.company_id})")
        if not answer.positions:
            lines.append("  no stated position found yet")
        for position in answer.positions:
            lines.extend(_position_lines(position, name(law_named, position.target_id)))
        return "\n".join(lines)
    assert isinstance(answer, LawStance)
    lines.append(f"{answer.name} ({answer.law_id})")
    groups = answer.positions
    for title, group in (
        ("support", groups.supporters),
        ("oppose", groups.opponents),
        ("mixed", groups.mixed),
        ("neutral", groups.neutral),
    ):
        if group:
            lines.append(f"{title}:")
            for position in group:
                lines.extend(_position_lines(position, name(company_named, position.company_id)))
    if len(lines) == 1:
        lines.append("  no company position found yet")
    return "\n".join(lines)


def _position_lines(position: Position, label: str) -> list[str]:
    """One position as ``/stance`` shows it: the same quote, how sure and trend, in plain text."""
    summary = PositionSummary.of(position)
    quote = summary.quote
    title = " ".join(quote.title.split()) or "source"
    source = f"{title} · {quote.reported_at:%Y-%m-%d} · {quote.attribution}"
    return [
        f"  {label}: {position.label}",
        f"    how sure: {summary.how_sure}",
        f"    trend: {summary.trend}",
        f"    \u201c{' '.join(quote.evidence.split())}\u201d",
        f"    {source} <{quote.url}>" if quote.url else f"    {source}",
    ]


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
