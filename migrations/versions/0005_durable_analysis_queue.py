"""items_analysis_pending: "needs analysis" is durable, like the search queue

An item is queued in the transaction that stores or changes it (``ItemStore.save``) and
leaves the queue in the transaction that saves its analysis, so a crash or a failed analysis
in between leaves it queued for the next drain (after each cycle and at start-up). The same
table and statements serve SQLite and PostgreSQL; no triggers. The upgrade queues every item
that has no analysis yet; the downgrade drops the queue (items still in it stay unanalysed
until ``policybot reanalyse``, as before).

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "items_analysis_pending",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_items_analysis_pending_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_items_analysis_pending")),
    )
    op.execute(
        "INSERT INTO items_analysis_pending (item_id) SELECT items.id FROM items "
        "WHERE NOT EXISTS (SELECT 1 FROM item_analyses WHERE item_analyses.item_id = items.id)"
    )


def downgrade() -> None:
    op.drop_table("items_analysis_pending")
