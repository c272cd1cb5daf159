"""Feed discovery: the feeds an HTML page links with ``<link rel="alternate" type=...>``.

So an admin can paste a site's address instead of hunting for its feed. Only the links the
page itself declares are used (no guessing of ``/feed`` paths), resolved against the page's
final URL, http(s) only, in document order.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    }
)
MAX_LINKS = 5


class _LinkCollector(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base_url = urljoin(self.base_url, href.strip())
            return
        if tag != "link":
            return
        values = {name: (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        href = values.get("href", "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            url = urljoin(self.base_url, href)
            if urlsplit(url).scheme in {"http", "https"} and url not in self.links:
                self.links.append(url)


def feed_links(document: bytes, base_url: str) -> list[str]:
    """The feed URLs ``document`` declares, best first (as the page orders them)."""
    collector = _LinkCollector(base_url)
    collector.feed(document[: 512 * 1024].decode("utf-8", errors="replace"))
    collector.close()
    return collector.links[:MAX_LINKS]
