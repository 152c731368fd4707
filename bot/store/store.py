"""The store: the one object the rest of the bot uses to reach the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.item import Item
from bot.store import activity, archive, boilerplate, outbox, schema_version, sources, watches
from bot.store.activity import AlertRecord, PollRecord, WatchScope
from bot.store.columns import require_utc
from bot.store.db_errors import DatabaseProblem, describe
from bot.store.dialect import is_postgres
from bot.store.engine import READ_ONLY_OPTION, create_engine_for
from bot.store.leader_lock import LeaderLock, leader_lock_for
from bot.store.outage import OutageLog
from bot.store.poll_writes import PollWrite, PollWritten
from bot.store.records import (
    ArchivedItem,
    ArchiveSearch,
    DeliveryJob,
    DeliveryRecord,
    SourceRecord,
    StoryMember,
    WatchKey,
    WatchRecord,
)
from bot.store.transaction import StoreTransaction
from bot.store.writer import SerialWriter, Together, WriteJob

__all__ = ["Clock", "Store"]

T = TypeVar("T")

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def _positive(value: int, name: str) -> int:
    """Return `value` if it is a usable count of rows or seconds, else explain."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


class Store:
    """Sources, watches, the item archive and the delivery outbox, on SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = _utc_now) -> None:
        self._engine = engine
        self._clock = clock
        self._writer = SerialWriter(engine)
        self.outage = OutageLog(engine.url.render_as_string(hide_password=False))

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        schema: str | None = None,
        clock: Clock | None = None,
    ) -> Store:
        """Connect to `url` and, unless `migrate` is False, bring the schema up to date.

        `schema` (PostgreSQL only) puts every table in that schema via the search_path; the
        schema must exist. `clock` supplies `created_at` timestamps (tests inject one).
        Raises `DatabaseProblem`, one line with the password masked, when the URL cannot be used
        or the server cannot be reached or refuses (its `kind` says which).
        """
        try:
            engine = create_engine_for(url, schema=schema)
        except ValueError as err:  # the message names the URL, password masked, and the fix
            raise DatabaseProblem("unsupported", str(err)) from None
        except OSError as err:  # SQLite: the file's directory cannot be created
            raise describe(err, url) from err
        store = cls(engine, clock=clock or _utc_now)
        try:
            if migrate:
                await store.upgrade()
                store.outage.succeeded()
        except Exception as err:
            await engine.dispose()
            raise describe(err, url) from err
        except BaseException:
            await engine.dispose()
            raise
        return store

    @property
    def dialect(self) -> str:
        """The backend's name: "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    async def close(self) -> None:
        """Finish the writes already submitted, then close every pooled connection."""
        await self._writer.wait_idle()
        await self._engine.dispose()

    async def upgrade(self) -> None:
        """Apply pending migrations (alembic upgrade head); safe to call again. Alembic is
        loaded only when the database is not at the newest revision already."""
        if await schema_version.is_current(self._engine):
            return
        from bot.store import migrate

        await migrate.upgrade(self._engine)

    async def revision(self) -> str | None:
        """Return the schema revision of the database (None before any migration)."""
        from bot.store import migrate

        return await migrate.current_revision(self._engine)

    def leader_lock(self) -> LeaderLock:
        """The lock that makes one `wirewatch run` the leader (PostgreSQL) or the only one
        (SQLite); see `bot.store.leader_lock`."""
        return leader_lock_for(self._engine)

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self._read() as conn:
            await conn.execute(sa.text("SELECT 1"))

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """Yield a connection in the process's one write transaction; commits on success."""
        try:
            async with self._writer.transaction() as conn:
                yield conn
        except BaseException as err:
            self.outage.observe(err)
            raise
        self.outage.succeeded()

    @asynccontextmanager
    async def _read(self, *, single_statements: bool = False) -> AsyncIterator[AsyncConnection]:
        """Yield a connection for read-only work (never takes SQLite's write lock).

        `single_statements`: the reads need no snapshot in common, so on PostgreSQL each runs
        on its own (autocommit), saving the BEGIN and ROLLBACK round trips of a transaction.
        """
        try:
            async with self._engine.connect() as conn:
                options: dict[str, Any] = {READ_ONLY_OPTION: True}
                if single_statements and is_postgres(conn):
                    options["isolation_level"] = "AUTOCOMMIT"
                await conn.execution_options(**options)
                yield conn
                await conn.rollback()
        except BaseException as err:
            self.outage.observe(err)
            raise
        self.outage.succeeded()

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """Return one write transaction: committed on exit, rolled back on an exception.

        Writes are serialised: the block holds the process's single write path, so keep it
        short (compute first, then write) and call no other writing Store method inside it.
        """
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[StoreTransaction]:
        tx: StoreTransaction | None = None
        try:
            async with self._write() as conn:
                tx = StoreTransaction(conn)
                yield tx
        except BaseException:
            if tx is not None:
                tx.rolled_back()
            raise

    async def submit(self, job: WriteJob[T] | Together[Any, T]) -> T:
        """Run `job(tx)` on the writer, batched with other submitted jobs; return its result.

        The result comes back once the job's transaction has committed. If the job raises, its
        work is rolled back (and its `tx.on_rollback` hooks run) and the exception comes back
        here; other jobs of the batch are not affected. See `bot.store.writer`.
        """
        try:
            result = await self._writer.submit(job)
        except BaseException as err:
            self.outage.observe(err)
            raise
        self.outage.succeeded()
        return result

    async def write_poll(self, poll: PollWrite) -> PollWritten:
        """Write one poll's outcome and new items on the writer, sharing statements with the
        other polls of its batch (`bot.store.poll_writes`); LookupError if the source is gone."""
        return await self.submit(Together(StoreTransaction.write_polls, poll))

    # sources

    async def add_source(
        self,
        name: str,
        url: str,
        *,
        kind: str = "rss",
        interval_s: int = 300,
        options: Mapping[str, Any] | None = None,
        owner: str = "",
    ) -> SourceRecord:
        """Register a source; raise DuplicateError if its URL is already registered."""
        async with self._write() as conn:
            return await sources.add_source(
                conn,
                name,
                url,
                kind=kind,
                interval_s=interval_s,
                options=options,
                owner=owner,
                now=self._clock(),
            )

    async def get_source(self, source_id: int) -> SourceRecord | None:
        """Return a source by id."""
        async with self._read() as conn:
            return await sources.get_source(conn, source_id)

    async def get_source_by_url(self, url: str) -> SourceRecord | None:
        """Return the source with exactly this URL."""
        async with self._read() as conn:
            return await sources.get_source_by_url(conn, url)

    async def list_sources(self) -> list[SourceRecord]:
        """Return every source, oldest first."""
        async with self._read() as conn:
            return await sources.list_sources(conn)

    async def remove_source(self, source_id: int) -> bool:
        """Remove a source (its archived items stay); tell whether it existed."""
        async with self._write() as conn:
            return await sources.remove_source(conn, source_id)

    async def update_source(self, source_id: int, **fields: Any) -> SourceRecord | None:
        """Change some fields of a source (bot.store.sources.UPDATABLE_FIELDS)."""
        async with self.transaction() as tx:
            return await tx.update_source(source_id, **fields)

    async def claim_due_sources(
        self, now: datetime, *, limit: int = 100, lease_s: int = 300
    ) -> list[SourceRecord]:
        """Claim due sources for polling; no two claimers ever get the same source."""
        async with self._write() as conn:
            return await sources.claim_due_sources(
                conn,
                require_utc(now, "now"),
                limit=_positive(limit, "limit"),
                lease_s=_positive(lease_s, "lease_s"),
            )

    async def move_source_leases(
        self, leases: Mapping[int, datetime], until: datetime
    ) -> list[int]:
        """Move claims still held (source id -> lease end set by the claim) to end at `until`.

        Renews them (a later `until`) or hands them back (`until` = now: due at once). A source
        whose poll was recorded meanwhile, or claimed by someone else, is left alone.
        """
        if not leases:
            return []
        async with self._write() as conn:
            return await sources.move_leases(conn, leases, require_utc(until, "until"))

    async def next_poll_due(
        self, now: datetime, *, exclude: Collection[int] = ()
    ) -> datetime | None:
        """When the next enabled source (not in `exclude`) falls due; `now` if never polled."""
        async with self._read() as conn:
            return await sources.next_poll_due(conn, require_utc(now, "now"), exclude)

    async def record_poll(
        self,
        source_id: int,
        *,
        now: datetime,
        ok: bool,
        status: str,
        next_poll_at: datetime,
        next_poll_reason: str = "",
        error: str = "",
        etag: str | None = None,
        last_modified: str | None = None,
        new_items: int = 0,
    ) -> SourceRecord:
        """Record a poll's outcome; raise LookupError if the source was removed meanwhile."""
        async with self.transaction() as tx:
            return await tx.record_poll(
                source_id,
                now=now,
                ok=ok,
                status=status,
                next_poll_at=next_poll_at,
                next_poll_reason=next_poll_reason,
                error=error,
                etag=etag,
                last_modified=last_modified,
                new_items=new_items,
            )

    # watches

    async def add_watch(
        self,
        query: str,
        destination: str,
        *,
        owner: str = "",
        platform: str = "cli",
        mode: str = "immediate",
        tz: str = "UTC",
        label: str = "",
    ) -> WatchRecord:
        """Store a watch rule and its destination."""
        async with self._write() as conn:
            return await watches.add_watch(
                conn,
                query,
                destination,
                owner=owner,
                platform=platform,
                mode=mode,
                tz=tz,
                label=label,
                now=self._clock(),
            )

    async def get_watch(self, watch_id: int) -> WatchRecord | None:
        """Return a watch by id."""
        async with self._read() as conn:
            return await watches.get_watch(conn, watch_id)

    async def list_watches(
        self,
        *,
        destination: str | None = None,
        owner: str | None = None,
        include_paused: bool = True,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[WatchRecord]:
        """Return watches, oldest first, optionally filtered; with `limit`, a page of at most
        that many with ids above `after_id`."""
        async with self._read() as conn:
            return await watches.list_watches(
                conn,
                destination=destination,
                owner=owner,
                include_paused=include_paused,
                after_id=after_id,
                limit=limit,
            )

    async def watch_keys(self, platform: str) -> list[WatchKey]:
        """Return the id, rule, destination, mode and zone of every watch of `platform`
        (e.g. the config file's), oldest first: at start, instead of every whole record."""
        async with self._read() as conn:
            return await watches.watch_keys(conn, platform)

    async def remove_watch(self, watch_id: int) -> bool:
        """Remove a watch and drop its deliveries; tell whether it existed."""
        async with self._write() as conn:
            return await watches.remove_watch(conn, watch_id)

    async def set_watch_paused(
        self, watch_id: int, paused: bool, reason: str = "", *, until: datetime | None = None
    ) -> WatchRecord | None:
        """Pause a watch (saying why; until a time, or until resumed) or resume it."""
        until = require_utc(until, "until") if until is not None else None
        async with self._write() as conn:
            return await watches.set_watch_paused(conn, watch_id, paused, reason, until)

    async def set_watch_rule(
        self, watch_id: int, query: str, *, mode: str, tz: str
    ) -> WatchRecord | None:
        """Change a watch's rule and delivery mode, keeping its id and history."""
        async with self._write() as conn:
            return await watches.set_watch_rule(conn, watch_id, query, mode, tz)

    async def resume_due_watches(self, now: datetime) -> list[WatchRecord]:
        """Resume the watches whose timed pause has ended by `now`; return them."""
        async with self._write() as conn:
            return await watches.resume_due_watches(conn, require_utc(now, "now"))

    async def pause_watch_if_active(self, watch_id: int, reason: str) -> bool:
        """Pause a watch unless it is paused already; tell whether this call paused it."""
        async with self._write() as conn:
            return await watches.pause_if_active(conn, watch_id, reason)

    async def count_watches(
        self, *, owner: str | None = None, destination: str | None = None
    ) -> int:
        """Count watches, optionally of one owner or destination."""
        async with self._read() as conn:
            return await watches.count_watches(conn, owner=owner, destination=destination)

    # deliveries

    async def claim_deliveries(
        self, now: datetime, *, limit: int = 50, lease_s: int = 120, digests: bool = True
    ) -> list[DeliveryJob]:
        """Claim due deliveries (and expired leases) of unpaused watches, oldest first;
        without `digests`, only those of immediate watches (a follower's relay)."""
        async with self._write() as conn:
            return await outbox.claim_deliveries(
                conn,
                require_utc(now, "now"),
                limit=_positive(limit, "limit"),
                lease_s=_positive(lease_s, "lease_s"),
                digests=digests,
            )

    async def mark_sent(self, delivery_id: int, *, now: datetime, external_ref: str | None) -> None:
        """Record a delivery as posted."""
        async with self._write() as conn:
            await outbox.mark_sent(
                conn, delivery_id, now=require_utc(now, "now"), external_ref=external_ref
            )

    async def mark_retry(
        self, delivery_id: int, *, now: datetime, error: str, retry_at: datetime
    ) -> None:
        """Queue a delivery again for `retry_at`, noting the error."""
        require_utc(now, "now")
        retry_at = require_utc(retry_at, "retry_at")
        async with self._write() as conn:
            await outbox.mark_retry(conn, delivery_id, error=error, retry_at=retry_at)

    async def settle_sent(
        self,
        primary: int,
        folded: Sequence[int] = (),
        *,
        now: datetime,
        external_ref: str | None,
    ) -> None:
        """Record a message as posted: its delivery sent, the deliveries it folds in, at once."""
        now = require_utc(now, "now")
        async with self._write() as conn:
            await outbox.mark_sent(conn, primary, now=now, external_ref=external_ref)
            if folded:
                await outbox.mark_folded(
                    conn, folded, now=now, into=primary, external_ref=external_ref
                )

    async def retry_deliveries(
        self, delivery_ids: Sequence[int], *, now: datetime, error: str, retry_at: datetime
    ) -> None:
        """Queue deliveries again for `retry_at`, noting the error, in one transaction."""
        require_utc(now, "now")
        retry_at = require_utc(retry_at, "retry_at")
        async with self._write() as conn:
            await outbox.mark_retry(conn, delivery_ids, error=error, retry_at=retry_at)

    async def fail_deliveries(
        self, delivery_ids: Sequence[int], *, now: datetime, error: str
    ) -> None:
        """Give up on deliveries for good, noting the error, in one transaction."""
        require_utc(now, "now")
        async with self._write() as conn:
            await outbox.mark_failed(conn, delivery_ids, error=error)

    async def group_deliveries(self, leader: int, delivery_ids: Sequence[int]) -> None:
        """Fix the members of a fold (led by `leader`) before its message is first sent."""
        async with self._write() as conn:
            await outbox.group(conn, leader, delivery_ids)

    async def release_deliveries(self, delivery_ids: Sequence[int], *, error: str = "") -> None:
        """Hand claimed, unsent deliveries back to the queue, due at once, the try undone."""
        async with self._write() as conn:
            await outbox.release(conn, delivery_ids, error=error)

    async def mark_failed(self, delivery_id: int, *, now: datetime, error: str) -> None:
        """Give up on a delivery for good, noting the error."""
        require_utc(now, "now")
        async with self._write() as conn:
            await outbox.mark_failed(conn, delivery_id, error=error)

    async def mark_folded(
        self,
        delivery_ids: Sequence[int],
        *,
        now: datetime,
        into: int | None,
        external_ref: str | None,
    ) -> None:
        """Record deliveries as sent inside another message (digest or burst summary)."""
        async with self._write() as conn:
            await outbox.mark_folded(
                conn,
                delivery_ids,
                now=require_utc(now, "now"),
                into=into,
                external_ref=external_ref,
            )

    async def get_delivery(self, delivery_id: int) -> DeliveryRecord | None:
        """Return one delivery."""
        async with self._read() as conn:
            return await outbox.get_delivery(conn, delivery_id)

    async def list_deliveries(
        self, *, watch_id: int | None = None, status: str | None = None
    ) -> list[DeliveryRecord]:
        """Return deliveries, oldest first, optionally of one watch or status."""
        async with self._read() as conn:
            return await outbox.list_deliveries(conn, watch_id=watch_id, status=status)

    async def count_sent_since(self, watch_id: int, since: datetime) -> int:
        """Count messages posted for a watch since `since` (for the burst guard)."""
        async with self._read() as conn:
            return await outbox.count_sent_since(conn, watch_id, require_utc(since, "since"))

    async def cluster_sources(self, cluster_id: int) -> list[str]:
        """Return the distinct source names of a story cluster, oldest first."""
        async with self._read() as conn:
            return await archive.cluster_sources(conn, cluster_id)

    async def pending_digest(self, watch_id: int, now: datetime) -> list[DeliveryJob]:
        """Return the queued deliveries of a digest-mode watch, due or not."""
        async with self._read() as conn:
            return await outbox.pending_digest(conn, watch_id, require_utc(now, "now"))

    # archive

    async def boilerplate_state(self, source_id: int) -> str | None:
        """Return the source's learned boilerplate state (`SourceBoilerplate.to_state`)."""
        async with self._read() as conn:
            return await boilerplate.boilerplate_state(conn, source_id)

    async def unseen(self, source_id: int, items: Sequence[Item]) -> list[Item]:
        """Return the items none of whose keys is seen yet (read-only; ingest re-checks)."""
        async with self._read() as conn:
            return await archive.unseen(conn, source_id, items)

    async def unseen_and_boilerplate(
        self, source_id: int, items: Sequence[Item]
    ) -> tuple[list[Item], str | None]:
        """What a poll reads before its write, in one go: `unseen(items)` and, if any item is
        unseen, the source's `boilerplate_state` (None when it has none yet)."""
        async with self._read(single_statements=True) as conn:
            new = await archive.unseen(conn, source_id, items)
            state = await boilerplate.boilerplate_state(conn, source_id) if new else None
        return new, state

    async def search_archive(
        self, terms: list[str] | None, *, since: datetime | None = None, limit: int = 200
    ) -> list[ArchivedItem]:
        """Return archived items with a word starting with any term, newest first."""
        since = require_utc(since, "since") if since is not None else None
        async with self._read() as conn:
            return await archive.search_archive(
                conn, terms, since=since, limit=_positive(limit, "limit")
            )

    async def find_archived(
        self,
        groups: Sequence[Sequence[str]] | None,
        *,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> ArchiveSearch:
        """Return the ids of the newest `limit` items meeting every group, and how many do.

        A group is met by an item with a word starting with one of its terms (as in
        `search_archive`); no groups: every item. Ids come newest first.
        """
        since = require_utc(since, "since") if since is not None else None
        async with self._read() as conn:
            return await archive.find_archived(
                conn, groups, since=since, limit=_positive(limit, "limit")
            )

    async def story_members(
        self, since: datetime, *, after_id: int, limit: int
    ) -> list[StoryMember]:
        """Items archived since `since` with ids above `after_id` (oldest first, at most
        `limit`): their story, time and story words (a read: the writer goes on)."""
        async with self._read() as conn:
            return await archive.story_members(
                conn, require_utc(since, "since"), after_id=after_id, limit=limit
            )

    async def get_items(self, ids: Sequence[int]) -> list[ArchivedItem]:
        """Return the archived items with these ids, in that order (ids not found left out)."""
        async with self._read() as conn:
            return await archive.get_items(conn, ids)

    async def recent_items(self, since: datetime) -> list[ArchivedItem]:
        """Return items archived since `since`, oldest first."""
        async with self._read() as conn:
            return await archive.recent_items(conn, require_utc(since, "since"))

    async def get_item(self, item_id: int) -> ArchivedItem | None:
        """Return one archived item."""
        async with self._read() as conn:
            return await archive.get_item(conn, item_id)

    async def prune(
        self,
        now: datetime,
        *,
        retention_days: float = 30,
        seen_days: float = 365,
        poll_history_days: float = 7,
    ) -> tuple[int, int]:
        """Delete old items, seen keys and poll history; return (items, seen keys) removed."""
        async with self._write() as conn:
            return await archive.prune(
                conn,
                now,
                retention_days=retention_days,
                seen_days=seen_days,
                poll_history_days=poll_history_days,
            )

    async def count_unsent(self) -> int:
        """Return how many deliveries wait in the outbox (pending or being sent)."""
        async with self._read() as conn:
            return await outbox.count_unsent(conn)

    async def counts(self) -> dict[str, int]:
        """Return the number of sources, watches, items, seen keys and pending deliveries."""
        async with self._read() as conn:
            return await archive.counts(conn)

    # activity (the web console's read side)

    async def watch_page(
        self, scope: WatchScope | None, *, text: str = "", offset: int = 0, limit: int = 50
    ) -> tuple[list[WatchRecord], int]:
        """One page of the watches in `scope` (None: all) whose rule contains `text`; total."""
        async with self._read() as conn:
            return await activity.watch_page(
                conn, scope, text=text, offset=max(offset, 0), limit=_positive(limit, "limit")
            )

    async def source_page(
        self, *, offset: int = 0, limit: int = 50
    ) -> tuple[list[SourceRecord], int]:
        """One page of sources, failing ones first; and how many there are."""
        async with self._read() as conn:
            return await activity.source_page(
                conn, offset=max(offset, 0), limit=_positive(limit, "limit")
            )

    async def alert_counts(self, watch_ids: Collection[int], since: datetime) -> dict[int, int]:
        """Alerts enqueued since `since` for each of these watches (absent: none)."""
        async with self._read() as conn:
            return await activity.alert_counts(conn, watch_ids, require_utc(since, "since"))

    async def matches_per_day(
        self, watch_ids: Collection[int], first: date, days: int
    ) -> dict[int, list[int]]:
        """Alerts per UTC day for each watch, `days` days from `first`."""
        async with self._read() as conn:
            return await activity.matches_per_day(conn, watch_ids, first, _positive(days, "days"))

    async def polls_per_day(self, source_id: int, first: date, days: int) -> list[tuple[int, int]]:
        """(ok, failed) polls of a source per UTC day, `days` days from `first`."""
        async with self._read() as conn:
            return await activity.polls_per_day(conn, source_id, first, _positive(days, "days"))

    async def poll_counts(
        self, source_ids: Collection[int], since: datetime
    ) -> dict[int, tuple[int, int]]:
        """(ok, failed) polls since `since` of each source."""
        async with self._read() as conn:
            return await activity.poll_counts(conn, source_ids, require_utc(since, "since"))

    async def poll_history(self, source_id: int, *, limit: int = 50) -> list[PollRecord]:
        """A source's newest polls, newest first."""
        async with self._read() as conn:
            return await activity.poll_history(conn, source_id, _positive(limit, "limit"))

    async def recent_alerts(
        self, scope: WatchScope | None, *, limit: int = 20
    ) -> list[AlertRecord]:
        """The newest alerts (of the watches in `scope`), with where they went."""
        async with self._read() as conn:
            return await activity.recent_alerts(conn, scope, _positive(limit, "limit"))

    async def watch_matches(
        self, watch_id: int, *, limit: int = 20
    ) -> list[tuple[DeliveryRecord, ArchivedItem]]:
        """A watch's newest alerts with their items."""
        async with self._read() as conn:
            return await activity.watch_matches(conn, watch_id, _positive(limit, "limit"))
