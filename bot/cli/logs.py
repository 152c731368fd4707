"""Log lines on the terminal: rich on a terminal, one plain line per record elsewhere."""

from __future__ import annotations

import logging
import sys

from rich.console import Console

__all__ = ["setup_logging"]

_NOISY = (
    "httpx",
    "httpcore",
    "apscheduler",
    "aiosqlite",
    "asyncio",
    "slack_bolt",
    "slack_sdk",
    "discord",
    "trafilatura",
    "alembic",
)


def setup_logging(err: Console, level: str, *, quiet: bool = False) -> None:
    """Rich log lines on a terminal; one plain line per record elsewhere (Docker, journald)."""
    handler: logging.Handler
    if err.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, rich_tracebacks=False, markup=False)
        fmt = "%(message)s"
    else:
        handler = logging.StreamHandler(sys.stderr)
        fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(
        level="WARNING" if quiet else level, handlers=[handler], format=fmt, force=True
    )
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
