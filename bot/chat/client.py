"""PolicyBot: the Discord client, built by the composition root with everything it uses.

Nothing here is global: the facade, the settings and the scheduler come in through the
constructor (discord.py's ``advanced_startup`` pattern). The scheduler is started once, in
``setup_hook``, which runs once per login, never again on a reconnect or a new session.

With POLICYBOT_SHARD_COUNT the client is discord.py's ``AutoShardedBot`` on the shards
POLICYBOT_SHARD_IDS names (``build_bot``); it then schedules digests and tells admins only
for the servers on those shards, whose interactions are the only ones Discord sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Application
from bot.app.cycle import CycleReport, write_heartbeat
from bot.chat.cogs.archive import ArchiveCog
from bot.chat.cogs.digests import DigestCog, SettingsCog
from bot.chat.cogs.feeds import FeedsCog
from bot.chat.cogs.help import HelpCog
from bot.chat.cogs.stance import StanceCog
from bot.chat.cogs.why import WhyCog
from bot.chat.delivery import DiscordDigestChannel
from bot.chat.failures import interaction_expired, reply_for_error
from bot.chat.render.text import NO_MENTIONS
from bot.chat.replies import send_reply
from bot.chat.scheduler import JobScheduler
from bot.domain.shards import Shards
from bot.errors import ChatError, PolicybotError
from bot.settings import Settings

log = logging.getLogger(__name__)
# How often the bot looks for feed-health notices the poller stored (at once after a cycle
# when both run in this process), and re-reads the digest subscriptions (changed by another
# process sharing the database).
NOTICE_CHECK_SECONDS = 30
SCHEDULE_REFRESH_SECONDS = 60


def minimal_intents() -> discord.Intents:
    """Slash commands need only the guilds intent: no members, presences or message content."""
    return discord.Intents(guilds=True)


class PolicyCommandTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The one place an error becomes a reply: never silence, always private."""
        if interaction_expired(error):
            log.warning(
                "interaction expired before the reply interaction=%s command=%s",
                interaction.id,
                interaction.command.qualified_name if interaction.command else "?",
            )
            return
        reply = reply_for_error(interaction, error)
        try:
            await send_reply(interaction, reply)
        except discord.HTTPException as exc:
            # Discord refused even the apology (e.g. 403, or the token expired meanwhile).
            log.warning(
                "error reply not delivered interaction=%s status=%s code=%s",
                interaction.id,
                exc.status,
                exc.code,
            )


