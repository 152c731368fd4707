"""Persistence: sources, watches, the item archive and the delivery outbox (SQLite or PostgreSQL).

`Store.open(url)` connects and migrates; every method returns plain records.
"""

from bot.store.activity import AlertRecord, PollRecord, WatchScope
from bot.store.db_errors import DatabaseProblem, is_outage, masked_url
from bot.store.errors import DuplicateError
from bot.store.records import (
    ArchivedItem,
    ArchiveSearch,
    DeliveryJob,
    DeliveryRecord,
    IngestResult,
    NewDelivery,
    NewSource,
    NewWatch,
    SourceRecord,
    StoryMember,
    WatchRecord,
)
from bot.store.store import Store
from bot.store.transaction import StoreTransaction

__all__ = [
    "AlertRecord",
    "ArchiveSearch",
    "ArchivedItem",
    "DatabaseProblem",
    "DeliveryJob",
    "DeliveryRecord",
    "DuplicateError",
    "IngestResult",
    "NewDelivery",
    "NewSource",
    "NewWatch",
    "PollRecord",
    "SourceRecord",
    "Store",
    "StoreTransaction",
    "StoryMember",
    "WatchRecord",
    "WatchScope",
    "is_outage",
    "masked_url",
]
