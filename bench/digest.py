"""Benchmark: composing a digest (``compose_digest``, pure) from 100, 1,000 and 10,000 candidates.

    .venv/bin/python bench/digest.py                 # 100, 1,000, 10,000 candidates
    .venv/bin/python bench/digest.py --sizes 50000   # how it grows

Times the very function a run calls (in a worker thread, in ``Digests``), on candidates shaped
like a busy instance's day: 60 feeds (one in ten official), one story in three reported by two
or three feeds (shared story key; one in ten of those also the same URL), every item naming
1-2 laws and 0-2 companies with a Zipf-like skew over the shipped catalog, one in five with a
stance claim, a few hundred characters of text with share buttons and bylines around it. Each
size is composed 5 times with a fresh candidate list (the garbage collector left on); the table
gives the median and the worst, and the stories, sections and stance changes composed.
Target: 10,000 candidates in under 1 s. Delivering them (1,000 digests due in the same minute,
through a rate-limited fake Discord) is ``bench/digest_delivery.py``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bot.catalog import load_catalog
from bot.domain.catalog import Catalog
from bot.domain.digest.compose import Candidate, CandidateClaim, Digest, compose_digest
from bot.domain.model import Attribution, FeedKind, StanceLabel

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FEEDS = 60
REPEAT = 5
TEXT = (
    "Save Article\nShare\nBy A. Reporter\nBRUSSELS (Reuters) - Regulators set out how the rules "
    "apply to general-purpose models, with obligations phased in over two years. Companies said "
    "they needed more time. (Photo by Someone/Getty Images)\nThe post appeared first on Wire."
)


def skewed(rng: random.Random, values: list[str]) -> str:
    """A Zipf-like pick: the first entries of ``values`` are drawn far more often."""
    return values[min(int(rng.paretovariate(1.2)) - 1, len(values) - 1)]


def candidates(count: int, catalog: Catalog, rng: random.Random) -> list[Candidate]:
    laws = [law.id for law in catalog.laws if not law.generic]
    companies = [company.id for company in catalog.companies]
    found: list[Candidate] = []
    story = 0
    while len(found) < count:
        story += 1
        copies = rng.choice((1, 1, 2, 3))
        shared_url = rng.random() < 0.1
        story_laws = tuple(dict.fromkeys(skewed(rng, laws) for _ in range(rng.randint(1, 2))))
        for copy in range(copies):
            feed = rng.randrange(FEEDS)
            when = NOW - timedelta(minutes=rng.randrange(24 * 60))
            claims = ()
            named = tuple(dict.fromkeys(skewed(rng, companies) for _ in range(rng.randint(0, 2))))
            if named and rng.random() < 0.2:
                claims = (
                    CandidateClaim(
                        named[0],
                        story_laws[0],
                        rng.choice((StanceLabel.SUPPORT, StanceLabel.OPPOSE, StanceLabel.NEUTRAL)),
                        f"{named[0]} said it has views on {story_laws[0]}.",
                        rng.uniform(0.4, 0.95),
                        rng.choice(list(Attribution)),
                    ),
                )
            found.append(
                Candidate(
                    item_id=len(found) + 1,
                    title=f"Story {story}: regulators move on {story_laws[0]} ({copy})",
                    url=f"https://feed{0 if shared_url else feed}.example/story/{story}",
                    text=TEXT,
                    feed_title=f"Feed {feed}",
                    feed_kind=FeedKind.OFFICIAL if feed % 10 == 0 else FeedKind.NEWS,
                    feed_jurisdictions=(rng.choice(("eu", "us", "uk", "intl")),),
                    published_at=when,
                    fetched_at=when,
                    story_key=f"story:{story}" if copies > 1 else None,
                    law_ids=story_laws,
                    company_ids=named,
                    claims=claims,
                )
            )
    return found[:count]


def compose(catalog: Catalog, items: list[Candidate]) -> tuple[float, Digest]:
    previous = {
        (c.company_id, c.target_id): StanceLabel.SUPPORT for i in items[::7] for c in i.claims
    }
    started = time.perf_counter()
    digest = compose_digest(
        items,
        catalog=catalog,
        now=NOW,
        max_stories=50,
        previous_positions=previous,
        already_posted=frozenset(f"key:story:{n}" for n in range(1, 200)),
        failing_feeds=2,
    )
    return time.perf_counter() - started, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    catalog = load_catalog()
    rng = random.Random(args.seed)
    compose(catalog, candidates(100, catalog, rng))  # warm up: imports, regex compilation
    print(f"{'candidates':>10}  {'median':>9}  {'worst':>9}  {'stories':>7}  sections  changes")
    for size in args.sizes:
        times = []
        digest = None
        for _ in range(REPEAT):
            elapsed, digest = compose(catalog, candidates(size, catalog, rng))
            times.append(elapsed)
        assert digest is not None
        median, worst = statistics.median(times) * 1000, max(times) * 1000
        print(
            f"{size:>10,}  {median:>7.1f} ms  {worst:>6.1f} ms  {digest.story_count:>7,}"
            f"  {len(digest.sections):>8}  {len(digest.stance_changes):>7}"
        )


if __name__ == "__main__":
    main()
