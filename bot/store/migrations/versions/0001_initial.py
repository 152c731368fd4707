"""Initial schema: sources, item archive with full-text search, seen keys, watches, deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE items_fts USING fts5(
        search_text, content='items', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER items_fts_update AFTER UPDATE OF search_text ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]

POSTGRES_FTS = [
    """ALTER TABLE items ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED""",
    "CREATE INDEX ix_items_search_vector ON items USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("interval_s", sa.Integer, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("next_poll_at", TS),
        sa.Column("last_polled_at", TS),
        sa.Column("last_ok_at", TS),
        sa.Column("last_status", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("items_count", sa.Integer, nullable=False),
        sa.Column("disabled_reason", sa.Text, nullable=False),
        sa.Column("baseline_done", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("url", name="uq_sources_url"),
    )
    op.create_index("ix_sources_due", "sources", ["enabled", "next_poll_at"])

    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("lang", sa.Text, nullable=False),
        sa.Column("published", TS),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("guid", sa.Text, nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("sort_at", TS, nullable=False),
        sa.Column("cluster_id", sa.Integer),
        sa.Column("search_text", sa.Text, nullable=False),
    )
    op.create_index("ix_items_sort_at", "items", ["sort_at"])
    op.create_index("ix_items_fetched_at", "items", ["fetched_at"])
    op.create_index("ix_items_cluster_id", "items", ["cluster_id"])
    op.create_index("ix_items_source_id", "items", ["source_id"])

    op.create_table(
        "seen",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.create_index("ix_seen_seen_at", "seen", ["seen_at"])

    op.create_table(
        "watches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("tz", sa.Text, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("paused_reason", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_watches_destination", "watches", ["destination"])
    op.create_index("ix_watches_owner", "watches", ["owner"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "watch_id",
            sa.Integer,
            sa.ForeignKey("watches.id", ondelete="CASCADE", name="fk_deliveries_watch"),
            nullable=False,
        ),
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", ondelete="CASCADE", name="fk_deliveries_item"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", TS),
        sa.Column("lease_until", TS),
        sa.Column("external_ref", sa.Text),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("folded_into", sa.Integer),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.UniqueConstraint("watch_id", "item_id", "kind", name="uq_deliveries_watch_item_kind"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'folded')",
            name="ck_deliveries_status",
        ),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "due_at"])
    op.create_index("ix_deliveries_lease", "deliveries", ["status", "lease_until"])
    op.create_index("ix_deliveries_watch_sent", "deliveries", ["watch_id", "status", "sent_at"])
    op.create_index("ix_deliveries_item_id", "deliveries", ["item_id"])

    statements = SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else POSTGRES_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS items_fts")
    op.drop_table("deliveries")
    op.drop_table("watches")
    op.drop_table("seen")
    op.drop_table("items")
    op.drop_table("sources")
