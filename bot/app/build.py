"""The composition root: builds every part of the bot from settings, and nothing else does."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from rich.console import Console

from bot.abstractive import AbstractiveSummarizer
from bot.app.command_wiring import command_service, fetch_policy
from bot.app.config_sync import sync_config_sources, sync_config_watches
from bot.app.pipeline import Pipeline
from bot.app.relay import Relay
from bot.app.store_start import open_store
from bot.app.watch_index import WatchIndex
from bot.chat.console import ConsoleNotifier
from bot.chat.jsonl import JsonlNotifier
from bot.chat.webhook import WebhookNotifier
from bot.commands.service import CommandService
from bot.core.cluster import StoryClusters
from bot.core.query import Query
from bot.fetch import SafeClient
from bot.ports import Notifier
from bot.settings import Secrets, Settings, interval_warnings
from bot.store import Store, WatchRecord

__all__ = ["App", "ChatAdapter", "build_app", "fetch_policy"]

log = logging.getLogger(__name__)

WARM_PAGE = 1000
"""Archived items read at a time when the story index is filled at start (the polls that
fetch meanwhile get the event loop between two pages)."""
WATCH_PAGE = 5000
"""Active watches read at a time when the watch index is refreshed (every half minute)."""


class ChatAdapter(Protocol):
    """A chat platform integration (Slack, Discord): commands in, alerts out."""

    notifier: Any

    async def start(self) -> None: ...

    async def connect_rest(self) -> None: ...

    async def connected(self) -> bool: ...

    async def stop(self) -> None: ...


@dataclass
class App:
    """Everything `wirewatch run` needs, wired together."""

    settings: Settings
    secrets: Secrets
    store: Store
    client: SafeClient
    index: WatchIndex
    clusters: StoryClusters
    notifiers: dict[str, Notifier]
    relay: Relay
    pipeline: Pipeline
    service: CommandService
    adapters: list[ChatAdapter] = field(default_factory=list)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _webhook_client: httpx.AsyncClient | None = None

    async def sync_config(self) -> None:
        """Make the store's config-owned sources and watches follow the config file."""
        for warning in interval_warnings(self.settings):
            log.warning("%s", warning)
        await sync_config_sources(self.store, self.settings, self.clock())
        await sync_config_watches(self.store, self.settings, self.clock())
        await self.refresh_watches(parsed=self.settings.take_parsed_rules())

    async def connect_outputs(self) -> list[str]:
        """Log the chat adapters in for delivery only (no gateway, no listener), as
        `poll --once` needs; return one line per adapter that could not, and drop its notifier
        (its alerts stay queued for the next run)."""
        problems: list[str] = []
        for adapter in list(self.adapters):
            try:
                await adapter.connect_rest()
            except RuntimeError as err:  # SlackStartError, DiscordStartError: the fix is said
                problems.append(str(err))
                self.adapters.remove(adapter)
                for scheme, notifier in list(self.notifiers.items()):
                    if notifier is adapter.notifier:
                        del self.notifiers[scheme]
                await adapter.stop()
        return problems

    async def refresh_watches(self, parsed: Mapping[str, Query] | None = None) -> None:
        """End timed pauses that are due, then reload the active watches into the matcher
        (picks up changes from other processes). The run loop does this every half minute.
        `parsed`: rules parsed already (rule -> parsed rule), not parsed again."""
        for watch in await self.store.resume_due_watches(self.clock()):
            log.info("watch #%s resumed: its pause ended", watch.id)

        async def page(after_id: int) -> list[WatchRecord]:
            return await self.store.list_watches(
                include_paused=False, after_id=after_id, limit=WATCH_PAGE
            )

        await self.index.sync_pages(page, parsed)

    async def warm_clusters(self) -> int:
        """Fill the story index with the window's archived items and the stories they were
        given; return how many.

        It reads the archive a page at a time, beside the writer: claims, polls and their
        writes go on meanwhile, except that a poll with new items waits for the index before
        its write (which clusters them), so no item is clustered against a partial index.
        """
        self.pipeline.clusters_ready.clear()
        count = await self._remember_window()
        self.pipeline.clusters_ready.set()
        return count

    async def _remember_window(self) -> int:
        since = self.clock() - timedelta(seconds=self.settings.alerts.cluster_window)
        after = count = 0
        while True:
            page = await self.store.story_members(since, after_id=after, limit=WARM_PAGE)
            unknown = [m.item_id for m in page if m.words is None]  # archived before 0007
            texts = {a.id: a.item for a in await self.store.get_items(unknown)} if unknown else {}
            for member in page:
                if member.words is not None:
                    printed = self.clusters.print_of(member.words)
                elif member.item_id in texts:
                    printed = self.clusters.fingerprint(texts[member.item_id])
                else:
                    continue
                self.clusters.remember(member.item_id, member.at, member.story_id, printed)
            count += len(page)
            if len(page) < WARM_PAGE:
                return count
            after = page[-1].item_id

    async def aclose(self) -> None:
        """Close connections (adapters first, store last)."""
        for adapter in self.adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", type(adapter).__name__)
        for notifier in self.notifiers.values():
            await notifier.aclose()
        if self._webhook_client is not None:
            await self._webhook_client.aclose()
        await self.client.aclose()
        await self.store.close()


