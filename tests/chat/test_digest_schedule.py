"""Digest schedules on APScheduler: one CronTrigger job per digest time in its timezone,
rebuilt from the database at start-up and on every change; a week of daily runs across a DST
change posts once a day at 09:00 local; runs missed while the bot was down post once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.app.digest_schedule import cron_trigger, fire_times
from bot.chat.client import PolicyBot
from bot.chat.delivery import DiscordDigestChannel
from bot.domain.digest.delivery import RunOutcome
from bot.domain.model import DigestCadence
from bot.settings import Settings
from bot.storage.digests import DigestStore
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import CountingScheduler, running_bot
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items, subscribe

BRUSSELS = ZoneInfo("Europe/Brussels")


def jobs(scheduler: CountingScheduler) -> dict[str, datetime]:
    return {job.id: job.next_run_time for job in scheduler.get_jobs()}


async def test_jobs_are_built_from_the_database_at_start_up_in_each_timezone(
    fake_discord: FakeDiscord, app: Application, chat_settings: Settings
) -> None:
    guild = fake_discord.guilds[0]
    daily = await subscribe(app, guild.id, guild.channels[0].id, timezone="Europe/Brussels")
    weekly = await subscribe(
        app,
        guild.id,
        guild.channel_id,
        cadence=DigestCadence.WEEKLY,
        day="fri",
        time="18:30",
        timezone="America/New_York",
    )
    scheduler = CountingScheduler()

    async with running_bot(fake_discord, app, chat_settings, scheduler=scheduler):
        found = jobs(scheduler)
        daily_next = app.digests.next_run(daily.subscription.id)
        weekly_next = app.digests.next_run(weekly.subscription.id)

    assert {job for job in found if job.startswith("digest:")} == {
        "digest:daily 09:00 Europe/Brussels",
        "digest:weekly fri 18:30 America/New_York",
    }
    assert daily_next is not None
    assert weekly_next is not None
    daily_next = daily_next.astimezone(BRUSSELS)
    weekly_next = weekly_next.astimezone(ZoneInfo("America/New_York"))
    assert (daily_next.hour, daily_next.minute) == (9, 0)
    assert (weekly_next.weekday(), weekly_next.hour, weekly_next.minute) == (4, 18, 30)


async def test_every_change_rebuilds_the_jobs(
    bot: PolicyBot, fake_discord: FakeDiscord, app: Application, scheduler: CountingScheduler
) -> None:
    guild = fake_discord.guilds[0]

    view = await subscribe(app, guild.id, guild.channels[0].id)  # the server's timezone: UTC
    added = jobs(scheduler)["digest:daily 09:00 UTC"].astimezone(UTC)
    await app.digests.update_settings(guild.id, guild_name="A", now=NOW, timezone="Asia/Tokyo")
    moved = set(jobs(scheduler))
    tokyo = app.digests.next_run(view.subscription.id)
    await app.digests.pause(guild.id, view.subscription.id, by="alice", now=NOW)
    paused = set(jobs(scheduler))
    await app.digests.resume(guild.id, view.subscription.id, now=NOW)
    resumed = set(jobs(scheduler))
    await app.digests.remove(guild.id, view.subscription.id)

    assert (added.hour, added.minute) == (9, 0)
    assert "digest:daily 09:00 Asia/Tokyo" in moved
    assert "digest:daily 09:00 UTC" not in moved
    assert tokyo is not None
    assert (tokyo.astimezone(ZoneInfo("Asia/Tokyo")).hour, tokyo.minute) == (9, 0)
    assert not any(job.startswith("digest:") for job in paused)
    assert "digest:daily 09:00 Asia/Tokyo" in resumed
    assert not any(job.startswith("digest:") for job in jobs(scheduler))


async def test_a_daily_digest_posts_once_a_day_for_a_week_across_a_dst_change(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Europe/Brussels moves to summer time on 2026-03-29: 09:00 stays 09:00 local."""
    fake_discord.quicken_buckets()  # a week of digests into one channel, in seconds
    guild = fake_discord.guilds[0]
    start = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
    view = await subscribe(
        app, guild.id, guild.channels[0].id, timezone="Europe/Brussels", now=start
    )
    scheduled = (await app.digests.listing(guild.id, now=start))[0].scheduled
    week = fire_times(scheduled, after=start, until=start + timedelta(days=7))
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    channel = DiscordDigestChannel(bot)

    outcomes = []
    for day, fire in enumerate(week):
        await add_items(sessions, feed, [NewsItem(f"AI Act news of day {day}")], now=fire)
        outcomes.append((await app.digests.run(view.subscription.id, channel, now=fire)).outcome)
        # The same slot again (a double fire, a restart): nothing new, nothing posted.
        again = await app.digests.run(
            view.subscription.id, channel, now=fire + timedelta(minutes=1)
        )
        assert again.outcome is RunOutcome.NOTHING_NEW

    local = [fire.astimezone(BRUSSELS) for fire in week]
    assert [(t.hour, t.minute) for t in local] == [(9, 0)] * 7
    assert [t.date().isoformat() for t in local] == [
        f"2026-03-{d}" if d < 32 else f"2026-04-0{d - 31}" for d in range(26, 33)
    ]
    assert [fire.utcoffset() for fire in local].count(timedelta(hours=1)) == 3  # CET, then CEST
    assert outcomes == [RunOutcome.POSTED] * 7
    posted = fake_discord.messages_in(guild.channels[0].id)
    assert len(posted) == 7
    assert [message["embeds"][1]["title"] for message in posted] == [
        f"AI Act news of day {day}" for day in range(7)
    ]
    assert str(cron_trigger(scheduled.subscription.cadence, "Europe/Brussels")) == (
        "cron[hour='9', minute='0']"
    )


