"""Item identity and canonical URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.entries import ParsedEntry, key_entries
from bot.domain.urls import canonical_url, resolve_link, story_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.bbc.co.uk/news/world-1?at_medium=RSS&at_campaign=KARANGA",
            "https://www.bbc.co.uk/news/world-1",
        ),
        ("HTTPS://Example.ORG:443/a?utm_source=x&id=7&fbclid=z#frag", "https://example.org/a?id=7"),
        ("http://example.org:8080/a?b&a=1", "http://example.org:8080/a?b&a=1"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a%20b?q=%C3%A9", "https://example.org/a%20b?q=%C3%A9"),
    ],
)
def test_canonical_url_keeps_a_working_link_without_tracking(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_story_url_folds_scheme_www_order_and_trailing_slash() -> None:
    variants = [
        "https://www.example.org/story/?b=2&a=1&utm_medium=rss",
        "http://example.org/story?a=1&b=2#top",
        "https://example.org//story/?a=1&b=2",
    ]
    assert len({story_url(v) for v in variants}) == 1


def test_resolve_link() -> None:
    assert (
        resolve_link("https://www.ft.com/rss/home", "/content/x") == "https://www.ft.com/content/x"
    )
    assert resolve_link("https://a.example/feed", "javascript:alert(1)") is None
    assert resolve_link("https://a.example/feed", "mailto:x@y") is None
    assert resolve_link("https://a.example/feed", "  ") is None


def entry(
    guid: str | None = None, link: str | None = None, title: str = "t", **kw: object
) -> ParsedEntry:
    return ParsedEntry(guid=guid, link=link, title=title, summary=str(kw.get("summary", "")))


def test_keys_prefer_guid_then_link_then_a_content_hash() -> None:
    keyed = key_entries(
        (
            entry(guid="abc", link="https://a.example/1"),
            entry(link="https://a.example/2?utm_source=x"),
            entry(title="No id"),
        )
    )
    assert keyed[0].key == "g:abc"
    assert keyed[1].key == "l:https://a.example/2"
    assert keyed[2].key.startswith("h:")


def test_repeated_guids_inside_a_document_are_not_merged() -> None:
    keyed = key_entries(
        (
            entry(guid="same", link="https://a.example/1", title="One"),
            entry(guid="same", link="https://a.example/2", title="Two"),
            entry(guid="same", link="https://a.example/2", title="Two"),
            entry(title=""),
            entry(title=""),
        )
    )
    assert len({k.key for k in keyed}) == 5
    # Every entry sharing the guid is keyed by its content, the first one too; an identical
    # copy by its count. Where an entry stands in the document plays no part.
    assert [k.key.split("|")[0] for k in keyed[:3]] == ["g:same"] * 3
    assert keyed[2].key == keyed[1].key + "|2"
    reordered = key_entries((keyed[1].entry, keyed[0].entry))
    assert [k.key for k in reordered] == [keyed[1].key, keyed[0].key]


def test_keys_are_bounded_and_stable() -> None:
    long = entry(guid="x" * 5000)
    (first,) = key_entries((long,))
    (second,) = key_entries((long,))
    assert first.key == second.key
    assert len(first.key) < 512


def test_content_hash_ignores_dates() -> None:
    a = ParsedEntry("g", None, "T", "S", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    b = ParsedEntry("g", None, "T", "S", published_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert key_entries((a,))[0].content_hash == key_entries((b,))[0].content_hash
