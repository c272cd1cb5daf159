"""Parsing: hostile XML is refused, real-world quirks are handled, the corpus never crashes."""

from __future__ import annotations

import asyncio
import base64
import csv
import multiprocessing
import sys
from pathlib import Path

import pytest

from bot.domain.entries import key_entries
from bot.domain.feed_errors import FeedErrorKind
from bot.errors import ParseError
from bot.ingest.parse import ParserPool, drop_categories, parse_document

URL = "https://feeds.example/feed"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<rss version="2.0"><channel><title>&lol2;</title></channel></rss>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
    + b"A" * 50_000
    + b'">]><rss version="2.0"><channel><title>'
    + b"&a;" * 2_000
    + b"</title></channel></rss>"
)

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title></channel></rss>"""

XXE_NET = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<rss version="2.0"><channel><title>x</title></channel></rss>"""


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        QUADRATIC,
        XXE_FILE,
        XXE_NET,
        BILLION_LAUGHS.decode().encode("utf-16"),
    ],
    ids=["billion-laughs", "quadratic", "xxe-file", "xxe-net", "utf16-entities"],
)
def test_documents_declaring_entities_are_refused(document: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(URL, document, "application/rss+xml")
    assert caught.value.kind == "entities"


def _utf7_shifted(text: str) -> bytes:
    """UTF-7 as a hostile server writes it: every character but letters, digits and spaces in
    base64, so ``<!ENTITY`` travels as ``+ADw-+ACE-ENTITY``."""
    return "".join(
        ch
        if ch.isalnum() or ch == " "
        else "+" + base64.b64encode(ch.encode("utf-16-be")).decode().rstrip("=") + "-"
        for ch in text
    ).encode("ascii")


_QUADRATIC_TEXT = (
    '<!DOCTYPE rss [<!ENTITY a "'
    + "A" * 50_000
    + '">]><rss version="2.0"><channel><title>T</title><item><title>'
    + "&a;" * 2_000
    + "</title></item></channel></rss>"
)


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0" encoding="utf-7"?>' + _utf7_shifted(_QUADRATIC_TEXT),
        ('<?xml version="1.0" encoding="cp037"?>' + _QUADRATIC_TEXT).encode("cp037"),
        # ISO-2022-JP's "back to ASCII" escape in the middle of the keywords.
        b'<?xml version="1.0" encoding="iso-2022-jp"?>'
        + _QUADRATIC_TEXT.replace("<!DOCTYPE", "<!DOC\x1b(BTYPE")
        .replace("<!ENTITY", "<!EN\x1b(BTITY")
        .encode("ascii"),
    ],
    ids=["utf-7", "ebcdic", "iso-2022-jp-escapes"],
)
def test_entity_declarations_are_refused_whatever_the_encoding(document: bytes) -> None:
    assert b"<!ENTITY" not in document  # invisible to a check of the bytes
    with pytest.raises(ParseError) as caught:
        parse_document(URL, document, "application/rss+xml")
    assert caught.value.kind == "entities"


def test_a_plain_doctype_is_dropped_not_refused() -> None:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
        b'<rss version="0.91"><channel><title>Old</title><item><title>One</title>'
        b"<link>https://old.example/1</link></item></channel></rss>"
    )
    feed = parse_document(URL, document, "text/xml")
    assert [entry.title for entry in feed.entries] == ["One"]


async def test_deeply_nested_xml_is_killed_at_the_time_limit_and_the_pool_recovers() -> None:
    # About 7 s to parse here; the limit leaves room for a fresh worker to start under load.
    depth = 1_000_000
    document = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>deep</title><item><description>'
        + b"<a>" * depth
        + b"</a>" * depth
        + b"</description></item></channel></rss>"
    )
    pool = ParserPool(workers=1, timeout=2.0)
    try:
        with pytest.raises(ParseError) as caught:
            await pool.parse(URL, document, "application/rss+xml")
        assert caught.value.kind is FeedErrorKind.PARSE_TIMEOUT
        ok = b"<rss version='2.0'><channel><title>fine</title></channel></rss>"
        assert (await pool.parse(URL, ok, "text/xml")).title == "fine"
    finally:
        pool.close()


def _address_space_limit(pid: int) -> int:
    limits = Path(f"/proc/{pid}/limits").read_text(encoding="ascii")
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    return int(line.split()[3])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/limits")
async def test_each_worker_has_a_memory_limit_and_a_document_needing_more_is_refused() -> None:
    items = "".join(
        f"<item><guid>g{n}</guid><title>Item {n}</title><description>{'Some words. ' * 100}"
        "</description></item>"
        for n in range(30_000)
    )
    big = f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode()
    before = set(multiprocessing.active_children())
    pool = ParserPool(workers=1, timeout=60.0, memory_mb=256)
    try:
        await pool.start()
        (worker,) = set(multiprocessing.active_children()) - before
        assert worker.pid is not None
        assert _address_space_limit(worker.pid) == 256 * 1024 * 1024
        with pytest.raises(ParseError) as caught:
            await pool.parse(URL, big, "application/rss+xml")
        assert caught.value.kind is FeedErrorKind.TOO_LARGE
        assert "256 MB" in caught.value.reason
        ok = b"<rss version='2.0'><channel><title>fine</title></channel></rss>"
        assert (await pool.parse(URL, ok, "text/xml")).title == "fine"
    finally:
        pool.close()


