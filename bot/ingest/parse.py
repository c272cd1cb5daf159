"""Feed bytes -> ``ParsedFeed``: feedparser (RSS/Atom/RDF) or JSON Feed, run in worker processes.

``parse_document`` is a synchronous function of bytes; it never fetches. ``ParserPool`` runs
it in a small process pool so the event loop (shared with the Discord gateway) never stalls:
threads do not achieve that under the GIL. A parse that runs too long is killed with its pool.
The pool starts at the first document to parse: a cycle of 304s and unchanged bodies (a warm
``policybot poll --once``) starts no process, and the parent never imports feedparser.

Hostile input: a document is decoded first, as feedparser will decode it (its own
``convert_to_utf8``: the HTTP charset, the BOM, the XML declaration), and every check reads the
decoded text, so no encoding hides markup from them (UTF-7 writes ``<!ENTITY`` as
``+ADw-+ACE-ENTITY``; EBCDIC and ISO-2022 escapes hide it too). Documents that declare XML
entities are refused before feedparser sees them (feedparser re-expands "safe" entities in its
loose parser: quadratic blowup), and any remaining DOCTYPE is dropped. Each worker process runs
under an address-space limit (``RLIMIT_AS``), so no document can take the machine's memory: one
that needs more is refused as too large. A numeric character reference to no storable
character (a lone surrogate, NUL, past U+10FFFF) becomes U+FFFD first: feedparser's fallback
parser raises on it. Titles and summaries are reduced to plain text, and every string the
parser hands back is storable (``bot.domain.text``).
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import html
import json
import logging
import os
import re
import signal
import threading
import time
from concurrent.futures import BrokenExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.domain.entries import ParsedEntry, ParsedFeed
from bot.domain.feed_errors import FeedErrorKind
from bot.domain.text import storable
from bot.domain.urls import canonical_url, resolve_link
from bot.errors import ParseError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 16_000
# Each parser process's address space (POLICYBOT_PARSE_MEMORY_MB): a worker takes about 100 MB
# before its first document, and a 10 MB feed of ordinary items about 80 MB more.
MEMORY_MB = 512
MAX_TITLE_CHARS = 1_000
_PROLOG_PART = re.compile(
    rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE\b(?:[^\[>]|\[.*?\]\s*)*>", re.S | re.I
)
_COMMENT_OR_CDATA = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
# An RSS <category> with plain text (Atom's is an empty element we leave alone).
_RSS_CATEGORY = re.compile(rb"<category\b[^>]*>[^<]*</category>")
# Numeric character references that may name no storable character: four or more hex digits,
# five or more decimal ones, or zero. ``_charref`` looks at the value.
_SUSPECT_CHARREF = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]{4,})|0*([0-9]{5,})|[xX]?0+);")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


def harden_xml(url: str, body: bytes) -> bytes:
    """Refuse entity declarations anywhere; drop the DOCTYPE of the prolog.

    ``body`` is the decoded document (``decode_document``). NUL bytes are skipped when looking
    for declarations: UTF-16 or UTF-32 that could not be decoded, or was decoded as UTF-8
    (whose NULs are valid), still shows ``<!ENTITY`` between them.
    """
    skeleton = body.replace(b"\x00", b"") if b"\x00" in body else body
    if _ENTITY_DECLARATION.search(skeleton) and _ENTITY_DECLARATION.search(
        _COMMENT_OR_CDATA.sub(b"", skeleton)  # only declarations outside comments/CDATA count
    ):
        raise ParseError(url, FeedErrorKind.ENTITIES, "the document declares XML entities")
    if skeleton is not body:
        return body
    position = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    kept: list[bytes] = [body[:position]]
    while match := _PROLOG_PART.match(body, position):
        if not match.group().lstrip()[:9].upper().startswith(b"<!DOCTYPE"):
            kept.append(match.group())
        position = match.end()
    return b"".join(kept) + body[position:]


def decode_document(body: bytes, content_type: str | None) -> tuple[bytes, dict[str, str]]:
    """The document as UTF-8 (its declaration saying so), and the headers to parse it with.

    feedparser's own decoding, run first so that the checks read what the parser will: a
    document whose encoding nothing can decode is returned as it came, which is also how
    feedparser then reads it (as bytes, with its loose parser).
    """
    from feedparser.encodings import convert_to_utf8

    headers = {"content-type": content_type or "application/xml"}
    found: dict[str, Any] = {}
    decoded: bytes = convert_to_utf8(headers, body, found)
    if not found.get("encoding"):
        return body, headers
    return decoded, {"content-type": "application/xml; charset=utf-8"}


def replace_bad_charrefs(body: bytes) -> bytes:
    """``&#xD800;``, ``&#0;``, ``&#x110000;`` and the like become U+FFFD (NUL: nothing).

    Such a reference is not well-formed XML, so feedparser falls back to its loose parser,
    which raises ``UnicodeEncodeError`` (or ``ValueError``) on it and loses the whole document.
    """
    if b"&#" not in body:
        return body
    return _SUSPECT_CHARREF.sub(_charref, body)


def _charref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal = match.group(1), match.group(2)
    digits = hex_digits if hex_digits is not None else decimal
    if digits is None:
        return b""  # &#0; or &#x0;
    if len(digits) > 8:
        return b"&#xFFFD;"
    value = int(digits, 16 if hex_digits is not None else 10)
    if value == 0:
        return b""
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return b"&#xFFFD;"
    return match.group()


def drop_categories(body: bytes) -> bytes:
    """Remove RSS ``<category>`` elements, which the bot never reads, outside CDATA sections.

    Publishers tag items generously (a WordPress item often has five or more), and each
    element costs feedparser as much as a title: on the benchmark's two per item this
    removes about a seventh of the parse time for under half a millisecond per document.
    CDATA is passed through untouched, so text that merely looks like a tag stays.
    """
    if b"<category" not in body:
        return body
    kept: list[bytes] = []
    position = 0
    while position < len(body):
        start = body.find(b"<![CDATA[", position)
        start = len(body) if start == -1 else start
        kept.append(_RSS_CATEGORY.sub(b"", body[position:start]))
        end = body.find(b"]]>", start)
        end = len(body) if end == -1 else end + 3  # an unterminated CDATA keeps the rest
        kept.append(body[start:end])
        position = end
    return b"".join(kept)


def plain_text(markup: str, *, limit: int) -> str:
    """HTML (or text) to one line of plain text: no tags, entities decoded, spaces collapsed.

    Every tag becomes a space (one pass; a tag inside a word splits it, which news copy
    does not do), script and style bodies are dropped, then entities are decoded.
    """
    if "<" in markup:
        lowered = markup.lower()
        if "<script" in lowered or "<style" in lowered:
            markup = _SCRIPT_OR_STYLE.sub(" ", markup)
        markup = _TAG.sub(" ", markup)
    if "&" in markup:
        markup = html.unescape(markup)
    return " ".join(storable(markup).split())[:limit]


def parse_document(url: str, body: bytes, content_type: str | None) -> ParsedFeed:
    """Parse one fetched document; ``url`` is where it was fetched (the base for links)."""
    import feedparser  # here, not at the top: only the worker processes parse feeds

    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise ParseError(url, FeedErrorKind.EMPTY, "the response body is empty")
    if stripped[:1] in (b"{", b"["):  # by content, not by a Content-Type servers get wrong
        return _parse_json_feed(url, stripped)
    decoded, headers = decode_document(body, content_type)
    hardened = drop_categories(replace_bad_charrefs(harden_xml(url, decoded)))
    # No sanitising or URI rewriting inside HTML: it all becomes plain text below anyway,
    # and skipping both makes feedparser about 3x faster. Links are resolved by us.
    result = feedparser.parse(
        hardened, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = result.get("version") or ""
    entries = result.get("entries") or []
    feed = result.get("feed") or {}
    if not version and not entries:
        reason = "not an RSS, Atom or JSON feed"
        if b"<html" in stripped[:2048].lower():
            reason = "an HTML page, not a feed"
        raise ParseError(url, FeedErrorKind.NOT_A_FEED, reason)
    parsed_entries = tuple(_entry(url, entry) for entry in entries)
    return ParsedFeed(
        title=plain_text(str(feed.get("title") or ""), limit=512),
        site_url=resolve_link(url, _storable(feed.get("link"))),
        version=version or "unknown",
        ttl_minutes=_int_or_none(feed.get("ttl")),
        entries=parsed_entries,
    )


def _entry(base: str, entry: Any) -> ParsedEntry:
    # dict.get, not FeedParserDict.get: these keys are stored as they are (no aliases to
    # resolve), and the plain lookup is several times cheaper, 50 times a document.
    get = dict.get
    title = plain_text(str(get(entry, "title") or ""), limit=MAX_TITLE_CHARS)
    summary = str(get(entry, "summary") or "")
    contents = get(entry, "content") or []
    longest = max((str(get(part, "value") or "") for part in contents), key=len, default="")
    text = plain_text(longest if len(longest) > len(summary) else summary, limit=MAX_SUMMARY_CHARS)
    link = resolve_link(base, _storable(get(entry, "link")))
    guid = _storable(get(entry, "id"))
    return ParsedEntry(
        guid=guid.strip() or None if guid else None,
        link=canonical_url(link) if link else None,
        title=title,
        summary=text,
        author=plain_text(str(get(entry, "author") or ""), limit=512) or None,
        published_at=_time(get(entry, "published_parsed")),
        updated_at=_time(get(entry, "updated_parsed")),
    )


def _storable(value: Any) -> str | None:
    """A string read from a document, made storable; None for anything falsy."""
    return storable(str(value)) if value else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _parse_json_feed(url: str, body: bytes) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(url, FeedErrorKind.NOT_A_FEED, "invalid JSON") from exc
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError(url, FeedErrorKind.NOT_A_FEED, "JSON, but not a JSON Feed")
    items = document.get("items")
    entries: list[ParsedEntry] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        link = resolve_link(url, _str(item.get("url")) or _str(item.get("external_url")))
        html_text = _str(item.get("content_html")) or ""
        plain = _str(item.get("content_text")) or _str(item.get("summary")) or ""
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
        raw_id = item.get("id")
        guid = storable(str(raw_id)).strip() if isinstance(raw_id, str | int) else ""
        entries.append(
            ParsedEntry(
                guid=guid or None,
                link=canonical_url(link) if link else None,
                title=plain_text(_str(item.get("title")) or "", limit=MAX_TITLE_CHARS),
                summary=plain_text(html_text or plain, limit=MAX_SUMMARY_CHARS),
                author=", ".join(n for n in names if n) or None,
                published_at=_iso(item.get("date_published")),
                updated_at=_iso(item.get("date_modified")),
            )
        )
    return ParsedFeed(
        title=plain_text(_str(document.get("title")) or "", limit=512),
        site_url=resolve_link(url, _str(document.get("home_page_url"))),
        version="json" + str(document.get("version", "")).rsplit("/", 1)[-1],
        entries=tuple(entries),
    )


def _str(value: Any) -> str | None:
    """A JSON string, made storable; None for anything else."""
    return storable(value) if isinstance(value, str) else None


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def prepare_worker(memory_bytes: int | None = None) -> None:
    """Worker initializer: bound its memory, yield the CPU to the event loop, die with the parent.

    ``memory_bytes`` caps the worker's address space (``RLIMIT_AS``, where the platform has
    it): a document that needs more raises ``MemoryError`` in the worker, which the pool turns
    into a refusal. Lower priority keeps the gateway's loop responsive on a small machine
    while workers parse; the watcher thread makes workers leave when the parent dies (even by
    SIGKILL). Ctrl-C reaches the whole process group: workers ignore it and let the parent
    shut the pool down, instead of each dying with a KeyboardInterrupt traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_bytes is not None:
        _limit_memory(memory_bytes)
    with contextlib.suppress(OSError):
        os.nice(10)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform (Windows): the time limit still holds
        return
    with contextlib.suppress(ValueError, OSError):  # a lower limit already set stays
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            memory_bytes = min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))


