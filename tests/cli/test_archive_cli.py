"""``policybot search`` and ``policybot latest``: console mode answers like the slash commands."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import build_parser
from bot.settings import Settings
from tests.support.archive import Story, archive_of


async def run(settings: Settings, *arguments: str) -> int:
    args = build_parser().parse_args(list(arguments))
    code: int = await args.handler(args, settings)
    return code


@pytest.fixture
def settings(migrated_url: URL) -> Settings:
    return Settings(database_url=migrated_url.render_as_string(hide_password=False))


async def test_search_prints_numbered_matches_with_feed_date_and_link(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    await archive_of(sessions, [Story("AI Act enters into force"), Story("Farm subsidies")])

    assert await run(settings, "search", "AI", "Act") == 0

    out = capsys.readouterr().out
    assert "  1. AI Act enters into force" in out
    assert "EU Policy Wire · 2026-11-25" in out
    assert "https://wire.example/0" in out
    assert "Farm" not in out


async def test_latest_pages_newest_first(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    await archive_of(sessions, [Story(f"Update {n}", hours_ago=n) for n in range(12)])

    await run(settings, "latest")
    first = capsys.readouterr().out
    await run(settings, "latest", "--page", "2")
    second = capsys.readouterr().out

    assert first.splitlines()[0] == "  1. Update 0"
    assert "(more with --page 2)" in first
    assert second.splitlines()[0] == " 11. Update 10"
    assert "more with" not in second


async def test_empty_answers_say_so(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    await run(settings, "search", "nothing")
    await run(settings, "latest", "ai", "act")

    assert capsys.readouterr().out.splitlines() == [
        "nothing matches 'nothing'",
        "nothing about 'ai act'",
    ]


def test_page_numbers_start_at_one() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["search", "ai", "--page", "0"])
