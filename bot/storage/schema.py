"""The database schema for the whole product, as typed SQLAlchemy 2 models.

Unique constraints do the de-duplication: one row per feed URL, per (feed, item key),
per (item, company, target, sentence), and per (digest subscription, item) in the digest
ledger, so "a subscription never carries an item twice" is a property of the schema rather
than of the code.

Full-text search lives outside the models because it is dialect-specific: an FTS5 table
kept in step by triggers on SQLite, an expression GIN index on PostgreSQL (see the
initial migration and ``bot.storage.search``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bot.domain.feed_errors import FeedErrorKind
from bot.domain.health import HealthEventKind
from bot.domain.model import (
    Attribution,
    DigestCadence,
    DigestDisposition,
    DigestStatus,
    EntityKind,
    FeedStatus,
    StanceLabel,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Tables and indexes the migrations create by hand, which the models do not describe.
SEARCH_OBJECT_NAMES = frozenset({"items_fts", "ix_items_search"})


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware, on every dialect.

    SQLite has no time zones, so a naive value read back is taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_class: type[Any]) -> Enum:
    """A string column that accepts an enum's values; portable, no native ENUM type."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class Feed(Base):
    """A feed URL, fetched once per due time whichever servers follow it."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    site_url: Mapped[str | None] = mapped_column(String(2048))
    kind: Mapped[str | None] = mapped_column(String(16))
    jurisdictions: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # True while the feed is listed in the instance's feeds.yaml; servers can follow it either way.
    in_instance_list: Mapped[bool] = mapped_column(Boolean, default=False)
    interval_minutes: Mapped[int | None] = mapped_column(Integer)

    # Fetch state: validators echoed back on the next request, and when to ask again.
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # The document's RSS <ttl>, kept for the 304s and unchanged bodies that do not repeat it.
    ttl_minutes: Mapped[int | None] = mapped_column(Integer)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    # A permanent redirect is adopted only after it repeats.
    redirect_url: Mapped[str | None] = mapped_column(String(2048))
    redirect_count: Mapped[int] = mapped_column(Integer, default=0)

    # Health.
    status: Mapped[FeedStatus] = mapped_column(_enum(FeedStatus), default=FeedStatus.OK)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    # The last error: its kind and HTTP status (bot.domain.feed_errors) and the reason, in words.
    last_error_kind: Mapped[FeedErrorKind | None] = mapped_column(_enum(FeedErrorKind))
    last_error_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)

    # The poller fetching the feed now (``hostname:pid:random``) and until when its lease holds;
    # the write of the fetch's outcome clears both. See ``FeedStore.lease_due``.
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]

    created_at: Mapped[datetime]

    items: Mapped[list[Item]] = relationship(back_populates="feed", passive_deletes=True)


class FeedUrl(Base):
    """Another URL a feed is known by: one it was given by (feeds.yaml, a server's admin) or
    fetched at before an adopted permanent redirect moved it, or a merged feed's.

    ``feeds.url`` is where the feed is fetched; a URL is either some feed's ``url`` or one row
    here, never both, so feeds.yaml and ``/feeds add`` find a moved feed by the URL they know.
    """

    __tablename__ = "feed_urls"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)


class Item(Base):
    """One entry of one feed, identified by a key that is stable for that feed."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("feed_id", "key"),
        Index("ix_items_published_at", "published_at"),
        # Digests read the items fetched since their previous run.
        Index("ix_items_fetched_at", "fetched_at"),
        Index("ix_items_url", "url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(512))
    # The item's date: published, else (an Atom entry with only <updated>) its first updated.
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    # How often the content changed after the first fetch; capped for feeds that churn.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # Items from a feed's first fetch are archived but never put in a digest.
    is_backlog: Mapped[bool] = mapped_column(Boolean, default=False)
    # Items reporting the same story share a cluster key (canonical URL or near-duplicate title).
    story_key: Mapped[str | None] = mapped_column(String(128), index=True)

    feed: Mapped[Feed] = relationship(back_populates="items")
    analysis: Mapped[ItemAnalysis | None] = relationship(
        back_populates="item", passive_deletes=True
    )


class ItemAnalysis(Base):
    """What analysis concluded about an item; replaced wholesale by ``policybot reanalyse``."""

    __tablename__ = "item_analyses"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    is_relevant: Mapped[bool] = mapped_column(Boolean, index=True)
    relevance: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    analysed_at: Mapped[datetime]
    # Bumped when the catalog or the rules change, so stale analyses can be found.
    analyser_version: Mapped[str] = mapped_column(String(32))

    item: Mapped[Item] = relationship(back_populates="analysis")


class PendingAnalysis(Base):
    """An item waiting for analysis: queued in the transaction that stores or changes it (or
    when its analysis is from another analyser version), removed in the one that saves its
    analysis. See ``bot.storage.analysis_queue``."""

    __tablename__ = "items_analysis_pending"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    # The drain analysing the item now and until when, so concurrent drains take disjoint
    # batches (``AnalysisQueue.lease_batch``).
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]


class Mention(Base):
    """A company or a law named in an item."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("item_id", "kind", "entity_id"),
        Index("ix_mentions_entity", "kind", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    entity_id: Mapped[str] = mapped_column(String(64))
    surface: Mapped[str] = mapped_column(String(256))
    count: Mapped[int] = mapped_column(Integer, default=1)


# After the company (or target) id, in this order: relevant claims by date, then every other
# column that weighing reads, so the index answers ``/stance`` without reading the table.
_CLAIM_FACTS_AFTER_KEY = (
    "is_relevant",
    "reported_at",
    "id",
    "stance",
    "confidence",
    "attribution",
    "story_key",
    "item_id",
)


class StanceClaim(Base):
    """A company's position on a law, as one sentence of one item shows it.

    ``is_relevant``, ``story_key`` and ``reported_at`` copy the item's verdict, story and date
    when analysis stores the claim (none changes without a new analysis), so ``/stance`` weighs
    a common name's thousands of claims from one of the covering indexes alone, never touching
    the items (``bench/stance.py``).
    """

    __tablename__ = "stance_claims"
    __table_args__ = (
        UniqueConstraint("item_id", "company_id", "target_id", "sentence_index"),
        Index("ix_stance_claims_company", "company_id", *_CLAIM_FACTS_AFTER_KEY, "target_id"),
        Index("ix_stance_claims_target", "target_id", *_CLAIM_FACTS_AFTER_KEY, "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    company_id: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    stance: Mapped[StanceLabel] = mapped_column(_enum(StanceLabel))
    evidence: Mapped[str] = mapped_column(Text)
    sentence_index: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    attribution: Mapped[Attribution] = mapped_column(_enum(Attribution))
    is_relevant: Mapped[bool] = mapped_column(Boolean)
    story_key: Mapped[str] = mapped_column(String(128))  # the item's, or "item:<id>"
    reported_at: Mapped[datetime]  # the item's published_at, else fetched_at


class StancePosition(Base):
    """What ``weigh`` gives for one (company, target) pair, kept so ``/stance`` need not weigh
    a common name's thousands of claims per answer (``bot.storage.positions``).

    Exact while the pair's claims are unchanged (a change queues the pair in
    ``stance_positions_pending``) and its oldest claim is within ``FULL_WEIGHT_FOR`` of the
    answer's ``now``: until then no claim's weight depends on ``now``. ``oldest_*`` name the
    pair's first relevant claim, by report date then id, which also orders equal positions.
    """

    __tablename__ = "stance_positions"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    label: Mapped[StanceLabel] = mapped_column(_enum(StanceLabel))
    # ``repr`` of the float: SQLite's REAL loses the sign of -0.0, which "score -0.00" shows.
    score: Mapped[str] = mapped_column(String(32))
    reports: Mapped[int] = mapped_column(Integer)
    changed: Mapped[bool] = mapped_column(Boolean)
    conflicting: Mapped[bool] = mapped_column(Boolean)
    shown_claim_ids: Mapped[list[int]] = mapped_column(JSON)  # ``Weighed.shown``, in order
    oldest_reported_at: Mapped[datetime]
    oldest_claim_id: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime]


class PendingPosition(Base):
    """A (company, target) pair whose claims changed since its position was weighed: queued
    in the transaction that changes them, removed in the one that stores the new position.

    ``token`` is new at every change, so a refresh that read the claims before a change
    never removes the pair (``PositionQueue.finish``); a lease keeps concurrent refreshes of
    several pollers on disjoint pairs.
    """

    __tablename__ = "stance_positions_pending"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    token: Mapped[str] = mapped_column(String(32))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]


class Guild(Base):
    """A Discord server and its settings (``/settings``). Ids are Discord snowflakes."""

    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100), default="")
    # The default IANA timezone of the server's digests (None: POLICYBOT_TIMEZONE).
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Where policybot tells the server's admins about problems (feed health, a paused digest).
    admin_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    min_relevance: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class GuildFeed(Base):
    """A feed a server follows on top of, or instead of, the instance list."""

    __tablename__ = "guild_feeds"

    guild_id: Mapped[int] = mapped_column(
        ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime]


class DigestSubscription(Base):
    """A digest a server's admins set up: which channel, how often, when, about what.

    The database is the truth; the scheduler's jobs are rebuilt from these rows. A paused
    subscription (by an admin, or because Discord refused its channel with a 403 or 404) is
    not scheduled; ``failures`` and ``retry_at`` track a run that hit a transient error.
    """

    __tablename__ = "digest_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    cadence: Mapped[DigestCadence] = mapped_column(_enum(DigestCadence))
    time_of_day: Mapped[str] = mapped_column(String(5))  # "HH:MM", 24-hour, local time
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday; weekly digests only
    # An IANA name; None follows the server's timezone, then POLICYBOT_TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(String(64))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)  # catalog ids, jurisdictions
    max_stories: Mapped[int] = mapped_column(Integer)
    paused_at: Mapped[datetime | None]
    paused_reason: Mapped[str | None] = mapped_column(Text)
    # A run that failed for a reason that may pass (5xx, 429, timeout): retried with backoff.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_reason: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None]
    # The ``now`` of the last run that completed (what "new since the previous run" means).
    last_run_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The lease on running it: the run holding it (a token naming its process) and until when.
    # With several bot processes each run is composed and posted by the one holding it.
    run_owner: Mapped[str | None] = mapped_column(String(96))
    run_lease_until: Mapped[datetime | None]


class Digest(Base):
    """One run of a subscription: composed, then sent part by part until posted.

    ``plan`` is the composed digest (``bot.domain.digest.codec``), so a run interrupted
    between parts renders the same messages again and resumes at part ``parts_sent``.
    """

    __tablename__ = "digests"
    __table_args__ = (
        Index("ix_digests_guild_created", "guild_id", "created_at"),
        Index("ix_digests_subscription_status", "subscription_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE")
    )
    channel_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[DigestStatus] = mapped_column(_enum(DigestStatus), default=DigestStatus.PENDING)
    # Deferred: each part's record reads the run, and decoding its plan (a whole digest)
    # there was event-loop time for nothing; the runs that resume read it (``undefer``).
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    parts_total: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]  # the composition's ``now``
    posted_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class DigestEntry(Base):
    """The ledger: what each subscription did with each item, and in which message.

    Written in the transaction that records Discord's acceptance of the part carrying the
    item (its message id), never before. One row per (subscription, item), ever: two
    subscriptions of a server may carry the same item, one never carries it twice.
    """

    __tablename__ = "digest_entries"
    __table_args__ = (UniqueConstraint("subscription_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE")
    )
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    disposition: Mapped[DigestDisposition] = mapped_column(_enum(DigestDisposition))
    part: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # None: covered or counted


class HealthNotice(Base):
    """A feed-health event owed to one server's admin channel.

    Written in the transaction that stores the feed's new state (one row per server that
    added the feed itself), so the process that tells admins need not be the one that polls.
    A teller claims rows for a while (``claimed_by``/``claimed_until``), tells them, and sets
    ``told_at``; a claim whose teller died expires and the row is told by another.
    """

    __tablename__ = "health_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"), index=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    kind: Mapped[HealthEventKind] = mapped_column(_enum(HealthEventKind))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]  # when the feed changed
    claimed_by: Mapped[str | None] = mapped_column(String(96))
    claimed_until: Mapped[datetime | None]
    told_at: Mapped[datetime | None] = mapped_column(index=True)
