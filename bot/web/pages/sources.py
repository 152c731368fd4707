"""Sources: add one by site URL (feed discovery), each one's health history, pause, resume,
remove. Changes go through the command service, so only admins (or everyone with
`open_sources`) may make them, and a source the config file owns is not removed here."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.commands.reply import Reply
from bot.commands.source_status import source_health, source_next_poll
from bot.store.activity import day_window
from bot.store.records import CONFIG_OWNER
from bot.web.auth import redirect
from bot.web.charts import stacked_bars
from bot.web.context import context_of
from bot.web.pages.common import caller_of, not_found, paging, path_id, reply_notice
from bot.web.render import render

__all__ = ["HISTORY_DAYS", "SOURCES_PER_PAGE", "routes"]

SOURCES_PER_PAGE = 100
HISTORY_DAYS = 7
HISTORY_POLLS = 50


async def sources_page(
    request: web.Request, *, reply: Reply | None = None, form: dict[str, str] | None = None
) -> web.Response:
    """Every source (failing first, a page at a time) with its last day of polls."""
    ctx = context_of(request)
    caller = caller_of(request)
    now = ctx.clock()
    page = paging(request, SOURCES_PER_PAGE)
    sources, total = await ctx.store.source_page(offset=page.offset, limit=page.size)
    day = await ctx.store.poll_counts([s.id for s in sources], now - timedelta(days=1))
    return render(
        request,
        "sources.html",
        status=400 if reply is not None and not reply.ok else 200,
        sources=sources,
        total=total,
        day=day,
        health={s.id: source_health(s) for s in sources},
        next_polls={s.id: source_next_poll(s, now) for s in sources},
        page=page.number,
        pages=page.pages(total),
        may_manage=ctx.service.may_manage_sources(caller),
        reply=reply,
        form=form or {},
    )


async def add_source(request: web.Request) -> web.Response:
    """Add a source by feed or site URL; the answer (and any other feeds found) is shown."""
    ctx = context_of(request)
    form = {k: str(v) for k, v in (await request.post()).items() if isinstance(v, str)}
    reply = await ctx.service.sources_add(
        caller_of(request),
        form.get("url", "")[:2000],
        name=form.get("name", "").strip()[:200] or None,
    )
    return await sources_page(request, reply=reply, form={} if reply.ok else form)


async def source_page(request: web.Request) -> web.Response:
    """One source: its state, polls per day, and its newest polls."""
    ctx = context_of(request)
    sid = path_id(request)
    source = await ctx.store.get_source(sid) if sid is not None else None
    if source is None:
        return not_found(request, f"source #{request.match_info.get('id', '')}")
    now = ctx.clock()
    days = day_window(now.date(), HISTORY_DAYS)
    per_day = await ctx.store.polls_per_day(source.id, days[0], HISTORY_DAYS)
    return render(
        request,
        "source.html",
        source=source,
        health=source_health(source),
        next_poll=source_next_poll(source, now),
        chart=stacked_bars(per_day, days),
        polls=await ctx.store.poll_history(source.id, limit=HISTORY_POLLS),
        may_manage=ctx.service.may_manage_sources(caller_of(request)),
        from_config=source.owner == CONFIG_OWNER,
    )


async def change_source(request: web.Request) -> web.Response:
    """Pause, resume or remove a source."""
    ctx = context_of(request)
    caller = caller_of(request)
    sid = str(path_id(request) or "")
    action = request.match_info["action"]
    if action == "pause":
        reply = await ctx.service.sources_pause(caller, sid)
    elif action == "resume":
        reply = await ctx.service.sources_resume(caller, sid)
    else:
        reply = await ctx.service.sources_remove(caller, sid)
    reply_notice(request, reply)
    if action == "remove" and reply.ok:
        return redirect("/sources")
    return redirect(f"/sources/{sid}")


def routes() -> list[web.RouteDef]:
    """The source routes."""
    return [
        web.get("/sources", sources_page),
        web.post("/sources", add_source),
        web.get(r"/sources/{id:\d+}", source_page),
        web.post(r"/sources/{id:\d+}/{action:pause|resume|remove}", change_source),
    ]
