"""stance positions: each (company, target) pair's weighed position, kept up to date

stance_positions holds what weighing gives for each pair, so ``/stance`` reads a few rows
instead of weighing a common name's thousands of claims per answer; stance_positions_pending
queues the pairs whose claims changed since, in the transaction that changes them, until a
drain stores their new position.

The upgrade creates both tables and queues every pair that has a relevant claim (the next
drain weighs them all; until then answers weigh them live, as before); the downgrade drops
both tables.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stance_positions",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column(
            "label",
            sa.Enum(
                "support",
                "oppose",
                "mixed",
                "neutral",
                name="stancelabel",
                native_enum=False,
                create_constraint=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.String(length=32), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.Column("conflicting", sa.Boolean(), nullable=False),
        sa.Column("shown_claim_ids", sa.JSON(), nullable=False),
        sa.Column("oldest_reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("oldest_claim_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "target_id", name=op.f("pk_stance_positions")),
    )
    op.create_index(op.f("ix_stance_positions_target_id"), "stance_positions", ["target_id"])
    op.create_table(
        "stance_positions_pending",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "company_id", "target_id", name=op.f("pk_stance_positions_pending")
        ),
    )
    op.create_index(
        op.f("ix_stance_positions_pending_target_id"), "stance_positions_pending", ["target_id"]
    )
    op.execute(
        "INSERT INTO stance_positions_pending (company_id, target_id, token) "
        "SELECT DISTINCT company_id, target_id, 'migrated' FROM stance_claims "
        "WHERE is_relevant"
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_stance_positions_pending_target_id"), table_name="stance_positions_pending"
    )
    op.drop_table("stance_positions_pending")
    op.drop_index(op.f("ix_stance_positions_target_id"), table_name="stance_positions")
    op.drop_table("stance_positions")
