"""Commands typed as text (Slack's slash commands), parsed by the table's declarations.

`/watch add Algeria AND readmission <#C1|desk> digest daily 08:00` is the group `watch`, the
sub-command `add` (or an alias, like `ls`), then its arguments: trailing keyword clauses
(`digest daily 08:00`, `since 7d`, `kind html`, each recognised only at the end and only when
its value has the right form, so a rule can still contain those words), a channel mention
anywhere (Slack escapes it as `<#C123|name>`), then the positional arguments in table order,
the last `tail` one taking the rest of the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands.spec import Arg, ArgType, Command
from bot.commands.table import commands_of

__all__ = ["TextProblem", "parse_arguments", "split_subcommand", "sub_command"]

_CHANNEL_MENTION = re.compile(r"\s*<#([A-Z0-9]+)(?:\|[^>]*)?>\s*")
_KEYWORD_VALUES: dict[ArgType, str] = {
    ArgType.DIGEST: (
        r"hourly|(?:daily|weekly\s+[A-Za-z]{3,9})\s+\d{1,2}:\d{2}"
        r"(?:\s+[A-Za-z_]+/[A-Za-z_+\-/]+|\s+UTC)?"
    ),
    ArgType.PERIOD: r"\d+\s*[smhdw]",
    ArgType.KIND: r"[a-z][a-z0-9_]*",
}


class TextProblem(ValueError):
    """Text that does not fit the command: what is wrong (the caller adds the usage)."""


@dataclass(frozen=True, slots=True)
class _Clause:
    arg: Arg
    pattern: re.Pattern[str]


def split_subcommand(text: str) -> tuple[str, str]:
    """Return (sub-command lower-cased, rest) of "add Algeria AND x" -> ("add", "Algeria AND x")."""
    head, _, rest = text.strip().partition(" ")
    return head.lower(), rest.strip()


def sub_command(group: str, text: str) -> tuple[Command | None, str, str]:
    """The command `text` names in `group` (its name or an alias), the sub-command word as
    typed, and the rest of the text. A group that is one command (`/news`) takes all of it."""
    commands = [c for c in commands_of(group) if c.on("slack")]
    if len(commands) == 1 and commands[0].name == "":
        return commands[0], "", text.strip()
    word, rest = split_subcommand(text)
    for candidate in commands:
        if word == candidate.name or word in candidate.aliases:
            return candidate, word, rest
    return None, word, rest


def _clauses(command: Command) -> list[_Clause]:
    return [
        _Clause(arg, re.compile(rf"\s+{arg.keyword}\s+({_KEYWORD_VALUES[arg.type]})\s*$", re.I))
        for arg in command.args_on("slack")
        if arg.keyword
    ]


def parse_arguments(command: Command, text: str) -> dict[str, str]:
    """The values of `command`'s arguments in `text`; TextProblem when something is missing or
    left over."""
    values: dict[str, str] = {}
    rest = " " + text.strip()
    clauses = _clauses(command)
    found = True
    while found:  # trailing clauses, in any order
        found = False
        for clause in clauses:
            match = clause.pattern.search(rest)
            if clause.arg.name not in values and match is not None:
                values[clause.arg.name] = " ".join(match.group(1).split())
                rest = rest[: match.start()]
                found = True
    channel = next((a for a in command.args_on("slack") if a.type is ArgType.CHANNEL), None)
    if channel is not None:
        mention = _CHANNEL_MENTION.search(rest)
        if mention is not None:
            values[channel.name] = mention.group(1)
            rest = rest[: mention.start()] + " " + rest[mention.end() :]
    words = rest.split()
    for arg in command.args_on("slack"):
        if arg.keyword or arg.type is ArgType.CHANNEL or not words:
            continue
        if arg.tail:
            values[arg.name] = " ".join(words)
            words = []
        else:
            values[arg.name] = words.pop(0)
    if words:
        raise TextProblem(f"{' '.join(words)!r} was not expected")
    missing = [a.shown for a in command.args_on("slack") if a.required and a.name not in values]
    if missing:
        raise TextProblem(f"{' and '.join(missing)} is missing")
    return values
