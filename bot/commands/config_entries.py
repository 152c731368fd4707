"""Where the config file defines each of its sources and watches: the file and the line.

Chat and the CLI cannot remove what the file owns (`bot.app.config_sync`); their refusal names
the entry to edit instead, found in the raw TOML text (TOML parsers do not keep positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from bot.store.records import CONFIG_OWNER, SourceRecord, WatchRecord

__all__ = ["ConfigEntries", "EntryLocation"]

_HEADER = re.compile(r"^\s*\[\[\s*(sources|watches)\s*\]\]\s*(?:#.*)?$")
_TABLE = re.compile(r"^\s*\[")
_KEY = {"sources": re.compile(r"^\s*url\s*="), "watches": re.compile(r"^\s*query\s*=")}
_MULTILINE = re.compile(r'"""|\'\'\'')


@dataclass(frozen=True, slots=True)
class EntryLocation:
    """A config entry: the file (None when the settings were not read from one) and line."""

    table: str
    file: Path | None
    line: int | None

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "the bot's configuration"
        return f"{where}, line {self.line}" if self.line is not None else where


class ConfigEntries:
    """Finds the `[[sources]]` or `[[watches]]` entry behind a config-owned row.

    Without settings (a command service built on its own, in tests) a config-owned row is
    still recognised, with no file or line to name.
    """

    def __init__(self, settings: Settings | None, text: str | None = None) -> None:
        self.settings = settings
        self.file = settings.config_file if settings is not None else None
        self._lines: dict[str, list[int]] = {"sources": [], "watches": []}
        if text is not None:
            self._lines = _entry_lines(text)

    @classmethod
    def read(cls, settings: Settings) -> ConfigEntries:
        """Locate the entries of the file `settings` came from (positions unknown if unreadable)."""
        text = None
        if settings.config_file is not None:
            try:
                text = settings.config_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        return cls(settings, text)

    def locate(self, row: WatchRecord | SourceRecord) -> EntryLocation | None:
        """Where the file defines this row; None if the file does not own it (or no longer
        lists it: then chat and the CLI may remove it, and the next start would anyway)."""
        if isinstance(row, WatchRecord):
            if row.platform != CONFIG_OWNER:
                return None
            table = "watches"
            key: object = (row.query, row.destination, row.mode, row.tz)
            keys: list[object] = (
                [(w.query, w.to, w.mode, w.tz) for w in self.settings.watches]
                if self.settings is not None
                else []
            )
        else:
            if row.owner != CONFIG_OWNER:
                return None
            table, key = "sources", row.url
            keys = [e.url for e in self.settings.sources] if self.settings is not None else []
        if self.settings is None:
            return EntryLocation(table, None, None)
        if key not in keys:
            return None
        index = keys.index(key)
        lines = self._lines[table]
        line = lines[index] if len(lines) == len(keys) else None  # inline tables: no line
        return EntryLocation(table, self.file, line)


def _entry_lines(text: str) -> dict[str, list[int]]:
    """Per table, the line of each entry's key line (`url =` / `query =`), else its header."""
    found: dict[str, list[int]] = {"sources": [], "watches": []}
    current: str | None = None
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            in_string = len(_MULTILINE.findall(line)) % 2 == 0
            continue
        header = _HEADER.match(line)
        if header is not None:
            current = header.group(1)
            found[current].append(number)
        elif _TABLE.match(line):
            current = None
        elif current is not None and _KEY[current].match(line) and found[current]:
            found[current][-1] = number
            current = None  # the key line is enough; later lines belong to the same entry
        if len(_MULTILINE.findall(line)) % 2 == 1:
            in_string = True
    return found
