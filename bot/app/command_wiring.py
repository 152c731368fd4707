"""The command service and the safe client's policy, built from the settings.

The bot (`bot.app.build`) and the terminal (`bot.cli.service_commands`) build the service the
same way; the terminal builds nothing else, so `wirewatch watch list` starts no scheduler,
matcher, story index or chat library.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.commands.config_entries import ConfigEntries
from bot.commands.service import AccessPolicy, CommandService, LiveWatches
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:  # the HTTP client (httpx) loads only for a command that fetches
    from bot.fetch.client import SafeClient
    from bot.fetch.policy import FetchPolicy

__all__ = ["command_service", "fetch_policy"]


def fetch_policy(settings: Settings) -> FetchPolicy:
    """Map the [fetch] section onto the safe client's policy."""
    from bot.fetch.policy import FetchPolicy

    f = settings.fetch
    return FetchPolicy(
        allow_private_networks=f.allow_private_networks,
        allow_hosts=tuple(f.allow_hosts),
        max_bytes=f.max_bytes,
        timeout_s=f.timeout,
        connect_timeout_s=f.connect_timeout,
        max_redirects=f.max_redirects,
        per_host_concurrency=f.per_host_concurrency,
        min_host_spacing_s=f.min_host_spacing,
        user_agent=f.user_agent,
        proxy=f.proxy,
    )


def _policy(section: Any, *, needs_manage: bool) -> AccessPolicy:
    return AccessPolicy(
        admins=frozenset(section.admins),
        open_sources=section.open_sources,
        quota_user=section.quota_user,
        quota_channel=section.quota_channel,
        channel_watch_needs_manage=needs_manage,
    )


def command_service(
    settings: Settings,
    store: Store,
    index: LiveWatches,
    client: SafeClient | None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CommandService:
    """The command service of these settings: each platform's admins and quotas, the default
    poll interval, the config file's entries (to refuse removing what it owns)."""
    return CommandService(
        store,
        index,
        client,
        policies={
            "slack": _policy(settings.slack, needs_manage=False),
            "discord": _policy(settings.discord, needs_manage=True),
        },
        clock=clock,
        default_interval_s=int(settings.poll.interval),
        config_entries=ConfigEntries.read(settings),
        summary_chars=settings.alerts.summary_chars,
    )
