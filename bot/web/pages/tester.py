"""The rule tester: paste a rule and a text or a URL, see whether and why it matches."""

from __future__ import annotations

from aiohttp import web

from bot.web.context import context_of
from bot.web.pages.common import caller_of
from bot.web.render import render

__all__ = ["MAX_TEXT_CHARS", "routes"]

MAX_TEXT_CHARS = 100_000


async def tester_page(request: web.Request) -> web.Response:
    """The empty tester."""
    return render(request, "tester.html", form={}, reply=None)


async def run_test(request: web.Request) -> web.Response:
    """Test the rule on the text, or on what the URL serves (a feed's items, or a page)."""
    ctx = context_of(request)
    form = {k: str(v) for k, v in (await request.post()).items() if isinstance(v, str)}
    reply = await ctx.service.rule_check(
        caller_of(request),
        form.get("query", "")[:2000],
        text=form.get("text", "")[:MAX_TEXT_CHARS],
        url=form.get("url", "").strip()[:2000],
        title=form.get("title", "")[:500],
    )
    return render(request, "tester.html", status=200 if reply.ok else 400, form=form, reply=reply)


def routes() -> list[web.RouteDef]:
    """The tester's routes."""
    return [web.get("/test", tester_page), web.post("/test", run_test)]
