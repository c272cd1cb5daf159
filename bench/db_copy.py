"""Benchmark: ``policybot db copy`` there and back, SQLite -> PostgreSQL -> a new SQLite file.

    .venv/bin/python -m bench.db_copy                     # 100,000 items
    .venv/bin/python -m bench.db_copy --items 20000       # a quick look

Makes (or reuses) the archive of ``bench/archive.py`` on SQLite, copies it into a new
PostgreSQL database with ``copy_archive`` (what ``policybot db copy`` runs), then from there
into a new SQLite file, and prints each direction's time and rows per second. After each step
the copy must have the same row counts per table, the same ``/stance`` answers for a set of
companies and laws, and the same search results: every match of each query (the two
databases rank matches differently, so across them the sets are compared; between the two
SQLite files, the ranked first page too). Exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from bench.archive import (
    COMMON_COMPANIES,
    COMMON_LAWS,
    NOW,
    RARE_COMPANIES,
    RARE_LAWS,
    sqlite_archive,
)
from bot.app import Application
from bot.catalog import load_catalog
from bot.storage.copy import copy_archive
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.schema import Base

NAMES = (*COMMON_COMPANIES, *RARE_COMPANIES, *COMMON_LAWS, *RARE_LAWS, "eu-regulation")
QUERIES = ("Cohere", "Airbus Protection", '"NO FAKES"', "Korea -Meta", "Minnesota OR Aleph")
ALL_MATCHES = 1_000_000


class Different(Exception):
    """The copy does not answer as its source does."""


async def fingerprint(url: URL) -> dict[str, object]:
    """What must survive a copy: row counts, search matches and ``/stance`` answers."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    app = Application(sessions, catalog=load_catalog())
    found: dict[str, object] = {}
    try:
        async with sessions() as session:
            for table in Base.metadata.sorted_tables:
                count = await session.scalar(select(func.count()).select_from(table))
                found[f"rows {table.name}"] = int(count or 0)
        for query in QUERIES:
            matches = await app.archive.search(query, limit=ALL_MATCHES)
            found[f"matches {query}"] = sorted(item.id for item in matches)
            found[f"first page {query}"] = [item.id for item in matches[:10]]
        for name in NAMES:
            answer = repr(await app.analysis.stance(name, now=NOW))
            found[f"stance {name}"] = hashlib.sha256(answer.encode()).hexdigest()
    finally:
        await engine.dispose()
    return found


def compare(before: dict[str, object], after: dict[str, object], *, ranked: bool) -> None:
    """Raise ``Different`` for the first fact that differs (ranked pages only if ``ranked``)."""
    for key, value in before.items():
        if key.startswith("first page") and not ranked:
            continue
        if after.get(key) != value:
            raise Different(f"{key}: {_short(value)} before, {_short(after.get(key))} after")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


async def timed_copy(source: URL, target: URL) -> tuple[float, int]:
    """Seconds the copy took, and the rows it copied."""
    start = time.perf_counter()
    report = await copy_archive(source, target)
    return time.perf_counter() - start, sum(count for _, count in report.rows)


async def round_trip(source: URL, server: URL, folder: Path) -> None:
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"policybot_bench_copy_{uuid.uuid4().hex[:8]}"
    middle = server.set(drivername="postgresql+asyncpg", database=name)
    back = make_url(f"sqlite+aiosqlite:///{folder / 'back.db'}")
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        original = await fingerprint(source)
        rows = sum(v for k, v in original.items() if k.startswith("rows ") and isinstance(v, int))
        matches = {q: len(original[f"matches {q}"]) for q in QUERIES}  # type: ignore[arg-type]
        if not all(matches.values()):
            raise Different(f"a query matches nothing in the source, so proves nothing: {matches}")
        print(f"source: {rows} rows; matches per query: {matches}")
        for label, frm, to in (
            ("SQLite -> PostgreSQL", source, middle),
            ("PostgreSQL -> SQLite", middle, back),
        ):
            seconds, rows = await timed_copy(frm, to)
            print(f"{label}: {rows} rows in {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
            compare(original, await fingerprint(to), ranked=to.get_backend_name() == "sqlite")
            print("  same row counts, search matches and /stance answers as the source")
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server the middle copy is made on (a new database, dropped after)",
    )
    args = parser.parse_args()
    path, generated = sqlite_archive(args.items)
    print(f"sqlite: {generated.describe()}")
    with tempfile.TemporaryDirectory(prefix="policybot-bench-") as folder:
        try:
            asyncio.run(
                round_trip(
                    make_url(f"sqlite+aiosqlite:///{path}"), make_url(args.server), Path(folder)
                )
            )
        except Different as exc:
            raise SystemExit(f"the copy differs: {exc}") from None


if __name__ == "__main__":
    main()
