"""FeedStore: feed rows in and out. Receives a session; the caller commits.

Besides the instance list and the overview, this is the poller's storage: which feeds are due
(read as columns), their state for the decider (``bot.domain.feed_update``), and writing what
it decided back, resuming paused feeds and spreading overdue ones after a restart.

A feed is known by its ``url`` and by the other URLs of ``feed_urls`` (``known_as``): when a
permanent redirect is adopted the old URL stays the feed's, so feeds.yaml and server admins
find it by the URL they gave; a feed that moves onto another feed's URL is merged into it.

Several pollers may share one PostgreSQL database. Each leases the due feeds it fetches
(``lease_due``: one short ``UPDATE`` whose rows are chosen ``FOR UPDATE SKIP LOCKED``, so two
pollers never take the same feed), renews the leases of the feeds still in flight (``renew``)
and releases a feed by writing its outcome (``apply``, in the same transaction as its new fetch
state). A lease that is not renewed (its poller died) expires, and the feed goes to the next
poller that asks. The feed-list writers that every poller runs at start-up (the feeds.yaml
sync, ``spread_due``) take one lock first (``lock_feed_list``), so two pollers starting
together run them one after the other. SQLite has one writer and no SKIP LOCKED; the same
statements run there without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.domain import schedule
from bot.domain.feed_errors import FeedErrorInfo
from bot.domain.feed_status import listed_health
from bot.domain.feed_update import FeedState, FeedUpdate
from bot.domain.health import Health
from bot.domain.model import FeedSource, FeedStatus
from bot.storage.position_queue import PositionQueue
from bot.storage.schema import Feed, FeedUrl, GuildFeed, Item

log = logging.getLogger(__name__)

# The key of the advisory lock that serialises the feed-list writers of start-up (any 64-bit
# number no other lock of the database uses: "policybot feeds" in ASCII, cut to 8 bytes).
FEED_LIST_LOCK_KEY = 0x706F6C6963796266


@dataclass(frozen=True, slots=True)
class FeedOverview:
    """A feed's description, health and schedule, for ``feeds list`` and OPML export."""

    id: int
    url: str
    title: str
    site_url: str | None
    kind: str | None
    in_instance_list: bool
    guild_count: int
    status: FeedStatus
    consecutive_errors: int
    last_error: FeedErrorInfo | None
    last_success_at: datetime | None
    last_checked_at: datetime | None
    next_check_at: datetime | None
    item_count: int

    @property
    def health(self) -> str:
        return listed_health(
            self.status,
            consecutive_errors=self.consecutive_errors,
            checked=self.last_checked_at is not None,
        )

    @property
    def followed(self) -> bool:
        """False once it left feeds.yaml and no server follows it (its items are kept)."""
        return self.in_instance_list or self.guild_count > 0


@dataclass(frozen=True, slots=True)
class DueFeed:
    """What a poll cycle needs from a feed row before any network I/O."""

    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval_minutes: int | None


