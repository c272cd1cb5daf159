"""The catalog file: shipped data, operator extensions, and errors that name the entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.catalog import CatalogError, load_catalog, parse_catalog
from bot.domain.catalog import Catalog, Company, Law


def test_shipped_catalog_covers_the_evaluation_vocabulary(
    catalog: Catalog, shared_dir: Path
) -> None:
    readme = (shared_dir / "eval" / "README.md").read_text(encoding="utf-8")
    companies_line = next(line for line in readme.splitlines() if line.startswith("Companies ("))
    company_ids = {part.strip(" `.,") for part in companies_line.split(":", 1)[1].split("`,")}
    assert company_ids <= {c.id for c in catalog.companies}
    for line in (shared_dir / "eval" / "stance_dev.jsonl").read_text(encoding="utf-8").splitlines():
        for label in json.loads(line)["labels"]:
            assert catalog.company(label["entity"]) is not None
            assert catalog.law(label["target"]) is not None


def test_lookups(catalog: Catalog) -> None:
    assert isinstance(catalog.resolve("Meta Platforms"), Company)
    assert isinstance(catalog.resolve("ai act"), Law)
    assert catalog.resolve("eu-ai-act") == catalog.law("eu-ai-act")
    assert catalog.ancestors("eu-gpai-code-of-practice") == ("eu-ai-act", "eu-regulation")
    below = catalog.descendants("eu-regulation")
    assert {"eu-ai-act", "gdpr", "eu-gpai-code-of-practice"} <= set(below)
    assert below.index("eu-ai-act") < below.index("eu-gpai-code-of-practice")  # nearest first
    assert catalog.descendants("eu-ai-act") == ("eu-gpai-code-of-practice",)
    assert catalog.descendants("gdpr") == ()
    assert "Anthropic" in catalog.close_matches("antropic")
    assert catalog.resolve("nobody") is None


def test_every_law_has_a_known_kind(catalog: Catalog) -> None:
    assert {law.kind for law in catalog.laws} <= {"law", "code", "order", "concept"}
    assert catalog.law("eu-gpai-code-of-practice").kind == "code"  # type: ignore[union-attr]
    assert catalog.law("white-house-ai-commitments").kind == "code"  # type: ignore[union-attr]


def test_extension_adds_and_replaces(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "companies:\n"
        "  - {id: acme-ai, name: Acme AI, executives: [{name: Ada Lovelace, role: CEO}]}\n"
        "  - {id: meta, name: Meta, aliases: [Meta Platforms]}\n"
        "laws:\n"
        "  - {id: texas-ai-act, name: Texas AI Act, parent: ai-regulation}\n"
        "vocabulary:\n"
        "  ai_terms: [neural network]\n",
        encoding="utf-8",
    )
    catalog = load_catalog(extra)
    assert catalog.company("acme-ai") is not None
    meta = catalog.company("meta")
    assert meta is not None
    assert meta.executives == ()
    assert catalog.ancestors("texas-ai-act") == ("ai-regulation",)
    assert "neural network" in catalog.vocabulary.ai_terms
    assert "AI" in catalog.vocabulary.ai_terms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "companies:\n  - {id: a, name: A}\n  - {id: b, name: B, aliases: 3}\n",
            "catalog.yaml: company 2 (aliases): expected a list of strings",
        ),
        ("companies:\n  - {id: Bad Id, name: A}\n", "company 1 (id): 'Bad Id' is not an id"),
        ("laws:\n  - {id: x, name: X, patterns: ['(']}\n", "law 1 (patterns): not a regular"),
        ("laws:\n  - {id: x, name: X, colour: red}\n", "law 1: unknown key(s) colour"),
        ("laws:\n  - {id: x, name: X, kind: treaty}\n", "law 1 (kind): 'treaty' is not one of"),
        ("companies: [{id: a, name: A}, {id: a, name: B}]\n", "company 2 (id): duplicate id 'a'"),
        ("- just a list\n", "expected a mapping"),
        ("companies: [\n", "not valid YAML"),
    ],
)
def test_errors_name_the_entry_and_field(text: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)
    assert message in str(caught.value)


def test_unknown_parent_and_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("laws:\n  - {id: x, name: X, parent: nowhere}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"law \d+ \(parent\): unknown law id 'nowhere'"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(tmp_path / "missing.yaml")


def test_names_people_type_reach_the_company_and_suggestions_name_entries() -> None:
    catalog = load_catalog()
    for typed in ("facebook", "Instagram", "Zuckerberg", "Mark Zuckerberg", "kaplan"):
        entry = catalog.resolve(typed)
        assert entry is not None, typed
        assert entry.id == "meta", typed
    assert catalog.resolve("act") is None  # a word many laws share names none of them
    assert catalog.close_matches("meat") == ("Meta",)
    assert "Facebook owner" not in catalog.close_matches("facebok")
