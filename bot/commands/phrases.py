"""The parts of a reply line: text, code to copy, and references to commands.

A reply never spells a command the way one surface writes it: a line that points to another
command holds a `CommandRef`, which Slack writes `/watch pause 12`, Discord `/watch pause id:12`
and the terminal `wirewatch watch pause 12` (`bot.commands.usage.written`). Literals the reader
may copy (a rule, a URL) are `Code`. Both go into a `Phrase`, a line made of parts. This module
imports no database code, so the terminal can render without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.core.alert import Marked

__all__ = ["Code", "CommandRef", "Line", "Part", "Phrase", "cmd", "say", "usage_of"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Code:
    """A literal the reader may copy: a rule, a URL, an example."""

    text: str


@dataclass(frozen=True, slots=True)
class CommandRef:
    """A command a reply points to, with the values to give it (argument name, value).

    With `usage` set it stands for the command's whole usage line, placeholders and all.
    """

    group: str
    name: str = ""
    values: tuple[tuple[str, str], ...] = ()
    usage: bool = False

    def __str__(self) -> str:
        """A neutral form for logs and the web console: `/watch pause 12`."""
        words = [self.group, self.name, *(value for _, value in self.values)]
        return "/" + " ".join(w for w in words if w)


Part = str | Code | CommandRef


@dataclass(frozen=True, slots=True)
class Phrase:
    """A line of text, code and command references."""

    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return "".join(f"`{p.text}`" if isinstance(p, Code) else str(p) for p in self.parts)

    def render(
        self,
        *,
        text: Callable[[str], T],
        code: Callable[[str], T],
        command: Callable[[CommandRef], T],
    ) -> list[T]:
        """Each part, in order, through the function for its kind (a surface's renderer)."""
        return [
            code(p.text)
            if isinstance(p, Code)
            else command(p)
            if isinstance(p, CommandRef)
            else text(p)
            for p in self.parts
        ]


Line = str | Marked | Phrase


def cmd(group: str, name: str = "", **values: object) -> CommandRef:
    """A reference to `group name` with these argument values: `cmd("watch", "pause", id=12)`."""
    return CommandRef(group, name, tuple((k, str(v)) for k, v in values.items()))


def usage_of(group: str, name: str = "") -> CommandRef:
    """A reference to the whole usage line of a command."""
    return CommandRef(group, name, usage=True)


def say(*parts: Part) -> Phrase:
    """A line made of text, `Code` and `CommandRef` parts."""
    return Phrase(tuple(parts))
