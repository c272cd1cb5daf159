"""OPML in and out: the format every feed reader exports and imports subscriptions in.

Reading refuses entity declarations (as feeds do) and keeps only outlines with an http(s)
``xmlUrl``; writing produces OPML 2.0 with one outline per feed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from bot.errors import OpmlError
from bot.ingest.sources import is_http_url

_ENTITY = re.compile(rb"<!ENTITY|<!DOCTYPE", re.I)


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str
    site_url: str | None = None
    category: str | None = None


def read_opml(data: bytes, *, label: str = "OPML") -> tuple[OpmlFeed, ...]:
    """Every feed outline (nested folders flattened), first occurrence of each URL kept."""
    if _ENTITY.search(data):
        raise OpmlError(f"{label}: declares a DOCTYPE or entities; refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, so no entity expansion
    except ET.ParseError as exc:
        raise OpmlError(f"{label}: not well-formed XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise OpmlError(f"{label}: the root element is <{root.tag}>, not <opml>")
    feeds: dict[str, OpmlFeed] = {}

    def walk(node: ET.Element, category: str | None) -> None:
        for outline in node.findall("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            title = " ".join((outline.get("title") or outline.get("text") or "").split())
            if url:
                if is_http_url(url) and url not in feeds:
                    site = (outline.get("htmlUrl") or "").strip() or None
                    feeds[url] = OpmlFeed(url, title or url, site, category)
            else:
                walk(outline, title or category)

    body = root.find("body")
    if body is None:
        raise OpmlError(f"{label}: no <body>")
    walk(body, None)
    if not feeds:
        raise OpmlError(f"{label}: no feed outlines with an http(s) xmlUrl")
    return tuple(feeds.values())


def write_opml(feeds: Iterable[OpmlFeed], *, title: str, now: datetime) -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.url}
        if feed.site_url:
            attributes["htmlUrl"] = feed.site_url
        if feed.category:
            attributes["category"] = feed.category
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
