"""Run what `wirewatch` was asked: a chat command through the service, or one of the terminal."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.text import Text

from bot.cli.parser import build_parser, values_of
from bot.commands.spec import Command

__all__ = ["CliCall", "run_argv"]


@dataclass(frozen=True, slots=True)
class CliCall:
    """One run of a command on the terminal: its argument values, the config file it names
    (`--config`, else $WIREWATCH_CONFIG, else the default), and the consoles to print on."""

    command: Command
    values: dict[str, Any]
    config: str | None
    out: Console
    err: Console


def run_argv(argv: list[str], out: Console, err: Console) -> int:
    """Parse `argv`, run the command, return its exit code."""
    parsed = build_parser().parse_args(argv)
    command: Command = parsed.command
    call = CliCall(command, values_of(command, parsed), parsed.config, out, err)
    try:
        if ":" in command.handler:
            module, _, name = command.handler.partition(":")
            result = getattr(importlib.import_module(module), name)(call)
            return int(asyncio.run(result) if inspect.iscoroutine(result) else result)
        from bot.cli.service_commands import run_service_command

        return asyncio.run(run_service_command(call))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        code = _failure(error, err)
        if code is None:
            raise
        return code


def _failure(error: Exception, err: Console) -> int | None:
    """One line for a configuration that cannot be used (exit 2) or a database that cannot
    be (exit 1, its password masked); None for anything else (a bug: the traceback shows)."""
    from bot.settings import ConfigError
    from bot.store.db_errors import DatabaseProblem

    if isinstance(error, ConfigError):
        err.print(Text(str(error), style="red"))
        return 2
    if isinstance(error, DatabaseProblem):
        err.print(Text(f"database: {error.message}", style="red"), soft_wrap=True)
        return 1
    return None
