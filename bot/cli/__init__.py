"""The `wirewatch` command. Its subcommands are generated from the command table.

`bot.cli.parser` builds the argument parser from `bot.commands.table`; `bot.cli.dispatch` runs
what was asked: a chat command through the `CommandService` (with only the store the command
needs), a command of the terminal through the function the table names. Modules load only
when their command runs, so `wirewatch check` imports no database, chat or clustering code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console

__all__ = ["err", "main", "out"]

out = Console()
err = Console(stderr=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wirewatch` command."""
    from bot.cli.dispatch import run_argv

    return run_argv(list(sys.argv[1:] if argv is None else argv), out, err)


if __name__ == "__main__":
    sys.exit(main())
