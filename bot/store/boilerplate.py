"""Each source's learned boilerplate state (`bot.core.boilerplate_learning`), read and saved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.columns import require_utc
from bot.store.dialect import is_postgres
from bot.store.schema import source_boilerplate

__all__ = ["boilerplate_state", "save_boilerplate_state", "save_boilerplate_states"]


async def boilerplate_state(conn: AsyncConnection, source_id: int) -> str | None:
    """Return the source's saved state, or None when it has none yet."""
    stmt = sa.select(source_boilerplate.c.state).where(source_boilerplate.c.source_id == source_id)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def save_boilerplate_state(
    conn: AsyncConnection, source_id: int, state: str, *, now: datetime
) -> None:
    """Insert or replace the source's state (the source must exist: its row is the parent)."""
    await save_boilerplate_states(conn, [(source_id, state, now)])


async def save_boilerplate_states(
    conn: AsyncConnection, states: Sequence[tuple[int, str, datetime]]
) -> None:
    """`save_boilerplate_state` for several (source id, state, time) in one statement; a
    source listed twice keeps its last state."""
    if not states:
        return
    from sqlalchemy.dialects import postgresql, sqlite  # not loaded by a CLI that saves none

    insert = (postgresql.insert if is_postgres(conn) else sqlite.insert)(source_boilerplate)
    stmt = insert.on_conflict_do_update(
        index_elements=[source_boilerplate.c.source_id],
        set_={"state": insert.excluded.state, "updated_at": insert.excluded.updated_at},
    )
    last = {source_id: (state, now) for source_id, state, now in states}
    rows = [
        {"source_id": source_id, "state": state, "updated_at": require_utc(now, "now")}
        for source_id, (state, now) in last.items()
    ]
    await conn.execute(stmt, rows)
