"""Each poll's outcome, for the console's health history; deliveries indexed by watch and day.

`source_polls` holds one row per poll (when, ok or not, the status line, the error, how many
new items), kept `[archive] poll_history` (7 days) and going with its source. The index on
`deliveries (watch_id, created_at)` lets the console count a page of watches' matches per day
without reading the whole outbox. Existing databases start with an empty history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_polls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("sources.id", ondelete="CASCADE", name="fk_source_polls_source"),
            nullable=False,
        ),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("new_items", sa.Integer, nullable=False),
    )
    op.create_index("ix_source_polls_source_at", "source_polls", ["source_id", "polled_at"])
    op.create_index("ix_source_polls_at", "source_polls", ["polled_at"])
    op.create_index("ix_deliveries_watch_created", "deliveries", ["watch_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_watch_created", table_name="deliveries")
    op.drop_table("source_polls")
