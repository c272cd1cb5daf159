"""Benchmark: ``/stance`` answers over an archive of 100,000 analysed items, on SQLite.

    /work/venv/bin/python bench/stance.py                # 100,000 items
    /work/venv/bin/python bench/stance.py --items 20000  # a quick look

Generates an archive into a temporary SQLite database (migrated with the real migrations, bulk
inserts), then times ``Application.stance`` -- the very call ``/stance`` makes -- for common and
rare companies and laws, and prints p50 and p95 per name class (target: p95 < 50 ms): cold
(a fresh facade, as after every analysis run, which empties the claims cache) and warm (every
further answer until the next analysis). About 15 s in all on one core.

After the first answer (which connects) the start-up objects are frozen out of the cyclic
collector, as ``policybot run`` does before its first poll (``bot/service.py``); without that
(``--no-freeze``), a full collection over every module's objects lands in a few answers and
adds 40-120 ms to them, whatever ``/stance`` itself costs.

What the archive looks like (assumptions, not measurements): three years of items from 60
feeds; 35% relevant; every item names 0-3 companies and 0-2 laws; 40% of relevant items carry
1-3 stance claims. Companies and laws are drawn with a Zipf-like skew over the shipped catalog
(Meta, OpenAI and Google, the AI Act and the GDPR take most of the news; Cohere or the NO FAKES
Act appear a few dozen times). One story in three reaches two or three feeds (shared story key).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from bot.app import Application
from bot.catalog import load_catalog
from bot.domain.analysis import ANALYSER_VERSION
from bot.domain.model import Attribution, EntityKind, StanceLabel
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.schema import Feed, Item, ItemAnalysis, Mention, StanceClaim

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
FEEDS = 60
RELEVANT_SHARE = 0.35
CLAIM_SHARE = 0.40
BATCH = 5_000
REPEAT = 30
COLD_REPEAT = 10
COMMON_COMPANIES = ("meta", "openai", "google")
RARE_COMPANIES = ("cohere", "airbus", "aleph-alpha")
COMMON_LAWS = ("eu-ai-act", "gdpr", "us-ai-preemption")
RARE_LAWS = ("us-no-fakes-act", "korea-ai-basic-act", "minnesota-deepfake-election-law")
SENTENCE = (
    "{company} said on Tuesday that the {law} {verb}, according to a statement sent to "
    "reporters after the hearing in Brussels."
)
VERBS = {
    StanceLabel.SUPPORT: "sets sensible guardrails it is ready to comply with",
    StanceLabel.OPPOSE: "is an overreach that would throttle innovation in Europe",
    StanceLabel.MIXED: "has merits but needs a longer transition period",
    StanceLabel.NEUTRAL: "will be reviewed by its compliance teams",
}


def skewed(ids: Sequence[str], rng: random.Random, *, exponent: float = 1.1) -> list[str]:
    """``ids`` weighted 1/rank^exponent, the shape of who and what makes the news."""
    weights = [1 / (rank**exponent) for rank in range(1, len(ids) + 1)]
    return rng.choices(list(ids), weights=weights, k=4)


def generate(path: Path, items: int, seed: int = 7) -> dict[str, int]:
    """Fill a migrated SQLite file; returns row counts."""
    rng = random.Random(seed)
    catalog = load_catalog()
    companies = [*COMMON_COMPANIES] + [
        c.id for c in catalog.companies if c.id not in (*COMMON_COMPANIES, *RARE_COMPANIES)
    ]
    companies += list(RARE_COMPANIES)
    laws = [*COMMON_LAWS] + [
        law.id for law in catalog.laws if law.id not in (*COMMON_LAWS, *RARE_LAWS)
    ]
    laws += list(RARE_LAWS)
    names = {c.id: c.name for c in catalog.companies} | {law.id: law.name for law in catalog.laws}
    engine = create_engine(f"sqlite:///{path}")
    counts = {"items": 0, "relevant": 0, "mentions": 0, "claims": 0}
    with engine.begin() as connection:
        connection.execute(
            insert(Feed),
            [
                {
                    "url": f"https://feed{n}.example/rss",
                    "title": f"Policy feed {n}",
                    "in_instance_list": True,
                    "created_at": NOW - SPAN,
                    "redirect_count": 0,
                    "consecutive_errors": 0,
                    "fetch_count": 0,
                    "error_count": 0,
                }
                for n in range(1, FEEDS + 1)
            ],
        )
    story = 0
    for start in range(0, items, BATCH):
        rows: list[dict[str, Any]] = []
        analyses: list[dict[str, Any]] = []
        mentions: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        for item_id in range(start + 1, min(start + BATCH, items) + 1):
            if rng.random() > 0.33 or story == 0:
                story += 1  # else: the previous story again, from another feed
            published = NOW - SPAN * rng.random() ** 1.3  # more news lately
            relevant = rng.random() < RELEVANT_SHARE
            company_ids = list(dict.fromkeys(skewed(companies, rng)[: rng.randint(0, 3)]))
            law_ids = list(
                dict.fromkeys(skewed(laws, rng)[: rng.randint(0 if not relevant else 1, 2)])
            )
            title = f"Story {story}: {' and '.join(names[i] for i in company_ids + law_ids)}"
            rows.append(
                {
                    "id": item_id,
                    "feed_id": rng.randint(1, FEEDS),
                    "key": f"item-{item_id}",
                    "url": f"https://news{item_id % 97}.example/{story}/{item_id}",
                    "title": title,
                    "summary": title + ". " + "Lawmakers and companies weigh the rules. " * 6,
                    "published_at": published,
                    "fetched_at": published + timedelta(minutes=rng.randint(5, 90)),
                    "content_hash": hashlib.sha256(title.encode()).hexdigest(),
                    "revision": 0,
                    "is_backlog": False,
                    "story_key": f"s:{story}",
                }
            )
            analyses.append(
                {
                    "item_id": item_id,
                    "is_relevant": relevant,
                    "relevance": 0.9 if relevant else 0.1,
                    "reasons": [f"law:{i}" for i in law_ids] if relevant else [],
                    "analysed_at": NOW,
                    "analyser_version": ANALYSER_VERSION,
                }
            )
            for kind, ids in ((EntityKind.COMPANY, company_ids), (EntityKind.LAW, law_ids)):
                mentions.extend(
                    {"item_id": item_id, "kind": kind, "entity_id": i, "surface": names[i]}
                    for i in ids
                )
            if relevant and company_ids and law_ids and rng.random() < CLAIM_SHARE:
                for index in range(rng.randint(1, 3)):
                    company, law = rng.choice(company_ids), rng.choice(law_ids)
                    stance = rng.choices(list(StanceLabel), weights=[4, 4, 1, 2])[0]
                    claims.append(
                        {
                            "item_id": item_id,
                            "company_id": company,
                            "target_id": law,
                            "stance": stance,
                            "evidence": SENTENCE.format(
                                company=names[company], law=names[law], verb=VERBS[stance]
                            ),
                            "sentence_index": index,
                            "confidence": round(rng.uniform(0.5, 0.95), 3),
                            "attribution": rng.choice(list(Attribution)),
                            # Copies of the item's, as AnalysisStore.save writes them.
                            "is_relevant": True,
                            "story_key": f"s:{story}",
                            "reported_at": published,
                        }
                    )
            counts["relevant"] += relevant
        with engine.begin() as connection:
            connection.execute(insert(Item), rows)
            connection.execute(insert(ItemAnalysis), analyses)
            if mentions:
                connection.execute(insert(Mention), mentions)
            if claims:
                connection.execute(insert(StanceClaim), claims)
        counts["items"] += len(rows)
        counts["mentions"] += len(mentions)
        counts["claims"] += len(claims)
    engine.dispose()
    return counts


async def measure(path: Path, *, freeze: bool = True) -> dict[tuple[str, str], list[float]]:
    """Milliseconds per ``Application.stance`` call, per name class, cold and warm.

    Cold: a fresh facade (empty claims cache), as after every analysis run. Warm: the same
    facade again, as for every further ``/stance`` until the next analysis. The engine (and
    so SQLite's page cache) is shared, as in the running bot.
    """
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    sessions = make_session_factory(engine)
    catalog = load_catalog()
    classes = {
        "common company": COMMON_COMPANIES,
        "rare company": RARE_COMPANIES,
        "common law": COMMON_LAWS,
        "rare law": RARE_LAWS,
    }
    timings: dict[tuple[str, str], list[float]] = {}
    try:
        await Application(sessions, catalog=catalog).stance("meta", now=NOW)  # connect, warm up
        if freeze:
            gc.freeze()
        for name_class, names in classes.items():
            cold = timings.setdefault((name_class, "cold"), [])
            warm = timings.setdefault((name_class, "warm"), [])
            for name in names:
                for _ in range(COLD_REPEAT):
                    app = Application(sessions, catalog=catalog)
                    cold.append(await timed(app, name))
                answer = await app.analysis.stance(name, now=NOW)
                print(f"  {name}: {reports_in(answer)} reports in its positions")
                warm.extend([await timed(app, name) for _ in range(REPEAT)])
    finally:
        await engine.dispose()
    return timings


async def timed(app: Application, name: str) -> float:
    start = time.perf_counter()
    await app.analysis.stance(name, now=NOW)
    return (time.perf_counter() - start) * 1000


def reports_in(answer: object) -> int:
    found = getattr(answer, "positions", ())
    if not isinstance(found, tuple):
        found = (*found.supporters, *found.opponents, *found.mixed, *found.neutral)
    return sum(position.reports for position in found)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave start-up objects to the cyclic collector"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policybot-bench-") as folder:
        path = Path(folder) / "stance.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        start = time.perf_counter()
        counts = generate(path, args.items)
        print(
            f"archive: {counts['items']} items ({counts['relevant']} relevant), "
            f"{counts['mentions']} mentions, {counts['claims']} stance claims; "
            f"generated in {time.perf_counter() - start:.1f} s"
        )
        timings = asyncio.run(measure(path, freeze=not args.no_freeze))
    print(
        f"Application.stance (ms): cold = {COLD_REPEAT} calls per name with an empty claims "
        f"cache, warm = {REPEAT} calls per name after one answer"
    )
    for (name_class, mode), values in timings.items():
        print(
            f"  {name_class:15} {mode}  p50 {statistics.median(values):6.1f}   "
            f"p95 {percentile(values, 0.95):6.1f}"
        )


if __name__ == "__main__":
    main()
