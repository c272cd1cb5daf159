"""Feed discovery reads the links a page declares, and only those."""

from __future__ import annotations

from bot.ingest.discovery import feed_links

PAGE = b"""<!doctype html><html><head>
<base href="https://news.example/blog/">
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://news.example/atom">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
</head><body><a href="/feed">not declared</a></body></html>"""


def test_declared_feeds_in_order_resolved_against_the_base() -> None:
    assert feed_links(PAGE, "https://news.example/") == [
        "https://news.example/blog/rss.xml",
        "https://news.example/atom",
    ]


def test_a_page_without_feed_links_has_none() -> None:
    assert feed_links(b"<html><body><p>hello", "https://x.example/") == []
    assert feed_links(b"\xff\xfe garbage <link", "https://x.example/") == []
