"""``policybot analyze``, ``stance`` and ``reanalyse`` as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_policybot


def test_analyze_writes_one_line_per_article_without_a_database(tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    lines = [
        {"id": "a1", "title": "Code", "text": "Meta refused to sign the GPAI code of practice."},
        {"id": "a2", "title": "Phones", "text": "The new phone has a bigger battery."},
    ]
    articles.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    result = run_policybot(tmp_path, "analyze", str(articles))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a1", "a2"]
    assert out[0]["relevant"] is True
    assert out[0]["labels"] == [
        {
            "entity": "meta",
            "target": "eu-gpai-code-of-practice",
            "stance": "oppose",
            "evidence": "Meta refused to sign the GPAI code of practice.",
        }
    ]
    assert out[1] == {"id": "a2", "relevant": False, "relevance": 0.0, "labels": []}
    assert not (tmp_path / "data").exists()


def test_analyze_reads_stdin_and_reports_bad_lines(tmp_path: Path) -> None:
    good = run_policybot(tmp_path, "analyze", "-", stdin='{"id": 1, "title": "", "text": ""}\n')
    assert good.returncode == 0
    bad = run_policybot(tmp_path, "analyze", "-", stdin="not json\n")
    assert bad.returncode == 2
    assert "<stdin>:1: not a JSON object" in bad.stderr


def test_stance_of_an_unknown_name_suggests_and_fails(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "stance", "antropic")
    assert result.returncode == 1
    assert "Did you mean: Anthropic" in result.stdout


def test_stance_json_and_reanalyse_on_an_empty_archive(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "stance", "AI Act", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["law"] == "eu-ai-act"
    again = run_policybot(tmp_path, "reanalyse")
    assert again.returncode == 0, again.stderr
    assert "analysed 0 items" in again.stdout


def test_operator_catalog_file_extends_and_errors_name_the_entry(tmp_path: Path) -> None:
    extra = tmp_path / "catalog.yaml"
    extra.write_text("companies:\n  - {id: acme-ai, name: Acme AI}\n", encoding="utf-8")
    articles = tmp_path / "a.jsonl"
    articles.write_text(
        json.dumps({"id": "x", "title": "", "text": "Acme AI backed the RAISE Act."}) + "\n",
        encoding="utf-8",
    )
    result = run_policybot(tmp_path, "analyze", str(articles), POLICYBOT_CATALOG_FILE=str(extra))
    assert json.loads(result.stdout)["labels"][0]["entity"] == "acme-ai"
    extra.write_text("companies:\n  - {id: acme-ai}\n", encoding="utf-8")
    broken = run_policybot(tmp_path, "analyze", str(articles), POLICYBOT_CATALOG_FILE=str(extra))
    assert broken.returncode != 0
    assert "company 1 (name): expected a non-empty string" in broken.stderr


def test_catalog_unknown_on_an_empty_archive(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "catalog", "unknown", "--limit", "5")
    assert result.returncode == 0, result.stderr
    assert "No unknown law names" in result.stdout


def test_stance_target_that_is_a_company_says_it_takes_a_law(tmp_path: Path) -> None:
    result = run_policybot(tmp_path, "stance", "openai", "--target", "facebook")
    assert result.returncode == 1
    assert "'facebook' is the company Meta; --target takes a law." in result.stdout