@dataclass(frozen=True, slots=True)
class FeedSyncResult:
    """What a feeds.yaml sync changed, by URL."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]


# The columns feeds.yaml describes (``_description``'s keys), and the URL to match rows by.
_DESCRIBED = (
    Feed.url,
    Feed.title,
    Feed.kind,
    Feed.jurisdictions,
    Feed.tags,
    Feed.interval_minutes,
    Feed.in_instance_list,
)


class FeedStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Rows read by states_for_update, held so apply() finds them in the identity map.
        self._for_update: dict[int, Feed] = {}

    async def overview(self) -> list[FeedOverview]:
        guilds = select(func.count()).where(GuildFeed.feed_id == Feed.id).scalar_subquery()
        items = select(func.count()).where(Item.feed_id == Feed.id).scalar_subquery()
        rows = await self._session.execute(select(Feed, guilds, items).order_by(Feed.id))
        return [
            FeedOverview(
                id=feed.id,
                url=feed.url,
                title=feed.title,
                site_url=feed.site_url,
                kind=feed.kind,
                in_instance_list=feed.in_instance_list,
                guild_count=guild_count,
                status=FeedStatus(feed.status),
                consecutive_errors=feed.consecutive_errors,
                last_error=last_error_of(feed),
                last_success_at=feed.last_success_at,
                last_checked_at=feed.last_checked_at,
                next_check_at=feed.next_check_at,
                item_count=item_count,
            )
            for feed, guild_count, item_count in rows
        ]

    async def sync_instance_list(
        self, sources: Sequence[FeedSource], *, now: datetime
    ) -> FeedSyncResult:
        """Make the instance list in the database match ``sources``.

        Feeds dropped from the file leave the instance list but keep their rows and items:
        servers may still follow them, and the archive is never thrown away.

        The comparison reads plain columns (every ``poll --once`` syncs, and a thousand ORM
        rows cost it 100 ms); only feeds that changed are loaded as ORM objects. Concurrent
        syncs (pollers starting together) run one after the other (``lock_feed_list``).
        """
        await self.lock_feed_list()  # another poller's sync would add the same new URLs
        wanted = {source.url: source for source in sources}
        rows = (await self._session.execute(select(Feed.id, *_DESCRIBED).order_by(Feed.id))).all()
        existing = {row.url: row for row in rows}
        by_id = {row.id: row for row in rows}
        for url, feed_id in await self._session.execute(select(FeedUrl.url, FeedUrl.feed_id)):
            if feed_id in by_id:  # the URL a moved feed was given by finds it
                existing.setdefault(url, by_id[feed_id])
        added: list[str] = []
        updated: dict[int, FeedSource] = {}
        removed: dict[int, str] = {}
        listed: set[int] = set()
        for url, source in wanted.items():
            row = existing.get(url)
            if row is None:
                self._session.add(_new_feed(source, now))
                added.append(url)
                continue
            if row.id in listed:
                log.warning("feeds file lists one feed twice url=%s feed_url=%s", url, row.url)
                continue
            listed.add(row.id)
            if any(getattr(row, name) != value for name, value in _description(source).items()):
                updated[row.id] = source
        for row in rows:
            if row.in_instance_list and row.id not in listed:
                removed[row.id] = row.url
        if updated or removed:
            changed = select(Feed).where(Feed.id.in_([*updated, *removed]))
            for feed in await self._session.scalars(changed):
                if feed.id in updated:
                    _describe(feed, updated[feed.id])
                else:
                    feed.in_instance_list = False
        await self._session.flush()
        return FeedSyncResult(
            tuple(added),
            tuple(source.url for source in updated.values()),
            tuple(removed.values()),
        )

    async def lease_due(
        self,
        *,
        owner: str,
        now: datetime,
        leased_at: datetime,
        until: datetime,
        limit: int,
        after_id: int = 0,
        only_due: bool = True,
    ) -> list[DueFeed]:
        """Lease up to ``limit`` feeds to ``owner`` until ``until``, by id from ``after_id``
        on: those due at the cycle's clock ``now`` (or every active one), never paused, that
        nobody holds at ``leased_at`` (no lease, or an expired one). A cycle walks the feeds
        once, each batch after the last one's highest id.

        One statement: the rows are picked ``FOR UPDATE SKIP LOCKED``, so a concurrent leaser
        skips them (and the rows it picked are skipped here) instead of waiting; the caller
        commits at once. The feeds' fetch state comes back with the lease.
        """
        unleased = or_(Feed.lease_expires_at.is_(None), Feed.lease_expires_at <= leased_at)
        wanted = [Feed.id > after_id, Feed.status != FeedStatus.PAUSED, _followed(), unleased]
        if only_due:
            wanted.append(_due(now))
        chosen = (
            select(Feed.id)
            .where(*wanted)
            .order_by(Feed.id)
            .limit(limit)
            .with_for_update(of=Feed, skip_locked=True)
        )
        statement = (
            update(Feed)
            .where(Feed.id.in_(chosen.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=until)
            .returning(
                Feed.id,
                Feed.url,
                Feed.title,
                Feed.etag,
                Feed.last_modified,
                Feed.body_hash,
                Feed.interval_minutes,
            )
            .execution_options(synchronize_session=False)
        )
        rows = (await self._session.execute(statement)).all()
        return sorted((DueFeed(*row) for row in rows), key=lambda feed: feed.id)

    async def count_due(self, *, now: datetime, only_due: bool = True) -> int:
        """How many feeds a cycle at ``now`` would poll, leased or not (a progress bar's total)."""
        query = select(func.count()).where(Feed.status != FeedStatus.PAUSED, _followed())
        if only_due:
            query = query.where(_due(now))
        return int(await self._session.scalar(query) or 0)

    async def renew(self, ids: Sequence[int], *, owner: str, until: datetime) -> set[int]:
        """Extend ``owner``'s leases on these feeds to ``until``; the ids it still held.

        Rows another transaction has locked are skipped, not waited for: the writer storing
        them (whose write ends the lease anyway) or a poller taking over a lapsed lease. A
        renewal never waits, so it never deadlocks with a writer's batch.
        """
        if not ids:
            return set()
        held = (
            select(Feed.id)
            .where(Feed.id.in_(list(ids)), Feed.lease_owner == owner)
            .with_for_update(of=Feed, skip_locked=True)
        )
        statement = (
            update(Feed)
            .where(Feed.id.in_(held.scalar_subquery()))
            .values(lease_expires_at=until)
            .returning(Feed.id)
            .execution_options(synchronize_session=False)
        )
        return set((await self._session.scalars(statement)).all())

    async def release(self, ids: Sequence[int], *, owner: str) -> int:
        """Give up ``owner``'s leases on these feeds unwritten (a cycle that stopped early): the
        next poller takes them at once instead of after the lease time; how many it held."""
        if not ids:
            return 0
        statement = (
            update(Feed)
            .where(Feed.id.in_(list(ids)), Feed.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def lease_owners(self, *, now: datetime) -> set[str]:
        """The pollers holding a lease on some feed at ``now``."""
        query = select(Feed.lease_owner).where(Feed.lease_expires_at > now).distinct()
        return {owner for owner in await self._session.scalars(query) if owner is not None}

    async def release_owners(self, owners: Sequence[str]) -> int:
        """Drop every lease these (dead) pollers hold; how many feeds they held."""
        if not owners:
            return 0
        statement = (
            update(Feed)
            .where(Feed.lease_owner.in_(list(owners)))
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def lock_feed_list(self) -> None:
        """Wait for (and hold until this transaction ends) the lock of the feed-list writers
        that pollers run at start-up, before their first read.

        PostgreSQL: an advisory transaction lock. SQLite: its one write lock, taken at once by
        a write that changes nothing (as ``BEGIN IMMEDIATE`` would); its reads would otherwise
        run before the transaction begins, and a concurrent sync add the same URLs.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LIST_LOCK_KEY}
            )
        else:
            await self._session.execute(text("UPDATE feeds SET id = id WHERE 0"))

    async def states_for_update(self, ids: Sequence[int]) -> dict[int, FeedState]:
        """The decider's view of these feeds, read in the transaction that will apply it."""
        rows = (await self._session.scalars(select(Feed).where(Feed.id.in_(ids)))).all()
        self._for_update.update((feed.id, feed) for feed in rows)
        return {feed.id: _state(feed) for feed in rows}

    async def apply(self, update: FeedUpdate, *, lease_owner: str | None = None) -> str:
        """Write what the decider decided; the feed's URL afterwards (a redirect may move it).

        The write releases ``lease_owner``'s lease on the feed; a lease another poller holds
        (this one's expired and was taken over) stays that poller's.
        """
        new = update.feed
        feed = self._for_update.get(new.id)
        if feed is None:
            feed = await self._session.get_one(Feed, new.id)
        if lease_owner is not None and feed.lease_owner == lease_owner:
            feed.lease_owner = None
            feed.lease_expires_at = None
        feed.title = new.title
        feed.site_url = new.site_url
        feed.etag = new.etag
        feed.last_modified = new.last_modified
        feed.body_hash = new.body_hash
        feed.ttl_minutes = new.ttl_minutes
        feed.redirect_url = new.redirect_url
        feed.redirect_count = new.redirect_count
        feed.status = new.health.status
        feed.consecutive_errors = new.health.consecutive_errors
        feed.next_check_at = new.next_check_at
        feed.last_checked_at = new.last_checked_at
        feed.last_success_at = new.last_success_at
        if new.last_error is not None:  # the decider never clears an error, only replaces it
            feed.last_error_kind = new.last_error.kind
            feed.last_error_status = new.last_error.status
            feed.last_error = new.last_error.reason
            feed.last_error_at = new.last_error_at
        feed.fetch_count = new.fetch_count
        feed.error_count = new.error_count
        if update.adopt_url is not None:
            feed = await self._adopt(feed, update.adopt_url)
        return feed.url

    async def _adopt(self, feed: Feed, url: str) -> Feed:
        """Move ``feed`` to ``url``, keeping its old URL as one it is known by; the feed that
        holds the poll afterwards (another feed already known by ``url``, merged into)."""
        owner = await self._session.scalar(select(Feed.id).where(known_as(url)))
        if owner is not None and owner != feed.id:
            return await self._merge(feed, owner)
        log.info("feed moved url=%s new_url=%s", feed.url, url)
        if owner == feed.id:  # back to a URL it had before
            await self._session.execute(delete(FeedUrl).where(FeedUrl.url == url))
        self._session.add(FeedUrl(url=feed.url, feed_id=feed.id))
        feed.url = url
        feed.redirect_url = None
        feed.redirect_count = 0
        return feed

    async def _merge(self, moved: Feed, into_id: int) -> Feed:
        """``moved`` now leads to the feed ``into_id``: one feed from now on.

        The merged feed takes ``moved``'s URLs, the items it does not have yet (by key: a story
        both stored stays once) and the servers that followed only ``moved``; it joins the
        instance list if ``moved`` was on it. ``moved``'s row goes, and with it its duplicate
        items. The merged feed's own fetch state is kept.
        """
        into = self._for_update.get(into_id)
        if into is None:
            into = await self._session.get_one(Feed, into_id)
        session = self._session
        await session.flush()  # ``moved``'s changes first: the statements below read the rows
        await session.execute(
            update(FeedUrl).where(FeedUrl.feed_id == moved.id).values(feed_id=into.id)
        )
        session.add(FeedUrl(url=moved.url, feed_id=into.id))
        theirs = aliased(Item)
        items = await session.execute(
            update(Item)
            .where(
                Item.feed_id == moved.id,
                Item.key.not_in(select(theirs.key).where(theirs.feed_id == into.id)),
            )
            .values(feed_id=into.id)
            .execution_options(synchronize_session=False)
        )
        followers = select(GuildFeed.guild_id).where(GuildFeed.feed_id == into.id)
        await session.execute(
            update(GuildFeed)
            .where(GuildFeed.feed_id == moved.id, GuildFeed.guild_id.not_in(followers))
            .values(feed_id=into.id)
            .execution_options(synchronize_session=False)
        )
        if moved.in_instance_list and not into.in_instance_list:
            for attribute in ("title", "kind", "jurisdictions", "tags", "interval_minutes"):
                setattr(into, attribute, getattr(moved, attribute))
            into.in_instance_list = True
        log.info(
            "feed merged url=%s into=%s items_moved=%d",
            moved.url,
            into.url,
            getattr(items, "rowcount", -1),
        )
        self._for_update.pop(moved.id, None)
        await PositionQueue(session).add_feed_items(moved.id)  # the claims that go with them
        await session.delete(moved)  # its remaining items and follows go with it (cascade)
        await session.flush()
        return into

    async def resume(self, reference: str, *, now: datetime) -> str | None:
        """Un-pause a feed (by id or URL) and make it due now; its URL, or None if unknown."""
        query = select(Feed).where(
            Feed.id == int(reference) if reference.isdigit() else known_as(reference)
        )
        feed = (await self._session.scalars(query)).one_or_none()
        if feed is None:
            return None
        feed.status = FeedStatus.OK
        feed.consecutive_errors = 0
        feed.next_check_at = now
        log.info("feed resumed url=%s", feed.url)
        return feed.url

    async def spread_due(
        self, *, now: datetime, policy: schedule.SchedulePolicy, jitter: Callable[[], float]
    ) -> int:
        """After a restart, scatter overdue feeds over one interval; feeds never fetched stay
        due, so a fresh install fetches them in its first cycle.

        Feeds another poller holds a lease on are in flight and stay as they are. Pollers
        starting together spread one after the other (``lock_feed_list``), and the second
        finds nothing overdue left: no feed is spread twice.
        """
        await self.lock_feed_list()
        feeds = (
            await self._session.scalars(
                select(Feed).where(
                    Feed.status != FeedStatus.PAUSED,
                    _followed(),
                    _due(now),
                    Feed.last_checked_at.is_not(None),
                    or_(Feed.lease_expires_at.is_(None), Feed.lease_expires_at <= now),
                )
            )
        ).all()
        for feed in feeds:
            feed.next_check_at = schedule.spread_first_check(
                now=now, interval=policy.interval_for(feed.interval_minutes), jitter=jitter()
            )
        return len(feeds)


def last_error_of(feed: Feed) -> FeedErrorInfo | None:
    """A feed row's last error as a value; None if it has none (or no kind, from before 0004)."""
    if feed.last_error_kind is None or feed.last_error is None:
        return None
    return FeedErrorInfo(feed.last_error_kind, feed.last_error, feed.last_error_status)


def _state(feed: Feed) -> FeedState:
    return FeedState(
        id=feed.id,
        url=feed.url,
        title=feed.title,
        site_url=feed.site_url,
        interval_minutes=feed.interval_minutes,
        etag=feed.etag,
        last_modified=feed.last_modified,
        body_hash=feed.body_hash,
        ttl_minutes=feed.ttl_minutes,
        redirect_url=feed.redirect_url,
        redirect_count=feed.redirect_count or 0,
        health=Health(FeedStatus(feed.status), feed.consecutive_errors or 0),
        next_check_at=feed.next_check_at,
        last_checked_at=feed.last_checked_at,
        last_success_at=feed.last_success_at,
        last_error=last_error_of(feed),
        last_error_at=feed.last_error_at,
        fetch_count=feed.fetch_count or 0,
        error_count=feed.error_count or 0,
    )


def known_as(url: str) -> ColumnElement[bool]:
    """The feed whose URL is ``url``, or that was given, or moved from, ``url``."""
    return or_(Feed.url == url, Feed.id.in_(select(FeedUrl.feed_id).where(FeedUrl.url == url)))


def _followed() -> ColumnElement[bool]:
    """Feeds someone reads: on the instance list or followed by a server. Others stop."""
    return or_(
        Feed.in_instance_list.is_(True),
        exists().where(GuildFeed.feed_id == Feed.id),
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(Feed.next_check_at.is_(None), Feed.next_check_at <= now)


def _new_feed(source: FeedSource, now: datetime) -> Feed:
    feed = Feed(
        url=source.url,
        created_at=now,
    )
    _describe(feed, source)
    return feed


def _description(source: FeedSource) -> dict[str, object]:
    """What feeds.yaml says about a feed, as the row's attributes (and its columns) hold it."""
    return {
        "title": source.name,
        "kind": source.kind.value,
        "jurisdictions": list(source.jurisdictions),
        "tags": list(source.tags),
        "interval_minutes": source.interval_minutes,
        "in_instance_list": True,
    }


def _describe(feed: Feed, source: FeedSource) -> None:
    """Copy the file's description onto the row."""
    for attribute, value in _description(source).items():
        if getattr(feed, attribute, None) != value:
            setattr(feed, attribute, value)
