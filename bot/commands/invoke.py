"""Run a command of the table for any surface: check its permission, call its handler.

Every surface ends here once it has the argument values: Slack with the text of a slash command
(`run_text`), Discord with an interaction's options, the terminal with its parsed arguments.
The handler is the CommandService method the table names; required arguments (or the argument
given instead of one) are passed in table order, the others by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.reply import Reply, say, usage_of
from bot.commands.spec import Arg, Command
from bot.commands.table import GROUPS, commands_of, group
from bot.commands.text import TextProblem, parse_arguments, sub_command

if TYPE_CHECKING:
    from bot.commands.service import Caller, CommandService

__all__ = ["handler_call", "invoke", "run_text"]


def _passed_by_position(command: Command, arg: Arg) -> bool:
    if arg.required:
        return True
    replaced = next((a for a in command.args if a.name == arg.instead_of), None)
    return replaced is not None and replaced.required


def handler_call(
    command: Command, values: Mapping[str, str | None]
) -> tuple[str, list[str], dict[str, str]]:
    """The handler to call for these values (an argument may bring its own), and its
    positional and keyword arguments."""
    given = {name: value for name, value in values.items() if value is not None}
    handler = command.handler
    for arg in command.args:
        if arg.handler and arg.name in given:
            handler = arg.handler
    positional: list[str] = []
    keywords: dict[str, str] = {}
    for arg in command.args:
        if arg.name not in given:
            continue
        if _passed_by_position(command, arg):
            positional.append(given[arg.name])
        else:
            keywords[arg.name] = given[arg.name]
    return handler, positional, keywords


async def invoke(
    service: CommandService,
    caller: Caller,
    command: Command,
    values: Mapping[str, str | None],
) -> Reply:
    """Refuse what the caller may not do, else run the command's handler."""
    action = f"{command.name} {command.group}".strip()
    refused = service.refusal(caller, command.permission, action)
    if refused is not None:
        return refused
    handler, positional, keywords = handler_call(command, values)
    method: Callable[..., Awaitable[Reply]] = getattr(service, handler)
    return await method(caller, *positional, **keywords)


def _usage_lines(group_name: str) -> list[Any]:
    return [say(usage_of(c.group, c.name)) for c in commands_of(group_name) if c.on("slack")]


async def run_text(service: CommandService, caller: Caller, slash: str, text: str) -> Reply:
    """Run a command typed as text: "/watch" + "add Algeria AND readmission <#C1|desk>"."""
    name = slash.strip().lstrip("/").lower()
    chat = [g.name for g in GROUPS if g.on("slack")]
    if name not in chat:
        lines = [line for g in chat for line in _usage_lines(g)]
        return Reply.error(f"Unknown command /{name}", *lines)
    command, word, rest = sub_command(name, text)
    if command is None or (command.name == "" and not rest):
        if word in ("", "help"):
            return Reply(title=group(name).help, lines=_usage_lines(name))
        return Reply.error(f"Unknown sub-command {word!r}", *_usage_lines(name))
    try:
        values = parse_arguments(command, rest)
    except TextProblem as problem:
        return Reply.error(
            f"{str(problem)[0].upper()}{str(problem)[1:]}",
            say("Usage: ", usage_of(command.group, command.name)),
        )
    return await invoke(service, caller, command, values)
