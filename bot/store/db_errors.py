"""Database errors as one clear line, with the URL's password masked.

`describe` turns whatever the drivers raise while connecting (an OSError, a wrapped asyncpg
error, SQLAlchemy's own) into a `DatabaseProblem`: its `kind` says what can be done about it
(`unreachable` is worth waiting for, `refused`, `unsupported` and `unusable` are not;
`busy`: another `wirewatch run` holds a SQLite database) and its
message names the URL, password masked, and the fix. `is_outage` tells a lost connection from
other database errors, for the running bot's outage log (`bot/store/outage.py`).
"""

from __future__ import annotations

import re
import socket
import sqlite3
from typing import Literal

import sqlalchemy.exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["DatabaseProblem", "ProblemKind", "describe", "is_outage", "masked_url"]

ProblemKind = Literal["unreachable", "refused", "unsupported", "unusable", "busy"]

_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):[^@\s]*@")
_REFUSED_SQLSTATES = {"28000": "the login was refused", "28P01": "the password was refused"}
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
_SQLITE_OUTAGES = ("unable to open database file", "disk i/o error")


def masked_url(url: str) -> str:
    """The URL with its password replaced by `***` (whatever else is wrong with it)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return _CREDENTIALS.sub(lambda m: f"{m.group('head')}:***@", url)


class DatabaseProblem(Exception):
    """The database cannot be used; `message` is one line a person can act on."""

    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind: ProblemKind = kind
        self.message = message


def _chain(err: BaseException) -> list[BaseException]:
    """The error and what it wraps (`orig` for SQLAlchemy, `__cause__` otherwise)."""
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
    return seen


def _sqlstate(err: BaseException) -> str:
    for link in _chain(err):
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return ""


def _reason(err: BaseException) -> str:
    """The innermost error's own words, on one line."""
    inner = _chain(err)[-1]
    text = " ".join(str(inner).split()) or type(inner).__name__
    return text[:300]


def describe(err: BaseException, url: str) -> DatabaseProblem:
    """Classify an error met while connecting to or migrating the database at `url`."""
    where = masked_url(url)
    state = _sqlstate(err)
    reason = _reason(err)
    if isinstance(err, DatabaseProblem):
        return err
    if state in _REFUSED_SQLSTATES or state == "3D000":
        what = _REFUSED_SQLSTATES.get(state, "the database does not exist")
        return DatabaseProblem(
            "refused",
            f"the database server at {where} refused: {what} ({reason}); check the user, "
            "password and database name in [database] url or WIREWATCH_DATABASE_URL",
        )
    if state.startswith(_UNREACHABLE_SQLSTATES) or is_outage(err):
        return DatabaseProblem(
            "unreachable",
            f"cannot reach the database at {where}: {reason}; check that the server is "
            "running and that the host and port in [database] url are right",
        )
    if any(isinstance(link, OSError) for link in _chain(err)):
        return DatabaseProblem(
            "unusable",
            f"cannot open the database at {where}: {reason}; check the path and its "
            "directory's permissions",
        )
    return DatabaseProblem(
        "unusable", f"cannot use the database at {where}: {type(err).__name__}: {reason}"
    )


def is_outage(err: BaseException) -> bool:
    """True when the error means the database cannot be reached (a lost or refused connection,
    a server shutting down), rather than a problem with one statement."""
    for link in _chain(err):
        if isinstance(link, sqlalchemy.exc.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(link, ConnectionError | TimeoutError | socket.gaierror):
            return True
        if isinstance(link, sqlite3.OperationalError) and str(link).lower().startswith(
            _SQLITE_OUTAGES
        ):
            return True
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNREACHABLE_SQLSTATES):
            return True
        module = type(link).__module__
        if module.startswith("asyncpg") and type(link).__name__ in {
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "ConnectionFailureError",
        }:
            return True
    return False
