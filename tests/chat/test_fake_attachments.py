"""The fake carries files both ways, as ``/feeds import`` and ``/feeds export`` (OPML) will need."""

from __future__ import annotations

import io

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from sqlalchemy.engine import URL

from bot.chat.client import PolicyBot
from tests.fake_discord import FakeDiscord
from tests.fake_discord.harness import command_schema


@pytest.fixture
def database_url(sqlite_url: URL) -> URL:
    """Nothing here depends on the database engine; SQLite alone keeps the suite fast."""
    return sqlite_url


class EchoFileCog(commands.Cog):
    @app_commands.command(name="echo-file", description="Send the attached file back")
    async def echo_file(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        content = await file.read()
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(
            file=discord.File(io.BytesIO(content.upper()), filename="echo.txt"), ephemeral=True
        )


async def test_an_attachment_goes_in_and_a_file_comes_back(
    bot: PolicyBot, fake_discord: FakeDiscord
) -> None:
    await bot.add_cog(EchoFileCog())
    fake_discord.install_commands(command_schema(bot))

    reply = await fake_discord.invoke(
        fake_discord.slash("echo-file", file=("feeds.opml", b"<opml/>"))
    )

    assert reply.ephemeral
    assert reply.followups[0]["_files"] == {"echo.txt": b"<OPML/>"}
    assert reply.followups[0]["allowed_mentions"] == {"parse": []}
