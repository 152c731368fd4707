"""Source rows: add, read, update, claim for polling and record each poll's outcome."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.columns import CleanText, UTCDateTime, require_utc
from bot.store.dialect import in_values, insert_ignoring_conflicts, is_postgres
from bot.store.errors import DuplicateError
from bot.store.records import NewSource, PollOutcome, SourceRecord
from bot.store.rows import source_record
from bot.store.schema import source_polls, sources

__all__ = [
    "UPDATABLE_FIELDS",
    "add_source",
    "add_sources",
    "claim_due_sources",
    "get_source",
    "get_source_by_url",
    "list_sources",
    "move_leases",
    "next_poll_due",
    "record_poll",
    "record_polls",
    "remove_source",
    "update_source",
]

UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "owner",
        "interval_s",
        "options",
        "enabled",
        "disabled_reason",
        "next_poll_at",
        "next_poll_reason",
    }
)
NOT_MODIFIED_STATUSES = frozenset({"not modified", "not_modified", "304"})


def _check_interval(interval_s: Any) -> int:
    """Return a valid poll interval in seconds or explain the problem."""
    if isinstance(interval_s, bool) or not isinstance(interval_s, int) or interval_s < 1:
        raise ValueError(f"interval_s must be a whole number of seconds >= 1, got {interval_s!r}")
    return interval_s


def _source_row(new: NewSource, now: datetime) -> dict[str, Any]:
    """Return the row of a new source, or explain what is wrong with it."""
    if not new.name.strip():
        raise ValueError("a source needs a non-empty name")
    if not new.url.strip():
        raise ValueError("a source needs a non-empty URL")
    return {
        "name": new.name,
        "url": new.url,
        "kind": new.kind,
        "interval_s": _check_interval(new.interval_s),
        "options": dict(new.options or {}),
        "enabled": True,
        "owner": new.owner,
        "last_status": "",
        "last_error": "",
        "consecutive_failures": 0,
        "items_count": 0,
        "disabled_reason": "",
        "baseline_done": False,
        "created_at": now,
    }


async def add_source(
    conn: AsyncConnection,
    name: str,
    url: str,
    *,
    kind: str,
    interval_s: int,
    options: Mapping[str, Any] | None,
    owner: str,
    now: datetime,
) -> SourceRecord:
    """Insert a source; raise DuplicateError when its URL is already registered."""
    new = NewSource(
        name, url, kind=kind, interval_s=interval_s, options=dict(options or {}), owner=owner
    )
    values = _source_row(new, now)
    existing = await get_source_by_url(conn, url)
    if existing is not None:
        raise DuplicateError(f"a source with URL {url!r} already exists (#{existing.id})")
    try:
        row = (await conn.execute(sa.insert(sources).values(values).returning(*sources.c))).one()
    except IntegrityError as exc:
        raise DuplicateError(f"a source with URL {url!r} already exists") from exc
    return source_record(row)


async def add_sources(conn: AsyncConnection, new: Sequence[NewSource], *, now: datetime) -> int:
    """Insert many sources with one statement; a URL already registered is skipped.

    Returns how many were added.
    """
    rows = [_source_row(source, now) for source in new]
    if not rows:
        return 0
    stmt = insert_ignoring_conflicts(conn, sources).returning(sources.c.id)
    return len((await conn.execute(stmt, rows)).all())


async def get_source(conn: AsyncConnection, source_id: int) -> SourceRecord | None:
    """Return the source with this id, if any."""
    row = (await conn.execute(sa.select(sources).where(sources.c.id == source_id))).first()
    return source_record(row) if row else None


async def get_source_by_url(conn: AsyncConnection, url: str) -> SourceRecord | None:
    """Return the source with exactly this URL, if any."""
    row = (await conn.execute(sa.select(sources).where(sources.c.url == url))).first()
    return source_record(row) if row else None


async def list_sources(conn: AsyncConnection) -> list[SourceRecord]:
    """Return every source, oldest first."""
    rows = await conn.execute(sa.select(sources).order_by(sources.c.id))
    return [source_record(row) for row in rows]


async def remove_source(conn: AsyncConnection, source_id: int) -> bool:
    """Delete a source (its archived items stay); tell whether it existed."""
    result = await conn.execute(sa.delete(sources).where(sources.c.id == source_id))
    return result.rowcount > 0


async def update_source(
    conn: AsyncConnection, source_id: int, fields: Mapping[str, Any]
) -> SourceRecord | None:
    """Change some of the UPDATABLE_FIELDS (name, kind, owner, interval, options, state)."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(
            f"cannot update source field(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(UPDATABLE_FIELDS))}"
        )
    values = dict(fields)
    if "interval_s" in values:
        _check_interval(values["interval_s"])
    if "name" in values and not str(values["name"]).strip():
        raise ValueError("a source needs a non-empty name")
    if "options" in values:
        values["options"] = dict(values["options"] or {})
    if not values:
        return await get_source(conn, source_id)
    stmt = sa.update(sources).where(sources.c.id == source_id).values(values)
    row = (await conn.execute(stmt.returning(*sources.c))).first()
    return source_record(row) if row else None


