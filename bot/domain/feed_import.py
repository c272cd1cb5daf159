"""``/feeds import``: which uploads to read, which feeds to check, and the admins' summary.

An import adds feeds one by one through the same rules as ``/feeds add`` (http(s) only, no
duplicates, the per-server cap, the fetch check), and the summary names every feed of the
file with what happened to it, so nothing is applied half-way without saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.following import FeedCheckResult

OPML_MAX_BYTES = 1024 * 1024  # a 500-feed OPML file is about 100 KB
URL_MAX_LENGTH = 2048  # as for /feeds add, and the feeds table
OPML_SUFFIXES = (".opml", ".xml")
XML_MEDIA_TYPES = frozenset(
    {"text/xml", "application/xml", "text/x-opml", "application/x-opml", "text/x-opml+xml"}
)
# Media types Discord reports for files that cannot be OPML, whatever their name says.
_NOT_TEXT = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")


class UploadProblem(StrEnum):
    NOT_OPML = "not-opml"
    TOO_LARGE = "too-large"
    EMPTY = "empty"


class ImportOutcome(StrEnum):
    ADDED = "added"
    ALREADY_FOLLOWED = "already-followed"
    REFUSED = "refused"
    OVER_CAP = "over-cap"


@dataclass(frozen=True, slots=True)
class ImportedFeed:
    """One feed of the file and what the import did with it; ``reason`` explains a refusal."""

    url: str
    title: str
    outcome: ImportOutcome
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FeedImportReport:
    """Every feed of an imported file, in file order, and the server's cap."""

    feeds: tuple[ImportedFeed, ...]
    cap: int

    def having(self, outcome: ImportOutcome) -> tuple[ImportedFeed, ...]:
        return tuple(feed for feed in self.feeds if feed.outcome is outcome)


@dataclass(frozen=True, slots=True)
class OpmlRefused:
    """The file could not be read as OPML; ``reason`` says why (already in plain words)."""

    reason: str


@dataclass(frozen=True, slots=True)
class FeedsExport:
    """A server's feeds as an OPML document."""

    feed_count: int
    document: bytes


def upload_problem(
    filename: str, content_type: str | None, size: int, *, max_bytes: int = OPML_MAX_BYTES
) -> UploadProblem | None:
    """What is wrong with an upload before it is downloaded, judged by its name, type and size.

    Discord's content type is a guess, so a ``.opml``/``.xml`` name or an XML type is enough;
    the parser has the last word on the bytes themselves.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    named_opml = filename.lower().endswith(OPML_SUFFIXES)
    if media_type.startswith(_NOT_TEXT) or not (named_opml or media_type in XML_MEDIA_TYPES):
        return UploadProblem.NOT_OPML
    if size > max_bytes:
        return UploadProblem.TOO_LARGE
    if size <= 0:
        return UploadProblem.EMPTY
    return None


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """The file's feeds split before any fetch: already followed here, or to be checked."""

    already_followed: tuple[str, ...]
    candidates: tuple[str, ...]
    free_slots: int
    too_long: tuple[str, ...] = ()


def plan_import(
    urls: Sequence[str], *, followed: Iterable[str], followed_count: int, cap: int
) -> ImportPlan:
    known = set(followed)
    too_long = tuple(url for url in urls if len(url) > URL_MAX_LENGTH)
    usable = [url for url in urls if len(url) <= URL_MAX_LENGTH]
    already = tuple(url for url in usable if url in known)
    candidates = tuple(url for url in usable if url not in known)
    return ImportPlan(already, candidates, max(0, cap - followed_count), too_long)


@dataclass(frozen=True, slots=True)
class ImportSettlement:
    """What the checks decided: outcomes already known, and the feeds left to add in order.

    ``to_add`` holds ``(url, title)``; the title is "" when only the URL is known.
    """

    decided: dict[str, ImportedFeed]
    to_add: tuple[tuple[str, str], ...]


def settle_import(
    plan: ImportPlan,
    *,
    titles: Mapping[str, str],
    not_http: Sequence[str],
    checks: Mapping[str, FeedCheckResult] | None,
    timed_out: frozenset[str] = frozenset(),
    budget: float = 0.0,
) -> ImportSettlement:
    """Turn the plan and the fetch checks into outcomes; ``checks`` is None without a checker.

    A candidate that was never checked (no free slot left) is over the cap; one whose check
    ran out of time is refused with a hint to retry.
    """
    decided: dict[str, ImportedFeed] = {
        url: ImportedFeed(url, url, ImportOutcome.REFUSED, "not an http(s) URL") for url in not_http
    }
    for url in plan.already_followed:
        decided[url] = ImportedFeed(url, titles[url], ImportOutcome.ALREADY_FOLLOWED)
    for url in plan.too_long:
        reason = f"an address longer than {URL_MAX_LENGTH} characters"
        decided[url] = ImportedFeed(url, titles[url], ImportOutcome.REFUSED, reason)
    to_add: list[tuple[str, str]] = []
    for url in plan.candidates:
        title = titles[url]
        checked = checks.get(url) if checks is not None else None
        if checks is not None and url in timed_out:
            reason = f"not checked within {budget:g} s; import the file again to retry"
            decided[url] = ImportedFeed(url, title, ImportOutcome.REFUSED, reason)
        elif checks is not None and checked is None:
            decided[url] = ImportedFeed(url, title, ImportOutcome.OVER_CAP)
        elif checked is not None and not checked.ok:
            reason = checked.problem or "it is not a feed"
            decided[url] = ImportedFeed(url, title, ImportOutcome.REFUSED, reason)
        else:
            if checked is not None and checked.title:
                title = checked.title
            to_add.append((url, title))
    return ImportSettlement(decided, tuple(to_add))
