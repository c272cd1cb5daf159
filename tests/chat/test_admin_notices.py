"""Feed-health events the poll writer stored reach the admin channel of each server that added
the feed itself: once per event, never on every poll, and a second pass tells nothing again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.cycle import CycleReport
from bot.chat.client import PolicyBot
from bot.domain.health import HealthEvent, HealthEventKind
from bot.polling import PollReport
from bot.storage.health_notices import HealthNoticeStore
from tests.fake_discord import FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import add_feed


def event(feed_id: int, kind: HealthEventKind, reason: str | None = None) -> HealthEvent:
    return HealthEvent(feed_id, "https://own.example/rss", "@everyone Own Feed", kind, reason, NOW)


async def store_events(
    sessions: async_sessionmaker[AsyncSession], *events: HealthEvent
) -> CycleReport:
    """What the poll writer does with a cycle's events; the cycle's report carries them too."""
    async with sessions.begin() as session:
        for each in events:
            await HealthNoticeStore(session).record(each)
    return CycleReport(PollReport(NOW, events=events))


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

    failing = await store_events(
        sessions,
        event(own, HealthEventKind.FAILING, "timeout: no answer in 30 s"),
        event(instance, HealthEventKind.PAUSED, "HTTP 410 Gone"),
    )
    quiet = CycleReport(PollReport(NOW))
    await bot.on_cycle_report(failing)
    await bot.on_cycle_report(quiet)
    assert await bot.tell_admins() == 0  # the periodic check finds nothing left
    recovered = await store_events(sessions, event(own, HealthEventKind.RECOVERED))
    await bot.on_cycle_report(recovered)

    notices = fake_discord.messages_in(admins)
    assert [n["embeds"][0]["title"] for n in notices] == ["A feed is failing", "A feed works again"]
    assert "timeout: no answer in 30 s" in notices[0]["embeds"][0]["description"]
    assert notices[0]["embeds"][0]["description"].startswith("**@\u200beveryone Own Feed**")
    assert all(n["allowed_mentions"] == {"parse": []} for n in notices)
    assert all(fake_discord.messages_in(c) == [] for c in b.channel_ids)  # no admin channel set
    async with sessions() as session:
        assert await HealthNoticeStore(session).untold() == 0  # b's were tried: nowhere to tell