async def build_app(
    settings: Settings,
    secrets: Secrets | None = None,
    *,
    console: Console | None = None,
    with_chat: bool = True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    wait_for_database: bool = False,
) -> App:
    """Open the store and build every component; chat adapters only when enabled.

    With `wait_for_database` an unreachable database server is retried for
    `[database] connect_retry` (for `wirewatch run`); failures raise `DatabaseProblem`.
    """
    secrets = secrets or Secrets()
    retry_for = settings.database.connect_retry if wait_for_database else 0.0
    store = await open_store(settings.database.url, retry_for=retry_for)
    client = SafeClient(fetch_policy(settings))
    index = WatchIndex()
    clusters = StoryClusters(window=timedelta(seconds=settings.alerts.cluster_window))
    webhook_client = httpx.AsyncClient(timeout=15.0, trust_env=False, follow_redirects=False)
    notifiers: dict[str, Notifier] = {
        "console": ConsoleNotifier(console),
        "jsonl": JsonlNotifier(settings.files_base),
        "webhook": WebhookNotifier(webhook_client),
    }
    summarizer = None
    if settings.summary.provider == "openai":
        key = secrets.get(settings.summary.api_key_env)
        summarizer = AbstractiveSummarizer(
            base_url=settings.summary.base_url,
            model=settings.summary.model,
            api_key=key.get_secret_value() if key else None,
            timeout_s=settings.summary.timeout,
        )
    relay = Relay(
        store, notifiers, index, alerts=settings.alerts, summarizer=summarizer, clock=clock
    )
    pipeline = Pipeline(
        store,
        client,
        index,
        clusters,
        poll=settings.poll,
        alerts=settings.alerts,
        clock=clock,
        rand=random.Random(),
        notify_owner=relay.tell_owner,
        on_enqueued=relay.wake,
    )
    service = command_service(settings, store, index, client, clock=clock)
    app = App(
        settings,
        secrets,
        store,
        client,
        index,
        clusters,
        notifiers,
        relay,
        pipeline,
        service,
        clock=clock,
        _webhook_client=webhook_client,
    )
    if with_chat and settings.slack.enabled:
        from bot.chat.slack_app import SlackAdapter

        slack = SlackAdapter(settings.slack, secrets, service, updates_mode=settings.alerts.updates)
        notifiers["slack"] = slack.notifier
        app.adapters.append(slack)
    if with_chat and settings.discord.enabled:
        from bot.chat.discord_bot import DiscordAdapter

        discord = DiscordAdapter(
            settings.discord, secrets, service, updates_mode=settings.alerts.updates
        )
        notifiers["discord"] = discord.notifier
        app.adapters.append(discord)
    return app
