"""Jinja2 templates (autoescaped) and the filters the pages use."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.commands.reply import Code, Line, Phrase
from bot.core.durations import format_duration
from bot.web.context import context_of, session_of

__all__ = ["TEMPLATES_DIR", "make_templates", "marked_html", "render", "since"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


def marked_html(value: Line) -> Markup:
    """Text with its matched words in <mark>, code and commands in <code> (commands as chat
    writes them), everything else escaped."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Phrase):
        return Markup("").join(
            escape(part)
            if isinstance(part, str)
            else Markup("<code>{}</code>").format(
                part.text if isinstance(part, Code) else str(part)
            )
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
