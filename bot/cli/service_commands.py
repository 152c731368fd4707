"""The table's chat commands on the terminal: `wirewatch watch add`, `sources list`, `news` ...

Each opens only what it needs: the settings, the store (migrated), the command service; the
safe HTTP client only for a command that fetches a URL. The caller is the machine's operator
(an admin). Before the command runs, the database follows the config file's sources and
watches (`bot.app.config_sync`, as every start of the bot does), so `watch list` shows them
before the bot has ever run with that file, and `watch remove` refuses them. Timed pauses
that ended are ended. Changes reach a running bot from the database within half a minute.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text

from bot.cli.dispatch import CliCall
from bot.cli.logs import setup_logging
from bot.cli.render import render_reply
from bot.commands.invoke import invoke
from bot.commands.service import Caller, CommandService
from bot.commands.spec import ArgType
from bot.store.records import WatchRecord

__all__ = ["cli_caller", "open_commands", "read_text", "run_service_command"]


class _NoRunningMatcher:
    """The terminal runs no matcher: a running bot reloads the watches from the database."""

    def put(self, watch: WatchRecord) -> None:
        """Nothing to update in this process."""

    def drop(self, watch_id: int) -> None:
        """Nothing to update in this process."""

    def sync(self, watches: list[WatchRecord]) -> None:
        """Nothing to update in this process."""


def cli_caller() -> Caller:
    """The operator at the terminal: an admin, whose personal destination is the console."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "operator"
    return Caller(platform="cli", user_id=user, is_admin=True)


@asynccontextmanager
async def open_commands(call: CliCall, *, fetches: bool = False) -> AsyncIterator[CommandService]:
    """The command service over the config's store, the store following the config file."""
    from bot.app.command_wiring import command_service, fetch_policy
    from bot.app.config_sync import sync_config_sources, sync_config_watches
    from bot.settings import load_settings
    from bot.store import Store

    settings = load_settings(call.config)
    setup_logging(call.err, settings.log_level, quiet=True)
    store = await Store.open(settings.database.url)
    client = None
    try:
        now = datetime.now(UTC)
        await sync_config_sources(store, settings, now)
        await sync_config_watches(store, settings, now)
        await store.resume_due_watches(now)
        if fetches:
            from bot.fetch import SafeClient

            client = SafeClient(fetch_policy(settings))
        yield command_service(settings, store, _NoRunningMatcher(), client)
    finally:
        if client is not None:
            await client.aclose()
        await store.close()


async def read_text(call: CliCall, path: str) -> str | None:
    """A file's UTF-8 text; None, with the reason printed, when it cannot be read."""
    try:
        return await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror
        call.err.print(Text(f"cannot read {path}: {reason or error}", style="red"))
        return None


async def run_service_command(call: CliCall) -> int:
    """Run a chat command of the table as the operator; print its reply; 0 when it worked."""
    values: dict[str, Any] = dict(call.values)
    for arg in call.command.args_on("cli"):
        if arg.type is ArgType.PATH and values.get(arg.name) is not None:
            text = await read_text(call, values[arg.name])
            if text is None:
                return 2
            values[arg.name] = text
    fetches = any(arg.type is ArgType.URL for arg in call.command.args_on("cli"))
    async with open_commands(call, fetches=fetches) as service:
        reply = await invoke(service, cli_caller(), call.command, values)
    render_reply(call.out, reply)
    return 0 if reply.ok else 1
