"""Each source's learned boilerplate, and what was taken out of each item as boilerplate.

`source_boilerplate` holds, per source, the shape counts `bot.core.boilerplate_learning` keeps
(a few kilobytes of JSON); it goes with its source. `items.boilerplate` holds the lines and
sentences taken out of an item's summary and content, which `content:` rules still read.
Existing items get an empty `boilerplate`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# "never": a plain ALTER TABLE, so SQLite keeps `items` (its AUTOINCREMENT, 0002, and the
# full-text triggers) as it is; dropping the column needs SQLite 3.35 or later.


def upgrade() -> None:
    with op.batch_alter_table("items", recreate="never") as batch:
        batch.add_column(
            sa.Column("boilerplate", sa.Text, nullable=False, server_default=sa.text("''"))
        )
    op.create_table(
        "source_boilerplate",
        sa.Column(
            "source_id",
            sa.Integer,
            sa.ForeignKey("sources.id", ondelete="CASCADE", name="fk_source_boilerplate_source"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_boilerplate")
    with op.batch_alter_table("items", recreate="never") as batch:
        batch.drop_column("boilerplate")
