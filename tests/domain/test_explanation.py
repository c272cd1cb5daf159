"""/why's pure core: the spellings a pasted link may be stored under, and the verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.catalog import load_catalog
from bot.domain.explanation import (
    DigestAbsence,
    DigestAppearance,
    ItemExplanation,
    Sighting,
    StoredAnalysis,
    UnseenUrl,
    explain,
    lookup_urls,
    reason_text,
)
from bot.domain.model import DigestDisposition, DigestStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_canonical_form_comes_first_then_the_usual_other_spellings() -> None:
    urls = lookup_urls(" <HTTPS://www.News.example:443/a/b/?utm_source=x&id=7#top> ")

    assert urls[0] == "https://www.news.example/a/b/?id=7"
    assert "http://news.example/a/b/?id=7" in urls
    assert len(urls) == len(set(urls)) == 4  # scheme x www; a query keeps its path as is


def test_a_path_is_tried_with_and_without_its_trailing_slash() -> None:
    urls = lookup_urls("https://news.example/story")

    assert urls[0] == "https://news.example/story"
    assert "https://news.example/story/" in urls
    assert "http://www.news.example/story/" in urls
    assert len(urls) == 8


@pytest.mark.parametrize(
    "text",
    ["", "not a link", "ftp://x.example/a", "javascript:alert(1)", "https://", "https://a b"],
)
def test_anything_but_a_web_link_has_no_spellings(text: str) -> None:
    assert lookup_urls(text) == ()


def sighting(item_id: int, *, backlog: bool = False, hours_ago: int = 1) -> Sighting:
    return Sighting(
        item_id=item_id,
        feed_title=f"Feed {item_id}",
        feed_url=f"https://f{item_id}.example/rss",
        title="Title",
        url="https://news.example/a",
        published_at=None,
        fetched_at=NOW - timedelta(hours=hours_ago),
        is_backlog=backlog,
    )


def analysis(item_id: int, *, relevant: bool, score: float = 0.9) -> StoredAnalysis:
    return StoredAnalysis(item_id, relevant, score, (), NOW, (), (), ())


def digest() -> DigestAppearance:
    return DigestAppearance(1, 2, 5, 6, DigestStatus.POSTED, DigestDisposition.POSTED, NOW, NOW, 77)


@pytest.mark.parametrize(
    ("backlog", "analyses", "digests", "absence"),
    [
        (False, [], [], DigestAbsence.NOT_ANALYSED),
        (False, [analysis(1, relevant=False)], [], DigestAbsence.NOT_RELEVANT),
        (True, [analysis(1, relevant=True)], [], DigestAbsence.BACKLOG),
        (False, [analysis(1, relevant=True)], [], DigestAbsence.NOT_YET),
        (False, [analysis(1, relevant=True)], [digest()], None),
    ],
)
def test_why_an_item_is_in_no_digest(
    backlog: bool,
    analyses: list[StoredAnalysis],
    digests: list[DigestAppearance],
    absence: DigestAbsence | None,
) -> None:
    answer = explain("u", [sighting(1, backlog=backlog)], analyses, digests, now=NOW)

    assert isinstance(answer, ItemExplanation)
    assert answer.absence is absence


def test_copies_in_several_feeds_speak_with_the_relevant_analysis_first_seen_first() -> None:
    answer = explain(
        "u",
        [sighting(2, hours_ago=1), sighting(1, backlog=True, hours_ago=30)],
        [analysis(1, relevant=False, score=0.2), analysis(2, relevant=True, score=0.7)],
        [],
        now=NOW,
    )

    assert isinstance(answer, ItemExplanation)
    assert [s.item_id for s in answer.sightings] == [1, 2]
    assert answer.analysis is not None
    assert answer.analysis.item_id == 2
    assert answer.absence is DigestAbsence.NOT_YET  # one copy is not backlog
    assert answer.seen_ago == timedelta(hours=30)


def test_no_copy_means_unseen() -> None:
    assert explain("u", [], [], [], now=NOW) == UnseenUrl("u")


def test_stored_reasons_read_as_sentences() -> None:
    catalog = load_catalog()

    assert reason_text("law:eu-ai-act", catalog) == "names EU AI Act"
    assert reason_text("law-near-ai:gdpr", catalog).endswith("next to AI")
    assert reason_text("stance:meta/eu-ai-act", catalog) == "Meta takes a position on EU AI Act"
    assert reason_text("near:ai~rules", catalog) == "“ai” near “rules”"
    assert reason_text("something-new:x", catalog) == "something-new:x"
