"""A generated archive of analysed items, the same rows on SQLite and on PostgreSQL.

Shared by ``bench/stance.py`` and ``bench/copy.py``. The rows are written straight into a
migrated database (SQLAlchemy Core bulk inserts on SQLite, asyncpg's binary COPY on
PostgreSQL), never through the poller, and the same seed gives the same rows on both. A
generated archive is kept between runs (a SQLite file under ``/tmp/policybot-bench``, a
PostgreSQL database named after it), keyed by size, seed, schema revision and
``GENERATOR_VERSION`` (an archive of an older revision is made again, never reused). Every
(company, target) pair is left queued for a position refresh, which ``bench/stance.py``
drains once before it times anything.

What the archive looks like (assumptions, not measurements): three years of items from 60
feeds; 35% relevant; every item names 0-3 companies and 0-2 laws; 40% of relevant items with
a company and a law carry 1-3 stance claims. Companies and laws are drawn with a Zipf-like
skew over the shipped catalog (Meta, OpenAI and Google, the AI Act and the GDPR take most of
the news; Cohere or the NO FAKES Act appear a few dozen times per 100,000 items). One story
in three reaches two or three feeds (shared story key).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Table, create_engine, insert
from sqlalchemy.engine import URL, make_url

from bot.catalog import load_catalog
from bot.domain.analysis import ANALYSER_VERSION
from bot.domain.model import Attribution, EntityKind, StanceLabel
from bot.storage import migrate
from bot.storage.engine import make_engine, make_session_factory
from bot.storage.schema import Feed, Item, ItemAnalysis, Mention, StanceClaim
from bot.storage.search import index_pending

GENERATOR_VERSION = 1  # bump when the rows below change, so cached archives are remade
CACHE_DIR = Path("/tmp/policybot-bench")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
FEEDS = 60
RELEVANT_SHARE = 0.35
CLAIM_SHARE = 0.40
BATCH = 10_000
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
# The claims are written around ``AnalysisStore.save_many``, so their pairs are queued for a
# position refresh here, as it would have queued them (``bench/stance.py`` drains the queue).
QUEUE_EVERY_PAIR = (
    "INSERT INTO stance_positions_pending (company_id, target_id, token) "
    "SELECT DISTINCT company_id, target_id, 'generated' FROM stance_claims WHERE is_relevant"
)
TABLES: tuple[Table, ...] = (
    Item.__table__,  # type: ignore[assignment]
    ItemAnalysis.__table__,  # type: ignore[assignment]
    Mention.__table__,  # type: ignore[assignment]
    StanceClaim.__table__,  # type: ignore[assignment]
)


@dataclass(frozen=True, slots=True)
class Generated:
    """Row counts of a generated archive, and how long making it took (0 when cached)."""

    items: int
    relevant: int
    mentions: int
    claims: int
    seconds: float

    def describe(self) -> str:
        made = f"generated in {self.seconds:.1f} s" if self.seconds else "cached"
        return (
            f"archive: {self.items} items ({self.relevant} relevant), {self.mentions} "
            f"mentions, {self.claims} stance claims; {made}"
        )


def skewed(ids: Sequence[str], rng: random.Random, *, exponent: float = 1.1) -> list[str]:
    """``ids`` weighted 1/rank^exponent, the shape of who and what makes the news."""
    weights = [1 / (rank**exponent) for rank in range(1, len(ids) + 1)]
    return rng.choices(list(ids), weights=weights, k=4)


def batches(items: int, seed: int = 7) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The archive's rows, ``BATCH`` items at a time, by table name (Python values)."""
    rng = random.Random(seed)
    catalog = load_catalog()
    head = (*COMMON_COMPANIES, *RARE_COMPANIES)
    companies = [*COMMON_COMPANIES, *(c.id for c in catalog.companies if c.id not in head)]
    companies += list(RARE_COMPANIES)
    head = (*COMMON_LAWS, *RARE_LAWS)
    laws = [*COMMON_LAWS, *(law.id for law in catalog.laws if law.id not in head), *RARE_LAWS]
    names = {c.id: c.name for c in catalog.companies} | {law.id: law.name for law in catalog.laws}
    story = claim_id = mention_id = 0
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
                    "author": None,
                    "published_at": published,
                    "updated_at": None,
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
                for entity_id in ids:
                    mention_id += 1
                    mentions.append(
                        {
                            "id": mention_id,
                            "item_id": item_id,
                            "kind": kind,
                            "entity_id": entity_id,
                            "surface": names[entity_id],
                            "count": 1,
                        }
                    )
            if relevant and company_ids and law_ids and rng.random() < CLAIM_SHARE:
                for index in range(rng.randint(1, 3)):
                    company, law = rng.choice(company_ids), rng.choice(law_ids)
                    stance = rng.choices(list(StanceLabel), weights=[4, 4, 1, 2])[0]
                    claim_id += 1
                    claims.append(
                        {
                            "id": claim_id,
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
                            # Copies of the item's, as AnalysisStore.save_many writes them.
                            "is_relevant": True,
                            "story_key": f"s:{story}",
                            "reported_at": published,
                        }
                    )
        yield {
            "items": rows,
            "item_analyses": analyses,
            "mentions": mentions,
            "stance_claims": claims,
        }