async def test_no_worker_starts_before_the_first_parse_and_then_all_have_answered() -> None:
    before = set(multiprocessing.active_children())
    pool = ParserPool(workers=2, timeout=10.0)
    try:
        await asyncio.sleep(0)
        assert set(multiprocessing.active_children()) == before
        ok = b"<rss version='2.0'><channel><title>first</title></channel></rss>"
        assert (await pool.parse(URL, ok, "text/xml")).title == "first"
        # One document alone would have started one worker: the handshake started both.
        workers = set(multiprocessing.active_children()) - before
        assert len(workers) == 2
        titles = await asyncio.gather(*(pool.parse(URL, ok, "text/xml") for _ in range(6)))
        assert titles[-1].title == "first"
        assert set(multiprocessing.active_children()) - before == workers
    finally:
        pool.close()


async def test_start_warms_every_worker_up_front_and_parses_share_them() -> None:
    before = set(multiprocessing.active_children())
    pool = ParserPool(workers=2, timeout=10.0)
    try:
        await pool.start()
        workers = set(multiprocessing.active_children()) - before
        assert len(workers) == 2
        ok = b"<rss version='2.0'><channel><title>warm</title></channel></rss>"
        assert (await pool.parse(URL, ok, "text/xml")).title == "warm"
        assert set(multiprocessing.active_children()) - before == workers
    finally:
        pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        await pool.parse(URL, b"<rss/>", "text/xml")


async def test_parse_errors_cross_the_process_boundary_intact(parser_pool: ParserPool) -> None:
    page = b"<!doctype html><html><body>not a feed</body></html>"
    with pytest.raises(ParseError) as caught:
        await parser_pool.parse(URL, page, "text/html")
    assert (caught.value.url, caught.value.kind) == (URL, "not_a_feed")
    ok = b"<rss version='2.0'><channel><title>still fine</title></channel></rss>"
    assert (await parser_pool.parse(URL, ok, "text/xml")).title == "still fine"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", "empty"),
        (b"  \r\n ", "empty"),
        (
            b"<!doctype html><html><head><title>Hi</title></head><body>page</body></html>",
            "not_a_feed",
        ),
        (b'{"hello": "world"}', "not_a_feed"),
        (b"{not json", "not_a_feed"),
        (b"\x00\x01\x02 binary junk", "not_a_feed"),
    ],
    ids=["empty", "blank", "html", "json-not-feed", "bad-json", "binary"],
)
def test_non_feeds_are_parse_errors(body: bytes, kind: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(URL, body, "text/html" if b"html" in body else None)
    assert caught.value.kind == kind


def test_charset_from_the_document_when_the_header_has_none() -> None:
    document = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>Régulation</title><item><guid>1</guid><title>Café élysée</title></item>"
        "</channel></rss>"
    ).encode("iso-8859-1")
    feed = parse_document(URL, document, "text/xml")
    assert feed.title == "Régulation"
    assert feed.entries[0].title == "Café élysée"


def test_wrong_charset_in_the_header_still_yields_the_entries() -> None:
    document = (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel>'
        "<title>Quotes</title><item><guid>1</guid><title>“AI Act” - text</title></item>"
        "</channel></rss>"
    ).encode("windows-1252")
    feed = parse_document(URL, document, "application/rss+xml; charset=utf-8")
    assert len(feed.entries) == 1
    assert "AI Act" in feed.entries[0].title


def test_the_body_decides_the_format_not_the_content_type() -> None:
    xml = b"<rss version='2.0'><channel><title>x</title><item><guid>1</guid></item></channel></rss>"
    assert len(parse_document(URL, xml, "application/json").entries) == 1


def test_titles_become_inert_plain_text() -> None:
    document = (
        b"<rss version='2.0'><channel><title>t</title><item><guid>x</guid>"
        b"<title>No guid &lt;b&gt;bold&lt;/b&gt; @everyone</title>"
        b"<description>&lt;p&gt;One&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;Two&lt;/p&gt;"
        b"</description></item></channel></rss>"
    )
    entry = parse_document(URL, document, "text/xml").entries[0]
    assert entry.title == "No guid bold @everyone"
    assert entry.summary == "One Two"


def test_rss_categories_are_dropped_outside_cdata_only() -> None:
    document = (
        b"<rss><item><category domain='x'>Policy &amp; law</category><title>t</title>"
        b"<![CDATA[<category>kept</category>]]><category>gone</category>"
        b"<atom:category term='kept'/><![CDATA[<category>unterminated</category>"
    )
    assert drop_categories(document) == (
        b"<rss><item><title>t</title><![CDATA[<category>kept</category>]]>"
        b"<atom:category term='kept'/><![CDATA[<category>unterminated</category>"
    )


