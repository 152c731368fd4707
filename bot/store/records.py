"""Plain records the store returns: no ORM objects ever leave `bot.store`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from bot.core.item import Item

CONFIG_OWNER = "config"
"""The owner (and platform) of the sources and watches a config file defines."""

__all__ = [
    "CONFIG_OWNER",
    "ArchiveSearch",
    "ArchivedItem",
    "DeliveryJob",
    "DeliveryRecord",
    "IngestResult",
    "NewDelivery",
    "SourceRecord",
    "StoryMember",
    "WatchKey",
    "WatchRecord",
]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A polled source and its fetch state."""

    id: int
    name: str
    url: str
    kind: str = "rss"
    interval_s: int = 300
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    owner: str = ""
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime | None = None
    next_poll_reason: str = ""
    last_polled_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_status: str = ""
    last_error: str = ""
    consecutive_failures: int = 0
    items_count: int = 0
    disabled_reason: str = ""
    baseline_done: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WatchRecord:
    """A watch rule and where its alerts go. `mode`: immediate | hourly | daily HH:MM."""

    id: int
    query: str
    destination: str
    owner: str = ""
    platform: str = "cli"
    mode: str = "immediate"
    tz: str = "UTC"
    paused: bool = False
    paused_reason: str = ""
    paused_until: datetime | None = None
    label: str = ""
    created_at: datetime | None = None


class WatchKey(NamedTuple):
    """What tells one watch of a platform from another (`Store.watch_keys`): the config file's
    sync compares its entries with these, lighter to read than whole records."""

    id: int
    query: str
    destination: str
    mode: str
    tz: str


@dataclass(frozen=True, slots=True)
class ArchivedItem:
    """An item in the archive, with its database id and source."""

    id: int
    source_id: int
    key: str
    item: Item
    fetched_at: datetime
    cluster_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoryMember:
    """An archived item as the story index needs it (`StoreTransaction.story_members`)."""

    item_id: int
    story_id: int
    """The story it was given: its cluster id (its own id when none was recorded)."""
    at: datetime
    """When it happened: its publication date, never later than when it was fetched."""
    words: tuple[str, ...] | None
    """Its story words; None for an item archived before they were kept (revision 0007)."""


@dataclass(frozen=True, slots=True)
class ArchiveSearch:
    """The newest archived items that meet a search (their ids) and how many meet it in all."""

    ids: tuple[int, ...]
    total: int


@dataclass(frozen=True, slots=True)
class NewSource:
    """A source to add in bulk (`StoreTransaction.add_sources`)."""

    name: str
    url: str
    kind: str = "rss"
    interval_s: int = 300
    options: dict[str, Any] = field(default_factory=dict)
    owner: str = ""


@dataclass(frozen=True, slots=True)
class NewWatch:
    """A watch to add in bulk (`StoreTransaction.add_watches`)."""

    query: str
    destination: str
    owner: str = ""
    platform: str = "cli"
    mode: str = "immediate"
    tz: str = "UTC"
    label: str = ""
    paused_reason: str = ""  # paused when set (a restored backup keeps its pauses)
    paused_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery the pipeline wants enqueued in the same transaction as the items.

    kind: "alert" | "update". `due_at` delays it (digests). `payload` is JSON-able extra data
    (e.g. {"updates_delivery": 17} for an update).
    """

    watch_id: int
    item_id: int
    kind: str = "alert"
    due_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """A row of the outbox."""

    id: int
    watch_id: int
    item_id: int
    kind: str
    status: str
    attempts: int = 0
    due_at: datetime | None = None
    external_ref: str | None = None
    error: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    sent_at: datetime | None = None
    attempted_at: datetime | None = None  # first handed to a sender (kept across retries)
    folded_into: int | None = None  # the fold (its first delivery) whose message carries this


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A claimed delivery with everything the relay needs to render it."""

    delivery: DeliveryRecord
    watch: WatchRecord
    item: ArchivedItem


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What `Store.ingest` did: the new items and how many deliveries it enqueued."""

    new_items: list[ArchivedItem]
    deliveries: int


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """A poll's outcome, as `record_poll` stores it."""

    source_id: int
    now: datetime
    ok: bool
    status: str
    next_poll_at: datetime
    next_poll_reason: str = ""
    error: str = ""
    etag: str | None = None
    last_modified: str | None = None
    new_items: int = 0
