"""/stance autocomplete's pure core: every name of an entry counts, each entry once."""

from __future__ import annotations

from bot.catalog import load_catalog
from bot.domain.digest.topics import Topics, known_jurisdictions, parse_topics
from bot.domain.model import EntityKind
from bot.domain.name_choices import name_choices, topic_choices

CATALOG = load_catalog()


def values(typed: str, **options: object) -> list[str]:
    return [c.value for c in name_choices(CATALOG, typed, limit=25, **options)]  # type: ignore[arg-type]


def test_nothing_typed_offers_companies_and_laws_in_turn() -> None:
    choices = name_choices(CATALOG, "", limit=25)

    assert len(choices) == 25
    assert [c.kind for c in choices[:4]] == [
        EntityKind.COMPANY,
        EntityKind.LAW,
        EntityKind.COMPANY,
        EntityKind.LAW,
    ]


def test_an_alias_finds_its_entry_and_says_which_it_is() -> None:
    (first, *_) = name_choices(CATALOG, "ai act", limit=25)

    assert first.value == "eu-ai-act"
    assert first.label == "AI Act → EU AI Act (law)"


def test_exact_then_prefix_then_word_then_anywhere() -> None:
    assert values("meta")[0] == "meta"
    assert values("Facebook")[0] == "meta"  # "Facebook owner" is one of Meta's names
    assert "california-sb-53" in values("SB")


def test_each_entry_once_whatever_the_number_of_matching_names() -> None:
    found = values("a")

    assert len(found) == len(set(found)) <= 25


def test_typos_fall_back_to_close_matches() -> None:
    assert values("Antropic") == ["anthropic"]
    assert values("zzzzqqq") == []


def test_kinds_narrow_to_laws() -> None:
    choices = name_choices(CATALOG, "", limit=25, kinds=frozenset({EntityKind.LAW}))

    assert choices
    assert {c.kind for c in choices} == {EntityKind.LAW}
    assert "meta" not in values("meta", kinds=frozenset({EntityKind.LAW}))


def test_topic_choices_complete_the_last_topic_and_keep_the_rest() -> None:
    jurisdictions = known_jurisdictions(CATALOG)
    offered = topic_choices(CATALOG, "AI Act, Meta, calif", jurisdictions=jurisdictions, limit=25)
    values = [choice.value for choice in offered]
    assert "AI Act, Meta, California" in values  # the jurisdiction
    assert "AI Act, Meta, California SB 53" in values  # a law
    assert all(value.startswith("AI Act, Meta, ") for value in values)
    again = topic_choices(CATALOG, "Meta, met", jurisdictions=jurisdictions, limit=25)
    assert "Meta, Meta" not in [choice.value for choice in again]  # chosen already
    for choice in topic_choices(CATALOG, "e", jurisdictions=jurisdictions, limit=25):
        # every suggestion is a list /digest add then accepts
        assert isinstance(parse_topics(choice.value, CATALOG, jurisdictions), Topics)
