"""`wirewatch sources import FILE.opml`: every feed an OPML file lists."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text

from bot.cli.dispatch import CliCall
from bot.cli.render import render_reply
from bot.cli.service_commands import cli_caller, open_commands

__all__ = ["import_sources"]


async def import_sources(call: CliCall) -> int:
    """Add each feed through the same check as `sources add`; a file that is not OPML is 2."""
    path = Path(call.values["file"])
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        call.err.print(Text(f"cannot read {path}: {error.strerror or error}", style="red"))
        return 2
    async with open_commands(call) as service:
        reply = await service.sources_import(cli_caller(), data)
    if not reply.ok:
        lines = " ".join(str(line) for line in reply.lines)
        call.err.print(Text(f"{path}: {lines}", style="red"))
        return 2
    render_reply(call.out, reply)
    return 0
