"""``policybot digest``: the instance list's digest in the terminal, as text or Markdown.

The same composition as the Discord digests (``Digests.console_digest``): stance changes
first, sections by law or jurisdiction, "+N more sources", the compact list, the counted rest
and the failing feeds. No Discord, and nothing recorded. Markdown is for pasting into an
e-mail newsletter.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.composition import open_application
from bot.domain.digest.compose import Digest, Story
from bot.settings import Settings

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


async def digest_command(args: argparse.Namespace, settings: Settings) -> int:
    now = args.at or datetime.now(UTC)
    async with open_application(settings) as app:
        digest = await app.digests.console_digest(since=now - args.since, now=now)
    render = format_markdown if args.format == "markdown" else format_text
    sys.stdout.write(render(digest) + "\n")
    return 0


def format_text(digest: Digest) -> str:
    if digest.is_empty:
        return "nothing new in the instance's feeds over this span"
    lines = [_title(digest), _counts(digest)]
    if digest.stance_changes:
        lines += ["", "STANCE CHANGES"]
        for change in digest.stance_changes:
            lines.append(f"  {change.company}: {change.movement()} · {change.law}")
            lines.append(f"    {change.quote}")
            lines.append(f"    — {change.source.name}{_on(change.published_at)}")
            if change.source.url:
                lines.append(f"      {change.source.url}")
    for section in digest.sections:
        lines += ["", section.heading.upper()]
        for story in section.stories:
            lines += [f"  {story.title}", *(f"    {line}" for line in _story_text(story))]
    if digest.listed:
        lines += ["", "MORE STORIES"]
        for listed in digest.listed:
            lines.append(f"  - {listed.title} · {listed.source}")
            if listed.url:
                lines.append(f"    {listed.url}")
    lines += _closing(digest, latest="policybot latest", feeds="policybot feeds list")
    return "\n".join(lines)


def format_markdown(digest: Digest) -> str:
    if digest.is_empty:
        return "_Nothing new in the instance's feeds over this span._"
    lines = [f"# {_title(digest)}", "", _counts(digest)]
    if digest.stance_changes:
        lines += ["", "## Stance changes since the last digest", ""]
        for change in digest.stance_changes:
            source = _md_link(change.source.name, change.source.url)
            lines.append(
                f"- **{_md(change.company)}**: {change.movement()} · {_md(change.law)}  \n"
                f"  > {_md(change.quote)}  \n"
                f"  — {source}{_on(change.published_at)}"
            )
    for section in digest.sections:
        lines += ["", f"## {_md(section.heading)}"]
        for story in section.stories:
            lines += ["", f"### {_md_link(story.title, story.url)}", ""]
            if story.summary:
                lines += [_md(story.summary), ""]
            badges = [*story.laws, *story.companies, *(b.describe() for b in story.stances)]
            if badges:
                lines.append(" ".join(f"`{badge.replace('`', '')}`" for badge in badges) + "  ")
            if story.more_sources:
                more = ", ".join(_md_link(s.name, s.url) for s in story.more_sources)
                lines.append(f"+{len(story.more_sources)} more sources: {more}  ")
            lines.append(f"*{_md(_byline(story))}*")
    if digest.listed:
        lines += ["", "## More stories", ""]
        lines += [f"- {_md_link(s.title, s.url)} · {_md(s.source)}" for s in digest.listed]
    closing = _closing(digest, latest="`policybot latest`", feeds="`policybot feeds list`")
    return "\n".join(lines + closing)


def _title(digest: Digest) -> str:
    local = digest.as_of.astimezone(ZoneInfo(digest.timezone))
    return f"AI policy digest · {local:%A %d %B %Y}"


def _counts(digest: Digest) -> str:
    counts = [f"{digest.story_count} stor{'y' if digest.story_count == 1 else 'ies'}"]
    if digest.stance_changes:
        counts.append(f"{len(digest.stance_changes)} stance change{_s(len(digest.stance_changes))}")
    if digest.jurisdiction_count:
        counts.append(f"{digest.jurisdiction_count} jurisdiction{_s(digest.jurisdiction_count)}")
    return " · ".join(counts)


def _story_text(story: Story) -> list[str]:
    lines = [story.summary] if story.summary else []
    badges = [*story.laws, *story.companies, *(b.describe() for b in story.stances)]
    if badges:
        lines.append(" · ".join(f"[{badge}]" for badge in badges))
    if story.more_sources:
        lines.append(
            f"+{len(story.more_sources)} more sources: "
            + ", ".join(s.name for s in story.more_sources)
        )
    lines.append(_byline(story))
    if story.url:
        lines.append(story.url)
    return lines


def _byline(story: Story) -> str:
    parts = [story.source]
    if story.published_at is not None:
        parts.append(f"{story.published_at:%Y-%m-%d}")
    if story.official:
        parts.append("official source")
    return " · ".join(parts)


def _closing(digest: Digest, *, latest: str, feeds: str) -> list[str]:
    lines = []
    if digest.summarised_stories:
        count = digest.summarised_stories
        lines.append(f"…and {count} more stor{'y' if count == 1 else 'ies'}: see {latest}.")
    if digest.failing_feeds:
        lines.append(f"{digest.failing_feeds} feed{_s(digest.failing_feeds)} failing: see {feeds}.")
    return ["", *lines] if lines else []


def _on(moment: datetime | None) -> str:
    return f" · {moment:%Y-%m-%d}" if moment is not None else ""


def _flat(text: str) -> str:
    return " ".join(text.split())


def _md(text: str) -> str:
    """Feed text as literal Markdown: every character Markdown would act on escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _flat(text))


def _md_link(text: str, url: str | None) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return _md(text)
    target = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{_md(text)}]({target})"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
