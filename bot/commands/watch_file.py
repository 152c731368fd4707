"""Watches in a file, to move or back them up: `wirewatch watch export` / `import`, TOML or JSON.

Both formats hold the same thing, a list of `watches`, each with the keys of a config file's
`[[watches]]` entry (`query`, `to`, `mode`, `tz`) and what a watch carries beyond it: `owner`
(e.g. `slack:U0123`), `label` (the channel's name) and, for a paused watch, `paused` (the
reason) and `paused_until` (ISO 8601, UTC). A file is checked whole before anything is stored,
with the same checks as the config file (rule, destination, digest, time zone), and every
problem is named by its entry (`watches[3].tz: unknown time zone 'Europe/Pariss'`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import tomli
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.settings import WatchEntry, describe_problems
from bot.store.records import CONFIG_OWNER, NewWatch, WatchRecord

__all__ = ["FORMATS", "WatchFileError", "dump_watches", "format_of", "load_watches"]

FORMATS = ("toml", "json")
Format = Literal["toml", "json"]
MAX_PROBLEMS_SHOWN = 20


class WatchFileError(ValueError):
    """A watch file that cannot be imported: every problem, each with where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ExportedWatch(WatchEntry):
    """One watch of a file: a config `[[watches]]` entry plus owner, label and pause."""

    owner: str = ""
    label: str = ""
    paused: str = ""
    paused_until: datetime | None = None

    @field_validator("paused_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-11-23T18:00:00Z")
        return value.astimezone(UTC) if value is not None else None


class WatchFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    watches: list[ExportedWatch] = Field(default_factory=list)


def format_of(name: str, given: str | None = None) -> Format:
    """The format asked for, else the one a file name's extension says (TOML by default)."""
    chosen = (given or ("json" if name.lower().endswith(".json") else "toml")).lower()
    if chosen not in FORMATS:
        raise WatchFileError([f"unknown format {chosen!r}: use toml or json"])
    return "json" if chosen == "json" else "toml"


def _entry(watch: WatchRecord) -> dict[str, Any]:
    entry: dict[str, Any] = {"query": watch.query, "to": watch.destination}
    if watch.mode != "immediate":
        entry["mode"] = watch.mode
    if watch.tz != "UTC":
        entry["tz"] = watch.tz
    if watch.owner:
        entry["owner"] = watch.owner
    if watch.label:
        entry["label"] = watch.label
    if watch.paused:
        entry["paused"] = watch.paused_reason or "paused"
        if watch.paused_until is not None:
            entry["paused_until"] = watch.paused_until.astimezone(UTC).isoformat()
    return entry


def dump_watches(watches: list[WatchRecord], fmt: Format, now: datetime) -> str:
    """The file for `watches`, oldest first, in `fmt`."""
    entries = [_entry(w) for w in sorted(watches, key=lambda w: w.id)]
    if fmt == "json":
        return json.dumps({"watches": entries}, ensure_ascii=False, indent=2) + "\n"
    noun = "watch" if len(entries) == 1 else "watches"
    head = (
        f"# {len(entries)} Wirewatch {noun}, exported {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC.\n"
        "# `wirewatch watch import FILE` reads them back.\n\n"
    )
    return head + tomli_w.dumps({"watches": entries})


def load_watches(text: str, fmt: Format, *, default_owner: str) -> list[NewWatch]:
    """Read and check a whole file; raise WatchFileError naming every problem."""
    try:
        data = json.loads(text) if fmt == "json" else tomli.loads(text)
    except (ValueError, tomli.TOMLDecodeError) as err:
        raise WatchFileError([f"not valid {fmt.upper()}: {err}"]) from None
    if not isinstance(data, dict):
        raise WatchFileError(['expected {"watches": [...]} at the top level'])
    try:
        parsed = WatchFile.model_validate(data)
    except ValidationError as err:
        problems = describe_problems(err, WatchFile)
        if len(problems) > MAX_PROBLEMS_SHOWN:
            hidden = len(problems) - MAX_PROBLEMS_SHOWN
            problems = [*problems[:MAX_PROBLEMS_SHOWN], f"... and {hidden} more"]
        raise WatchFileError(problems) from None
    return [_new_watch(entry, default_owner) for entry in parsed.watches]


def _new_watch(entry: ExportedWatch, default_owner: str) -> NewWatch:
    owner = entry.owner if entry.owner and entry.owner != CONFIG_OWNER else default_owner
    platform = owner.partition(":")[0] if ":" in owner else "cli"
    return NewWatch(
        entry.query,
        entry.to,
        owner=owner,
        platform=platform,
        mode=entry.mode,
        tz=entry.tz,
        label=entry.label,
        paused_reason=entry.paused,
        paused_until=entry.paused_until,
    )
