"""feeds.yaml: the shipped list is valid, and a bad file names the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.model import FeedKind
from bot.errors import FeedsFileError
from bot.ingest.sources import is_http_url, load_feed_sources

REPO = Path(__file__).resolve().parents[2]


def test_shipped_feed_list_is_valid_and_curated() -> None:
    sources = load_feed_sources(REPO / "feeds.yaml")
    assert len(sources) >= 20
    assert {source.kind for source in sources} == set(FeedKind)
    assert {"eu", "us", "uk"} <= {j for source in sources for j in source.jurisdictions}
    assert all(source.url.startswith("https://") for source in sources)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "  - {name: Good, url: 'https://example.org/feed', kind: news}\n"
SIX_GOOD = "".join(
    f"  - {{name: Good {n}, url: 'https://example.org/{n}', kind: news}}\n" for n in range(6)
)


def test_valid_entry_is_normalised(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "feeds:\n  - name: '  Policy   news '\n    url: ' https://example.org/rss '\n"
        "    kind: analysis\n    jurisdictions: [eu, eu, us]\n    tags: [ai-act]\n",
    )
    (source,) = load_feed_sources(path)
    assert source.name == "Policy news"
    assert source.url == "https://example.org/rss"
    assert source.kind is FeedKind.ANALYSIS
    assert source.jurisdictions == ("eu", "us")
    assert source.tags == ("ai-act",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "feeds:\n" + SIX_GOOD + "  - {name: Bad, url: 'ftp://example.org/x', kind: news}\n",
            "feeds.yaml: entry 7 (url): not an http(s) URL",
        ),
        ("feeds:\n  - {name: A, kind: news}\n", "feeds.yaml: entry 1 (url): missing"),
        (
            "feeds:\n  - {name: '', url: 'https://a.example/f', kind: news}\n",
            "feeds.yaml: entry 1 (name): must be a non-empty string",
        ),
        (
            "feeds:\n  - {name: A, url: 'https://a.example/f', kind: blog}\n",
            "feeds.yaml: entry 1 (kind): must be one of official, news, analysis",
        ),
        (
            "feeds:\n  - {name: A, url: 'https://a.example/f', kind: news, colour: red}\n",
            "feeds.yaml: entry 1 (colour): unknown key",
        ),
        (
            "feeds:\n  - {name: A, url: 'https://a.example/f', kind: news, tags: [Big Tag]}\n",
            "feeds.yaml: entry 1 (tags): must be a list of lowercase labels",
        ),
        ("feeds:\n" + GOOD + GOOD, "feeds.yaml: entry 2 (url): duplicate of entry 1"),
        ("feeds:\n  - just a string\n", "feeds.yaml: entry 1: expected a mapping"),
        ("feeds: {a: 1}\n", "feeds.yaml: 'feeds' must be a list"),
        ("- {name: A}\n", "feeds.yaml: expected a mapping with the single key 'feeds'"),
        ("feeds:\n  - {name: A, url: [unclosed\n", "feeds.yaml: not valid YAML at line"),
        ("", "feeds.yaml: expected a mapping"),
    ],
)
def test_bad_file_is_rejected_with_entry_and_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(FeedsFileError) as caught:
        load_feed_sources(_write(tmp_path, text))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_missing_file_names_where_it_looked_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(FeedsFileError, match="file not found") as caught:
        load_feed_sources(tmp_path / "nope.yaml")
    assert f"looked for {tmp_path / 'nope.yaml'}" in str(caught.value)
    assert "POLICYBOT_FEEDS_FILE" in str(caught.value)


@pytest.mark.parametrize("text", ["feeds: []\n", "feeds:\n"])
def test_an_empty_instance_list_is_allowed(tmp_path: Path, text: str) -> None:
    """An instance where only the servers' admins add feeds."""
    assert load_feed_sources(_write(tmp_path, text)) == ()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/feed", True),
        ("http://example.org:8080/rss?x=1", True),
        ("ftp://example.org/feed", False),
        ("https:///nohost", False),
        ("https://user:pw@example.org/feed", False),
        ("https://example.org/a feed", False),
        ("https://example.org:99999/", False),
        ("example.org/feed", False),
    ],
)
def test_is_http_url(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok
