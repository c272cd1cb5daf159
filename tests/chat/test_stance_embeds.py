"""/stance and /why replies without Discord: within every limit, feed text inert, links in url."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.catalog import load_catalog
from bot.chat.render.stance import STANCE_DETAILS, name_choices, stance_reply, unknown_name_reply
from bot.chat.render.text import Reply
from bot.chat.render.why import why_reply
from bot.domain.explanation import (
    DigestAbsence,
    ItemClaim,
    ItemExplanation,
    Sighting,
    StoredAnalysis,
    UnseenUrl,
)
from bot.domain.model import Attribution, EntityKind, StanceLabel
from bot.domain.name_choices import NameChoice
from bot.domain.positions import (
    ClaimRecord,
    CompanyStance,
    LawStance,
    UnknownName,
    law_positions,
    positions,
)
from tests.fake_discord import limits

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CATALOG = load_catalog()
HOSTILE = "@everyone <@&123456789012345678> [click](https://evil.example) **bold** "
SIDES = (StanceLabel.SUPPORT, StanceLabel.OPPOSE, StanceLabel.MIXED, StanceLabel.NEUTRAL)


def body_of(reply: Reply) -> dict[str, object]:
    return {"content": reply.content, "embeds": [embed.to_dict() for embed in reply.embeds]}


def claim(company: str, target: str, number: int, stance: StanceLabel) -> ClaimRecord:
    return ClaimRecord(
        company_id=company,
        target_id=target,
        stance=stance,
        evidence=HOSTILE + "é" * 3000,
        confidence=0.9,
        attribution=Attribution.STATED,
        item_id=number,
        story_key=f"s{number}",
        reported_at=NOW - timedelta(days=number),
        url=f"https://news.example/{number}" if number % 2 else "javascript:alert(1)",
        title=HOSTILE * 20,
    )


def hostile_claims() -> list[ClaimRecord]:
    companies = [c.id for c in CATALOG.companies]
    laws = [law.id for law in CATALOG.laws]
    return [
        claim(company, law, number, SIDES[number % 4])
        for number, (company, law) in enumerate(
            [(companies[0], law) for law in laws] + [(c, "eu-ai-act") for c in companies], start=1
        )
    ]


def test_a_company_with_every_law_and_huge_hostile_evidence_fits_and_is_inert() -> None:
    answer = CompanyStance("meta", "Meta", positions(hostile_claims(), now=NOW))
    reply = stance_reply(answer, CATALOG, period="all time")

    assert limits.message_problems(body_of(reply)) == []
    assert len(reply.embeds) <= 1 + STANCE_DETAILS
    assert reply.content is not None
    assert "narrow with `target:`" in reply.content
    text = str(body_of(reply))
    assert "@everyone" not in text
    assert "\\[click](https://evil.example)" in text
    assert not reply.ephemeral
    for embed in reply.embeds[1:]:
        url = embed.to_dict().get("url")
        assert url is None or url.startswith("https://news.example/")


def test_a_law_with_every_company_fits_and_groups_by_side() -> None:
    claims = hostile_claims()
    answer = LawStance("eu-ai-act", "EU AI Act", law_positions("eu-ai-act", claims, now=NOW))
    reply = stance_reply(answer, CATALOG, period="last year")

    assert limits.message_problems(body_of(reply)) == []
    summary = reply.embeds[0].to_dict()
    names = [field["name"] for field in summary.get("fields", [])]
    assert names[0].startswith("Supports (")
    assert any(name.startswith("Opposes (") for name in names)
    assert "last year" in summary["description"]


def test_no_position_yet_says_so_with_the_period() -> None:
    reply = stance_reply(CompanyStance("meta", "Meta", ()), CATALOG, period="last 30 days")

    (embed,) = reply.embeds
    assert "No stated position" in (embed.description or "")
    assert "last 30 days" in (embed.description or "")


def test_a_changed_position_shows_both_sides_with_dates() -> None:
    older = claim("meta", "eu-ai-act", 40, StanceLabel.SUPPORT)
    new = claim("meta", "eu-ai-act", 5, StanceLabel.OPPOSE)  # two stories on the new side
    newer = claim("meta", "eu-ai-act", 1, StanceLabel.OPPOSE)
    reply = stance_reply(
        CompanyStance("meta", "Meta", positions([older, new, newer], now=NOW)),
        CATALOG,
        period="all time",
    )

    fields = {f["name"]: f["value"] for f in reply.embeds[1].to_dict()["fields"]}
    assert fields["Trend"] == "changed: support (2026-10-16) → oppose (2026-11-24)"


def test_unknown_names_are_private_with_suggestions_and_inert() -> None:
    reply = unknown_name_reply(UnknownName("@everyone", ("Meta", "**x**")))
    law = unknown_name_reply(UnknownName("Meta", ()), law_only=True)

    assert reply.ephemeral
    text = reply.embeds[0].description or ""
    assert "@everyone" not in text
    assert "Did you mean **Meta**, **\\*\\*x\\*\\***?" in text
    assert "no law called “Meta”" in (law.embeds[0].description or "")


def test_choices_are_capped_at_25_and_100_characters() -> None:
    many = [NameChoice("x" * 300, f"id-{n}", EntityKind.LAW) for n in range(40)]

    choices = name_choices(many)

    assert len(choices) == 25
    assert limits.choice_problems([c.to_dict() for c in choices]) == []


def test_why_fits_with_many_feeds_and_hostile_text() -> None:
    sightings = tuple(
        Sighting(
            item_id=n,
            feed_title=HOSTILE * 5,
            feed_url="https://feed.example/rss",
            title=HOSTILE * 20,
            url="https://news.example/a",
            published_at=None,
            fetched_at=NOW - timedelta(hours=n),
            is_backlog=n == 0,
        )
        for n in range(60)
    )
    analysis = StoredAnalysis(
        item_id=1,
        is_relevant=True,
        score=0.99,
        reasons=("law:eu-ai-act", "stance:meta/eu-ai-act", "near:ai~rules", "odd:" + HOSTILE),
        analysed_at=NOW,
        company_ids=tuple(c.id for c in CATALOG.companies),
        law_ids=tuple(law.id for law in CATALOG.laws),
        claims=tuple(
            ItemClaim("meta", "eu-ai-act", StanceLabel.OPPOSE, HOSTILE * 30, Attribution.STATED, 1)
            for _ in range(9)
        ),
    )
    answer = ItemExplanation(
        url="https://news.example/a",
        sightings=sightings,
        analysis=analysis,
        digests=(),
        absence=DigestAbsence.NOT_YET,
        seen_ago=timedelta(hours=70),
    )

    reply = why_reply(answer, CATALOG)

    assert limits.message_problems(body_of(reply)) == []
    text = str(body_of(reply))
    assert "@everyone" not in text
    embed = reply.embeds[0].to_dict()
    assert embed["url"] == "https://news.example/a"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Seen in"].endswith("more")
    assert "names EU AI Act" in fields["Why relevant"]
    assert "“ai” near “rules”" in fields["Why relevant"]
    assert "First seen 2 days ago" in embed["footer"]["text"]


def test_why_for_an_unseen_link_echoes_it_inert() -> None:
    reply = why_reply(UnseenUrl("https://x.example/@everyone"), CATALOG)

    assert "@\u200beveryone" in (reply.embeds[0].description or "")
