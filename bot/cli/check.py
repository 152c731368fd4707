"""`wirewatch check RULE [--text T | --file F] [--title T] [--lang L]`: test a rule here.

Only the rule language is loaded for a rule and a text; a file loads the feed and page readers
(`bot.commands.check_file`) when it is given. No database, chat or clustering module.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from bot.cli.render import marked_text
from bot.core.alert import Marked
from bot.core.item import Item
from bot.core.query import Query, QuerySyntaxError, parse

if TYPE_CHECKING:
    from bot.cli.dispatch import CliCall
    from bot.commands.check_file import CheckedFile

__all__ = ["check"]


def check(call: CliCall) -> int:
    """Exit 0 when it matches, 1 when it does not, 2 for a syntax error or an unreadable file."""
    out, err, values = call.out, call.err, call.values
    try:
        query = parse(values["query"])
    except QuerySyntaxError as error:
        err.print(Text(f"syntax error: {error.message}", style="bold red"))
        err.print(Text(str(error), style="cyan"))
        return 2
    out.print(Text("rule: ", style="bold") + Text(str(query)))
    for warning in query.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))
    text = values["text"]
    lang, title = values["lang"] or "", values["title"]
    if values["file"]:
        from bot.commands.check_file import CheckFileError, read_check_file

        try:
            checked = asyncio.run(
                read_check_file(Path(values["file"]), lang=lang, title=title or "")
            )
        except CheckFileError as error:
            err.print(Text(str(error), style="red"))
            return 2
        if checked.kind != "text":
            return _print_checked_file(call, query, checked)
        text = checked.items[0].content
    if text is None and title is None:
        return 0
    item = Item(title=title or "", content=text or "", lang=lang)
    match = query.explain(item)
    if match is None:
        out.print(Text("no match", style="bold red"))
        return 1
    out.print(Text("match: ", style="bold green") + Text(", ".join(match.terms)))
    for field_name in ("title", "content"):
        value = getattr(item, field_name)
        spans = tuple((s, e) for f, s, e in match.spans if f == field_name)
        if value and spans:
            out.print(Text(f"{field_name}: ", style="dim") + marked_text(Marked(value, spans)))
    return 0


def _print_checked_file(call: CliCall, query: Query, checked: CheckedFile) -> int:
    """Show which items of a feed or page match; exit 0 when one does, 1 when none does."""
    from bot.commands.check_file import check_items

    out = call.out
    name = checked.title or "untitled"
    out.print(Text(f"{checked.kind}: {name} ({len(checked.items)} items)", style="bold"))
    verdicts = check_items(query, checked.items)
    for number, verdict in enumerate(verdicts, 1):
        if verdict.match is None:
            out.print(Text(f"  no match  #{number} {verdict.item.title}", style="dim"))
            continue
        out.print(Text(f"  match     #{number} ", style="bold green") + Text(verdict.item.title))
        out.print(Text("            matched: " + ", ".join(verdict.match.terms), style="green"))
        if verdict.summary is not None and verdict.summary.text:
            out.print(Text("            ") + marked_text(verdict.summary))
    matched = sum(1 for v in verdicts if v.match is not None)
    out.print(Text(f"{matched} of {len(verdicts)} items match"))
    return 0 if matched else 1