async def test_runs_missed_while_down_post_once_at_start_up(
    fake_discord: FakeDiscord,
    app: Application,
    chat_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    guild = fake_discord.guilds[0]
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(sessions, feed, [NewsItem("AI Act news from the days offline")])
    down_since = NOW - timedelta(days=3)  # three 09:00 slots passed meanwhile
    missed = await subscribe(
        app, guild.id, guild.channels[0].id, now=down_since - timedelta(days=1)
    )
    up_to_date = await subscribe(app, guild.id, guild.channel_id, time="23:00", now=NOW)
    async with sessions.begin() as session:
        await DigestStore(session).record_result(
            missed.subscription.id, result="posted", ran_at=down_since, now=down_since
        )
    scheduler = CountingScheduler()

    async with running_bot(fake_discord, app, chat_settings, scheduler=scheduler) as bot:
        catch_up = [job for job in scheduler.get_jobs() if job.id.startswith("digest-retry:")]
        assert [job.id for job in catch_up] == [f"digest-retry:{missed.subscription.id}"]
        scheduler.resume()  # let the start-up job fire, once
        await fake_discord.until(lambda: len(fake_discord.messages_in(guild.channels[0].id)) == 1)
        await fake_discord.until(lambda: not scheduler.get_job(catch_up[0].id))
        assert bot.is_ready()

    assert len(fake_discord.messages_in(guild.channels[0].id)) == 1
    assert fake_discord.messages_in(guild.channel_id) == []
    assert up_to_date.subscription.id not in await app.digests.due_at_start(now=NOW)


async def test_a_transient_failure_schedules_a_retry_with_backoff(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    scheduler: CountingScheduler,
) -> None:
    guild = fake_discord.guilds[0]
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(sessions, feed, [NewsItem("AI Act news")])
    view = await subscribe(app, guild.id, guild.channels[0].id)
    fake_discord.fail_next(r"/channels/\d+/messages", 503, times=2)

    first = await app.digests.run(view.subscription.id, bot.digest_channel, now=NOW)
    second = await app.digests.run(
        view.subscription.id, bot.digest_channel, now=NOW + timedelta(minutes=1)
    )

    assert first.retry_at == NOW + timedelta(minutes=1)
    assert second.retry_at == NOW + timedelta(minutes=1 + 2)  # 1, 2, 4 ... minutes
    retry = scheduler.get_job(f"digest-retry:{view.subscription.id}")
    assert retry is not None
    assert (await app.digests.due_at_start(now=NOW)) == [view.subscription.id]  # pending


async def test_subscriptions_due_at_one_time_share_one_job_that_runs_them_all(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    app: Application,
    scheduler: CountingScheduler,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The busiest minute is one job per digest time, not one per subscription, so the
    scheduler's pass over its due jobs stays short; the job runs every subscription due."""
    guild = fake_discord.guilds[0]
    first, second, third = [
        await subscribe(app, guild.id, channel.id) for channel in guild.channels[:3]
    ]
    await app.digests.pause(guild.id, third.subscription.id, by="alice", now=NOW)
    job = scheduler.get_job("digest:daily 09:00 UTC")
    assert job is not None
    fires_at = job.next_run_time
    assert list(job.args) == [(first.subscription.id, second.subscription.id)]  # not the paused
    await app.digests.resume(guild.id, third.subscription.id, now=NOW)
    job = scheduler.get_job("digest:daily 09:00 UTC")
    assert job is not None
    assert job.next_run_time == fires_at  # a change of its members keeps its time
    assert len(job.args[0]) == 3

    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(sessions, feed, [NewsItem("AI Act news of the day")])
    await job.func(*job.args)
    assert [len(fake_discord.messages_in(channel.id)) for channel in guild.channels[:3]] == [1] * 3
