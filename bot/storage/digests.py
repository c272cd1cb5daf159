"""DigestStore: subscriptions, their runs, the ledger, and what a digest is composed from.

Receives a session and never commits: the facade owns the transaction. Every subscription
query is scoped by guild where a server asks, so one server never sees another's digests.
The ledger is written by ``record_part`` only, in the transaction that stores the message id
Discord returned for that part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, CursorResult, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from bot.domain.digest.cadence import Cadence
from bot.domain.digest.compose import Candidate, CandidateClaim, story_keys
from bot.domain.digest.subscription import CheckedRequest, Subscription
from bot.domain.digest.topics import Topics
from bot.domain.model import (
    DigestDisposition,
    DigestStatus,
    EntityKind,
    FeedKind,
    FeedStatus,
)
from bot.storage.schema import (
    Digest,
    DigestEntry,
    DigestSubscription,
    Feed,
    Guild,
    GuildFeed,
    Item,
    ItemAnalysis,
    Mention,
    StanceClaim,
)

# Items per IN (...) list: well under SQLite's and asyncpg's bound-parameter limits.
_CHUNK = 5000
_SHOWN = frozenset({DigestDisposition.POSTED, DigestDisposition.LISTED})  # with a message id
# How far back the ledger is read for stories already posted: clustering links reports of one
# story published within a few days of each other, so older posts cannot match a new item.
POSTED_STORY_WINDOW = timedelta(days=14)


class DigestStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- subscriptions -------------------------------------------------------------------

    async def add(
        self, guild_id: int, checked: CheckedRequest, *, created_by: int | None, now: datetime
    ) -> Subscription:
        row = DigestSubscription(
            guild_id=guild_id,
            channel_id=checked.channel_id,
            cadence=checked.cadence.kind,
            time_of_day=checked.cadence.time_of_day,
            weekday=checked.cadence.weekday,
            timezone=checked.timezone,
            topics=list(checked.topics.tokens()),
            max_stories=checked.max_stories,
            failures=0,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return subscription_of(row)

    async def row(
        self, subscription_id: int, *, guild_id: int | None = None
    ) -> DigestSubscription | None:
        row = await self._session.get(DigestSubscription, subscription_id)
        if row is None or (guild_id is not None and row.guild_id != guild_id):
            return None
        return row

    async def get(
        self, subscription_id: int, *, guild_id: int | None = None
    ) -> Subscription | None:
        row = await self.row(subscription_id, guild_id=guild_id)
        return None if row is None else subscription_of(row)

    async def of_guild(self, guild_id: int) -> list[Subscription]:
        rows = await self._session.scalars(
            select(DigestSubscription)
            .where(DigestSubscription.guild_id == guild_id)
            .order_by(DigestSubscription.id)
        )
        return [subscription_of(row) for row in rows]

    async def every(self) -> list[tuple[Subscription, str | None]]:
        """Every subscription with its server's default timezone (for the scheduler)."""
        statement = (
            select(DigestSubscription, Guild.timezone)
            .join(Guild, Guild.id == DigestSubscription.guild_id)
            .order_by(DigestSubscription.id)
        )
        # Streamed in partitions: the refresh reads every subscription each few minutes, and
        # converting a thousand rows in one piece would stall the event loop Discord shares.
        found: list[tuple[Subscription, str | None]] = []
        async for partition in (await self._session.stream(statement)).partitions(_PARTITION):
            found.extend((subscription_of(row), timezone) for row, timezone in partition)
        return found

    async def remove(self, subscription_id: int, *, guild_id: int) -> bool:
        row = await self.row(subscription_id, guild_id=guild_id)
        if row is None:
            return False
        await self._session.delete(row)
        await self._session.flush()
        return True

    async def pause(self, subscription_id: int, *, reason: str, now: datetime) -> bool:
        """Pause with ``reason``; False when it was paused already (so it is said once)."""
        row = await self.row(subscription_id)
        if row is None or row.paused_reason is not None:
            return False
        row.paused_reason = reason
        row.paused_at = now
        row.updated_at = now
        return True

    async def resume(self, subscription_id: int, *, now: datetime) -> bool:
        row = await self.row(subscription_id)
        if row is None or row.paused_reason is None:
            return False
        row.paused_reason = None
        row.paused_at = None
        row.failures = 0
        row.failing_reason = None
        row.retry_at = None
        row.updated_at = now
        return True

    async def record_failure(
        self, subscription_id: int, *, reason: str, retry_at: datetime, now: datetime
    ) -> int:
        """One more transient failure in a row; how many there have been."""
        row = await self.row(subscription_id)
        if row is None:
            return 0
        row.failures = (row.failures or 0) + 1
        row.failing_reason = reason
        row.retry_at = retry_at
        row.last_result = f"interrupted: {reason}; retrying"
        row.updated_at = now
        return row.failures

    async def record_result(
        self, subscription_id: int, *, result: str, ran_at: datetime | None, now: datetime
    ) -> None:
        """A run that completed: its result, and (when it composed a digest) its ``now``."""
        row = await self.row(subscription_id)
        if row is None:
            return
        row.last_result = result
        if ran_at is not None:
            row.last_run_at = ran_at
        row.failures = 0
        row.failing_reason = None
        row.retry_at = None
        row.updated_at = now

    # -- the run lease -------------------------------------------------------------------

    async def take_run_lease(
        self, subscription_id: int, *, owner: str, now: datetime, until: datetime
    ) -> datetime | None:
        """Take the subscription's run lease unless a live one is held; None when taken,
        else when the holder's lease ends. One conditional UPDATE: on PostgreSQL a
        concurrent taker waits for the row and then finds it held."""
        taken = await self._session.execute(
            update(DigestSubscription)
            .where(
                DigestSubscription.id == subscription_id,
                or_(
                    DigestSubscription.run_lease_until.is_(None),
                    DigestSubscription.run_lease_until <= now,
                ),
            )
            .values(run_owner=owner, run_lease_until=until)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(taken) == 1:
            return None
        held = await self._session.scalar(
            select(DigestSubscription.run_lease_until).where(
                DigestSubscription.id == subscription_id
            )
        )
        return held or now  # a subscription removed meanwhile: nothing to wait for

    async def renew_run_lease(self, subscription_id: int, *, owner: str, until: datetime) -> bool:
        """Extend the lease while ``owner`` still holds it; False when it was lost."""
        renewed = await self._session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id == subscription_id, DigestSubscription.run_owner == owner)
            .values(run_lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(renewed) == 1

    async def release_run_lease(self, subscription_id: int, *, owner: str) -> None:
        await self._session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id == subscription_id, DigestSubscription.run_owner == owner)
            .values(run_owner=None, run_lease_until=None)
            .execution_options(synchronize_session=False)
        )

    # -- runs ----------------------------------------------------------------------------

    async def pending_run(self, subscription_id: int) -> Digest | None:
        return await self._session.scalar(
            select(Digest)
            .options(undefer(Digest.plan))
            .where(Digest.subscription_id == subscription_id, Digest.status == DigestStatus.PENDING)
            .order_by(Digest.id)
            .limit(1)
        )

    async def pending_runs(self) -> list[Digest]:
        """Every run still pending, oldest first (resumed at start-up)."""
        rows = await self._session.scalars(
            select(Digest)
            .options(undefer(Digest.plan))
            .where(Digest.status == DigestStatus.PENDING)
            .order_by(Digest.id)
        )
        return list(rows)

    async def create_run(
        self,
        subscription: Subscription,
        *,
        plan: dict[str, Any],
        parts_total: int,
        now: datetime,
    ) -> Digest:
        run = Digest(
            guild_id=subscription.guild_id,
            subscription_id=subscription.id,
            channel_id=subscription.channel_id,
            status=DigestStatus.PENDING,
            plan=plan,
            parts_total=parts_total,
            parts_sent=0,
            attempts=0,
            created_at=now,
        )
        self._session.add(run)
        await self._session.flush()
        return run

    async def record_part(
        self,
        run_id: int,
        part: int,
        *,
        message_id: int | None,
        entries: Mapping[int, DigestDisposition],
        now: datetime,
    ) -> Digest:
        """Discord accepted ``part`` as ``message_id``: its ledger rows, and the run moves on.

        A row the ledger has already (the same item in an earlier part) is left as it is.
        """
        run = await self._session.get(Digest, run_id, with_for_update=True)
        if run is None:
            raise LookupError(f"digest run {run_id} is gone")
        if part < run.parts_sent:  # recorded already (another task resumed it first)
            return run
        known = set()
        if entries:
            known = set(
                await self._session.scalars(
                    select(DigestEntry.item_id).where(
                        DigestEntry.subscription_id == run.subscription_id,
                        DigestEntry.item_id.in_(list(entries)),
                    )
                )
            )
        rows = [
            {
                "digest_id": run.id,
                "subscription_id": run.subscription_id,
                "guild_id": run.guild_id,
                "item_id": item_id,
                "disposition": disposition,
                "part": part,
                "message_id": message_id if disposition in _SHOWN else None,
            }
            for item_id, disposition in entries.items()
            if item_id not in known
        ]
        if rows:  # a digest's last part carries hundreds: a few statements, not one per row
            connection = await self._session.connection()
            for start in range(0, len(rows), _LEDGER_ROWS_PER_STATEMENT):
                chunk = rows[start : start + _LEDGER_ROWS_PER_STATEMENT]
                await connection.execute(insert(DigestEntry), chunk)
        run.parts_sent = part + 1
        if run.parts_sent >= run.parts_total:
            run.status = DigestStatus.POSTED
            run.posted_at = now
            run.error = None
        await self._session.flush()
        return run

    async def record_attempt(self, run_id: int, *, error: str | None) -> None:
        run = await self._session.get(Digest, run_id)
        if run is not None:
            run.attempts = (run.attempts or 0) + 1
            run.error = error

    async def give_up(self, run_id: int, *, error: str) -> None:
        """A run Discord will never accept as it is (a 400): failed; its unsent items stay
        out of the ledger, so the next run offers them again."""
        run = await self._session.get(Digest, run_id)
        if run is not None:
            run.status = DigestStatus.FAILED
            run.error = error

    # -- what a digest is composed from ----------------------------------------------------

    async def candidates(
        self,
        *,
        since: datetime,
        until: datetime,
        guild_id: int | None,
        subscription_id: int | None,
        own_feeds_only: bool = False,
    ) -> list[Candidate]:
        """Relevant, non-backlog items fetched in (since, until] from the feeds a server follows
        (the instance list and its own; the instance list alone without ``guild_id``; with
        ``own_feeds_only``, the server's own feeds outside the instance list), and not in the
        subscription's ledger. Oldest first."""
        followed: ColumnElement[bool] = Feed.in_instance_list.is_(True)
        if guild_id is not None:
            own = exists().where(GuildFeed.guild_id == guild_id, GuildFeed.feed_id == Feed.id)
            followed = (~followed & own) if own_feeds_only else or_(followed, own)
        statement = (
            select(
                Item.id,
                Item.title,
                Item.url,
                Item.summary,
                Item.published_at,
                Item.fetched_at,
                Item.story_key,
                Feed.title,
                Feed.url,
                Feed.kind,
                Feed.jurisdictions,
            )
            .join(Feed, Feed.id == Item.feed_id)
            .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .where(
                ItemAnalysis.is_relevant.is_(True),
                Item.is_backlog.is_(False),
                Item.fetched_at > since,
                Item.fetched_at <= until,
                followed,
            )
            .order_by(Item.id)
        )
        if subscription_id is not None:
            statement = statement.where(
                ~exists().where(
                    DigestEntry.subscription_id == subscription_id,
                    DigestEntry.item_id == Item.id,
                )
            )
        # Streamed in partitions: converting a day of rows (dates above all) is CPU work on the
        # event loop, and a busy minute of digests must not stall it in one piece.
        rows: list[Any] = []
        async for partition in (await self._session.stream(statement)).partitions(_PARTITION):
            rows.extend(partition)
        ids = [row[0] for row in rows]
        mentions = await self._mentions(ids)
        claims = await self._claims(ids)
        return [
            Candidate(
                item_id=item_id,
                title=title or "",
                url=url,
                text=summary or "",
                feed_title=feed_title or feed_url,
                feed_kind=_feed_kind(kind),
                feed_jurisdictions=tuple(jurisdictions or ()),
                published_at=published_at,
                fetched_at=fetched_at,
                story_key=story_key,
                law_ids=tuple(mentions.get((item_id, EntityKind.LAW), ())),
                company_ids=tuple(mentions.get((item_id, EntityKind.COMPANY), ())),
                claims=tuple(claims.get(item_id, ())),
            )
            for (
                item_id,
                title,
                url,
                summary,
                published_at,
                fetched_at,
                story_key,
                feed_title,
                feed_url,
                kind,
                jurisdictions,
            ) in rows
        ]

    async def follows_own_feeds(self, guild_id: int) -> bool:
        """Whether the server added feeds of its own (else it reads the instance list alone)."""
        found = await self._session.scalar(select(exists().where(GuildFeed.guild_id == guild_id)))
        return bool(found)

    async def ledgered_since(self, subscription_id: int, *, since: datetime) -> set[int]:
        """The items fetched after ``since`` that the subscription's ledger holds."""
        rows = await self._session.scalars(
            select(DigestEntry.item_id)
            .join(Item, Item.id == DigestEntry.item_id)
            .where(DigestEntry.subscription_id == subscription_id, Item.fetched_at > since)
        )
        return set(rows)

    async def analysis_watermark(self) -> tuple[int, int]:
        """How many items are analysed, and the newest: changes whenever an item is analysed
        for the first time (both from the primary key's index, cheap at any size)."""
        row = (
            await self._session.execute(
                select(func.count(ItemAnalysis.item_id), func.max(ItemAnalysis.item_id))
            )
        ).one()
        return int(row[0] or 0), int(row[1] or 0)

    async def posted_story_keys(self, subscription_id: int, *, now: datetime) -> frozenset[str]:
        """The stories this subscription showed lately (posted or listed), by story key and URL."""
        rows = await self._session.execute(
            select(Item.id, Item.story_key, Item.url)
            .join(DigestEntry, DigestEntry.item_id == Item.id)
            .join(Digest, Digest.id == DigestEntry.digest_id)
            .where(
                DigestEntry.subscription_id == subscription_id,
                DigestEntry.disposition.in_([DigestDisposition.POSTED, DigestDisposition.LISTED]),
                Digest.created_at >= now - POSTED_STORY_WINDOW,
            )
        )
        keys: set[str] = set()
        for item_id, story_key, url in rows:
            keys |= story_keys(story_key, url, item_id=item_id)
        return frozenset(keys)

    async def failing_feed_count(self, guild_id: int | None) -> int:
        """Followed feeds (instance list and the server's own) that are failing or paused."""
        followed: ColumnElement[bool] = Feed.in_instance_list.is_(True)
        if guild_id is not None:
            followed = or_(
                followed,
                exists().where(GuildFeed.guild_id == guild_id, GuildFeed.feed_id == Feed.id),
            )
        count = await self._session.scalar(
            select(func.count()).select_from(Feed).where(followed, Feed.status != FeedStatus.OK)
        )
        return int(count or 0)

    async def feed_jurisdictions(self) -> set[str]:
        """Every jurisdiction label a feed carries (for topics such as ``eu``)."""
        labels: set[str] = set()
        for row in await self._session.scalars(select(Feed.jurisdictions)):
            labels.update(row or ())
        return labels

    async def ledger(self, subscription_id: int) -> list[LedgerRow]:
        """One subscription's ledger, by item."""
        rows = await self._session.execute(
            select(
                DigestEntry.item_id,
                DigestEntry.disposition,
                DigestEntry.part,
                DigestEntry.message_id,
            )
            .where(DigestEntry.subscription_id == subscription_id)
            .order_by(DigestEntry.item_id)
        )
        return [LedgerRow(*row) for row in rows.all()]

    async def _mentions(self, item_ids: Sequence[int]) -> dict[tuple[int, EntityKind], list[str]]:
        found: dict[tuple[int, EntityKind], list[str]] = {}
        for chunk in _chunks(item_ids):
            rows = await self._session.stream(
                select(Mention.item_id, Mention.kind, Mention.entity_id)
                .where(Mention.item_id.in_(chunk))
                .order_by(Mention.item_id, Mention.count.desc(), Mention.id)
            )
            async for partition in rows.partitions(_PARTITION):
                for item_id, kind, entity_id in partition:
                    found.setdefault((item_id, kind), []).append(entity_id)
        return found

    async def _claims(self, item_ids: Sequence[int]) -> dict[int, list[CandidateClaim]]:
        found: dict[int, list[CandidateClaim]] = {}
        for chunk in _chunks(item_ids):
            rows = await self._session.stream(
                select(
                    StanceClaim.item_id,
                    StanceClaim.company_id,
                    StanceClaim.target_id,
                    StanceClaim.stance,
                    StanceClaim.evidence,
                    StanceClaim.confidence,
                    StanceClaim.attribution,
                )
                .where(StanceClaim.item_id.in_(chunk))
                .order_by(StanceClaim.item_id, StanceClaim.sentence_index, StanceClaim.id)
            )
            async for partition in rows.partitions(_PARTITION):
                for (
                    item_id,
                    company,
                    target,
                    stance,
                    evidence,
                    confidence,
                    attribution,
                ) in partition:
                    found.setdefault(item_id, []).append(
                        CandidateClaim(company, target, stance, evidence, confidence, attribution)
                    )
        return found


class LedgerRow(NamedTuple):
    item_id: int
    disposition: DigestDisposition
    part: int
    message_id: int | None


def subscription_of(row: DigestSubscription) -> Subscription:
    hour, minute = (int(part) for part in row.time_of_day.split(":"))
    return Subscription(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        cadence=Cadence(row.cadence, hour, minute, row.weekday),
        timezone=row.timezone,
        topics=Topics.from_tokens(row.topics or ()),
        max_stories=row.max_stories,
        created_at=row.created_at,
        paused_reason=row.paused_reason,
        failing_reason=row.failing_reason,
        failures=row.failures or 0,
        retry_at=row.retry_at,
        last_run_at=row.last_run_at,
        last_result=row.last_result,
    )


def _feed_kind(kind: str | None) -> FeedKind:
    try:
        return FeedKind(kind) if kind else FeedKind.NEWS
    except ValueError:
        return FeedKind.NEWS


def _rowcount(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


_PARTITION = 250
_LEDGER_ROWS_PER_STATEMENT = 100


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])
