"""Render command replies and lists on the terminal with rich (feed text is never markup)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.commands.phrases import Line, Phrase
from bot.commands.source_status import source_health
from bot.commands.usage import written
from bot.core.durations import format_duration

if TYPE_CHECKING:
    from bot.commands.reply import Reply

__all__ = ["marked_text", "render_reply"]


def marked_text(marked: Line, style: str = "") -> Text:
    """A rich Text: marked spans in bold, code in cyan, commands as the terminal writes them
    (`wirewatch watch list`); the text is never parsed as markup."""
    if isinstance(marked, str):
        return Text(marked, style=style)
    out = Text(style=style)
    if isinstance(marked, Phrase):
        pieces = marked.render(
            text=lambda plain: (plain, ""),
            code=lambda literal: (literal, "cyan"),
            command=lambda ref: (written(ref, "cli"), "bold"),
        )
        for piece, piece_style in pieces:
            out.append(piece, style=piece_style)
        return out
    for piece, bold in marked.segments():
        out.append(piece, style="bold" if bold else "")
    return out


def _age(when: datetime | None) -> str:
    if when is None:
        return "never"
    seconds = (datetime.now(UTC) - when).total_seconds()
    return "just now" if seconds < 60 else f"{format_duration(seconds)} ago"


def render_reply(console: Console, reply: Reply) -> None:
    """Print a Reply: title, body, warnings, code block, then any lists it carries."""
    console.print(marked_text(reply.title, style="bold green" if reply.ok else "bold red"))
    for line in reply.lines:
        console.print(marked_text(line))
    for warning in reply.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    if reply.code:
        console.print(Text(reply.code, style="cyan"))
    for story in reply.stories:
        item = story.item
        console.print(Text(f"• {item.title}", style="bold"), Text(f" ({item.source})", style="dim"))
        console.print(Text("  ") + marked_text(story.summary))
        if item.url:
            console.print(Text(f"  {item.url}", style="blue"))
    if reply.watches:
        table = Table("id", "rule", "destination", "mode", "status", "7-day matches")
        for w in reply.watches:
            status = f"paused: {w.paused_reason}" if w.paused else "active"
            table.add_row(
                str(w.id),
                Text(w.query),
                Text(w.destination),
                w.mode,
                Text(status),
                str(reply.watch_counts.get(w.id, "")),
            )
        console.print(table)
    if reply.sources:
        table = Table("id", "name", "kind", "every", "last poll", "next poll", "items", "health")
        for s in reply.sources:
            table.add_row(
                str(s.id),
                Text(s.name),
                s.kind,
                format_duration(s.interval_s),
                _age(s.last_polled_at),
                Text(reply.next_polls.get(s.id, "")),
                str(s.items_count),
                Text(source_health(s)),
            )
        console.print(table)