def feeds() -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "url": f"https://feed{n}.example/rss",
            "title": f"Policy feed {n}",
            "site_url": None,
            "kind": None,
            "jurisdictions": [],
            "tags": [],
            "in_instance_list": True,
            "interval_minutes": None,
            "created_at": NOW - SPAN,
            "redirect_count": 0,
            "status": "ok",
            "consecutive_errors": 0,
            "fetch_count": 0,
            "error_count": 0,
        }
        for n in range(1, FEEDS + 1)
    ]


def cache_name(items: int, seed: int) -> str:
    return f"archive_{items}_{seed}_r{migrate.HEAD_REVISION}_v{GENERATOR_VERSION}"


def sqlite_archive(items: int, *, seed: int = 7, fresh: bool = False) -> tuple[Path, Generated]:
    """A migrated SQLite file holding the archive (made unless cached), and its counts."""
    CACHE_DIR.mkdir(exist_ok=True)
    path = CACHE_DIR / f"{cache_name(items, seed)}.db"
    counts_path = path.with_suffix(".json")
    if path.exists() and counts_path.exists() and not fresh:
        return path, Generated(**{**json.loads(counts_path.read_text()), "seconds": 0.0})
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    migrate.upgrade(f"sqlite+aiosqlite:///{partial}")
    engine = create_engine(f"sqlite:///{partial}")
    counts = {"items": 0, "relevant": 0, "mentions": 0, "claims": 0}
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        connection.execute(insert(Feed), feeds())
        for batch in batches(items, seed):
            for table in TABLES:
                if batch[table.name]:
                    connection.execute(insert(table), batch[table.name])
            _count(counts, batch)
        connection.exec_driver_sql(QUEUE_EVERY_PAIR)
    engine.dispose()
    asyncio.run(_index_for_search(partial))
    partial.rename(path)
    counts_path.write_text(json.dumps(counts))
    return path, Generated(**counts, seconds=time.perf_counter() - started)


async def _index_for_search(path: Path) -> None:
    """Drain SQLite's search queue, as ``IngestionCycle`` would after a poll."""
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    sessions = make_session_factory(engine)
    try:
        while True:
            async with sessions.begin() as session:
                if not await index_pending(session, limit=50_000):
                    return
    finally:
        await engine.dispose()


def postgresql_archive(
    server: URL | str, items: int, *, seed: int = 7, fresh: bool = False
) -> tuple[URL, Generated]:
    """A migrated PostgreSQL database on ``server`` holding the same archive, and its counts.

    The database is named after the archive and kept; ``fresh`` drops and remakes it.
    """
    admin = make_url(server).set(drivername="postgresql")
    name = cache_name(items, seed)
    url = admin.set(database=name, drivername="postgresql+asyncpg")
    return url, asyncio.run(_postgresql_archive(admin, name, items, seed=seed, fresh=fresh))


async def _postgresql_archive(
    admin: URL, name: str, items: int, *, seed: int, fresh: bool
) -> Generated:
    server = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        exists = await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        comment = await server.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
        if exists and comment and not fresh:
            return Generated(**{**json.loads(comment), "seconds": 0.0})
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.execute(f'CREATE DATABASE "{name}"')
        started = time.perf_counter()
        database = admin.set(database=name)
        await asyncio.to_thread(migrate.upgrade, database.set(drivername="postgresql+asyncpg"))
        counts = await _fill_postgresql(database, items, seed)
        await server.execute(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(counts)}'")
        return Generated(**counts, seconds=time.perf_counter() - started)
    finally:
        await server.close()


async def _fill_postgresql(database: URL, items: int, seed: int) -> dict[str, int]:
    """COPY the rows in with the tables' secondary indexes dropped, then rebuild them."""
    connection = await asyncpg.connect(database.render_as_string(hide_password=False))
    counts = {"items": 0, "relevant": 0, "mentions": 0, "claims": 0}
    try:
        names = [table.name for table in TABLES]
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY($1) AND NOT "
            "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            names,
        )
        for index in indexes:
            await connection.execute(f'DROP INDEX "{index["indexname"]}"')
        await _copy(connection, Feed.__table__, feeds())  # type: ignore[arg-type]
        for batch in batches(items, seed):
            for table in TABLES:
                await _copy(connection, table, batch[table.name])
            _count(counts, batch)
        for index in indexes:
            await connection.execute(index["indexdef"])
        for table in ("feeds", "items", "mentions", "stance_claims"):  # new ids go on after
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        await connection.execute(QUEUE_EVERY_PAIR)
        # What autovacuum does soon after a bulk load: statistics, and the visibility map an
        # index-only scan needs (without it PostgreSQL scans the table instead).
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return counts


async def _copy(connection: asyncpg.Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    await connection.copy_records_to_table(
        table.name,
        records=[tuple(_postgresql_value(row[c]) for c in columns) for row in rows],
        columns=columns,
    )


def _postgresql_value(value: Any) -> Any:
    """What asyncpg's COPY takes for a column the schema stores as an enum's text or JSON."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return json.dumps(value)
    return value


def _count(counts: dict[str, int], batch: dict[str, list[dict[str, Any]]]) -> None:
    counts["items"] += len(batch["items"])
    counts["relevant"] += sum(row["is_relevant"] for row in batch["item_analyses"])
    counts["mentions"] += len(batch["mentions"])
    counts["claims"] += len(batch["stance_claims"])
