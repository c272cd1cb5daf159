"""Speed of the analysis, printed as figures (not a test): run ``python bench/analyze.py``.

- start-up: loading the catalog and compiling its patterns;
- the relevance pre-filter per item (target: under 1 ms);
- full analysis of relevant articles of about 2,500 characters (target: median under 50 ms);
- what that means for a cold start over an archive of 50,000 items.

Articles come from ../shared/eval/stance_dev.jsonl and stance_dev2.jsonl when present (read,
never copied), else from a built-in synthetic article. Single thread, a few seconds in all.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from bot.catalog import load_catalog
from bot.domain.analysis import Analyser

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
DEV_SETS = [EVAL / "stance_dev.jsonl", EVAL / "stance_dev2.jsonl"]
SYNTHETIC = (
    "Meta refused to sign the GPAI code of practice on Friday. Joel Kaplan said the rules were "
    "an overreach that would throttle the development of frontier models in Europe. "
    "OpenAI said it would sign the code, while Google urged the Commission to delay the AI Act. "
) * 10


def articles() -> list[tuple[str, str, bool]]:
    found = [path for path in DEV_SETS if path.is_file()]
    if not found:
        return [("Synthetic", SYNTHETIC[:2500], True)]
    rows = [
        json.loads(line)
        for path in found
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [(r["title"], r["text"], bool(r["relevant"])) for r in rows]


def per_call_ms(func: object, args: tuple[str, str], repeat: int) -> float:
    assert callable(func)
    start = time.perf_counter()
    for _ in range(repeat):
        func(*args)
    return (time.perf_counter() - start) * 1000 / repeat


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    items = articles()
    start = time.perf_counter()
    analyser = Analyser(load_catalog())
    analyser.analyse("", SYNTHETIC[:200])  # the matchers compile at the first analysis
    startup_ms = (time.perf_counter() - start) * 1000

    prefilter = [per_call_ms(analyser.might_be_relevant, (t, x), 50) for t, x, _ in items]
    relevant = [(t, x) for t, x, rel in items if rel]
    # Excerpts stop near 2,000 characters: join neighbours and cut at 2,500 for the target size.
    sized = [
        (title, (text + "\n\n" + relevant[(n + 1) % len(relevant)][1])[:2500])
        for n, (title, text) in enumerate(relevant)
    ]
    full = [per_call_ms(analyser.analyse, (t, x), 10) for t, x in sized]
    every = [per_call_ms(analyser.analyse, (t, x), 3) for t, x, _ in items]

    source = "dev sets" if any(p.is_file() for p in DEV_SETS) else "synthetic"
    print(f"source: {source} ({len(items)} articles)")
    print(f"start-up (load catalog + compile): {startup_ms:.0f} ms")
    print(
        f"pre-filter per item: median {statistics.median(prefilter):.3f} ms, "
        f"max {max(prefilter):.3f} ms"
    )
    lengths = [len(x) for _, x in sized]
    print(
        f"full analysis, {len(full)} relevant articles of {min(lengths)}-{max(lengths)} chars: "
        f"median {statistics.median(full):.2f} ms, p95 {p95(full):.2f} ms, max {max(full):.2f} ms"
    )
    mean_all = statistics.mean(every)
    print(f"full analysis, all articles: mean {mean_all:.2f} ms")
    print(f"cold start of 50,000 items on one core: about {50_000 * mean_all / 1000 / 60:.1f} min")


if __name__ == "__main__":
    main()
