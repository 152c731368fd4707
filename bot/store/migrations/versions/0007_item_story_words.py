"""Each archived item keeps its story words, so a restart rebuilds the story index quickly.

`items.story_words` holds the stemmed content words of the item's title and lede that story
clustering compares (`bot.core.cluster.story_words`), space-separated, written with the item's
cluster. At start the bot reads them back for the items of the story window instead of working
them out again from every item's text (about 0.2 ms an item: 4 s for 20,000 items). Items
archived before this revision have none (NULL) and are worked out from their text as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# "never": a plain ALTER TABLE, so SQLite keeps `items` (its AUTOINCREMENT, 0002, and the
# full-text triggers) as it is; dropping the column needs SQLite 3.35 or later.


def upgrade() -> None:
    with op.batch_alter_table("items", recreate="never") as batch:
        batch.add_column(sa.Column("story_words", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items", recreate="never") as batch:
        batch.drop_column("story_words")
