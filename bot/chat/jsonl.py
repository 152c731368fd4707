"""The `jsonl:PATH` output: one JSON object per line, for scripts; exactly once across crashes.

The relay may be killed after a line is written but before the delivery is recorded as sent;
it then sends the same delivery again. So each file keeps the set of delivery ids already in it
(loaded by scanning the file on first use), and a delivery id is never written twice. Each line
is written with one `os.write` on an `O_APPEND` descriptor, then `fsync`ed. A crash in the
middle of a write leaves a fragment without a newline at the end of the file: on first use it is
truncated away, and the relay's retry writes the line whole.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import stat
from pathlib import Path
from typing import ClassVar

from bot.chat.alert_json import alert_to_line
from bot.core.alert import Alert
from bot.ports import DeliveryError, PermanentDeliveryError

__all__ = ["JsonlNotifier"]

log = logging.getLogger(__name__)

# Errors that retrying cannot fix: the path itself is unusable.
_PERMANENT_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.ENAMETOOLONG,
        errno.EROFS,
        errno.ELOOP,
        errno.ENXIO,
        errno.EINVAL,
        errno.ENOENT,
        errno.EEXIST,
    }
)
_READ_CHUNK = 1 << 16


class _JsonlFile:
    """One output file: the delivery ids it holds and a lock serialising writes to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = asyncio.Lock()
        self.written: set[int] | None = None

    def append(self, delivery_id: int, line: bytes) -> bool:
        """Write `line` unless `delivery_id` is already in the file; return True if written."""
        if self.written is None:
            self.written = self._load()
        if delivery_id in self.written:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = _open_regular(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            size = os.fstat(fd).st_size
            try:
                done = os.write(fd, line)
                if done != len(line):
                    raise OSError(errno.EIO, f"short write ({done} of {len(line)} bytes)")
                os.fsync(fd)
            except OSError:
                _truncate_quietly(fd, size)
                raise
        finally:
            os.close(fd)
        self.written.add(delivery_id)
        return True

    def _load(self) -> set[int]:
        """Create the parent directories, repair a torn last line, collect the delivery ids."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = _open_regular(self.path, os.O_RDWR | os.O_CREAT)
        try:
            if created:
                _fsync_directory(self.path.parent)
            ids, complete = _scan(fd)
            if complete < os.fstat(fd).st_size:
                log.warning(
                    "%s ended with a partial line (a crash mid-write); removing it so it is "
                    "written again whole",
                    self.path,
                )
                os.ftruncate(fd, complete)
                os.fsync(fd)
        finally:
            os.close(fd)
        return ids


def _open_regular(path: Path, flags: int) -> int:
    """Open `path` without ever blocking (a FIFO would), insisting on a regular file."""
    fd = os.open(path, flags | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return fd


def _scan(fd: int) -> tuple[set[int], int]:
    """Return the delivery ids of the complete lines and the byte length of those lines."""
    ids: set[int] = set()
    complete = 0
    pending = b""
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, _READ_CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            complete += len(line) + 1
            delivery_id = _delivery_id_of(line)
            if delivery_id is not None:
                ids.add(delivery_id)
    return ids, complete


def _delivery_id_of(line: bytes) -> int | None:
    """Return the line's integer `delivery_id`, or None for a line that is not ours."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    value = record.get("delivery_id") if isinstance(record, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _truncate_quietly(fd: int, size: int) -> None:
    """Cut a failed write's partial bytes off again (best effort)."""
    try:
        os.ftruncate(fd, size)
    except OSError:
        log.warning("could not remove a partial line after a failed write", exc_info=True)


def _fsync_directory(directory: Path) -> None:
    """Make a newly created file's directory entry durable (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class JsonlNotifier:
    """Append alerts to JSON Lines files; relative paths are taken from `base_dir` (or the cwd)."""

    scheme: ClassVar[str] = "jsonl"

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir
        self._files: dict[Path, _JsonlFile] = {}

    def path_for(self, target: str) -> Path:
        """Resolve a destination target to the absolute path written."""
        path = Path(target.strip()).expanduser()
        if not path.is_absolute():
            path = (self.base_dir or Path.cwd()) / path
        return Path(os.path.abspath(path))

    async def send(self, target: str, alert: Alert) -> str | None:
        """Append `alert` as one line unless its delivery id is already there; return the id."""
        if not target.strip() or "\x00" in target:
            raise PermanentDeliveryError(f"jsonl needs a file path, got {target!r}")
        path = self.path_for(target)
        output = self._files.setdefault(path, _JsonlFile(path))
        line = alert_to_line(alert)
        async with output.lock:
            try:
                written = await asyncio.to_thread(output.append, alert.delivery_id, line)
            except OSError as err:
                raise _delivery_error(path, err) from err
        if not written:
            log.info("delivery %s is already in %s; not writing it twice", alert.delivery_id, path)
        return str(alert.delivery_id)

    async def notify_owner(self, owner: str, text: str) -> None:
        """Log the message: the owner of a file output is the operator at the terminal."""
        log.warning("to %s: %s", owner or "the operator", text)

    async def aclose(self) -> None:
        """Nothing to release: files are opened per write."""


def _delivery_error(path: Path, err: OSError) -> DeliveryError:
    """Turn an OS error into a retryable or permanent delivery error with an actionable message."""
    reason = err.strerror or str(err)
    if err.errno in _PERMANENT_ERRNOS:
        return PermanentDeliveryError(
            f"cannot write {path}: {reason}; make it a writable file path for this user "
            f"(or point the watch at another jsonl:PATH)"
        )
    return DeliveryError(f"writing {path} failed: {reason}")
