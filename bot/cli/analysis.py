"""``policybot analyze``, ``stance`` and ``reanalyse``: the analyser from the command line.

``stance`` answers what ``/stance`` answers, from the same facade, printed for a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.catalog import load_catalog
from bot.composition import open_application
from bot.domain.analysis import Analyser
from bot.domain.catalog import Catalog
from bot.domain.position_summary import PositionSummary, law_row_name
from bot.domain.positions import (
    CompanyStance,
    LawStance,
    Position,
    StanceAnswer,
    UnknownName,
)
from bot.settings import Settings


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
        answer = await app.analysis.stance(
            args.name, now=datetime.now(UTC), target=args.target, since=args.since
        )
    if args.json:
        print(json.dumps(stance_json(answer), ensure_ascii=False, indent=2))
    else:
        print(stance_text(answer, app.catalog))
    return 1 if isinstance(answer, UnknownName) else 0


async def reanalyse_command(args: argparse.Namespace, settings: Settings) -> int:
    async with open_application(settings) as app:
        run = await app.analysis.reanalyse_all(now=datetime.now(UTC))
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
        "conflicting": position.conflicting,
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


def stance_text(answer: StanceAnswer, catalog: Catalog) -> str:

    if isinstance(answer, UnknownName):
        if answer.company is not None:
            return f"{answer.name!r} is the company {answer.company}; --target takes a law."
        hint = ", ".join(answer.suggestions)
        more = f" Did you mean: {hint}?" if hint else ""
        return f"No company or law called {answer.name!r} in the catalog.{more}"
    lines: list[str] = []
    if isinstance(answer, CompanyStance):
        lines.append(f"{answer.name} ({answer.company_id})")
        if not answer.positions:
            lines.append("  no stated position found yet")
        for position in answer.positions:
            law = catalog.law(position.target_id)
            row = law.name if law is not None else position.target_id
            lines.extend(_position_lines(position, row))
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
                row = law_row_name(position, answer.law_id, catalog)
                lines.extend(_position_lines(position, row))
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