class PolicyBot(commands.Bot):
    """The Discord side of policybot: slash commands over the application facade."""

    def __init__(
        self,
        app: Application,
        settings: Settings,
        *,
        scheduler: JobScheduler,
        clock: Callable[[], datetime] | None = None,
        run_digests: bool = True,
        heartbeat: Path | None = None,
        freeze_start_up: bool = False,
        **options: Any,
    ) -> None:
        """``clock`` is the time digests are composed at (the real clock unless a test gives
        one); APScheduler decides *when* on the real clock either way. ``run_digests`` false
        (``policybot sync-commands``) schedules none. ``heartbeat`` (a bot process, which runs
        no ingestion cycle to stamp it) is stamped each minute the client is connected.
        ``freeze_start_up`` (the bot process, not tests that start many clients) moves what
        start-up built out of the cyclic collector once the client is first ready."""
        # policybot never joins voice: discord.py's "PyNaCl/davey is not installed" warnings
        # would only worry an operator.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=minimal_intents(),
            allowed_mentions=NO_MENTIONS,
            tree_cls=PolicyCommandTree,
            **options,
        )
        self.app = app
        self.settings = settings
        self.scheduler = scheduler
        self._announced = False
        self.clock = clock or _utc_now
        self.digest_channel = DiscordDigestChannel(self)
        self._run_digests = run_digests
        self._heartbeat = heartbeat
        self._freeze_start_up = freeze_start_up
        # The servers this process schedules digests and tells admins for (None: all).
        self.served_shards = configured_shards(settings)

    async def setup_hook(self) -> None:
        """Runs once per login, before the gateway: add every cog, then start the scheduler."""
        await self.add_cog(HelpCog(self.tree))
        await self.add_cog(ArchiveCog(self.app.archive))
        await self.add_cog(StanceCog(self.app.analysis))
        await self.add_cog(WhyCog(self.app.analysis))
        await self.add_cog(FeedsCog(self.app.guild_feeds, cap=self.settings.max_feeds_per_guild))
        await self.add_cog(DigestCog(self.app.digests, self.digest_channel, clock=self.clock))
        await self.add_cog(SettingsCog(self.app.digests, clock=self.clock))
        if not self.scheduler.running:
            self.scheduler.start()
            if self._run_digests:
                await self._schedule_digests()
                self._schedule_checks()
            log.info("scheduler started jobs=%d", len(self.scheduler.get_jobs()))

    async def _schedule_digests(self) -> None:
        """The digest jobs from the database; a database failure here is logged, and the
        jobs are built again at the next change."""
        try:
            await self.app.digests.start_schedule(
                self.scheduler, self.digest_channel, clock=self.clock, shards=self.served_shards
            )
        except PolicybotError:
            log.exception("digest schedule not built; it is rebuilt at the next change")

    def _schedule_checks(self) -> None:
        """The periodic look at what other processes stored: notices, subscriptions."""
        self.scheduler.add_job(
            self.tell_admins,
            "interval",
            seconds=NOTICE_CHECK_SECONDS,
            next_run_time=_utc_now(),  # what was stored while no bot ran, at once
            id="check:admin-notices",
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        self.scheduler.add_job(
            self._refresh_schedule,
            "interval",
            seconds=SCHEDULE_REFRESH_SECONDS,
            id="check:digest-schedule",
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )

    async def _refresh_schedule(self) -> None:
        try:
            await self.app.digests.reschedule()
        except PolicybotError as exc:
            log.error("digest schedule not refreshed; retrying later error=%s", exc)
            return
        # The database answered; a bot process without cycles is alive while connected too.
        if self._heartbeat is not None and self.is_ready():
            try:
                await asyncio.to_thread(write_heartbeat, self._heartbeat, _utc_now())
            except OSError as exc:
                log.warning("heartbeat not written file=%s error=%s", self._heartbeat, exc.strerror)

    async def tell_admins(self) -> int:
        """The stored feed-health notices for this process's servers, once each; a database
        failure waits for the next check."""
        try:
            told = await self.app.digests.tell_admins(
                self.digest_channel, shards=self.served_shards
            )
        except PolicybotError as exc:
            log.error("admin notices not read; retrying at the next check error=%s", exc)
            return 0
        if told:
            log.info("admins told notices=%d", told)
        return told

    async def on_cycle_report(self, report: CycleReport) -> None:
        """After an ingestion cycle in this process: its notices, told at once."""
        if report.poll.events:
            await self.tell_admins()

    async def on_ready(self) -> None:
        # Fires again after an invalid session; only log here, never start things.
        log.info("discord ready user=%s guilds=%d", self.user, len(self.guilds))
        if not self._announced:
            self._announced = True
            if self._freeze_start_up:
                # What start-up built lives as long as the process. Left in the collector,
                # each full collection walked it all: 100-200 ms stalls of the event loop
                # while a minute of digests was being posted.
                gc.collect()
                gc.freeze()
            log.info("policybot running mode=discord; press Ctrl-C to stop")

    async def on_resumed(self) -> None:
        log.info("discord session resumed")

    async def close(self) -> None:
        await self.scheduler.stop()
        await super().close()

    async def sync_commands(
        self, token: str, *, guild_id: int | None
    ) -> list[app_commands.AppCommand]:
        """Log in over HTTP only and register the slash commands, globally or in one server.

        A server sync shows changes at once (for development); a global one is what users
        of every server see.
        """
        with discord_refusals():
            await self.login(token)
            if guild_id is None:
                synced = await self.tree.sync()
            else:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
        log.info("commands synced scope=%s count=%d", guild_id or "global", len(synced))
        return synced

    async def serve(self, token: str, stop: asyncio.Event) -> None:
        """Stay connected until ``stop`` is set or the connection fails for good; then close."""
        connection = asyncio.create_task(self.start(token), name="discord-connection")
        stopping = asyncio.create_task(stop.wait(), name="discord-stop")
        try:
            await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            await self.close()
        with discord_refusals():
            await connection


class ShardedPolicyBot(PolicyBot, commands.AutoShardedBot):
    """PolicyBot as discord.py's ``AutoShardedBot``: several shards in one process."""


def configured_shards(settings: Settings) -> Shards | None:
    """The shards POLICYBOT_SHARD_COUNT and POLICYBOT_SHARD_IDS name; None: unsharded."""
    if settings.shard_count is None:
        return None
    ids = settings.shard_id_list or tuple(range(settings.shard_count))
    return Shards(settings.shard_count, ids)


def build_bot(
    app: Application, settings: Settings, *, scheduler: JobScheduler, **options: Any
) -> PolicyBot:
    """The client the settings ask for: sharded on POLICYBOT_SHARD_IDS, else plain."""
    shards = configured_shards(settings)
    if shards is None:
        return PolicyBot(app, settings, scheduler=scheduler, **options)
    log.info("discord shards=%s", shards.describe())
    return ShardedPolicyBot(
        app,
        settings,
        scheduler=scheduler,
        shard_count=shards.count,
        shard_ids=list(shards.ids),
        **options,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def discord_refusals() -> Iterator[None]:
    """Discord's final answers become one ``ChatError`` for the operator, here and only here.

    Transient trouble (rate limits, 5xx, dropped gateway connections) never gets this far:
    discord.py retries and reconnects by itself.
    """
    try:
        yield
    except discord.LoginFailure as exc:
        raise ChatError("Discord rejected DISCORD_TOKEN; copy the bot token again") from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ChatError(f"Discord refused the gateway intents: {exc}") from exc
    except app_commands.CommandSyncFailure as exc:
        raise ChatError(f"Discord refused the command list: {exc}") from exc
    except discord.HTTPException as exc:
        raise ChatError(f"Discord refused: {exc.status} {exc.text}") from exc
    except (OSError, aiohttp.ClientError) as exc:
        raise ChatError(f"cannot reach Discord: {exc}") from exc
