"""OPML for /feeds import and export: skipped outlines named, any nesting, always valid XML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import OpmlError
from bot.ingest.opml import OpmlFeed, read_opml, read_opml_document, write_opml

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_non_http_outlines_are_named_and_folders_keep_document_order() -> None:
    document = b"""<opml version="2.0"><body>
      <outline text="One"><outline xmlUrl="https://a.example/1"/>
        <outline text="Two"><outline xmlUrl="ftp://x.example/f"/>
          <outline xmlUrl="https://b.example/2"/></outline>
        <outline xmlUrl="https://c.example/3"/></outline>
      <outline xmlUrl="javascript:alert(1)"/>
      <outline xmlUrl="https://d.example/4"/>
    </body></opml>"""

    parsed = read_opml_document(document)

    assert [(f.url, f.category) for f in parsed.feeds] == [
        ("https://a.example/1", "One"),
        ("https://b.example/2", "Two"),
        ("https://c.example/3", "One"),
        ("https://d.example/4", None),
    ]
    assert parsed.not_http == ("ftp://x.example/f", "javascript:alert(1)")
    assert read_opml(document) == parsed.feeds


def test_any_nesting_depth_is_read_without_exhausting_the_stack() -> None:
    depth = 50_000
    document = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline xmlUrl="https://deep.example/feed"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )

    (feed,) = read_opml(document)

    assert feed.url == "https://deep.example/feed"


def test_an_entity_bomb_is_refused_before_parsing() -> None:
    bomb = b'<!DOCTYPE opml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><opml><body/></opml>'

    with pytest.raises(OpmlError, match="DOCTYPE or entities"):
        read_opml(bomb)


def test_hostile_titles_survive_a_round_trip_as_valid_xml() -> None:
    title = '@everyone </outline><outline xmlUrl="https://evil.example"/> & "q" \x00\x1b\ufffe'
    feeds = [OpmlFeed("https://a.example/rss?x=1&y=2", title, "https://a.example/", None)]

    text = write_opml(feeds, title="policybot feeds of <My & Server>\x07", now=NOW)

    (feed,) = read_opml(text.encode())
    assert feed.url == "https://a.example/rss?x=1&y=2"
    assert feed.title == '@everyone </outline><outline xmlUrl="https://evil.example"/> & "q"'
    assert "<title>policybot feeds of &lt;My &amp; Server&gt;</title>" in text
