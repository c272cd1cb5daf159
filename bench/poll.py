"""Benchmark: one cold and one warm polling cycle, policybot against lemon24/reader.

    /work/venv/bin/pip install -e '.[bench]'
    /work/venv/bin/python bench/poll.py                 # 1,000 feeds x 50 items (slow)
    /work/venv/bin/python bench/poll.py --feeds 100     # a quick look
    /work/venv/bin/python bench/poll.py --no-reader-search   # reader as it is by default

A local aiohttp server (its own process) serves N generated RSS feeds of realistic size
(title, link, guid, dates, author, categories, a summary and 4-8 paragraphs of HTML in
content:encoded). 70% of them answer conditional requests with 304; the rest never send
validators and always answer 200 with the same body. Feeds are spread over 50 loopback
addresses (127.0.0.2-51) so per-host connection limits behave as with real, many-host lists.

Each tool runs in its own process on the same feeds, in the same run: a cold cycle (empty
database, every feed 200) then a warm cycle (forced, every feed again). After each cycle
both tools bring their full-text search index up to date, timed apart ("index s": policybot's
queue catch-up, reader's update_search(); reader's search is enabled for this). Printed: wall times,
the ratios, peak RSS (main process, and parser workers for policybot) and, for policybot,
the worst event-loop lag a 10 ms ticker saw during the cycles. All traffic stays on loopback.

Then whole processes, as cron runs them, in the same run and against the same server: for
policybot, ``python -m bot poll --once --all`` with a feeds.yaml of the N feeds (cold: the
first run, on no database at all, so it migrates and loads the list; warm: the second run);
for reader, a ``python -c`` process that opens its database (the feeds added beforehand, in an
untimed process) and runs ``update_feeds(workers=...)``, then ``update_search()`` when reader's
search is on, as policybot's poll indexes too. Printed with the ratios and their targets
(warm >= 10x, cold >= 3.5x) and the load average, since other work on the machine skews
both tools. policybot's ``poll --once`` analyses for what its polling left of the cycle's 30 s
slice (one batch at least) and leaves the rest queued;
between the cold and the warm run an untimed ``poll --once --analyse-for 0`` analyses that
backlog (its rate is printed), so the warm run meets the steady state a cron job meets.
policybot's modules are byte-compiled first, as an installed copy (or any copy that has run
once where Python may write its caches) has them, and as reader's come from its wheel; where
PYTHONDONTWRITEBYTECODE is set, each process would otherwise compile them all again.
``--no-in-process`` skips the in-process cycles for a quick look.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

HOSTS = 50
WORDS = [
    "commission",
    "parliament",
    "council",
    "regulation",
    "artificial",
    "intelligence",
    "act",
    "transparency",
    "obligations",
    "providers",
    "deployers",
    "general-purpose",
    "models",
    "systemic",
    "risk",
    "code",
    "practice",
    "enforcement",
    "national",
    "authorities",
    "sandbox",
    "compliance",
    "guidance",
    "standards",
    "conformity",
    "assessment",
    "high-risk",
    "systems",
    "biometric",
    "identification",
    "prohibited",
    "practices",
    "fines",
    "governance",
    "office",
    "board",
    "scientific",
    "panel",
    "copyright",
    "training",
    "data",
    "disclosure",
]


def feed_url(port: int, number: int) -> str:
    return f"http://127.0.0.{2 + number % HOSTS}:{port}/feed/{number}"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def generate_feed(number: int, items: int) -> bytes:
    """A deterministic RSS 2.0 document of news-like items (about 5 KB each)."""
    rng = random.Random(number)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>Policy desk {number}</title><link>https://desk{number}.example/</link>"
        f"<description>News feed {number}</description><language>en</language>\n"
    ]
    for index in range(items):
        when = format_datetime(start + timedelta(hours=index * 3 + number % 7), usegmt=True)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize()
        paragraphs = "".join(
            "<p>" + " ".join(_sentence(rng) for _ in range(rng.randint(3, 5))) + "</p>"
            for _ in range(rng.randint(4, 8))
        )
        link = f"https://desk{number}.example/{index}/story?utm_source=rss"
        parts.append(
            f"<item><title>{title}</title><link>{link}</link>"
            f'<guid isPermaLink="false">desk{number}-{index}</guid>'
            f"<pubDate>{when}</pubDate><dc:creator>Reporter {index % 9}</dc:creator>"
            f"<category>{rng.choice(WORDS)}</category><category>{rng.choice(WORDS)}</category>"
            f"<description>{_sentence(rng)} {_sentence(rng)}</description>"
            f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode()


# --- the server (its own process) ---------------------------------------------------------


def serve(port: int, feeds: int, items: int, ready: Any) -> None:
    """The stand-in for the web: niced, since real feed servers are not on our CPUs."""
    import os

    from aiohttp import web

    os.nice(15)

    bodies = [generate_feed(n, items) for n in range(feeds)]
    etags = [f'"v1-{n}"' for n in range(feeds)]

    async def handler(request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        conditional = number % 10 < 7  # 70% support 304
        if conditional:
            if request.headers.get("If-None-Match") == etags[number]:
                return web.Response(status=304, headers={"ETag": etags[number]})
            headers = {"ETag": etags[number]}
        else:
            headers = {}
        return web.Response(
            body=bodies[number], headers=headers, content_type="application/rss+xml"
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{number}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for host in range(HOSTS):
            await web.TCPSite(runner, f"127.0.0.{2 + host}", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the two clients (each in its own process) ------------------------------------------


async def _lag_probe(worst: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        worst[0] = max(worst[0], time.perf_counter() - started - 0.01)


async def run_policybot(port: int, feeds: int, workdir: Path) -> dict[str, Any]:
    from bot.app import Application
    from bot.composition import open_poller
    from bot.settings import Settings
    from bot.storage import migrate
    from bot.storage.engine import make_engine, make_session_factory
    from bot.storage.schema import Feed

    settings = Settings(
        database_url=f"sqlite:///{workdir / 'policybot.db'}",
        allow_private_feeds=True,
    )
    await asyncio.to_thread(migrate.upgrade, settings.database)
    engine = make_engine(settings.database)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        session.add_all(
            Feed(
                url=feed_url(port, n),
                in_instance_list=True,
                created_at=now,
            )
            for n in range(feeds)
        )
    result: dict[str, Any] = {"tool": "policybot"}
    try:
        async with open_poller(settings, sessions) as poller:
            app = Application(sessions, poller=poller)  # built once, as `policybot run` does
            # Start the parser processes and freeze start-up objects, as `policybot run` does.
            await poller.start()
            gc.freeze()
            worst = [0.0]
            stop = asyncio.Event()
            probe = asyncio.create_task(_lag_probe(worst, stop))
            for cycle in ("cold", "warm"):
                started = time.perf_counter()
                report = await poller.poll(now=datetime.now(UTC), only_due=False)
                result[cycle] = time.perf_counter() - started
                result[f"{cycle}_outcomes"] = report.outcomes
                result[f"{cycle}_new"] = len(report.new_item_ids)
                # The search index catches up after the cycle, as `policybot run` does.
                started = time.perf_counter()
                await app.archive.index_search()
                result[f"{cycle}_index"] = time.perf_counter() - started
            stop.set()
            await probe
            result["max_loop_lag_ms"] = worst[0] * 1000
    finally:
        await engine.dispose()
    result["rss_main_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def run_reader(
    port: int, feeds: int, workdir: Path, workers: int, *, search: bool
) -> dict[str, Any]:
    from reader import make_reader

    reader = make_reader(str(workdir / "reader.sqlite"))
    if search:  # like policybot's archive; indexed by update_search() below
        reader.enable_search()
    for n in range(feeds):
        reader.add_feed(feed_url(port, n))
    result: dict[str, Any] = {"tool": f"reader (workers={workers})"}
    try:
        for cycle in ("cold", "warm"):
            started = time.perf_counter()
            reader.update_feeds(scheduled=False, workers=workers)
            result[cycle] = time.perf_counter() - started
            started = time.perf_counter()
            if search:
                reader.update_search()
            result[f"{cycle}_index"] = time.perf_counter() - started
        result["entries"] = reader.get_entry_counts().total
    finally:
        reader.close()
    result["rss_main_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_workers_mb"] = 0.0
    return result


def client_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if args.client == "policybot":
            result = asyncio.run(run_policybot(args.port, args.feeds, workdir))
        else:
            result = run_reader(
                args.port, args.feeds, workdir, args.reader_workers, search=args.reader_search
            )
    print(json.dumps(result))


# --- the driver ---------------------------------------------------------------------------


def run_client(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--client",
        name,
        "--port",
        str(args.port),
        "--feeds",
        str(args.feeds),
        "--reader-workers",
        str(args.reader_workers),
        "--reader-search" if args.reader_search else "--no-reader-search",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{name} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --- whole processes, as cron runs them ---------------------------------------------------

READER_ADD_FEEDS = """
import sys
from reader import make_reader
reader = make_reader(sys.argv[1])
if sys.argv[2] == "search":
    reader.enable_search()
for url in sys.stdin.read().split():
    reader.add_feed(url)
reader.close()
"""
# What a reader user's cron job runs (reader's own CLI needs the 'cli' extra's click).
READER_UPDATE = """
import sys
from reader import make_reader
reader = make_reader(sys.argv[1])
reader.update_feeds(scheduled=False, workers=int(sys.argv[2]))
if sys.argv[3] == "search":
    reader.update_search()
reader.close()
"""


def _timed(command: list[str], name: str, **kwargs: Any) -> tuple[float, str]:
    """Seconds the process took, and what it printed."""
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{name} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return seconds, completed.stdout


def _summary_seconds(summary: str, label: str) -> float:
    for line in summary.splitlines():
        if line.strip().startswith(label):
            return float(line.split()[-1].rstrip("s"))
    return 0.0


def _summary_count(summary: str, label: str) -> int:
    """A row of ``poll --once``'s summary table (0 when it is not there)."""
    for line in summary.splitlines():
        if line.strip().startswith(label):
            return int(line.split()[-1])
    return 0


def run_whole_processes(args: argparse.Namespace) -> dict[str, float]:
    """Cold then warm, each tool in turn, so a change in the machine's load hits both."""
    urls = [feed_url(args.port, n) for n in range(args.feeds)]
    search = "search" if args.reader_search else "no-search"
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        feeds = workdir / "feeds.yaml"
        feeds.write_text(
            "feeds:\n"
            + "".join(
                f"  - {{name: Policy desk {n}, url: '{url}', kind: news}}\n"
                for n, url in enumerate(urls)
            )
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("POLICYBOT_") and key != "DISCORD_TOKEN"
        }
        env.update(
            POLICYBOT_DATABASE_URL=f"sqlite:///{workdir / 'policybot.db'}",
            POLICYBOT_FEEDS_FILE=str(feeds),
            POLICYBOT_ALLOW_PRIVATE_FEEDS="true",
        )
        policybot = [sys.executable, "-m", "bot", "poll", "--once", "--all"]
        reader_db = str(workdir / "reader.sqlite")
        reader = [sys.executable, "-c", READER_UPDATE, reader_db, str(args.reader_workers), search]
        package = Path(__file__).resolve().parents[1] / "bot"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
        subprocess.run(
            [sys.executable, "-c", READER_ADD_FEEDS, reader_db, search],
            input="\n".join(urls),
            text=True,
            check=True,
        )
        for cycle in ("cold", "warm"):
            seconds, summary = _timed(policybot, "policybot", cwd=workdir, env=env)
            times[f"policybot_{cycle}"] = seconds
            times[f"analysed_{cycle}"] = _summary_count(summary, "items analysed")
            times[f"queued_{cycle}"] = _summary_count(summary, "still queued")
            times[f"analysis_{cycle}"] = _summary_seconds(summary, "analysis time")
            times[f"reader_{cycle}"] = _timed(reader, "reader", cwd=workdir)[0]
            if cycle == "cold":  # the steady state a warm cron run meets: nothing left queued
                backlog = [*policybot[:-1], "--analyse-for", "0"]  # nothing due: analysis only
                seconds, summary = _timed(backlog, "policybot backlog", cwd=workdir, env=env)
                times["backlog_seconds"] = seconds
                times["backlog_items"] = _summary_count(summary, "items analysed")
    return times


