"""feeds.yaml: the instance-wide feed list, validated whole before anything is used.

The file is a mapping with one key, ``feeds``, a list of entries::

    feeds:
      - name: European Parliament press releases   # required, shown to users
        url: https://www.europarl.europa.eu/rss/doc/press-releases/en.xml   # required, http(s)
        kind: official                               # required: official | news | analysis
        jurisdictions: [eu]                          # optional: eu, us, uk, us-ca, intl, ...
        tags: [parliament]                           # optional free-form labels
        interval_minutes: 120                        # optional: poll every 2 h (15-1440)

A bad file is rejected with the entry and the field at fault, never half-loaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from bot.domain.model import FeedKind, FeedSource
from bot.errors import FeedsFileError
from bot.ingest.yaml_loader import load_yaml

if TYPE_CHECKING:
    from bot.ingest.opml import OpmlFeed

_ENTRY_KEYS = {"name", "url", "kind", "jurisdictions", "tags", "interval_minutes"}
_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def load_feed_sources(path: Path) -> tuple[FeedSource, ...]:
    """Read and validate ``path``; raise ``FeedsFileError`` naming the first problem."""
    label = path.name
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedsFileError(
            str(path),
            f"file not found (looked for {path.resolve()}; set POLICYBOT_FEEDS_FILE to your "
            "feed list, or create it: 'feeds: []' lets only servers add feeds)",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError(str(path), f"cannot be read: {exc}") from exc
    try:
        document = load_yaml(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise FeedsFileError(label, f"not valid YAML{where}: {problem}") from exc
    return parse_feed_sources(document, label=label)


def parse_feed_sources(document: Any, *, label: str = "feeds.yaml") -> tuple[FeedSource, ...]:
    """Validate an already-parsed document (a mapping with a ``feeds`` list).

    The list may be empty (``feeds: []`` or ``feeds:``): an instance where only the servers'
    admins add feeds.
    """
    if not isinstance(document, dict) or set(document) != {"feeds"}:
        raise FeedsFileError(label, "expected a mapping with the single key 'feeds'")
    entries = document["feeds"] if document["feeds"] is not None else []
    if not isinstance(entries, list):
        raise FeedsFileError(label, "'feeds' must be a list")
    sources: list[FeedSource] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        source = _parse_entry(entry, label, number)
        if source.url in seen:
            raise FeedsFileError(
                label, f"duplicate of entry {seen[source.url]}", entry=number, field="url"
            )
        seen[source.url] = number
        sources.append(source)
    return tuple(sources)


def _parse_entry(entry: Any, label: str, number: int) -> FeedSource:
    def fail(field: str | None, reason: str) -> FeedsFileError:
        return FeedsFileError(label, reason, entry=number, field=field)

    if not isinstance(entry, dict):
        raise fail(None, "expected a mapping with name, url and kind")
    unknown = sorted(set(map(str, entry)) - _ENTRY_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    for required in ("name", "url", "kind"):
        if required not in entry:
            raise fail(required, "missing")

    name = entry["name"]
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "must be a non-empty string")
    url = entry["url"]
    if not isinstance(url, str) or not is_http_url(url.strip()):
        raise fail("url", "not an http(s) URL")
    kind = entry["kind"]
    if kind not in {member.value for member in FeedKind}:
        raise fail("kind", f"must be one of {', '.join(member.value for member in FeedKind)}")
    return FeedSource(
        url=url.strip(),
        name=" ".join(name.split()),
        kind=FeedKind(kind),
        jurisdictions=_labels(entry.get("jurisdictions", []), fail, "jurisdictions"),
        tags=_labels(entry.get("tags", []), fail, "tags"),
        interval_minutes=_interval(entry.get("interval_minutes"), fail),
    )


def _interval(value: Any, fail: Any) -> int | None:
    """A per-feed polling interval: whole minutes, 15 (the polite floor) to 1440."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 15 <= value <= 1440:
        raise fail("interval_minutes", "must be a whole number of minutes from 15 to 1440")
    return value


def _labels(value: Any, fail: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _LABEL.match(v) for v in value
    ):
        raise fail(field, "must be a list of lowercase labels (letters, digits, hyphens)")
    return tuple(dict.fromkeys(value))


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no spaces or credentials."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return False
    return (
        parts.scheme in {"http", "https"}
        and bool(parts.hostname)
        and port_ok
        and parts.username is None
        and not any(ch.isspace() for ch in url)
    )


def append_to_feeds_file(path: Path, outlines: tuple[OpmlFeed, ...], *, kind: str) -> list[str]:
    """Append unseen feeds to feeds.yaml as one-line entries, keeping its comments.

    The result is validated whole before it replaces the file; nothing is half-written.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "feeds:\n"
    known = {source.url for source in load_feed_sources(path)} if path.exists() else set()
    indent = "  "
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("- "):
            indent = line[: len(line) - len(stripped)]
            break
    added: list[str] = []
    lines: list[str] = []
    for outline in outlines:
        if outline.url in known:
            continue
        known.add(outline.url)
        added.append(outline.url)
        name = json.dumps(outline.title[:200], ensure_ascii=False)
        lines.append(f"{indent}- {{name: {name}, url: {json.dumps(outline.url)}, kind: {kind}}}")
    if not lines:
        return []
    updated = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    try:
        parse_feed_sources(load_yaml(updated), label=path.name)
    except yaml.YAMLError as exc:
        raise FeedsFileError(str(path), f"the import would make it invalid YAML: {exc}") from exc
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(path)
    return added
