"""process roles: digest run leases and feed-health notices kept in the database

digest_subscriptions gains ``run_owner`` and ``run_lease_until``: with several bot processes,
the one holding a subscription's lease composes and posts its run; a lease whose process died
expires. health_notices holds each feed-health event owed to a server's admin channel, written
with the feed's new state, so a bot process other than the poller tells it, once.

The upgrade adds the columns empty and creates the table empty; the downgrade drops them
(notices not yet told are lost, as they were before this revision when a process stopped).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_subscriptions") as table:
        table.add_column(sa.Column("run_owner", sa.String(length=96), nullable=True))
        table.add_column(sa.Column("run_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "health_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "failing",
                "recovered",
                "paused",
                name="healtheventkind",
                native_enum=False,
                create_constraint=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=96), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_health_notices_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["guild_id"],
            ["guilds.id"],
            name=op.f("fk_health_notices_guild_id_guilds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_notices")),
    )
    op.create_index(op.f("ix_health_notices_guild_id"), "health_notices", ["guild_id"])
    op.create_index(op.f("ix_health_notices_told_at"), "health_notices", ["told_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_health_notices_told_at"), table_name="health_notices")
    op.drop_index(op.f("ix_health_notices_guild_id"), table_name="health_notices")
    op.drop_table("health_notices")
    with op.batch_alter_table("digest_subscriptions") as table:
        table.drop_column("run_lease_until")
        table.drop_column("run_owner")
