"""Benchmark: ``/stance`` answers over a generated archive, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.stance                          # 1,000,000 items, both databases
    .venv/bin/python -m bench.stance --items 100000 --on sqlite --rounds 1   # a quick look

Makes (or reuses, see ``bench/archive.py``) the archive on each database, drains its position
refresh queue (untimed, as the drain after an analysis would; the time is printed), then times
``Analysis.stance`` -- the very call ``/stance`` makes -- for each name class, and prints p50,
p95 and p99 per class (target: p95 < 50 ms), and the peak RSS of the process answering. Cold:
a fresh facade (an empty claims cache), as after every analysis run; warm: every further
answer until the next analysis. Each round answers in a new process (so its peak RSS is its
own); rounds show the spread. The answers must be the same on both databases. At 1,000,000
items making the archives takes about 6 min (SQLite) and 9 min (PostgreSQL) once, and each
round several minutes, since an answer reads and weighs every claim of its name.

After the first answer (which connects) the start-up objects are frozen out of the cyclic
collector, as ``policybot run`` does before its first poll (``bot/service.py``); without that
(``--no-freeze``), a full collection over every module's objects lands in a few answers and
adds 40-120 ms to them, whatever ``/stance`` itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import multiprocessing
import resource
import statistics
import time
from collections.abc import Sequence

from bench.archive import (
    COMMON_COMPANIES,
    COMMON_LAWS,
    NOW,
    RARE_COMPANIES,
    RARE_LAWS,
    Generated,
    postgresql_archive,
    sqlite_archive,
)
from bot.app import Application
from bot.catalog import load_catalog
from bot.domain.catalog import Company
from bot.domain.positions import shown_claim_ids, weigh
from bot.storage.analyses import AnalysisStore
from bot.storage.engine import make_engine, make_session_factory

REPEAT = 30
COLD_REPEAT = 10
Query = tuple[str, str | None]  # a name, and the law it is narrowed to
CLASSES: dict[str, tuple[Query, ...]] = {
    "common company": tuple((name, None) for name in COMMON_COMPANIES),
    "rare company": tuple((name, None) for name in RARE_COMPANIES),
    "common law": tuple((name, None) for name in COMMON_LAWS),
    "rare law": tuple((name, None) for name in RARE_LAWS),
    "law and below": (("eu-regulation", None),),  # rolls up the AI Act, the DSA, ...
    "company on law": (("meta", "eu-ai-act"), ("openai", "gdpr"), ("cohere", "eu-ai-act")),
    "unknown name": (("metta", None), ("the flux capacitor act", None), ("acme robotics", None)),
}
Timings = dict[tuple[str, str], list[float]]


async def measure(url: str, *, freeze: bool) -> tuple[Timings, dict[str, str], int, int]:
    """Milliseconds per ``Analysis.stance`` call per name class, cold and warm; a digest of
    every answer; RSS after connecting and peak RSS, in KiB.

    The engine (and so SQLite's page cache, or the pool) is shared, as in the running bot.
    """
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    catalog = load_catalog()
    timings: Timings = {}
    answers: dict[str, str] = {}
    try:
        await Application(sessions, catalog=catalog).analysis.stance("meta", now=NOW)  # connect
        if freeze:
            gc.freeze()
        connected = _rss_kib()
        for name_class, queries in CLASSES.items():
            cold = timings.setdefault((name_class, "cold"), [])
            warm = timings.setdefault((name_class, "warm"), [])
            for name, target in queries:
                for _ in range(COLD_REPEAT):
                    app = Application(sessions, catalog=catalog)
                    cold.append(await timed(app, name, target))
                answer = await app.analysis.stance(name, now=NOW, target=target)
                answers[f"{name} on {target}" if target else name] = _digest(answer)
                warm.extend([await timed(app, name, target) for _ in range(REPEAT)])
    finally:
        await engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return timings, answers, connected, peak


async def stages(url: str) -> dict[str, tuple[int, float, float, float]]:
    """Where a cold answer's time goes, for the first name of each class: facts read, weighed,
    texts read (ms, the best of three, each with a fresh store), and how many facts."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    catalog = load_catalog()
    found: dict[str, tuple[int, float, float, float]] = {}
    try:
        for queries in CLASSES.values():
            name, target = queries[0]
            entry = catalog.resolve(name)
            if entry is None:
                continue
            if isinstance(entry, Company):
                wanted = {"company_id": entry.id, "target_ids": [target] if target else None}
            else:
                wanted = {"target_ids": [entry.id, *catalog.descendants(entry.id)]}
            best = [float("inf")] * 3
            for _ in range(3):
                async with sessions() as session:
                    store = AnalysisStore(session)
                    start = time.perf_counter()
                    facts = await store.claim_facts(**wanted)  # type: ignore[arg-type]
                    read = time.perf_counter()
                    weighed = weigh(facts, now=NOW)
                    weighing = time.perf_counter()
                    await store.claim_texts(shown_claim_ids(weighed))
                    done = time.perf_counter()
                spent = (read - start, weighing - read, done - weighing)
                best = [min(b, 1000 * s) for b, s in zip(best, spent, strict=True)]
            found[f"{name} on {target}" if target else name] = (len(facts), *best)  # type: ignore[assignment]
    finally:
        await engine.dispose()
    return found


async def timed(app: Application, name: str, target: str | None) -> float:
    start = time.perf_counter()
    await app.analysis.stance(name, now=NOW, target=target)
    return (time.perf_counter() - start) * 1000


def _digest(answer: object) -> str:
    """A short fingerprint of an answer, equal when every field of it is."""
    fingerprint = hashlib.sha256(repr(answer).encode()).hexdigest()[:12]
    return f"{reports_in(answer):>5} reports, {fingerprint}"


def reports_in(answer: object) -> int:
    found = getattr(answer, "positions", ())
    if not isinstance(found, tuple):
        found = (*found.supporters, *found.opponents, *found.mixed, *found.neutral)
    return sum(position.reports for position in found)


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _archive(database: str, items: int, server: str, fresh: bool) -> tuple[str, Generated]:
    if database == "sqlite":
        path, generated = sqlite_archive(items, fresh=fresh)
        return f"sqlite+aiosqlite:///{path}", generated
    url, generated = postgresql_archive(server, items, fresh=fresh)
    return url.render_as_string(hide_password=False), generated


async def refresh_positions(url: str) -> tuple[int, float]:
    """Drain the position refresh queue, as the drain after an analysis does; how many pairs
    were weighed and in how many seconds (none when the cached archive was drained before)."""
    engine = make_engine(url)
    try:
        app = Application(make_session_factory(engine), catalog=load_catalog())
        start = time.perf_counter()
        refreshed = await app.analysis.refresh_positions(now=NOW)
        return refreshed, time.perf_counter() - start
    finally:
        await engine.dispose()


def _refresh_positions(url: str) -> tuple[int, float]:
    return asyncio.run(refresh_positions(url))


def _stages(url: str) -> dict[str, tuple[int, float, float, float]]:
    return asyncio.run(stages(url))


def _measure(url: str, freeze: bool) -> tuple[Timings, dict[str, str], int, int]:
    return asyncio.run(measure(url, freeze=freeze))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--on",
        default="sqlite,postgresql",
        help="the databases, comma-separated (default: sqlite,postgresql)",
    )
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server the archive's database is made on",
    )
    parser.add_argument("--rounds", type=int, default=3, help="answering processes per database")
    parser.add_argument(
        "--stages", action="store_true", help="also time a cold answer's read, weighing, texts"
    )
    parser.add_argument("--fresh", action="store_true", help="remake the archive, cached or not")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave start-up objects to the cyclic collector"
    )
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")  # each process's peak RSS is its own
    answers: dict[str, dict[str, str]] = {}
    for database in args.on.split(","):
        with spawn.Pool(1) as pool:
            url, generated = pool.apply(_archive, (database, args.items, args.server, args.fresh))
        print(f"{database}: {generated.describe()}")
        with spawn.Pool(1) as pool:
            refreshed, seconds = pool.apply(_refresh_positions, (url,))
        print(f"  position refresh queue drained: {refreshed} pairs in {seconds:.1f} s (untimed)")
        rounds: list[Timings] = []
        for number in range(1, args.rounds + 1):
            with spawn.Pool(1) as pool:
                timings, answers[database], connected, peak = pool.apply(
                    _measure, (url, not args.no_freeze)
                )
            rounds.append(timings)
            print(
                f"  round {number}: RSS {connected / 1024:.0f} MiB after connecting, "
                f"peak {peak / 1024:.0f} MiB"
            )
            _print_round(timings)
        if len(rounds) > 1:
            _print_spread(rounds)
        for name, digest in answers.get(database, {}).items():
            print(f"    {name:32} {digest}")
        if args.stages:
            with spawn.Pool(1) as pool:
                found = pool.apply(_stages, (url,))
            print("  a cold answer's stages (ms, best of 3): facts read, weighed, texts read")
            for name, (facts, read, weighing, texts) in found.items():
                print(
                    f"    {name:20} {facts:7} facts  read {read:7.1f}  weigh {weighing:7.1f}  "
                    f"texts {texts:6.1f}"
                )
    if len({tuple(found.items()) for found in answers.values()}) > 1:
        raise SystemExit("the databases gave different answers (see the digests above)")
    if len(answers) > 1:
        print(f"answers identical on {' and '.join(answers)}")


def _print_round(timings: Timings) -> None:
    for (name_class, mode), values in timings.items():
        print(
            f"    {name_class:15} {mode}  p50 {statistics.median(values):6.1f}  "
            f"p95 {percentile(values, 0.95):6.1f}  p99 {percentile(values, 0.99):6.1f} ms"
        )


def _print_spread(rounds: list[Timings]) -> None:
    print(f"  p95 over {len(rounds)} rounds (min-max ms):")
    for key in rounds[0]:
        p95s = [percentile(timings[key], 0.95) for timings in rounds]
        print(f"    {key[0]:15} {key[1]}  {min(p95s):6.1f} - {max(p95s):6.1f}")


if __name__ == "__main__":
    main()
