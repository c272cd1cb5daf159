"""``policybot search`` and ``policybot latest``: console mode answers like the slash commands."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import build_parser
from bot.domain.search_query import NO_SEARCH_WORDS, SEARCH_SYNTAX
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


@pytest.mark.parametrize("command", ["search", "latest"])
async def test_no_word_to_look_for_gets_the_answer_discord_gives(
    settings: Settings, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert await run(settings, command, "--", "-meta", "?!") == 1

    assert capsys.readouterr().err.strip() == NO_SEARCH_WORDS


def test_help_gives_the_search_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["search", "--help"])
    assert " ".join(SEARCH_SYNTAX.split()) in " ".join(capsys.readouterr().out.split())


def test_page_numbers_start_at_one() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["search", "ai", "--page", "0"])
