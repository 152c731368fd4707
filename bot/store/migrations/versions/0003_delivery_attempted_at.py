"""Deliveries remember when they were first handed to a sender (`attempted_at`).

A retry of a delivery whose earlier attempt may have reached the platform looks for that message
from this moment on (Slack has no idempotency key), instead of posting it again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# "never": a plain ALTER TABLE, so SQLite keeps the table (and its AUTOINCREMENT, 0002) as it is;
# dropping the column needs SQLite 3.35 or later.


def upgrade() -> None:
    with op.batch_alter_table("deliveries", recreate="never") as batch:
        batch.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", recreate="never") as batch:
        batch.drop_column("attempted_at")