def test_an_item_with_categories_parses_as_one_without() -> None:
    with_categories = (
        b"<rss version='2.0'><channel><title>t</title><item><guid>1</guid><title>One</title>"
        b"<category>AI</category><category>EU</category>"
        b"<description><![CDATA[<p>Text <category>x</category> here</p>]]></description>"
        b"</item></channel></rss>"
    )
    entry = parse_document(URL, with_categories, "text/xml").entries[0]
    assert (entry.guid, entry.title, entry.summary) == ("1", "One", "Text x here")


def _fixture(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "fixtures" / "feeds" / name).read_bytes()


def test_every_shared_fixture_parses_with_entries(shared_dir: Path) -> None:
    folder = shared_dir / "fixtures" / "feeds"
    for path in sorted(folder.iterdir()):
        if path.suffix not in {".xml", ".json"}:
            continue
        kind = "application/feed+json" if path.suffix == ".json" else "application/xml"
        feed = parse_document(URL, path.read_bytes(), kind)
        keyed = key_entries(feed.entries)
        assert feed.entries, path.name
        assert len({k.key for k in keyed}) == len(keyed), path.name
        assert all(e.link is None or e.link.startswith("http") for e in feed.entries), path.name


def test_ft_relative_links_resolve_against_the_feed_url(shared_dir: Path) -> None:
    feed = parse_document(
        "https://www.ft.com/rss/home/uk", _fixture(shared_dir, "ft-uk-homepage.rss.xml"), None
    )
    assert all(e.link and e.link.startswith("https://www.ft.com/content/") for e in feed.entries)


def test_bbc_tracking_parameters_are_dropped(shared_dir: Path) -> None:
    feed = parse_document(URL, _fixture(shared_dir, "bbc-world.rss.xml"), "application/rss+xml")
    links = [e.link or "" for e in feed.entries]
    assert links
    assert not any("at_medium" in link or "at_campaign" in link for link in links)


def test_nasa_date_without_seconds_and_named_zone(shared_dir: Path) -> None:
    feed = parse_document(URL, _fixture(shared_dir, "nasa-breaking-news.rss.xml"), "text/xml")
    dates = [e.published_at for e in feed.entries]
    assert all(d is not None and d.tzinfo is not None for d in dates)


def test_rss10_items_without_dates_key_on_rdf_about(shared_dir: Path) -> None:
    feed = parse_document(URL, _fixture(shared_dir, "rss10-rdf-modules-example.rdf.xml"), None)
    assert feed.version == "rss10"
    (entry,) = key_entries(feed.entries)
    assert entry.entry.published_at is None
    assert entry.key.startswith("g:http://c.moreover.com/")


def test_atom_xhtml_content_becomes_text(shared_dir: Path) -> None:
    feed = parse_document(URL, _fixture(shared_dir, "atom-xhtml-wikipedia-example.atom.xml"), None)
    (entry,) = feed.entries
    assert entry.summary
    assert "<" not in entry.summary


def test_json_feed_with_an_untitled_item(shared_dir: Path) -> None:
    feed = parse_document(URL, _fixture(shared_dir, "jsonfeed-1.1-example.json"), None)
    assert feed.version == "json1.1"
    assert len(feed.entries) == 2
    assert "" in {e.title for e in feed.entries}


def test_bare_number_guid_is_kept_raw_whatever_the_feed_url(shared_dir: Path) -> None:
    body = _fixture(shared_dir, "eu-eci-petitions-2026-05-08.rss.xml")
    here = key_entries(parse_document("https://a.example/petitions.rss", body, None).entries)
    there = key_entries(parse_document("http://b.example/x/rss", body, None).entries)
    assert [k.key for k in here] == [k.key for k in there]
    assert "g:1816" in {k.key for k in here}


def _corpus_rows(shared_dir: Path) -> dict[str, dict[str, str]]:
    baseline = shared_dir / "fixtures" / "feedparser-corpus" / "BASELINE-feedparser-6.0.14.tsv"
    with baseline.open(encoding="utf-8") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_feedparser_corpus_never_crashes_and_keeps_what_feedparser_recovers(
    shared_dir: Path,
) -> None:
    root = shared_dir / "fixtures" / "feedparser-corpus"
    rows = _corpus_rows(shared_dir)
    assert len(rows) > 2000
    refused: dict[str, str] = {}
    for relative, row in rows.items():
        body = (root / relative).read_bytes()
        try:
            feed = parse_document("http://127.0.0.1:8097/tests/" + relative, body, None)
        except ParseError as exc:
            refused[relative] = exc.kind
            continue
        keyed = key_entries(feed.entries)
        if relative.startswith("json/"):
            assert len(keyed) >= int(row["entries"])
        else:
            assert len(keyed) == int(row["entries"]), relative
        assert len({k.key for k in keyed}) == len(keyed), relative
    # Only documents without entries, or that declare entities, are refused.
    for relative, kind in refused.items():
        assert kind == "entities" or int(rows[relative]["entries"]) == 0, relative
    assert set(refused.values()) <= {"entities", "not_a_feed", "empty"}
    assert sum(1 for kind in refused.values() if kind == "entities") <= 5