def _worker_pid() -> int:
    """A worker's answer to the start-up handshake, once it has imported the parser."""
    import feedparser  # noqa: F401 - now, not within the first document's time limit

    time.sleep(0.05)  # long enough for another worker to take the next job, if it is up
    return os.getpid()


def _failed(task: asyncio.Task[None]) -> bool:
    return task.cancelled() or task.exception() is not None


class ParserPool:
    """``parse_document`` in worker processes, with a per-document time limit and a memory
    limit per worker (``memory_mb`` of address space; None for none).

    No process starts before the first document that needs parsing, and no document is
    handed out before every worker of the pool has answered (see ``start``). A document
    that exceeds the limit gets its worker killed: the whole pool is dropped
    (``ProcessPoolExecutor`` cannot kill one worker), and parses that were in flight on it
    are retried once on a new pool, started the same way.
    """

    def __init__(
        self, *, workers: int = 2, timeout: float = 20.0, memory_mb: int | None = MEMORY_MB
    ) -> None:
        self._workers = workers
        self._timeout = timeout
        self._memory_mb = memory_mb
        self._pool: ProcessPoolExecutor | None = None
        self._ready: ProcessPoolExecutor | None = None  # every worker of it has answered
        self._starting: tuple[ProcessPoolExecutor, asyncio.Task[None]] | None = None
        self._closed = False

    def _current(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RuntimeError("the parser pool is closed")
        if self._pool is None:
            # Imported here: multiprocessing's machinery is only needed once a feed changed.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the parent runs threads (aiosqlite) and an event loop.
            memory = self._memory_mb * 1024 * 1024 if self._memory_mb is not None else None
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=prepare_worker,
                initargs=(memory,),
            )
        return self._pool

    async def parse(self, url: str, body: bytes, content_type: str | None) -> ParsedFeed:
        for attempt in (1, 2):
            pool = self._current()
            try:
                await self._started(pool)  # outside the time limit: that is for the parse
                loop = asyncio.get_running_loop()
                future = loop.run_in_executor(pool, parse_document, url, body, content_type)
                return await asyncio.wait_for(future, self._timeout)
            except TimeoutError:
                log.warning("parse timed out url=%s seconds=%s", url, self._timeout)
                self._restart(pool)
                raise ParseError(
                    url, FeedErrorKind.PARSE_TIMEOUT, f"parsing took over {self._timeout:g} s"
                ) from None
            except MemoryError:  # the worker's memory limit; the worker itself carries on
                log.warning("parse over the memory limit url=%s memory_mb=%s", url, self._memory_mb)
                raise ParseError(
                    url,
                    FeedErrorKind.TOO_LARGE,
                    f"parsing it needs more than the {self._memory_mb} MB a parser may use",
                ) from None
            except BrokenExecutor as exc:  # a worker died (killed, or out of memory)
                if attempt == 2:
                    raise ParseError(url, FeedErrorKind.CRASHED, "the parser worker died") from exc
                self._restart(pool)
        raise AssertionError("unreachable")

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Kill ``broken``'s workers; the next parse starts a new pool."""
        if broken is not self._pool:
            return
        self._pool = None
        self._ready = None
        processes = list(getattr(broken, "_processes", {}).values())
        for process in processes:
            process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    async def start(self) -> None:
        """Start every worker now (each imports feedparser), not at the first parse.

        Returns once each worker has answered: one that is still importing would die with
        a traceback on a Ctrl-C before its initializer could tell it to ignore SIGINT.
        """
        await self._started(self._current())

    async def _started(self, pool: ProcessPoolExecutor) -> None:
        """Wait until every worker of ``pool`` has answered; concurrent callers share one wait."""
        if pool is self._ready:
            return
        loop = asyncio.get_running_loop()
        task = self._starting[1] if self._starting and self._starting[0] is pool else None
        if task is None or task.get_loop() is not loop or (task.done() and _failed(task)):
            task = loop.create_task(self._handshake(pool))  # the first caller starts it
            self._starting = (pool, task)
        await asyncio.shield(task)
        self._ready = pool

    async def _handshake(self, pool: ProcessPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        answered: set[int] = set()
        for _ in range(100):  # a fast worker may take every job while another still imports
            jobs = (loop.run_in_executor(pool, _worker_pid) for _ in range(self._workers))
            answered.update(await asyncio.gather(*jobs))
            if len(answered) >= self._workers:
                return

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
