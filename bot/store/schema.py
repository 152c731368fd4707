"""Table definitions the queries use. The schema itself is created only by the migrations.

Ids are never reused (migration 0002): AUTOINCREMENT on SQLite, identity columns on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.store.columns import CleanText, UTCDateTime

__all__ = [
    "DELIVERY_STATUSES",
    "deliveries",
    "items",
    "metadata",
    "seen",
    "source_boilerplate",
    "source_polls",
    "sources",
    "watches",
]

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "folded")

metadata = sa.MetaData()

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", CleanText, nullable=False),
    sa.Column("url", CleanText, nullable=False),
    sa.Column("kind", CleanText, nullable=False),
    sa.Column("interval_s", sa.Integer, nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("owner", CleanText, nullable=False),
    sa.Column("etag", CleanText),
    sa.Column("last_modified", CleanText),
    sa.Column("next_poll_at", UTCDateTime),
    sa.Column("next_poll_reason", CleanText, nullable=False, server_default=""),
    sa.Column("last_polled_at", UTCDateTime),
    sa.Column("last_ok_at", UTCDateTime),
    sa.Column("last_status", CleanText, nullable=False),
    sa.Column("last_error", CleanText, nullable=False),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("items_count", sa.Integer, nullable=False),
    sa.Column("disabled_reason", CleanText, nullable=False),
    sa.Column("baseline_done", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("url", name="uq_sources_url"),
    sa.Index("ix_sources_due", "enabled", "next_poll_at"),
    sqlite_autoincrement=True,
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, nullable=False),
    sa.Column("key", CleanText, nullable=False),
    sa.Column("title", CleanText, nullable=False),
    sa.Column("summary", CleanText, nullable=False),
    sa.Column("content", CleanText, nullable=False),
    sa.Column("url", CleanText, nullable=False),
    sa.Column("source", CleanText, nullable=False),
    sa.Column("author", CleanText, nullable=False),
    sa.Column("lang", CleanText, nullable=False),
    sa.Column("published", UTCDateTime),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("guid", CleanText, nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("sort_at", UTCDateTime, nullable=False),
    sa.Column("cluster_id", sa.Integer),
    sa.Column("search_text", CleanText, nullable=False),
    sa.Column("boilerplate", CleanText, nullable=False, server_default=""),
    sa.Column("story_words", CleanText),  # its story fingerprint's words, space-separated
    sa.Index("ix_items_sort_at", "sort_at"),
    sa.Index("ix_items_fetched_at", "fetched_at"),
    sa.Index("ix_items_cluster_id", "cluster_id"),
    sa.Index("ix_items_source_id", "source_id"),
    sqlite_autoincrement=True,
)

source_boilerplate = sa.Table(
    "source_boilerplate",
    metadata,
    sa.Column(
        "source_id",
        sa.Integer,
        sa.ForeignKey("sources.id", ondelete="CASCADE", name="fk_source_boilerplate_source"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("state", CleanText, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

source_polls = sa.Table(
    "source_polls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "source_id",
        sa.Integer,
        sa.ForeignKey("sources.id", ondelete="CASCADE", name="fk_source_polls_source"),
        nullable=False,
    ),
    sa.Column("polled_at", UTCDateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("status", CleanText, nullable=False),
    sa.Column("error", CleanText, nullable=False),
    sa.Column("new_items", sa.Integer, nullable=False),
    sa.Index("ix_source_polls_source_at", "source_id", "polled_at"),
    sa.Index("ix_source_polls_at", "polled_at"),
)

seen = sa.Table(
    "seen",
    metadata,
    sa.Column("key", CleanText, primary_key=True),
    sa.Column("seen_at", UTCDateTime, nullable=False),
    sa.Index("ix_seen_seen_at", "seen_at"),
)

watches = sa.Table(
    "watches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("query", CleanText, nullable=False),
    sa.Column("destination", CleanText, nullable=False),
    sa.Column("owner", CleanText, nullable=False),
    sa.Column("platform", CleanText, nullable=False),
    sa.Column("mode", CleanText, nullable=False),
    sa.Column("tz", CleanText, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("paused_reason", CleanText, nullable=False),
    sa.Column("paused_until", UTCDateTime),
    sa.Column("label", CleanText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_watches_destination", "destination"),
    sa.Index("ix_watches_owner", "owner"),
    sqlite_autoincrement=True,
)

deliveries = sa.Table(
    "deliveries",
    metadata,
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
    sa.Column("kind", CleanText, nullable=False),
    sa.Column("status", CleanText, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", UTCDateTime),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("attempted_at", UTCDateTime),
    sa.Column("external_ref", CleanText),
    sa.Column("error", CleanText, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("folded_into", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.UniqueConstraint("watch_id", "item_id", "kind", name="uq_deliveries_watch_item_kind"),
    sa.CheckConstraint(
        "status IN ('pending', 'sending', 'sent', 'failed', 'folded')", name="ck_deliveries_status"
    ),
    sa.Index("ix_deliveries_due", "status", "due_at"),
    sa.Index("ix_deliveries_lease", "status", "lease_until"),
    sa.Index("ix_deliveries_watch_sent", "watch_id", "status", "sent_at"),
    sa.Index("ix_deliveries_item_id", "item_id"),
    sa.Index("ix_deliveries_watch_created", "watch_id", "created_at"),
    sqlite_autoincrement=True,
)