async def claim_due_sources(
    conn: AsyncConnection, now: datetime, *, limit: int, lease_s: int
) -> list[SourceRecord]:
    """Claim enabled sources due at `now` by pushing their next poll `lease_s` ahead."""
    due = (
        sa.select(sources.c.id)
        .where(
            sources.c.enabled.is_(True),
            sa.or_(sources.c.next_poll_at.is_(None), sources.c.next_poll_at <= now),
        )
        .order_by(sources.c.next_poll_at.asc().nulls_first(), sources.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        sa.update(sources)
        .where(sources.c.id.in_(due))
        .values(next_poll_at=require_utc(now) + timedelta(seconds=lease_s))
        .returning(*sources.c)
    )
    claimed = [source_record(row) for row in await conn.execute(stmt)]
    return sorted(claimed, key=lambda source: source.id)


async def move_leases(
    conn: AsyncConnection, leases: Mapping[int, datetime], until: datetime
) -> list[int]:
    """Move each claimed source's lease to `until` if it still holds (`next_poll_at` unchanged).

    A source whose poll recorded its outcome, or that another claimer took after the lease ran
    out, has another `next_poll_at` and is left alone. Returns the ids moved.
    """
    by_lease: dict[datetime, list[int]] = defaultdict(list)
    for source_id, held in leases.items():
        by_lease[require_utc(held, "lease")].append(source_id)
    moved: list[int] = []
    for held, ids in by_lease.items():
        for start in range(0, len(ids), 500):
            stmt = (
                sa.update(sources)
                .where(
                    in_values(conn, sources.c.id, ids[start : start + 500]),
                    sources.c.next_poll_at == held,
                )
                .values(next_poll_at=until)
                .returning(sources.c.id)
            )
            moved += (await conn.execute(stmt)).scalars()
    return moved


async def next_poll_due(
    conn: AsyncConnection, now: datetime, exclude: Collection[int]
) -> datetime | None:
    """Return when the next enabled source is due (`now` if one never was polled), or None."""
    stmt = (
        sa.select(sources.c.next_poll_at)
        .where(sources.c.enabled.is_(True))
        .order_by(sources.c.next_poll_at.asc().nulls_first())
        .limit(1)
    )
    if exclude:
        stmt = stmt.where(sa.not_(in_values(conn, sources.c.id, exclude)))
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return now if row.next_poll_at is None else row.next_poll_at


async def record_poll(
    conn: AsyncConnection,
    source_id: int,
    *,
    now: datetime,
    ok: bool,
    status: str,
    next_poll_at: datetime,
    next_poll_reason: str,
    error: str,
    etag: str | None,
    last_modified: str | None,
    new_items: int,
) -> SourceRecord:
    """Store a poll's outcome and the next poll time and why; LookupError if the source is gone."""
    poll = PollOutcome(
        source_id,
        now,
        ok,
        status,
        next_poll_at,
        next_poll_reason,
        error,
        etag,
        last_modified,
        new_items,
    )
    return await _record_one(conn, poll)


def _sets_validators(poll: PollOutcome) -> tuple[bool, bool]:
    """Whether the poll replaces the source's etag, and its last-modified: a success does,
    except that a 304 without a new value keeps the old one."""
    if not poll.ok:
        return False, False
    keep = poll.status.strip().lower() in NOT_MODIFIED_STATUSES
    return poll.etag is not None or not keep, poll.last_modified is not None or not keep


def _history(poll: PollOutcome) -> dict[str, Any]:
    """The poll's history row (`source_polls`), without its source."""
    return {
        "polled_at": poll.now,
        "ok": poll.ok,
        "status": poll.status,
        "error": "" if poll.ok else poll.error,
        "new_items": max(poll.new_items, 0),
    }


async def _record_one(conn: AsyncConnection, poll: PollOutcome) -> SourceRecord:
    """`record_poll`: one statement on PostgreSQL, two on SQLite."""
    now = require_utc(poll.now, "now")
    values: dict[str, Any] = {
        "last_polled_at": now,
        "last_status": poll.status,
        "next_poll_at": require_utc(poll.next_poll_at, "next_poll_at"),
        "next_poll_reason": poll.next_poll_reason,
        "items_count": sources.c.items_count + max(poll.new_items, 0),
    }
    if poll.ok:
        values.update(last_ok_at=now, consecutive_failures=0, baseline_done=True, last_error="")
    else:
        values.update(
            consecutive_failures=sources.c.consecutive_failures + 1, last_error=poll.error
        )
    sets_etag, sets_modified = _sets_validators(poll)
    if sets_etag:
        values["etag"] = poll.etag
    if sets_modified:
        values["last_modified"] = poll.last_modified
    history = _history(poll)
    stmt = sa.update(sources).where(sources.c.id == poll.source_id).values(values)
    if is_postgres(conn):  # one round trip: the history row is written by the same statement
        updated = stmt.returning(*sources.c).cte("updated")
        kept = sa.insert(source_polls).from_select(
            ["source_id", *history],
            sa.select(
                updated.c.id,
                *(sa.literal(v, source_polls.c[k].type) for k, v in history.items()),
            ),
        )
        row = (await conn.execute(sa.select(updated).add_cte(kept.cte("kept")))).first()
    else:
        row = (await conn.execute(stmt.returning(*sources.c))).first()
        if row is not None:
            await conn.execute(sa.insert(source_polls).values(source_id=poll.source_id, **history))
    if row is None:
        raise LookupError(f"source #{poll.source_id} does not exist (removed while polling?)")
    return source_record(row)


def _param(name: str, type_: Any) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=type_)


