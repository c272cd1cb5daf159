"""Which uploads /feeds import reads, and how a file's feeds are split before any fetch."""

from __future__ import annotations

import pytest

from bot.domain.feed_import import (
    OPML_MAX_BYTES,
    FeedImportReport,
    ImportedFeed,
    ImportOutcome,
    UploadProblem,
    plan_import,
    upload_problem,
)


@pytest.mark.parametrize(
    ("filename", "content_type", "size", "problem"),
    [
        ("feeds.opml", None, 100, None),
        ("Feeds.OPML", "application/octet-stream", 100, None),
        ("export.xml", "text/xml; charset=utf-8", 100, None),
        ("subscriptions", "text/x-opml", 100, None),
        ("feeds.txt", "text/plain", 100, UploadProblem.NOT_OPML),
        ("cat.png", "image/png", 100, UploadProblem.NOT_OPML),
        ("cat.opml", "image/png", 100, UploadProblem.NOT_OPML),
        ("feeds.opml", None, OPML_MAX_BYTES, None),
        ("feeds.opml", None, OPML_MAX_BYTES + 1, UploadProblem.TOO_LARGE),
        ("feeds.opml", None, 0, UploadProblem.EMPTY),
    ],
)
def test_uploads_are_judged_by_name_type_and_size(
    filename: str, content_type: str | None, size: int, problem: UploadProblem | None
) -> None:
    assert upload_problem(filename, content_type, size) == problem


def test_the_plan_skips_followed_feeds_and_counts_free_slots() -> None:
    plan = plan_import(
        ["https://a/", "https://b/", "https://c/"],
        followed=["https://b/", "https://z/"],
        followed_count=2,
        cap=3,
    )

    assert plan.already_followed == ("https://b/",)
    assert plan.candidates == ("https://a/", "https://c/")
    assert plan.free_slots == 1


def test_a_server_over_its_cap_has_no_free_slots() -> None:
    plan = plan_import(["https://a/"], followed=[], followed_count=7, cap=5)

    assert plan.free_slots == 0


def test_the_report_groups_feeds_by_outcome_in_file_order() -> None:
    report = FeedImportReport(
        (
            ImportedFeed("https://a/", "A", ImportOutcome.ADDED),
            ImportedFeed("https://b/", "B", ImportOutcome.REFUSED, "not a feed"),
            ImportedFeed("https://c/", "C", ImportOutcome.ADDED),
        ),
        cap=10,
    )

    assert [feed.url for feed in report.having(ImportOutcome.ADDED)] == ["https://a/", "https://c/"]
    assert report.having(ImportOutcome.OVER_CAP) == ()


def test_addresses_too_long_to_follow_are_set_apart() -> None:
    long_url = "https://a/" + "x" * 2048

    plan = plan_import([long_url, "https://b/"], followed=[], followed_count=0, cap=5)

    assert plan.too_long == (long_url,)
    assert plan.candidates == ("https://b/",)
