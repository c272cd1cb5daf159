"""digest subscriptions, runs that resume, and a ledger keyed by (subscription, item)

A server's admins set up digests (``/digest add``): ``digest_subscriptions`` holds each one's
channel, cadence, time, day, timezone, topics and size, whether it is paused or failing and
why, and its last run. A run (``digests``) keeps its composed plan and how many of its parts
Discord accepted, so an interrupted run resumes at the first unsent part. The ledger
(``digest_entries``) is now unique per (subscription, item), not per (guild, item): a daily
and a weekly digest of one server may carry the same item, one subscription never twice; each
row says what the run did with the item (posted, listed, summarised, covered) and in which
part. The server settings keep ``timezone`` and ``admin_channel_id``; the unused
``digest_channel_id`` and ``digest_schedule`` (one digest per server) go. ``items`` gets an
index on ``fetched_at``: a digest reads the items fetched since its previous run.

No released code wrote ``digests`` or ``digest_entries`` before this revision, and a row
without a subscription cannot be resumed or scheduled, so the upgrade empties both. The
downgrade keeps the oldest ledger row of each (guild, item), as the old key requires.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("cadence", _enum("digestcadence", "daily", "weekdays", "weekly"), nullable=False),
        sa.Column("time_of_day", sa.String(length=5), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("max_stories", sa.Integer(), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_reason", sa.Text(), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"],
            ["guilds.id"],
            name=op.f("fk_digest_subscriptions_guild_id_guilds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
    )
    with op.batch_alter_table("digest_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digest_subscriptions_guild_id"), ["guild_id"], unique=False
        )

    op.execute("DELETE FROM digest_entries")
    op.execute("DELETE FROM digests")
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column("parts_total", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False))
        batch_op.create_index(
            "ix_digests_subscription_status", ["subscription_id", "status"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_digests_subscription_id_digest_subscriptions"),
            "digest_subscriptions",
            ["subscription_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("digest_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=False))
        batch_op.add_column(
            sa.Column(
                "disposition",
                _enum("digestdisposition", "posted", "listed", "summarised", "covered"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("part", sa.Integer(), nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_digest_entries_guild_id_item_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_digest_entries_subscription_id_item_id"), ["subscription_id", "item_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_digest_entries_subscription_id_digest_subscriptions"),
            "digest_subscriptions",
            ["subscription_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.drop_column("digest_schedule")
        batch_op.drop_column("digest_channel_id")
    # Not batch mode: recreating ``items`` on SQLite would drop its FTS triggers (0001, 0002).
    op.create_index("ix_items_fetched_at", "items", ["fetched_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_items_fetched_at", table_name="items")
    with op.batch_alter_table("guilds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_channel_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("digest_schedule", sa.String(length=64), nullable=True))

    # The old key is (guild, item): of the rows two subscriptions of a server share, keep one.
    op.execute(
        "DELETE FROM digest_entries WHERE id NOT IN ("
        "SELECT min(id) FROM digest_entries GROUP BY guild_id, item_id)"
    )
    with op.batch_alter_table("digest_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_digest_entries_subscription_id_digest_subscriptions"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("uq_digest_entries_subscription_id_item_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_digest_entries_guild_id_item_id"), ["guild_id", "item_id"]
        )
        batch_op.drop_column("part")
        batch_op.drop_column("disposition")
        batch_op.drop_column("subscription_id")
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_digests_subscription_id_digest_subscriptions"), type_="foreignkey"
        )
        batch_op.drop_index("ix_digests_subscription_status")
        batch_op.drop_column("attempts")
        batch_op.drop_column("parts_sent")
        batch_op.drop_column("parts_total")
        batch_op.drop_column("plan")
        batch_op.drop_column("subscription_id")

    with op.batch_alter_table("digest_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_subscriptions_guild_id"))
    op.drop_table("digest_subscriptions")
