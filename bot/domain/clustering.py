"""Story clustering: the same story from several feeds becomes one cluster.

First the canonical URL (syndicated copies often share it after tracking parameters go);
then near-duplicate titles or texts published within a few days of each other. The result is
a ``story_key`` stored on the item, which digests group by and which makes several outlets'
reports of one event count once in stance positions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.urls import story_url

STORY_WINDOW = timedelta(days=3)
TITLE_SIMILARITY = 0.6
TEXT_SIMILARITY = 0.5
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "says",
        "said",
        "that",
        "the",
        "to",
        "was",
        "were",
        "will",
        "with",
        "after",
        "over",
        "new",
    ]
)


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What clustering looks at; ``story_key`` is None until the item is clustered."""

    url: str | None
    title: str
    text: str
    published_at: datetime | None
    story_key: str | None = None


class StoryFeatures:
    """Story URLs, title words and text shingles, computed once per text.

    Clustering a batch compares each item with mostly the same recent stories; without this
    their shingles were recomputed for every item, three quarters of a batch's analysis time.
    Keep one for a batch, not for the process: it holds every text it has seen. Shingles are
    hashed to ints, which only this process compares.
    """

    def __init__(self) -> None:
        self._words: dict[str, frozenset[str]] = {}
        self._shingles: dict[str, frozenset[int]] = {}
        self._urls: dict[str, str] = {}

    def url(self, link: str) -> str:
        found = self._urls.get(link)
        if found is None:
            found = self._urls[link] = story_url(link)
        return found

    def words(self, text: str) -> frozenset[str]:
        found = self._words.get(text)
        if found is None:
            found = self._words[text] = _words(text)
        return found

    def shingles(self, text: str) -> frozenset[int]:
        found = self._shingles.get(text)
        if found is None:
            found = self._shingles[text] = _shingles(text)
        return found


def story_key(
    item: StoryItem,
    recent: Sequence[StoryItem],
    *,
    window: timedelta = STORY_WINDOW,
    features: StoryFeatures | None = None,
) -> str:
    """The key of the cluster ``item`` joins among ``recent`` (clustered items), or a new one.

    ``features`` shares the work between calls over the same recent stories.
    """
    features = features if features is not None else StoryFeatures()
    own_url = features.url(item.url) if item.url else None
    for other in recent:
        if other.story_key and own_url and other.url and features.url(other.url) == own_url:
            return other.story_key
    title_words = features.words(item.title)
    text_shingles = features.shingles(item.text)
    for other in recent:
        if not other.story_key or not _close_in_time(item, other, window):
            continue
        if _similar(title_words, features.words(other.title), TITLE_SIMILARITY):
            return other.story_key
        if text_shingles and _similar(
            text_shingles, features.shingles(other.text), TEXT_SIMILARITY
        ):
            return other.story_key
    seed = own_url or " ".join(sorted(title_words)) or item.text[:200]
    return "story:" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def cluster_batch(
    items: Sequence[StoryItem], recent: Sequence[StoryItem], *, window: timedelta = STORY_WINDOW
) -> list[str]:
    """The story keys of ``items`` in order, each item joining ``recent`` or an item of the
    batch clustered before it, so a batch's copies of one story share a key."""
    features = StoryFeatures()
    clustered: list[StoryItem] = []
    keys = []
    for item in items:
        key = story_key(item, [*reversed(clustered), *recent], window=window, features=features)
        clustered.append(replace(item, story_key=key))
        keys.append(key)
    return keys


def _close_in_time(a: StoryItem, b: StoryItem, window: timedelta) -> bool:
    if a.published_at is None or b.published_at is None:
        return True
    return abs(a.published_at - b.published_at) <= window


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)


def _shingles(text: str, size: int = 3) -> frozenset[int]:
    words = _WORD.findall(text.lower())
    return frozenset(hash(" ".join(words[i : i + size])) for i in range(len(words) - size + 1))


def _similar(a: frozenset[object], b: frozenset[object], threshold: float) -> bool:
    """Jaccard similarity at least ``threshold``; sets whose sizes alone rule it out (the
    index is at most the smaller size over the larger) are not intersected at all."""
    if not a or not b:
        return False
    smaller, larger = sorted((len(a), len(b)))
    if smaller < threshold * larger:
        return False
    common = len(a & b)
    return common >= threshold * (len(a) + len(b) - common)
