"""Why a source's next poll is when it is; until when a watch is paused.

`sources.next_poll_reason` ("interval 5m", "publisher's max-age 1h", "back-off after 3 failures
in a row") is shown by `sources list`; `watches.paused_until` lets `/watch pause 12 for 2h`
resume by itself.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("next_poll_reason", sa.Text, nullable=False, server_default="")
        )
    with op.batch_alter_table("watches") as batch:
        batch.add_column(sa.Column("paused_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("watches") as batch:
        batch.drop_column("paused_until")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("next_poll_reason")
