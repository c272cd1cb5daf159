"""Story clustering: canonical URL first, then near-duplicate titles or texts in a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.clustering import StoryFeatures, StoryItem, cluster_batch, story_key

DAY = datetime(2025, 7, 18, tzinfo=UTC)
TEXT = (
    "The company said on Friday it would not sign the voluntary code for general-purpose "
    "models, calling the rules an overreach that will slow development in Europe."
)


def clustered(title: str, *, url: str, text: str = TEXT, when: datetime = DAY) -> StoryItem:
    item = StoryItem(url, title, text, when)
    return StoryItem(url, title, text, when, story_key(item, []))


def test_same_canonical_url_is_one_story() -> None:
    first = clustered("Meta will not sign", url="https://www.news.example/a/1?utm_source=rss")
    second = StoryItem("https://news.example/a/1/", "Other title", "other text", DAY)
    assert story_key(second, [first]) == first.story_key


def test_near_duplicate_title_within_days_is_one_story() -> None:
    first = clustered("Meta refuses to sign EU AI code of practice", url="https://a.example/1")
    copy = StoryItem(
        "https://b.example/2", "Meta refuses to sign the EU's AI code of practice", "x", DAY
    )
    assert story_key(copy, [first]) == first.story_key
    later = StoryItem(copy.url, copy.title, "x", DAY + timedelta(days=30))
    assert story_key(later, [first]) != first.story_key


def test_near_duplicate_text_is_one_story() -> None:
    first = clustered("Meta says no to the code", url="https://a.example/1")
    syndicated = StoryItem("https://c.example/9", "Europe loses a signatory", TEXT + " More.", DAY)
    assert story_key(syndicated, [first]) == first.story_key


def test_different_stories_get_different_keys() -> None:
    first = clustered("Meta refuses to sign EU AI code", url="https://a.example/1")
    other = StoryItem("https://a.example/2", "Nvidia reports record revenue", "Chips sold.", DAY)
    key = story_key(other, [first])
    assert key != first.story_key
    assert len(key) <= 128


def test_shared_features_give_the_same_keys_as_fresh_ones() -> None:
    recent = [
        clustered("Commission fines platform under the AI Act", url="https://a.example/1"),
        clustered("Parliament votes on chips subsidies", url="https://b.example/9", text="Other."),
    ]
    features = StoryFeatures()
    items = [
        StoryItem("https://a.example/1?utm_source=x", "Fines", "Short.", DAY),
        StoryItem(None, "Parliament votes on chips subsidies today", "Other.", DAY),
        StoryItem(None, "Nothing like the others at all", TEXT, DAY + timedelta(hours=2)),
        StoryItem(None, "Unrelated", "Unrelated text here.", DAY),
    ]
    for item in items:
        assert story_key(item, recent, features=features) == story_key(item, recent)


def test_a_batch_clusters_its_own_copies_of_a_story() -> None:
    recent = [clustered("Parliament votes on chips subsidies", url="https://b.example/9")]
    batch = [
        StoryItem("https://a.example/1", "Meta refuses to sign EU AI code of practice", "x", DAY),
        StoryItem("https://c.example/2", "Nvidia reports record revenue", "Chips sold.", DAY),
        StoryItem(
            "https://d.example/3", "Meta refuses to sign the EU AI code of practice", "y", DAY
        ),
        StoryItem("https://e.example/4", "Parliament votes on chips subsidies", "z", DAY),
    ]
    keys = cluster_batch(batch, recent)
    assert keys[0] == keys[2]
    assert keys[3] == recent[0].story_key
    assert len({keys[0], keys[1], keys[3]}) == 3


def test_texts_of_very_different_length_are_not_one_story() -> None:
    first = clustered("Meta says no to the code", url="https://a.example/1")
    more = " ".join(f"word{n}" for n in range(80))
    longer = StoryItem("https://c.example/9", "Europe loses a signatory", f"{TEXT} {more}", DAY)
    assert story_key(longer, [first]) != first.story_key
