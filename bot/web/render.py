"""Jinja2 templates (autoescaped) and the filters the pages use."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.commands.reply import Code, CommandRef, Line, Phrase
from bot.core.durations import format_duration
from bot.web.context import context_of, session_of

__all__ = [
    "TEMPLATES_DIR",
    "command_place",
    "make_templates",
    "marked_html",
    "plain_text",
    "render",
    "since",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"


_PAGES = {
    # group: (an item's page, how a sentence names it, the list's page, how it is named)
    "watch": ("/watches/{id}", "watch #{id}'s page", "/", "the dashboard's watch list"),
    "sources": ("/sources/{id}", "source #{id}'s page", "/sources", "the sources page"),
}


def command_place(ref: CommandRef) -> tuple[str, str]:
    """Where the console does what a reply's command reference asks, and the words naming it
    in a sentence: `/watch pause 12` is "the Pause button on watch #12's page" (/watches/12),
    `/watch list` "the dashboard's watch list" (/)."""
    if ref.group == "news" or (ref.group == "watch" and ref.name == "test"):
        return "/test", "the rule tester"
    if ref.group not in _PAGES:  # a command the console has no page for
        return "/", "the dashboard"
    item_page, item_words, list_page, list_words = _PAGES[ref.group]
    ident = dict(ref.values).get("id")
    if ref.name in ("", "list"):
        return list_page, list_words
    if ref.name == "add":
        if ref.group == "watch":
            return "/watches/new", "the new watch form"
        return "/sources", "the form on the sources page"
    control = "the edit form" if ref.name == "edit" else f"the {ref.name.capitalize()} button"
    if ident is None or not ident.isdigit():
        return list_page, f"{control} on {'a watch' if ref.group == 'watch' else 'a source'}'s page"
    return item_page.format(id=ident), f"{control} on {item_words.format(id=ident)}"


def _command_html(ref: CommandRef) -> Markup:
    href, words = command_place(ref)
    link = Markup('<a href="{}">{}</a>').format(href, words)
    url = dict(ref.values).get("url")
    return Markup("<code>{}</code> ({})").format(url, link) if url else link


def plain_text(value: Line | str) -> str:
    """A reply's title or line as plain text in the console's words (a notice): code as it
    is, commands as the places that do them, matched words unmarked."""
    if isinstance(value, str):
        return value
    if isinstance(value, Phrase):
        return "".join(
            part
            if isinstance(part, str)
            else part.text
            if isinstance(part, Code)
            else _command_words(part)
            for part in value.parts
        )
    return value.text


def _command_words(ref: CommandRef) -> str:
    words = command_place(ref)[1]
    url = dict(ref.values).get("url")
    return f"{url} ({words})" if url else words


def marked_html(value: Line) -> Markup:
    """Text with its matched words in <mark>, code in <code>, a command as a link to the page
    that does it (the console's words, never a chat's slash command), everything else escaped."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Phrase):
        return Markup("").join(
            escape(part)
            if isinstance(part, str)
            else Markup("<code>{}</code>").format(part.text)
            if isinstance(part, Code)
            else _command_html(part)
            for part in value.parts
        )
    return Markup("").join(
        Markup("<mark>{}</mark>").format(piece) if bold else escape(piece)
        for piece, bold in value.segments()
    )


def since(moment: datetime | None, now: datetime) -> str:
    """ "4m ago", "in 3m", or "never"."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if abs(seconds) < 1:
        return "now"
    shown = format_duration(abs(seconds))
    return f"{shown} ago" if seconds > 0 else f"in {shown}"


def make_templates() -> jinja2.Environment:
    """The template environment: files from bot/web/templates, autoescape on, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["marked"] = marked_html
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    """Render a page (or an htmx fragment) with the session's user and CSRF token."""
    ctx = context_of(request)
    session = session_of(request)
    now = ctx.clock()
    notice, notice_ok = session.take_notice()
    page = ctx.templates.get_template(template).render(
        notice=notice,
        notice_ok=notice_ok,
        user=session.user,
        csrf=session.csrf,
        now=now,
        ago=lambda moment: since(moment, now),
        path=request.path,
        **values,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
