"""items dated by Atom's <updated> when they have no <published>

An item's ``published_at`` is its date: when it was published, else when it was updated (an Atom
entry may carry only the required ``<updated>``). Items stored before this revision kept that
date in ``updated_at`` only and were read as undated (sorted by their fetch time, their stance
evidence dated by the fetch day). The upgrade copies it over for items never revised since they
were stored (a revision sets ``updated_at`` to the time of the change when the entry has no date
of its own) and queues them for analysis, so their stance claims take the date. The downgrade
keeps the dates: they are correct for the code before this revision too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO items_analysis_pending (item_id) SELECT items.id FROM items "
        "WHERE published_at IS NULL AND updated_at IS NOT NULL AND revision = 0 AND NOT EXISTS "
        "(SELECT 1 FROM items_analysis_pending WHERE items_analysis_pending.item_id = items.id)"
    )
    op.execute(
        "UPDATE items SET published_at = updated_at "
        "WHERE published_at IS NULL AND updated_at IS NOT NULL AND revision = 0"
    )


def downgrade() -> None:
    pass
