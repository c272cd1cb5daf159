"""feed and analysis-queue leases: several pollers share one database

A poller leases the due feeds it fetches (``feeds.lease_owner``, ``feeds.lease_expires_at``)
and a drain the queued items it analyses (the same two columns on
``items_analysis_pending``), so concurrent pollers on one PostgreSQL database take disjoint
work; a lease that is not renewed expires and its feeds or items go to the next taker. The
upgrade adds the columns empty (nothing is leased); the downgrade drops them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEASED = ("feeds", "items_analysis_pending")


def upgrade() -> None:
    for table in _LEASED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lease_owner", sa.String(length=128), nullable=True))
            batch_op.add_column(
                sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    for table in _LEASED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lease_expires_at")
            batch_op.drop_column("lease_owner")
