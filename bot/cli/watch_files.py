"""`wirewatch watch export [FILE]` and `wirewatch watch import FILE`: watches in a file."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.text import Text

from bot.cli.dispatch import CliCall
from bot.cli.render import render_reply
from bot.cli.service_commands import cli_caller, open_commands, read_text
from bot.commands.watch_file import WatchFileError, format_of

__all__ = ["export_watches", "import_watches"]


async def export_watches(call: CliCall) -> int:
    """Write the export to FILE (its extension picks the format) or to standard output."""
    target = Path(call.values["file"]) if call.values["file"] else None
    fmt = format_of(target.name if target else "", call.values["format"])
    async with open_commands(call) as service:
        reply = await service.watch_export(cli_caller(), fmt)
    if not reply.ok or reply.code is None:
        render_reply(call.err, reply)
        return 1
    if target is None:
        sys.stdout.write(reply.code)
        return 0
    try:
        await asyncio.to_thread(target.write_text, reply.code, encoding="utf-8")
    except OSError as error:
        call.err.print(Text(f"cannot write {target}: {error.strerror or error}", style="red"))
        return 2
    call.err.print(Text(f"{reply.title} to {target}", style="green"))
    return 0


async def import_watches(call: CliCall) -> int:
    """Add the watches of an exported file: all of them, or none when one is wrong."""
    path = call.values["file"]
    text = await read_text(call, path)
    if text is None:
        return 2
    try:
        fmt = format_of(Path(path).name, call.values["format"])
    except WatchFileError as error:
        call.err.print(Text("; ".join(error.problems), style="red"))
        return 2
    async with open_commands(call) as service:
        reply = await service.watch_import(cli_caller(), text, fmt)
    render_reply(call.out, reply)
    return 0 if reply.ok else 1
