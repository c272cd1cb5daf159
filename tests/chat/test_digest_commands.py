"""/digest and /settings end to end: server admins only, every reply private, every refusal
of /digest add named, and /digest preview showing exactly what /digest now then posts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.chat.client import PolicyBot
from tests.fake_discord import MEMBER, FakeDiscord
from tests.support.clock import NOW
from tests.support.digests import NewsItem, add_feed, add_items

pytestmark = pytest.mark.usefixtures("bot")


def channels(fake: FakeDiscord, guild: int = 0) -> dict[str, int]:
    found = {channel.name: channel.id for channel in fake.guilds[guild].channels}
    return {"news": fake.guilds[guild].channel_id, **found}


async def add(fake: FakeDiscord, **options: Any) -> Any:
    options.setdefault("channel", channels(fake)["digest"])
    options.setdefault("cadence", "daily")
    options.setdefault("time", "09:00")
    return await fake.invoke(fake.slash("digest add", **options))


async def test_an_admin_adds_and_lists_digests_privately(
    fake_discord: FakeDiscord, app: Application
) -> None:
    added = await add(
        fake_discord, timezone="europe/brussels", topics="AI Act, Meta", max_stories=5
    )
    weekly = await add(
        fake_discord, channel=channels(fake_discord)["news"], cadence="weekly", day="friday"
    )
    listed = await fake_discord.invoke(fake_discord.slash("digest list"))

    assert added.ephemeral
    assert added.embeds[0]["title"] == "Digest #1 added"
    assert "every day at 09:00 (Europe/Brussels)" in added.text
    assert "Topics: EU AI Act, Meta · up to 5 stories" in added.text
    assert weekly.embeds[0]["title"] == "Digest #2 added"
    assert listed.ephemeral
    fields = {f["name"]: f["value"] for f in listed.embeds[0]["fields"]}
    assert set(fields) == {"Digest #1", "Digest #2"}
    assert fields["Digest #1"].startswith(f"<#{channels(fake_discord)['digest']}> · every day")
    assert "Next: Thu 26 Nov 2026, 09:00 (Europe/Brussels)" in fields["Digest #1"]
    assert "every Friday at 09:00 (UTC)" in fields["Digest #2"]
    assert "Next: Fri 27 Nov 2026, 09:00 (UTC)" in fields["Digest #2"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"time": "9am"}, "`9am` is not a time as HH:MM (24-hour)"),
        ({"time": "25:00"}, "`25:00` is not a time as HH:MM"),
        ({"timezone": "Europe/Brusels"}, "Did you mean `Europe/Brussels`"),
        ({"timezone": "Mars/Olympus"}, "`Mars/Olympus` is not a timezone policybot knows"),
        ({"topics": "AI Act, Metta"}, "`Metta` is not a law, company or jurisdiction"),
        ({"topics": "Metta"}, "Did you mean `Meta`"),
        ({"cadence": "weekly"}, "A weekly digest needs `day:`"),
        ({"day": "monday"}, "`day:` is for weekly digests only"),
        ({"channel": "closed"}, "it lacks **Send Messages** and **Embed Links** there"),
    ],
)
async def test_every_refusal_of_digest_add_names_the_problem(
    fake_discord: FakeDiscord, app: Application, options: dict[str, Any], expected: str
) -> None:
    if options.get("channel") == "closed":
        options["channel"] = channels(fake_discord)["closed"]

    refused = await add(fake_discord, **options)

    assert refused.ephemeral
    assert expected in refused.text
    assert await app.digests.listing(fake_discord.guilds[0].id, now=NOW) == ()


async def test_a_duplicate_digest_is_refused_with_the_one_it_repeats(
    fake_discord: FakeDiscord, app: Application
) -> None:
    await add(fake_discord, topics="EU")
    other_topics = await add(fake_discord, topics="US")

    duplicate = await add(fake_discord, topics="eu")

    assert other_topics.embeds[0]["title"] == "Digest #2 added"
    assert "already has that digest: #1" in duplicate.text
    assert len(await app.digests.listing(fake_discord.guilds[0].id, now=NOW)) == 2


@pytest.mark.parametrize(
    "command", ["digest add", "digest list", "digest now", "digest preview", "settings"]
)
async def test_members_without_manage_server_are_refused(
    fake_discord: FakeDiscord, app: Application, command: str
) -> None:
    arguments: dict[str, Any] = {
        "digest add": {
            "channel": channels(fake_discord)["digest"],
            "cadence": "daily",
            "time": "09:00",
        },
        "digest now": {"id": 1},
    }.get(command, {})

    refused = await fake_discord.invoke(fake_discord.slash(command, user=MEMBER, **arguments))

    assert refused.ephemeral
    assert "Manage Server" in refused.text
    assert await app.digests.listing(fake_discord.guilds[0].id, now=NOW) == ()


async def test_digest_commands_in_direct_messages_are_refused(fake_discord: FakeDiscord) -> None:
    refused = await fake_discord.invoke(fake_discord.slash("digest list", dm=True))

    assert refused.ephemeral
    assert "not in direct messages" in refused.text


async def test_pause_resume_remove_and_another_servers_ids(
    fake_discord: FakeDiscord, app: Application
) -> None:
    await add(fake_discord)
    other = fake_discord.guilds[1].id

    paused = await fake_discord.invoke(fake_discord.slash("digest pause", id=1))
    listed = await fake_discord.invoke(fake_discord.slash("digest list"))
    resumed = await fake_discord.invoke(fake_discord.slash("digest resume", id=1))
    elsewhere = [
        await fake_discord.invoke(fake_discord.slash(f"digest {verb}", guild_id=other, id=1))
        for verb in ("pause", "resume", "remove", "now", "preview")
    ]
    removed = await fake_discord.invoke(fake_discord.slash("digest remove", id=1))
    again = await fake_discord.invoke(fake_discord.slash("digest remove", id=1))

    assert "Digest #1 is paused (paused by @alice)" in paused.text
    assert "**Paused:** paused by @alice" in listed.text
    assert resumed.embeds[0]["title"] == "Digest #1 resumes"
    assert "Next: Thu 26 Nov 2026, 09:00 (UTC)" in resumed.text
    for reply in elsewhere:
        assert reply.ephemeral
        assert "This server has no digest #1" in reply.text
    assert "Digest #1 is removed" in removed.text
    assert "This server has no digest #1" in again.text
    assert await app.digests.listing(fake_discord.guilds[0].id, now=NOW) == ()


async def test_preview_shows_exactly_what_now_then_posts(
    bot: PolicyBot,
    fake_discord: FakeDiscord,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(
        sessions,
        feed,
        [
            NewsItem(
                f"AI Act story {n}",
                summary="Regulators published a long guidance note on the AI Act. " * 8,
                laws=("eu-ai-act",),
            )
            for n in range(14)
        ],
    )
    await add(fake_discord)

    preview = await fake_discord.invoke(fake_discord.slash("digest preview", id=1))
    nothing_posted = fake_discord.messages_in(channels(fake_discord)["digest"])
    posted = await fake_discord.invoke(fake_discord.slash("digest now", id=1))
    empty = await fake_discord.invoke(fake_discord.slash("digest preview", id=1))

    assert nothing_posted == []
    shown = [record["embeds"] for record in preview.followups]
    sent = [
        message["embeds"] for message in fake_discord.messages_in(channels(fake_discord)["digest"])
    ]
    assert len(sent) >= 2
    assert shown == sent
    assert all(int(followup.get("flags") or 0) & 64 for followup in preview.followups)
    assert posted.ephemeral
    assert "Digest #1 posted in" in posted.text
    assert "posted 14 stories in" in posted.text
    assert "Nothing new to post right now" in empty.text


async def test_preview_without_an_id_shows_a_first_daily_digest(
    fake_discord: FakeDiscord, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed = await add_feed(sessions, url="https://wire.example/rss", title="Policy Wire")
    await add_items(sessions, feed, [NewsItem("AI Act news")])

    preview = await fake_discord.invoke(fake_discord.slash("digest preview"))

    assert preview.ephemeral
    assert preview.embeds[0]["title"].startswith("AI policy digest · Wednesday 25 November 2026")
    assert "A first digest" in preview.embeds[0]["description"]
    assert fake_discord.messages_in(channels(fake_discord)["digest"]) == []


async def test_settings_show_and_change_the_timezone_and_admin_channel(
    fake_discord: FakeDiscord, app: Application
) -> None:
    shown = await fake_discord.invoke(fake_discord.slash("settings"))
    changed = await fake_discord.invoke(
        fake_discord.slash(
            "settings", timezone="Europe/Brussels", admin_channel=channels(fake_discord)["admins"]
        )
    )
    bad_zone = await fake_discord.invoke(fake_discord.slash("settings", timezone="Brussels"))
    closed = await fake_discord.invoke(
        fake_discord.slash("settings", admin_channel=channels(fake_discord)["closed"])
    )
    added = await add(fake_discord)
    choices = await fake_discord.invoke(
        fake_discord.autocomplete("settings", "timezone", timezone="brus")
    )

    assert shown.ephemeral
    assert "**Timezone:** UTC (this instance's default)" in shown.text
    assert "**Admin channel:** none" in shown.text
    assert changed.embeds[0]["title"] == "Settings saved"
    assert "**Timezone:** Europe/Brussels" in changed.text
    assert f"<#{channels(fake_discord)['admins']}>" in changed.text
    assert "Did you mean `Europe/Brussels`" in bad_zone.text
    assert "cannot post notices" in closed.text
    assert "**Send Messages** and **Embed Links**" in closed.text
    assert "every day at 09:00 (Europe/Brussels)" in added.text  # the server's timezone
    assert [c["value"] for c in choices.choices] == ["Europe/Brussels"]
    settings = await app.digests.settings(fake_discord.guilds[0].id)
    assert settings.admin_channel_id == channels(fake_discord)["admins"]


async def test_topics_autocomplete_completes_the_last_topic_of_the_list(
    fake_discord: FakeDiscord,
) -> None:
    answer = await fake_discord.invoke(
        fake_discord.autocomplete("digest add", "topics", topics="AI Act, calif")
    )
    values = [choice["value"] for choice in answer.choices]
    assert "AI Act, California" in values
    assert "AI Act, California SB 53" in values
    assert all(value.startswith("AI Act, ") for value in values)
    chosen = await add(fake_discord, topics=values[0])
    assert chosen.embeds[0]["title"].endswith("added")
