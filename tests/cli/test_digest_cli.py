"""``policybot digest``: the instance feeds' digest in the terminal, as text or Markdown, in the
structure of a Discord digest; nothing is recorded."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import build_parser
from bot.domain.model import FeedStatus, StanceLabel
from bot.settings import Settings
from bot.storage.schema import Digest, DigestEntry
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items

AT = NOW.isoformat()


async def run(settings: Settings, *arguments: str) -> int:
    args = build_parser().parse_args(list(arguments))
    code: int = await args.handler(args, settings)
    return code


@pytest.fixture
def settings(migrated_url: URL) -> Settings:
    return Settings(database_url=migrated_url.render_as_string(hide_password=False))


@pytest.fixture
async def newsroom(sessions: async_sessionmaker[AsyncSession]) -> None:
    official = await add_feed(
        sessions, url="https://ec.example/rss", title="European Commission", kind="official"
    )
    wire = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    own = await add_feed(
        sessions, url="https://own.example/rss", title="A server's own", in_instance_list=False
    )
    await add_feed(
        sessions, url="https://down.example/rss", title="Down", status=FeedStatus.FAILING
    )
    await add_items(
        sessions,
        official,
        [
            NewsItem(
                "Commission publishes AI Act guidelines (fines *up to* 7%)",
                summary="Share\nThe Commission published guidelines on prohibited AI practices.",
                laws=("eu-ai-act",),
                story_key="guidelines",
            )
        ],
    )
    await add_items(
        sessions,
        wire,
        [
            NewsItem(
                "EU sets out AI Act guidance",
                story_key="guidelines",
                url="https://wire.example/guidance",
            ),
            NewsItem(
                "Meta turns against the AI Act",
                laws=("eu-ai-act",),
                companies=("meta",),
                claims=(
                    ("meta", "eu-ai-act", StanceLabel.OPPOSE, "Meta said it opposes the AI Act."),
                ),
                hours_ago=3,
            ),
            NewsItem("Old news", hours_ago=50),
        ],
    )
    await add_items(sessions, own, [NewsItem("Only one server follows this")])


@pytest.mark.usefixtures("newsroom")
async def test_text_digest_of_the_instance_feeds(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(settings, "digest", "--at", AT) == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "AI policy digest · Wednesday 25 November 2026"
    assert lines[1] == "2 stories · 1 stance change · 1 jurisdiction"
    assert "STANCE CHANGES" in out
    assert "  Meta: first position: opposes · EU AI Act" in out
    assert "EU AI ACT" in out
    assert "  Commission publishes AI Act guidelines (fines *up to* 7%)" in out
    assert "+1 more sources: Policy Wire" in out
    assert "European Commission · 2026-11-25 · official source" in out
    assert "1 feed failing: see policybot feeds list." in out
    assert "Only one server follows this" not in out  # not in the instance list
    assert "Old news" not in out  # beyond --since 24h


@pytest.mark.usefixtures("newsroom")
async def test_markdown_digest_escapes_feed_text_and_links_titles(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(settings, "digest", "--format", "markdown", "--since", "3d", "--at", AT) == 0

    out = capsys.readouterr().out
    assert out.startswith("# AI policy digest · Wednesday 25 November 2026\n\n3 stories")
    assert "## Stance changes since the last digest" in out
    assert "## EU AI Act" in out
    assert "### [Commission publishes AI Act guidelines \\(fines \\*up to\\* 7%\\)](https://" in out
    assert "+1 more sources: [Policy Wire](https://wire.example/guidance)" in out
    assert "*European Commission · 2026-11-25 · official source*" in out


async def test_an_empty_span_says_so_and_nothing_is_recorded(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run(settings, "digest", "--at", AT) == 0

    assert "nothing new" in capsys.readouterr().out
    async with sessions() as session:
        assert (await session.scalars(Digest.__table__.select())).all() == []
        assert (await session.scalars(DigestEntry.__table__.select())).all() == []


def test_since_must_be_a_span(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["digest", "--since", "yesterday"])

    assert "not a span such as 24h" in capsys.readouterr().err
