"""Whether a database is at the newest schema, without loading Alembic.

Every start and every terminal command opens the store migrated; when the database is already
at the newest revision (nearly always) this answers from one query and the migration files'
`revision = "…"` lines, so Alembic (a few hundred milliseconds of imports) loads only when
there is something to migrate. `tests/store/test_migrations.py` checks the head found here is
Alembic's.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["head_from_files", "is_current"]

VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
_DOWN = re.compile(r'^down_revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


@cache
def head_from_files() -> str | None:
    """The revision no migration file builds on; None if that is not exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(text))
        parents.update(_DOWN.findall(text))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database's recorded revision is the newest migration."""
    head = head_from_files()
    if head is None:
        return False
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:  # no version table yet: a new database
        return False
    return [row[0] for row in rows] == [head]
