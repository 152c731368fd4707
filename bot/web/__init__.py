"""The `[web]` server: the console (dashboard, watches, sources, rule tester), /healthz, /readyz.

`bot.app.web_console` starts it for `wirewatch run`; see docs/web.md.
"""

from __future__ import annotations

from bot.web.health import Readiness
from bot.web.server import WebServer, build_web_app

__all__ = ["Readiness", "WebServer", "build_web_app"]