def print_whole_processes(args: argparse.Namespace, times: dict[str, float]) -> None:
    search = " + update_search()" if args.reader_search else ""
    print(
        f"whole processes: policybot `poll --once --all`; reader "
        f"update_feeds(workers={args.reader_workers}){search}"
    )
    print(f"{'tool':24} {'cold s':>8} {'warm s':>8}")
    for tool in ("policybot", "reader"):
        print(f"{tool:24} {times[tool + '_cold']:8.2f} {times[tool + '_warm']:8.2f}")
    for cycle in ("cold", "warm"):
        print(
            f"policybot {cycle}: {times[f'analysed_{cycle}']:.0f} items analysed, "
            f"{times[f'queued_{cycle}']:.0f} left queued for the next poll, "
            f"{times[f'analysis_{cycle}']:.1f} s of the run (what polling left of its 30 s slice)"
        )
    items, seconds = times["backlog_items"], times["backlog_seconds"]
    print(
        f"policybot backlog between them (`poll --once --analyse-for 0`, untimed above): "
        f"{items:.0f} items in {seconds:.1f} s, {items / max(seconds, 1e-9):.0f} items/s"
    )
    for cycle, target in (("cold", 3.5), ("warm", 10.0)):
        ratio = times[f"reader_{cycle}"] / times[f"policybot_{cycle}"]
        verdict = "met" if ratio >= target else "MISSED"
        without = times[f"reader_{cycle}"] / (
            times[f"policybot_{cycle}"] - times[f"analysis_{cycle}"]
        )
        print(
            f"whole-process ratio reader/policybot, {cycle}: {ratio:.1f}x "
            f"(target >= {target:g}x: {verdict}); {without:.1f}x without policybot's analysis, "
            "which reader does not do"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--reader-workers", type=int, default=8)
    parser.add_argument(
        "--reader-search",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="enable reader's full-text search, as policybot always indexes (default: on)",
    )
    parser.add_argument(
        "--in-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time both tools' cycles inside one long-lived process each (default: on)",
    )
    parser.add_argument(
        "--whole-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time whole cron-style processes, cold and warm (default: on)",
    )
    parser.add_argument("--client", choices=["policybot", "reader"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args)
        return

    ready = multiprocessing.get_context("spawn").Event()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(args.port, args.feeds, args.items, ready), daemon=True
    )
    server.start()
    try:
        if not ready.wait(600):
            raise SystemExit("the feed server did not start")
        size = len(generate_feed(0, args.items))
        print(
            f"{args.feeds} feeds x {args.items} items (~{size // 1024} KB each), 70% answer 304; "
            f"{HOSTS} loopback hosts"
        )
        print(f"load average at the start: {_load()}")
        results = []
        if args.in_process:
            results = [run_client("policybot", args), run_client("reader", args)]
        whole = run_whole_processes(args) if args.whole_process else None
    finally:
        server.terminate()
        server.join()
    if results:
        print_in_process(args, results)
    if whole is not None:
        print_whole_processes(args, whole)
    print(f"load average at the end: {_load()}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def print_in_process(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    ours, theirs = results
    print(
        f"{'tool':24} {'cold s':>8} {'warm s':>8} {'index s':>8} {'peak RSS MB':>14} "
        f"{'max loop lag':>13}"
    )
    for result in results:
        rss = f"{result['rss_main_mb']:.0f}"
        if result["rss_workers_mb"]:
            rss += f" + {result['rss_workers_mb']:.0f}"
        lag = f"{result['max_loop_lag_ms']:.1f} ms" if "max_loop_lag_ms" in result else "n/a"
        index = f"{result['cold_index']:.2f}"
        print(
            f"{result['tool']:24} {result['cold']:8.2f} {result['warm']:8.2f} {index:>8} "
            f"{rss:>14} {lag:>13}"
        )
    print(
        f"ratio reader/policybot: cold {theirs['cold'] / ours['cold']:.2f}x, "
        f"warm {theirs['warm'] / ours['warm']:.1f}x"
    )
    # Both tools index for search after the cycle (reader: update_search()); counted too.
    ours_total, theirs_total = (r["cold"] + r["cold_index"] for r in results)
    if args.reader_search:
        print(
            f"cold cycle + search indexing: policybot {ours_total:.2f} s, reader "
            f"{theirs_total:.2f} s, ratio {theirs_total / ours_total:.2f}x"
        )
    else:
        print(
            f"reader's search is off (it indexes nothing); policybot's cold cycle + indexing "
            f"{ours_total:.2f} s is {theirs['cold'] / ours_total:.2f}x faster than reader's cycle"
        )
    print(f"policybot cold outcomes {ours['cold_outcomes']} new items {ours['cold_new']}")
    print(
        f"policybot warm outcomes {ours['warm_outcomes']}; reader entries {theirs.get('entries')}"
    )


if __name__ == "__main__":
    main()
