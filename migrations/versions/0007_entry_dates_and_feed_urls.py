"""items dated by Atom's <updated>; feed_urls remembers the URLs a moved feed was known by

feed_urls: the other URLs a feed is known by, so a feed moved by an adopted permanent redirect
stays one feed: feeds.yaml and the server admins still name it by the URL they gave, and a feed
that moves onto another feed's URL is merged into it. A URL is either a feed's ``url`` or one
row here. The upgrade creates the table empty (before this revision an adopted redirect
forgot the old URL); the downgrade drops it.

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

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_urls",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_feed_urls_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_feed_urls")),
    )
    op.create_index(op.f("ix_feed_urls_feed_id"), "feed_urls", ["feed_id"], unique=False)
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
    op.drop_index(op.f("ix_feed_urls_feed_id"), table_name="feed_urls")
    op.drop_table("feed_urls")