# One statement for any number of polls (an executemany: one round trip on asyncpg). Each
# poll's own values are parameters, so a failure adds one to its count and a success resets
# it, and validators change only where the poll says so.
_RECORD_EACH = (
    sa.update(sources)
    .where(sources.c.id == _param("p_source", sa.Integer()))
    .values(
        last_polled_at=_param("p_now", UTCDateTime()),
        last_status=_param("p_status", CleanText()),
        next_poll_at=_param("p_next_at", UTCDateTime()),
        next_poll_reason=_param("p_reason", CleanText()),
        items_count=sources.c.items_count + _param("p_new", sa.Integer()),
        last_ok_at=sa.func.coalesce(_param("p_ok_at", UTCDateTime()), sources.c.last_ok_at),
        consecutive_failures=(sources.c.consecutive_failures + 1)
        * _param("p_failed", sa.Integer()),
        last_error=_param("p_error", CleanText()),
        baseline_done=sa.or_(sources.c.baseline_done, _param("p_ok", sa.Boolean())),
        etag=sa.case(
            (_param("p_set_etag", sa.Boolean()), _param("p_etag", CleanText())),
            else_=sources.c.etag,
        ),
        last_modified=sa.case(
            (_param("p_set_modified", sa.Boolean()), _param("p_modified", CleanText())),
            else_=sources.c.last_modified,
        ),
    )
)


def _record_params(poll: PollOutcome) -> dict[str, Any]:
    sets_etag, sets_modified = _sets_validators(poll)
    return {
        "p_source": poll.source_id,
        "p_now": require_utc(poll.now, "now"),
        "p_status": poll.status,
        "p_next_at": require_utc(poll.next_poll_at, "next_poll_at"),
        "p_reason": poll.next_poll_reason,
        "p_new": max(poll.new_items, 0),
        "p_ok_at": poll.now if poll.ok else None,
        "p_failed": 0 if poll.ok else 1,
        "p_error": "" if poll.ok else poll.error,
        "p_ok": poll.ok,
        "p_set_etag": sets_etag,
        "p_etag": poll.etag,
        "p_set_modified": sets_modified,
        "p_modified": poll.last_modified,
    }


async def record_polls(conn: AsyncConnection, polls: Sequence[PollOutcome]) -> None:
    """`record_poll` for several polls in three statements whatever their number.

    Raise LookupError naming the first source that no longer exists (nothing is written).
    """
    if len(polls) == 1:  # one statement on PostgreSQL
        await _record_one(conn, polls[0])
        return
    if not polls:
        return
    wanted = sorted({poll.source_id for poll in polls})
    # Locked for the transaction: another worker cannot remove them before the update.
    present = sa.select(sources.c.id).where(in_values(conn, sources.c.id, wanted)).with_for_update()
    found = set((await conn.execute(present)).scalars())
    for poll in polls:
        if poll.source_id not in found:
            raise LookupError(f"source #{poll.source_id} does not exist (removed while polling?)")
    await conn.execute(_RECORD_EACH, [_record_params(poll) for poll in polls])
    history = [{"source_id": poll.source_id, **_history(poll)} for poll in polls]
    await conn.execute(sa.insert(source_polls), history)
