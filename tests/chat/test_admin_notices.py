"""Feed-health events from an ingestion cycle's report reach the admin channel of each server
that added the feed itself: once per event, never on every poll."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.cycle import CycleReport
from bot.chat.client import PolicyBot
from bot.domain.health import HealthEvent, HealthEventKind
from bot.polling import PollReport
from tests.fake_discord import FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import add_feed


def event(feed_id: int, kind: HealthEventKind, reason: str | None = None) -> HealthEvent:
    return HealthEvent(feed_id, "https://own.example/rss", "@everyone Own Feed", kind, reason, NOW)


async def test_health_events_are_told_once_to_the_admins_of_servers_following_the_feed(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = fake_discord.guilds
    own = await add_feed(
        sessions,
        url="https://own.example/rss",
        title="Own Feed",
        in_instance_list=False,
        followed_by=[a.id, b.id],
    )
    instance = await add_feed(sessions, url="https://instance.example/rss", title="Instance")
    admins = a.channels[1].id
    await app.digests.update_settings(a.id, guild_name="A", now=NOW, admin_channel_id=admins)

    failing = CycleReport(
        PollReport(
            NOW,
            events=(
                event(own, HealthEventKind.FAILING, "timeout: no answer in 30 s"),
                event(instance, HealthEventKind.PAUSED, "HTTP 410 Gone"),
            ),
        )
    )
    quiet = CycleReport(PollReport(NOW))
    recovered = CycleReport(PollReport(NOW, events=(event(own, HealthEventKind.RECOVERED),)))
    for report in (failing, quiet, quiet, recovered):
        await bot.on_cycle_report(report)

    notices = fake_discord.messages_in(admins)
    assert [n["embeds"][0]["title"] for n in notices] == ["A feed is failing", "A feed works again"]
    assert "timeout: no answer in 30 s" in notices[0]["embeds"][0]["description"]
    assert notices[0]["embeds"][0]["description"].startswith("**@\u200beveryone Own Feed**")
    assert all(n["allowed_mentions"] == {"parse": []} for n in notices)
    assert all(fake_discord.messages_in(c) == [] for c in b.channel_ids)  # no admin channel set
