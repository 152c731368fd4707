"""The one safe HTTP client: SSRF guard, byte cap, deadline, redirects and per-host politeness.

The names below load on first use (PEP 562), so a module that needs only `bot.fetch.charset`
or `bot.fetch.headers` (a source kind checking a config file) does not import httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.fetch.addresses import refusal_reason
    from bot.fetch.client import SafeClient
    from bot.fetch.headers import parse_max_age, parse_retry_after
    from bot.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy
    from bot.fetch.politeness import DISABLE_AFTER_FAILURES, adaptive_interval, backoff_delay
    from bot.fetch.resolver import Resolver, system_resolver
    from bot.fetch.response import Response

__all__ = [
    "DEFAULT_USER_AGENT",
    "DISABLE_AFTER_FAILURES",
    "FetchPolicy",
    "Resolver",
    "Response",
    "SafeClient",
    "adaptive_interval",
    "backoff_delay",
    "parse_max_age",
    "parse_retry_after",
    "refusal_reason",
    "system_resolver",
]

_MODULE_OF = {
    "DEFAULT_USER_AGENT": "policy",
    "DISABLE_AFTER_FAILURES": "politeness",
    "FetchPolicy": "policy",
    "Resolver": "resolver",
    "Response": "response",
    "SafeClient": "client",
    "adaptive_interval": "politeness",
    "backoff_delay": "politeness",
    "parse_max_age": "headers",
    "parse_retry_after": "headers",
    "refusal_reason": "addresses",
    "system_resolver": "resolver",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
