"""Composing a digest, as tables: candidates, filters and the previous positions in, a
newsletter value out, at a fixed ``now``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.catalog import Catalog
from bot.domain.digest.codec import PlanError, digest_from_plan, digest_to_plan
from bot.domain.digest.compose import (
    NO_JURISDICTION,
    OVERFLOW_LIMIT,
    Candidate,
    CandidateClaim,
    Digest,
    compose_digest,
    story_keys,
)
from bot.domain.digest.topics import Topics
from bot.domain.model import Attribution, DigestDisposition, FeedKind, StanceLabel
from tests.support.clock import NOW

HOUR = timedelta(hours=1)


def item(item_id: int, **changes: Any) -> Candidate:
    base = Candidate(
        item_id=item_id,
        title=f"Story {item_id} about AI rules",
        url=f"https://news.example/{item_id}",
        text=f"Regulators discussed artificial intelligence rules in story number {item_id}.",
        feed_title="Policy Wire",
        feed_kind=FeedKind.NEWS,
        feed_jurisdictions=(),
        published_at=NOW - HOUR * item_id,
        fetched_at=NOW - HOUR * item_id,
    )
    return replace(base, **changes)


def claim(company: str, law: str, stance: StanceLabel, **changes: Any) -> CandidateClaim:
    base = CandidateClaim(
        company_id=company,
        target_id=law,
        stance=stance,
        evidence=f"{company} said it {stance.value}s {law}.",
        confidence=0.8,
        attribution=Attribution.STATED,
    )
    return replace(base, **changes)


def compose(catalog: Catalog, candidates: list[Candidate], **options: Any) -> Digest:
    options.setdefault("max_stories", 10)
    return compose_digest(candidates, catalog=catalog, now=NOW, **options)


def titles(digest: Digest) -> list[str]:
    return [story.title for story in digest.full_stories]


def test_an_empty_candidate_list_is_an_empty_digest(catalog: Catalog) -> None:
    digest = compose(catalog, [])

    assert digest.is_empty
    assert digest.as_of == NOW
    assert digest.dispositions() == {}


@pytest.mark.parametrize(
    ("candidates", "expected_stories", "expected_more"),
    [
        # The same article from two feeds (same canonical URL, tracking parameters aside).
        (
            [
                item(1, url="https://news.example/a?utm_source=x"),
                item(2, url="https://www.news.example/a/", feed_title="Other Wire"),
            ],
            1,
            0,  # the same link: no second link to show
        ),
        # Several outlets on one event: clustering gave them one story key.
        (
            [
                item(1, story_key="s1"),
                item(2, story_key="s1", feed_title="Euractiv"),
                item(3, story_key="s1", feed_title="Politico"),
            ],
            1,
            2,
        ),
        # Transitively: 1 and 2 share a URL, 2 and 3 a story key.
        (
            [
                item(1, url="https://a.example/x"),
                item(2, url="https://a.example/x", story_key="s", feed_title="B"),
                item(3, story_key="s", feed_title="C"),
            ],
            1,
            1,
        ),
        # Different stories stay apart.
        ([item(1, story_key="s1"), item(2, story_key="s2")], 2, 0),
    ],
)
def test_one_entry_per_story_with_more_sources(
    catalog: Catalog, candidates: list[Candidate], expected_stories: int, expected_more: int
) -> None:
    digest = compose(catalog, candidates)

    assert len(digest.full_stories) == expected_stories
    assert digest.story_count == expected_stories
    if expected_stories == 1:
        (story,) = digest.full_stories
        assert len(story.more_sources) == expected_more
        assert sorted(story.item_ids) == [c.item_id for c in candidates]
    assert set(digest.dispositions().values()) == {DigestDisposition.POSTED}


def test_the_lead_of_a_story_is_the_official_source_then_the_one_with_claims(
    catalog: Catalog,
) -> None:
    news = item(1, story_key="s", feed_title="Newsroom")
    with_claims = item(
        2,
        story_key="s",
        feed_title="Analysts",
        claims=(claim("meta", "eu-ai-act", StanceLabel.OPPOSE),),
    )
    official = item(3, story_key="s", feed_title="European Commission", feed_kind=FeedKind.OFFICIAL)

    (story,) = compose(catalog, [news, with_claims, official]).full_stories
    assert story.source == "European Commission"
    assert story.official
    assert story.item_ids[0] == 3
    (story,) = compose(catalog, [news, with_claims]).full_stories
    assert story.source == "Analysts"
    assert [source.name for source in story.more_sources] == ["Newsroom"]


def test_a_story_already_posted_is_covered_when_another_outlet_reports_it(
    catalog: Catalog,
) -> None:
    posted_before = story_keys("s1", "https://news.example/old")
    later = item(5, story_key="s1", feed_title="Late Outlet")
    same_link = item(6, url="https://news.example/old?utm_medium=rss", story_key=None)
    fresh = item(7)

    digest = compose(catalog, [later, same_link, fresh], already_posted=posted_before)

    assert titles(digest) == [fresh.title]
    assert digest.covered_item_ids == (5, 6)
    assert digest.dispositions() == {
        5: DigestDisposition.COVERED,
        6: DigestDisposition.COVERED,
        7: DigestDisposition.POSTED,
    }
    assert digest.story_count == 1


def test_stories_rank_official_then_claims_then_breadth_then_recency(catalog: Catalog) -> None:
    newest = item(1)
    broad = [item(10, story_key="b"), item(11, story_key="b", feed_title="Second Outlet")]
    claimed = item(20, claims=(claim("openai", "eu-ai-act", StanceLabel.SUPPORT),))
    official = item(30, feed_kind=FeedKind.OFFICIAL, feed_title="Commission")
    older = item(40)

    digest = compose(catalog, [older, newest, *broad, claimed, official], max_stories=3)

    chosen = {frozenset(story.item_ids) for story in digest.full_stories}
    assert chosen == {frozenset({30}), frozenset({20}), frozenset({10, 11})}
    assert [listed.item_ids[0] for listed in digest.listed] == [1, 40]  # newest first
    assert digest.story_count == 5


def test_sections_by_law_else_jurisdiction_ranked_and_newest_first_within(
    catalog: Catalog,
) -> None:
    candidates = [
        item(1, law_ids=("eu-ai-act",)),
        item(2, law_ids=("eu-regulation",), feed_jurisdictions=("eu",)),  # generic: no law
        item(3, law_ids=("eu-ai-act",), feed_kind=FeedKind.OFFICIAL),
        item(4, feed_jurisdictions=("us",)),
        item(5, feed_jurisdictions=("intl",)),
        item(6),
        item(7, law_ids=("eu-ai-act",)),
    ]

    digest = compose(catalog, candidates)

    headings = [section.heading for section in digest.sections]
    assert headings[0] == "EU AI Act"  # the official source's section first
    assert set(headings) == {
        "EU AI Act",
        "European Union",
        "United States",
        "International",
        NO_JURISDICTION,
    }
    ai_act = digest.sections[0]
    assert [story.item_ids[0] for story in ai_act.stories] == [1, 3, 7]  # newest first
    assert digest.jurisdiction_count == 3  # EU, US, INTL


def test_beyond_max_stories_titles_are_listed_and_beyond_the_list_counted(
    catalog: Catalog,
) -> None:
    candidates = [item(number) for number in range(1, 3 + OVERFLOW_LIMIT + 6)]

    digest = compose(catalog, candidates, max_stories=3)

    assert len(digest.full_stories) == 3
    assert len(digest.listed) == OVERFLOW_LIMIT
    assert digest.summarised_stories == 5
    assert digest.story_count == len(candidates)
    dispositions = digest.dispositions()
    assert len(dispositions) == len(candidates)  # nothing silently dropped
    assert list(dispositions.values()).count(DigestDisposition.SUMMARISED) == 5


def test_a_first_run_shows_max_stories_and_counts_the_rest(catalog: Catalog) -> None:
    digest = compose(catalog, [item(n) for n in range(1, 9)], max_stories=3, first_run=True)

    assert len(digest.full_stories) == 3
    assert digest.listed == ()
    assert digest.summarised_stories == 5
    assert digest.first_run


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        (Topics(law_ids=frozenset({"eu-ai-act"})), [1, 2]),  # the code of practice is under it
        (Topics(company_ids=frozenset({"meta"})), [3, 4]),  # a mention or a claim
        (Topics(jurisdictions=frozenset({"US"})), [5, 6]),  # US takes in US-CA
        (Topics(jurisdictions=frozenset({"US-CA"})), [6]),
        (Topics(), [1, 2, 3, 4, 5, 6]),
    ],
)
def test_topics_keep_the_stories_about_them(
    catalog: Catalog, topics: Topics, expected: list[int]
) -> None:
    candidates = [
        item(1, law_ids=("eu-ai-act",)),
        item(2, law_ids=("eu-gpai-code-of-practice",)),
        item(3, company_ids=("meta",)),
        item(4, claims=(claim("meta", "ai-regulation", StanceLabel.OPPOSE),)),
        item(5, feed_jurisdictions=("us",)),
        item(6, law_ids=("california-sb-53",)),
    ]

    digest = compose(catalog, candidates, topics=topics)

    assert sorted(story.item_ids[0] for story in digest.full_stories) == expected


def test_stance_changes_since_the_previous_run_reversals_first(catalog: Catalog) -> None:
    candidates = [
        item(1, claims=(claim("meta", "eu-ai-act", StanceLabel.OPPOSE, evidence="Meta opposes."),)),
        item(2, claims=(claim("openai", "eu-ai-act", StanceLabel.SUPPORT),)),
        item(3, claims=(claim("google", "eu-ai-act", StanceLabel.SUPPORT),)),  # unchanged
        item(4, claims=(claim("microsoft", "eu-ai-act", StanceLabel.NEUTRAL),)),  # not a side
    ]
    previous = {
        ("meta", "eu-ai-act"): StanceLabel.SUPPORT,
        ("google", "eu-ai-act"): StanceLabel.SUPPORT,
    }

    digest = compose(catalog, candidates, previous_positions=previous)

    assert [(c.company, c.before, c.after) for c in digest.stance_changes] == [
        ("Meta", StanceLabel.SUPPORT, StanceLabel.OPPOSE),
        ("OpenAI", None, StanceLabel.SUPPORT),  # a first position
    ]
    meta = digest.stance_changes[0]
    assert meta.law == "EU AI Act"
    assert meta.evidence == "Meta opposes."
    assert meta.source.url == "https://news.example/1"


def test_the_side_of_a_stance_change_is_the_better_evidenced_one(catalog: Catalog) -> None:
    weak = claim("meta", "eu-ai-act", StanceLabel.SUPPORT, attribution=Attribution.ALLEGED)
    strong = claim("meta", "eu-ai-act", StanceLabel.OPPOSE, confidence=0.9)

    digest = compose(catalog, [item(1, claims=(weak,)), item(2, claims=(strong,))])

    assert [(c.after, c.item_id) for c in digest.stance_changes] == [(StanceLabel.OPPOSE, 2)]


def test_each_entry_has_a_clean_title_summary_and_badges(catalog: Catalog) -> None:
    candidate = item(
        1,
        title="EU  opens AI Act probe into Meta | Policy Wire",
        text="Save Article\nShare\nBy Jane Doe\nThe Commission opened an AI Act inquiry into "
        "Meta's chatbot on Monday. It could lead to fines.\nThe post EU probe appeared first on X.",
        law_ids=("eu-ai-act",),
        company_ids=("meta",),
        claims=(claim("meta", "eu-ai-act", StanceLabel.OPPOSE),),
    )

    (story,) = compose(catalog, [candidate]).full_stories

    assert story.title == "EU opens AI Act probe into Meta"
    assert story.summary == (
        "The Commission opened an AI Act inquiry into Meta's chatbot on Monday. "
        "It could lead to fines."
    )
    assert story.laws == ("EU AI Act",)
    assert story.companies == ("Meta",)
    assert [(b.company, b.law, b.stance) for b in story.stances] == [
        ("Meta", "EU AI Act", StanceLabel.OPPOSE)
    ]


def test_the_failing_feeds_count_is_carried_for_the_footer(catalog: Catalog) -> None:
    assert compose(catalog, [item(1)], failing_feeds=2).failing_feeds == 2


def test_a_digest_survives_its_plan_unchanged(catalog: Catalog) -> None:
    candidates = [
        item(1, story_key="s", law_ids=("eu-ai-act",), company_ids=("meta",)),
        item(2, story_key="s", feed_title="Other", published_at=None),
        item(3, claims=(claim("meta", "eu-ai-act", StanceLabel.OPPOSE),)),
        *(item(n) for n in range(4, 60)),
    ]
    digest = compose(
        catalog,
        candidates,
        max_stories=2,
        already_posted=story_keys(None, "https://news.example/59"),
        failing_feeds=1,
    )

    assert digest_from_plan(digest_to_plan(digest)) == digest
    with pytest.raises(PlanError):
        digest_from_plan({**digest_to_plan(digest), "version": 99})
    with pytest.raises(PlanError):
        digest_from_plan({"version": 1})
