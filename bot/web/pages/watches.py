"""Watches: add one (live parse errors and the 7-day preview), its page (rule, chart of matches
per day, recent matches highlighted), edit, pause, resume and remove.

Every change goes through the command service with the signed-in user as caller, so the
permissions, quotas and messages are the chat commands' own.
"""

from __future__ import annotations

from aiohttp import web

from bot.commands.reply import Reply
from bot.commands.service import CommandService
from bot.core.query import QuerySyntaxError, parse
from bot.core.stories import story_for
from bot.store.activity import day_window
from bot.store.records import CONFIG_OWNER, WatchRecord
from bot.web.auth import redirect
from bot.web.charts import bar_chart
from bot.web.context import context_of
from bot.web.pages.common import caller_of, not_found, path_id, reply_notice
from bot.web.render import render

__all__ = ["CHART_DAYS", "RECENT_MATCHES", "routes"]

CHART_DAYS = 30
RECENT_MATCHES = 20
MAX_RULE_CHARS = 2000


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def new_watch(request: web.Request) -> web.Response:
    """The form to add a watch."""
    caller = caller_of(request)
    return render(request, "watch_new.html", form={}, reply=None, caller=caller)


async def add_watch(request: web.Request) -> web.Response:
    """Add a watch; on an error show the form again with the service's message."""
    ctx = context_of(request)
    caller = caller_of(request)
    form = await _form(request)
    query = form.get("query", "")[:MAX_RULE_CHARS]
    reply = await ctx.service.watch_add(
        caller,
        query,
        channel=form.get("to", "").strip() or None,
        digest=form.get("digest", "").strip() or None,
    )
    if not reply.ok or not reply.watches:
        return render(request, "watch_new.html", status=400, form=form, reply=reply, caller=caller)
    reply_notice(request, reply)
    return redirect(f"/watches/{reply.watches[0].id}")


async def check_rule(request: web.Request) -> web.Response:
    """htmx fragment: the rule as understood, its warnings or the caret under a syntax error,
    and what it would have matched in the last 7 days (`/watch test`)."""
    ctx = context_of(request)
    form = await _form(request)
    query = form.get("query", "")[:MAX_RULE_CHARS]
    if not query.strip():
        return render(request, "_check.html", reply=None)
    reply = await ctx.service.watch_test(caller_of(request), query)
    return render(request, "_check.html", reply=reply)


async def _visible_watch(
    request: web.Request, service: CommandService
) -> WatchRecord | web.Response:
    wid = path_id(request)
    watch = await context_of(request).store.get_watch(wid) if wid is not None else None
    if watch is None or not service.may_see(caller_of(request), watch):
        return not_found(request, f"watch #{request.match_info.get('id', '')}")
    return watch


async def watch_page(
    request: web.Request, *, edit_reply: Reply | None = None, edit_rule: str | None = None
) -> web.Response:
    """A watch: its rule, matches per day, recent matches, edit and actions."""
    ctx = context_of(request)
    found = await _visible_watch(request, ctx.service)
    if isinstance(found, web.Response):
        return found
    watch = found
    caller = caller_of(request)
    now = ctx.clock()
    days = day_window(now.date(), CHART_DAYS)
    counts = (await ctx.store.matches_per_day([watch.id], days[0], CHART_DAYS))[watch.id]
    try:
        query = parse(watch.query)
    except QuerySyntaxError:
        query = None
    matches = [
        (
            delivery,
            story_for(
                archived.item, query, item_id=archived.id, max_chars=ctx.service.summary_chars
            ),
        )
        for delivery, archived in await ctx.store.watch_matches(watch.id, limit=RECENT_MATCHES)
    ]
    return render(
        request,
        "watch.html",
        status=400 if edit_reply is not None and not edit_reply.ok else 200,
        watch=watch,
        chart=bar_chart(counts, days),
        total=sum(counts),
        chart_days=CHART_DAYS,
        matches=matches,
        may_change=ctx.service.may_change(caller, watch),
        from_config=watch.platform == CONFIG_OWNER,
        edit_reply=edit_reply,
        edit_rule=edit_rule if edit_rule is not None else watch.query,
    )


async def watch_preview(request: web.Request) -> web.Response:
    """htmx fragment (or a plain page without scripts): the watch's 7-day preview."""
    ctx = context_of(request)
    found = await _visible_watch(request, ctx.service)
    if isinstance(found, web.Response):
        return found
    reply = await ctx.service.watch_test(caller_of(request), found.query)
    if request.headers.get("HX-Request"):
        return render(request, "_check.html", reply=reply)
    return render(request, "watch_preview.html", watch=found, reply=reply)


async def edit_watch(request: web.Request) -> web.Response:
    """Change the rule (and digest mode); an error keeps the page with the message."""
    ctx = context_of(request)
    wid = path_id(request)
    form = await _form(request)
    rule = form.get("query", "")[:MAX_RULE_CHARS]
    reply = await ctx.service.watch_edit(
        caller_of(request), str(wid or ""), rule, digest=form.get("digest", "").strip() or None
    )
    if not reply.ok:
        return await watch_page(request, edit_reply=reply, edit_rule=rule)
    reply_notice(request, reply)
    return redirect(f"/watches/{wid}")


async def change_watch(request: web.Request) -> web.Response:
    """Pause (optionally "for 2h" or "until 18:00"), resume or remove a watch."""
    ctx = context_of(request)
    caller = caller_of(request)
    wid = str(path_id(request) or request.match_info.get("id", ""))
    action = request.match_info["action"]
    form = await _form(request)
    if action == "pause":
        reply = await ctx.service.watch_pause(
            caller, wid, until=form.get("for", "").strip() or None
        )
    elif action == "resume":
        reply = await ctx.service.watch_resume(caller, wid)
    else:
        reply = await ctx.service.watch_remove(caller, wid)
    reply_notice(request, reply)
    if action == "remove" and reply.ok:
        return redirect("/")
    return redirect(f"/watches/{wid}")


def routes() -> list[web.RouteDef]:
    """The watch routes."""
    return [
        web.get("/watches/new", new_watch),
        web.post("/watches", add_watch),
        web.post("/rules/check", check_rule),
        web.get(r"/watches/{id:\d+}", watch_page),
        web.get(r"/watches/{id:\d+}/preview", watch_preview),
        web.post(r"/watches/{id:\d+}/edit", edit_watch),
        web.post(r"/watches/{id:\d+}/{action:pause|resume|remove}", change_watch),
    ]
