"""The quality contract: the analyser on the shared dev set, measured by the shared scorer.

Skips where ../shared is absent. The articles are read, never copied into the repository.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.catalog import load_catalog
from bot.domain.analysis import Analyser


def _scorer(shared_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_score", shared_dir / "eval" / "score.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predictions(articles: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    analyser = Analyser(load_catalog())
    predictions = {}
    for article_id, article in articles.items():
        result = analyser.analyse(article["title"], article["text"])
        predictions[article_id] = {
            "id": article_id,
            "relevant": result.relevance.is_relevant,
            "labels": [
                {
                    "entity": c.company_id,
                    "target": c.target_id,
                    "stance": str(c.stance),
                    "evidence": c.evidence,
                }
                for c in result.positions()
            ],
        }
    return predictions


def test_dev_set_meets_the_quality_targets(shared_dir: Path) -> None:
    scorer = _scorer(shared_dir)
    gold = scorer.load(shared_dir / "eval" / "stance_dev.jsonl")
    result = scorer.score(gold, _predictions(gold))
    summary = json.dumps({k: result[k] for k in ("relevance", "stance", "evidence_exact")})
    assert result["missing_predictions"] == 0
    assert result["relevance"]["f1"] >= 0.90, summary
    assert result["stance"]["f1"] >= 0.75, summary
    assert result["stance"]["precision"] >= 0.85, summary
    assert result["evidence_exact"] == 1.0, summary
