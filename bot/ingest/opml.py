"""OPML in and out: the format every feed reader exports and imports subscriptions in.

Reading refuses entity declarations (as feeds do) and keeps only outlines with an http(s)
``xmlUrl``; writing produces OPML 2.0 with one outline per feed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from bot.errors import OpmlError
from bot.ingest.sources import is_http_url

_ENTITY = re.compile(rb"<!ENTITY|<!DOCTYPE", re.I)
# Characters XML 1.0 cannot carry at all; a feed title holding one would break the file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str
    site_url: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    """The usable feeds of a file, and the ``xmlUrl`` values refused as not http(s)."""

    feeds: tuple[OpmlFeed, ...]
    not_http: tuple[str, ...] = ()


def read_opml(data: bytes, *, label: str = "OPML") -> tuple[OpmlFeed, ...]:
    """Every feed outline (nested folders flattened), first occurrence of each URL kept."""
    return read_opml_document(data, label=label).feeds


def read_opml_document(data: bytes, *, label: str = "OPML") -> OpmlDocument:
    """Like ``read_opml``, also naming the outlines skipped for a non-http(s) ``xmlUrl``.

    Folders are walked without recursion, so no nesting depth can exhaust the stack.
    """
    if _ENTITY.search(data):
        raise OpmlError(f"{label}: declares a DOCTYPE or entities; refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, so no entity expansion
    except ET.ParseError as exc:
        raise OpmlError(f"{label}: not well-formed XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise OpmlError(f"{label}: the root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError(f"{label}: no <body>")
    feeds: dict[str, OpmlFeed] = {}
    not_http: dict[str, None] = {}
    # Depth first, in document order: each folder's outlines, with the folder's name.
    folders: list[tuple[Iterator[ET.Element], str | None]] = [(iter(body.findall("outline")), None)]
    while folders:
        outlines, category = folders[-1]
        outline = next(outlines, None)
        if outline is None:
            folders.pop()
            continue
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        title = " ".join((outline.get("title") or outline.get("text") or "").split())
        if not url:
            folders.append((iter(outline.findall("outline")), title or category))
        elif not is_http_url(url):
            not_http.setdefault(url[:2048])
        elif url not in feeds:
            site = (outline.get("htmlUrl") or "").strip() or None
            feeds[url] = OpmlFeed(url, title or url, site, category)
    if not feeds:
        raise OpmlError(f"{label}: no feed outlines with an http(s) xmlUrl")
    return OpmlDocument(tuple(feeds.values()), tuple(not_http))


def write_opml(feeds: Iterable[OpmlFeed], *, title: str, now: datetime) -> str:
    """OPML 2.0; text that XML cannot carry (control characters from feeds) is dropped."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = _xml_text(feed.title)
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": _xml_text(feed.url)}
        if feed.site_url:
            attributes["htmlUrl"] = _xml_text(feed.site_url)
        if feed.category:
            attributes["category"] = _xml_text(feed.category)
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)
