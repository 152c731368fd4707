"""The dashboard: sources with their health, watches with a 14-day sparkline, latest alerts."""

from __future__ import annotations

from aiohttp import web

from bot.commands.source_status import source_health, source_next_poll
from bot.store.activity import day_window
from bot.web.charts import sparkline
from bot.web.context import context_of
from bot.web.pages.common import caller_of, paging
from bot.web.render import render

__all__ = ["SOURCES_SHOWN", "SPARK_DAYS", "WATCHES_PER_PAGE", "routes"]

WATCHES_PER_PAGE = 50
SOURCES_SHOWN = 15
ALERTS_SHOWN = 15
SPARK_DAYS = 14


async def dashboard(request: web.Request) -> web.Response:
    """Sources (failing first), a page of watches with sparklines, the latest alerts."""
    ctx = context_of(request)
    caller = caller_of(request)
    now = ctx.clock()
    scope = ctx.service.watch_scope(caller)
    text = request.query.get("q", "")[:200]
    page = paging(request, WATCHES_PER_PAGE)
    sources, source_total = await ctx.store.source_page(limit=SOURCES_SHOWN)
    watches, watch_total = await ctx.store.watch_page(
        scope, text=text, offset=page.offset, limit=page.size
    )
    days = day_window(now.date(), SPARK_DAYS)
    counts = await ctx.store.matches_per_day([w.id for w in watches], days[0], SPARK_DAYS)
    alerts = await ctx.store.recent_alerts(scope, limit=ALERTS_SHOWN)
    return render(
        request,
        "dashboard.html",
        sources=sources,
        source_total=source_total,
        health={s.id: source_health(s) for s in sources},
        next_polls={s.id: source_next_poll(s, now) for s in sources},
        watches=watches,
        watch_total=watch_total,
        sparks={w.id: sparkline(counts[w.id], days) for w in watches},
        totals={w.id: sum(counts[w.id]) for w in watches},
        alerts=alerts,
        q=text,
        page=page.number,
        pages=page.pages(watch_total),
        is_admin=ctx.service.is_admin(caller),
    )


def routes() -> list[web.RouteDef]:
    """The dashboard's route."""
    return [web.get("/", dashboard)]
