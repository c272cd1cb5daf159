"""A composed digest as JSON and back, so a run interrupted between parts renders the same
messages again on the next try (stored in ``digests.plan``).

Plain JSON types only: datetimes as ISO 8601 with their UTC offset, labels by value.
``VERSION`` changes when the shape does; a plan of another version is not resumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.digest.compose import (
    Digest,
    ListedStory,
    Section,
    Source,
    StanceBadge,
    StanceChange,
    Story,
)
from bot.domain.model import StanceLabel

VERSION = 1


class PlanError(ValueError):
    """A stored plan this version cannot read."""


def digest_to_plan(digest: Digest) -> dict[str, Any]:
    return {
        "version": VERSION,
        "as_of": digest.as_of.isoformat(),
        "stance_changes": [_change(change) for change in digest.stance_changes],
        "sections": [
            {"heading": section.heading, "stories": [_story(story) for story in section.stories]}
            for section in digest.sections
        ],
        "listed": [
            {"title": s.title, "url": s.url, "source": s.source, "item_ids": list(s.item_ids)}
            for s in digest.listed
        ],
        "summarised_item_ids": list(digest.summarised_item_ids),
        "summarised_stories": digest.summarised_stories,
        "covered_item_ids": list(digest.covered_item_ids),
        "story_count": digest.story_count,
        "jurisdiction_count": digest.jurisdiction_count,
        "failing_feeds": digest.failing_feeds,
        "first_run": digest.first_run,
        "timezone": digest.timezone,
    }


def digest_from_plan(plan: dict[str, Any]) -> Digest:
    if plan.get("version") != VERSION:
        raise PlanError(f"digest plan version {plan.get('version')!r}, expected {VERSION}")
    try:
        return Digest(
            as_of=datetime.fromisoformat(plan["as_of"]),
            stance_changes=tuple(_read_change(c) for c in plan["stance_changes"]),
            sections=tuple(
                Section(s["heading"], tuple(_read_story(story) for story in s["stories"]))
                for s in plan["sections"]
            ),
            listed=tuple(
                ListedStory(s["title"], s["url"], s["source"], tuple(s["item_ids"]))
                for s in plan["listed"]
            ),
            summarised_item_ids=tuple(plan["summarised_item_ids"]),
            summarised_stories=plan["summarised_stories"],
            covered_item_ids=tuple(plan["covered_item_ids"]),
            story_count=plan["story_count"],
            jurisdiction_count=plan["jurisdiction_count"],
            failing_feeds=plan["failing_feeds"],
            first_run=plan["first_run"],
            timezone=plan["timezone"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"unreadable digest plan: {exc!r}") from exc


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _read_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _story(story: Story) -> dict[str, Any]:
    return {
        "title": story.title,
        "url": story.url,
        "source": story.source,
        "published_at": _when(story.published_at),
        "summary": story.summary,
        "official": story.official,
        "laws": list(story.laws),
        "companies": list(story.companies),
        "stances": [[b.company, b.law, b.stance.value] for b in story.stances],
        "more_sources": [[s.name, s.url] for s in story.more_sources],
        "item_ids": list(story.item_ids),
    }


def _read_story(data: dict[str, Any]) -> Story:
    return Story(
        title=data["title"],
        url=data["url"],
        source=data["source"],
        published_at=_read_when(data["published_at"]),
        summary=data["summary"],
        official=data["official"],
        laws=tuple(data["laws"]),
        companies=tuple(data["companies"]),
        stances=tuple(StanceBadge(c, law, StanceLabel(s)) for c, law, s in data["stances"]),
        more_sources=tuple(Source(name, url) for name, url in data["more_sources"]),
        item_ids=tuple(data["item_ids"]),
    )


def _change(change: StanceChange) -> dict[str, Any]:
    return {
        "company": change.company,
        "law": change.law,
        "before": change.before.value if change.before is not None else None,
        "after": change.after.value,
        "evidence": change.evidence,
        "source": [change.source.name, change.source.url],
        "published_at": _when(change.published_at),
        "item_id": change.item_id,
    }


def _read_change(data: dict[str, Any]) -> StanceChange:
    name, url = data["source"]
    return StanceChange(
        company=data["company"],
        law=data["law"],
        before=StanceLabel(data["before"]) if data["before"] is not None else None,
        after=StanceLabel(data["after"]),
        evidence=data["evidence"],
        source=Source(name, url),
        published_at=_read_when(data["published_at"]),
        item_id=data["item_id"],
    )
