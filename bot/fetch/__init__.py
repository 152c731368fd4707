"""The one safe HTTP client: SSRF guard, byte cap, deadline, redirects and per-host politeness."""

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
