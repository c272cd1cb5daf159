"""/feeds status and import replies, rendered without Discord: within limits, feed text inert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.chat.render.feeds import (
    feed_status_reply,
    feeds_export_reply,
    feeds_status_reply,
    import_reply,
    upload_refusal,
)
from bot.chat.render.text import Reply, ReplyFile
from bot.domain.feed_errors import FeedErrorInfo, FeedErrorKind
from bot.domain.feed_import import (
    FeedImportReport,
    FeedsExport,
    ImportedFeed,
    ImportOutcome,
    OpmlRefused,
    UploadProblem,
)
from bot.domain.feed_status import FeedHealthView, health_report
from bot.domain.model import FeedStatus
from tests.fake_discord import limits

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOSTILE = "@everyone <@&123456789012345678> [x](https://evil.example) " + "é" * 400


def body_of(reply: Reply) -> dict[str, object]:
    return {"content": reply.content, "embeds": [embed.to_dict() for embed in reply.embeds]}


def health(feed_id: int, status: FeedStatus = FeedStatus.FAILING) -> FeedHealthView:
    return FeedHealthView(
        feed_id=feed_id,
        url="https://f.example/" + "p" * 2000,
        title=HOSTILE,
        status=status,
        consecutive_errors=9,
        error=FeedErrorInfo(FeedErrorKind.CONNECTION, "<@&1> `x` " * 300),
        last_error_at=NOW - timedelta(hours=3),
        last_success_at=NOW - timedelta(days=2),
        next_check_at=NOW + timedelta(hours=1),
        added_at=NOW,
        items_last_week=7,
        items_last_month=30,
    )


def test_a_long_status_list_fits_one_message_and_says_how_many_are_left_out() -> None:
    report = health_report([health(n) for n in range(60)], at=NOW)

    reply = feeds_status_reply(report)

    assert limits.message_problems(body_of(reply)) == []
    assert reply.ephemeral
    shown = len(reply.embeds[0].fields)
    assert 0 < shown <= 25
    assert (reply.embeds[0].footer.text or "").startswith(f"and {60 - shown} more")
    assert "@everyone" not in str(body_of(reply))


def test_one_feed_in_detail_fits_and_keeps_the_error_detail_inert() -> None:
    reply = feed_status_reply(health(1, FeedStatus.PAUSED), "1", now=NOW)

    assert limits.message_problems(body_of(reply)) == []
    fields = {field.name: field.value or "" for field in reply.embeds[0].fields}
    words, when, detail = fields["Last error"].splitlines()
    assert words == "policybot could not connect to the site"
    assert when == "Last failed: 2026-11-25 09:00 UTC (3 hours ago)"
    assert detail.startswith("Detail: `connection: <@&1> 'x'")
    assert detail.endswith("…`")
    assert detail.count("`") == 2
    assert "paused until the bot's operator resumes it" in fields["Next check"]
    assert fields["Items per day"] == "1.0 over 7 days (7 items)\n1.0 over 30 days (30 items)"


def test_an_import_of_hundreds_of_feeds_fits_one_message() -> None:
    outcomes = list(ImportOutcome)
    feeds = tuple(
        ImportedFeed(
            f"https://f{n}.example/" + "p" * 300,
            HOSTILE,
            outcomes[n % len(outcomes)],
            "connection: " + "x" * 500,
        )
        for n in range(500)
    )

    reply = import_reply(FeedImportReport(feeds, cap=50), filename="a" * 1000 + ".opml")

    assert limits.message_problems(body_of(reply)) == []
    embed = reply.embeds[0]
    assert [field.name for field in embed.fields] == [
        "Added (125)",
        "Already followed (125)",
        "Refused (125)",
        "Over the cap of 50 (125)",
    ]
    assert all("more" in (field.value or "") for field in embed.fields)
    assert "@everyone" not in str(body_of(reply))


def test_refusals_for_files_say_nothing_was_added() -> None:
    for reply in (
        upload_refusal(UploadProblem.TOO_LARGE, "big.opml", max_bytes=1024 * 1024),
        import_reply(OpmlRefused("f.opml: not well-formed XML"), filename="f.opml"),
    ):
        assert reply.ephemeral
        assert "Nothing was added." in (reply.embeds[0].description or "")
    assert "up to 1024 KB" in (
        upload_refusal(UploadProblem.TOO_LARGE, "big.opml", max_bytes=1024 * 1024)
        .embeds[0]
        .description
        or ""
    )


def test_an_export_carries_the_document_as_a_file() -> None:
    reply = feeds_export_reply(FeedsExport(2, b"<opml/>"), filename="feeds.opml")

    assert reply.files == (ReplyFile("feeds.opml", b"<opml/>"),)
    assert "2 feeds" in (reply.embeds[0].description or "")
    assert feeds_export_reply(FeedsExport(0, b""), filename="f").files == ()


def test_the_summary_says_plainly_how_much_of_the_file_was_added() -> None:
    def summary(*outcomes: ImportOutcome) -> str:
        feeds = tuple(ImportedFeed(f"https://{n}/", "", o) for n, o in enumerate(outcomes))
        reply = import_reply(FeedImportReport(feeds, cap=5), filename="f.opml")
        return f"{reply.embeds[0].title}: {reply.embeds[0].description}"

    added, refused = ImportOutcome.ADDED, ImportOutcome.REFUSED
    assert summary(added, added).endswith(
        "2 of 2 feeds added to this server. Every feed of the file was added."
    )
    assert summary(added, refused).endswith(
        "1 of 2 feeds added to this server. Only the feeds listed under *Added* were added."
    )
    assert summary(refused).startswith("No feeds imported")
    assert summary(refused).endswith("0 of 1 feed added to this server. Nothing was added.")
