"""A digest's words and settings, as tables: clean titles, extractive summaries that skip page
furniture, topics against the catalog, cadences and timezone names."""

from __future__ import annotations

import pytest

from bot.domain.catalog import Catalog
from bot.domain.digest.cadence import (
    Cadence,
    canonical_timezone,
    close_timezones,
    parse_time_of_day,
    parse_weekday,
)
from bot.domain.digest.text import clean_title, extract_summary
from bot.domain.digest.topics import (
    Topics,
    UnknownTopic,
    describe_topics,
    known_jurisdictions,
    parse_topics,
)
from bot.domain.model import DigestCadence

ZONES = ("Europe/Brussels", "Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo")


@pytest.mark.parametrize(
    ("title", "source", "expected"),
    [
        ("EU fines X &amp; Meta | POLITICO", "POLITICO Europe", "EU fines X & Meta"),
        ("Senate passes AI bill - Reuters", "Reuters", "Senate passes AI bill"),
        ("Senate passes AI bill - a first", "Reuters", "Senate passes AI bill - a first"),
        ("  Spaced \n out  ", "", "Spaced out"),
        ("", "Wire", ""),
    ],
)
def test_clean_title(title: str, source: str, expected: str) -> None:
    assert clean_title(title, source) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Share buttons, a byline and a dateline before the first real sentence.
        (
            "Save Article\nShare on LinkedIn\nBy Jane Doe and John Smith\n"
            "BRUSSELS, Nov 25 (Reuters) - The Commission proposed a one-year delay to the AI Act.",
            "The Commission proposed a one-year delay to the AI Act.",
        ),
        # Photo captions and credits, WordPress's footer.
        (
            "Photo: a hearing room. Lawmakers voted 52-47 to pass the AI safety bill "
            "(Photo by A. Person/Getty Images).\nThe post Vote appeared first on Wire.",
            "Lawmakers voted 52-47 to pass the AI safety bill.",
        ),
        # Two sentences when the first is short, and not a third.
        (
            "The FTC sued an AI firm. It says ads misled buyers. Shares fell.",
            "The FTC sued an AI firm. It says ads misled buyers.",
        ),
        # A sentence that only repeats the title is skipped.
        (
            "EU delays AI Act. The delay covers high-risk systems.",
            "The delay covers high-risk systems.",
        ),
        ("5 min read\nAdvertisement\nContinue reading", ""),
    ],
)
def test_extract_summary_skips_boilerplate(text: str, expected: str) -> None:
    assert extract_summary(text, title="EU delays AI Act") == expected


def test_a_long_first_sentence_is_cut_at_a_word() -> None:
    summary = extract_summary("Regulators " + "considered rules " * 40 + "today.")

    assert len(summary) <= 280
    assert summary.endswith("rules…") or summary.endswith("considered…")


def test_topics_resolve_laws_companies_and_jurisdictions(catalog: Catalog) -> None:
    places = known_jurisdictions(catalog, ["eu", "intl"])

    topics = parse_topics("AI Act, Facebook owner; california , EU", catalog, places)

    assert topics == Topics(
        law_ids=frozenset({"eu-ai-act"}),
        company_ids=frozenset({"meta"}),
        jurisdictions=frozenset({"US-CA", "EU"}),
    )
    assert isinstance(topics, Topics)
    assert Topics.from_tokens(topics.tokens()) == topics
    assert describe_topics(topics, catalog) == ("EU AI Act", "Meta", "European Union", "California")


@pytest.mark.parametrize(
    ("text", "unknown", "suggestion"),
    [
        ("AI Act, Metta", "Metta", "Meta"),
        ("Californa", "Californa", "California"),
        ("Open AI Inc", "Open AI Inc", "OpenAI"),  # the company, not the alias that matched
    ],
)
def test_an_unknown_topic_is_named_with_close_matches(
    catalog: Catalog, text: str, unknown: str, suggestion: str
) -> None:
    found = parse_topics(text, catalog, known_jurisdictions(catalog))

    assert isinstance(found, UnknownTopic)
    assert found.name == unknown
    assert suggestion in found.suggestions


def test_empty_topics_mean_everything(catalog: Catalog) -> None:
    assert not parse_topics(" , ", catalog, known_jurisdictions(catalog))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", (9, 0)), ("9:05", (9, 5)), ("23:59", (23, 59)), ("24:00", None), ("9", None)],
)
def test_time_of_day(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("Monday", 0), ("sun", 6), ("fri", 4), ("someday", None)]
)
def test_weekday(text: str, expected: int | None) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        (Cadence(DigestCadence.DAILY, 9, 0), "every day at 09:00"),
        (Cadence(DigestCadence.WEEKDAYS, 7, 30), "weekdays (Monday to Friday) at 07:30"),
        (Cadence(DigestCadence.WEEKLY, 18, 5, weekday=4), "every Friday at 18:05"),
    ],
)
def test_cadence_in_words(cadence: Cadence, expected: str) -> None:
    assert cadence.describe() == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Europe/Brusels", "Europe/Brussels"), ("brussels", "Europe/Brussels"), ("new york", None)],
)
def test_close_timezones(name: str, expected: str | None) -> None:
    found = close_timezones(name, ZONES)
    if expected is None:
        assert "America/New_York" in found
    else:
        assert found[0] == expected


def test_canonical_timezone() -> None:
    assert canonical_timezone("europe/BRUSSELS", ZONES) == "Europe/Brussels"
    assert canonical_timezone("Mars/Olympus", ZONES) is None
