"""Names match as whole words with the case rules of the catalog."""

from __future__ import annotations

import pytest

from bot.domain.catalog import Catalog
from bot.domain.mentions import MentionFinder
from bot.domain.model import EntityKind


def found(catalog: Catalog, text: str) -> list[tuple[str, str]]:
    return [(str(m.kind), m.entity_id) for m in MentionFinder(catalog).find(text)]


def test_meta_is_not_metadata_and_apple_is_not_a_fruit(catalog: Catalog) -> None:
    assert found(catalog, "The metadata of an apple pie.") == []
    assert found(catalog, "Meta and Apple disagreed.") == [
        ("company", "meta"),
        ("company", "apple"),
    ]


def test_executives_count_for_their_company(catalog: Catalog) -> None:
    mentions = MentionFinder(catalog).find("Joel Kaplan spoke; later Kaplan spoke again.")
    assert [(m.entity_id, m.via_person) for m in mentions] == [
        ("meta", "Joel Kaplan"),
        ("meta", "Joel Kaplan"),
    ]


def test_x_needs_context(catalog: Catalog) -> None:
    assert found(catalog, "Plan X failed and the X factor helped.") == []
    assert ("company", "x-corp") in found(catalog, "Musk said X will appeal the fine.")


@pytest.mark.parametrize(
    ("text", "law"),
    [
        ("the AI act could change", "eu-ai-act"),
        ("She praised the EU AI Act.", "eu-ai-act"),
        ("Critics of SB-53 spoke.", "california-sb-53"),
        ("the bloc's proposed rules on artificial intelligence", "eu-ai-act"),
        ("a patchwork of state AI laws", "us-state-ai-laws"),
        ("the Irish data protection watchdog", "gdpr"),
    ],
)
def test_law_aliases_and_patterns(catalog: Catalog, text: str, law: str) -> None:
    laws = [m.entity_id for m in MentionFinder(catalog).find(text) if m.kind is EntityKind.LAW]
    assert laws == [law]


def test_longest_name_wins(catalog: Catalog) -> None:
    mentions = MentionFinder(catalog).find("the EU AI Act")
    assert [(m.entity_id, m.surface) for m in mentions] == [("eu-ai-act", "EU AI Act")]
