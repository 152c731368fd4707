"""The console's pages, one module per concern; `routes()` lists them all."""

from __future__ import annotations

from aiohttp import web

from bot.web.pages import dashboard, sources, tester, watches

__all__ = ["routes"]


def routes() -> list[web.RouteDef]:
    """Every page's routes."""
    return [*dashboard.routes(), *watches.routes(), *sources.routes(), *tester.routes()]
