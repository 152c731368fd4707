"""The platform-neutral reply of a command; each surface renders it in its own words.

Its lines are plain text, Marked text (matched words) or a `Phrase` with code and references
to commands (`bot.commands.phrases`), which each surface writes its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.commands.phrases import Code, CommandRef, Line, Phrase, cmd, say, usage_of
from bot.core.alert import Story
from bot.store.db_errors import is_outage
from bot.store.records import SourceRecord, WatchRecord

__all__ = ["Code", "CommandRef", "Line", "Phrase", "Reply", "cmd", "say", "usage_of"]


@dataclass(slots=True)
class Reply:
    """What a command answers.

    `title` is one line ("Watch #12 added"); `lines` the body (plain text, Marked text with
    matched words, or a Phrase with code and command references);
    `code` a preformatted block (a rule with a caret under a syntax error); `stories`,
    `watches`, `sources` structured lists the renderer shows as it sees fit; `watch_counts`
    (matches in 7 days) and `next_polls` ("in 4m (interval 5m)") annotate them by id.
    `ephemeral` replies are shown to the asker only; `shareable` offers "Share in channel".
    """

    title: str | Phrase
    ok: bool = True
    lines: list[Line] = field(default_factory=list)
    code: str | None = None
    warnings: list[str] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    watches: list[WatchRecord] = field(default_factory=list)
    sources: list[SourceRecord] = field(default_factory=list)
    watch_counts: dict[int, int] = field(default_factory=dict)
    next_polls: dict[int, str] = field(default_factory=dict)
    ephemeral: bool = True
    shareable: bool = False

    @classmethod
    def error(cls, title: str | Phrase, *lines: str | Phrase, code: str | None = None) -> Reply:
        """An error reply: what went wrong and how to fix it; always ephemeral."""
        return cls(title=title, ok=False, lines=list(lines), code=code, ephemeral=True)

    @classmethod
    def failed(cls, err: BaseException) -> Reply:
        """The answer to a command that raised: a database outage says so, anything else was
        a bug (logged by the caller)."""
        if is_outage(err):
            return cls.error(
                "The database cannot be reached right now",
                "Wirewatch keeps trying on its own; please try again in a minute.",
            )
        return cls.error(
            "Something went wrong on our side",
            "The error was logged; please try again in a moment.",
        )
