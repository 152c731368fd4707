"""`wirewatch doctor`: check a config, the database and each output without starting the bot."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from rich.console import Console
from rich.text import Text

from bot.app.settings import ConfigError, Secrets, Settings, interval_warnings, load_settings
from bot.core.destination import DestinationError, parse_destination
from bot.store import DatabaseProblem, Store, masked_url
from bot.store.db_errors import describe

__all__ = ["run_doctor"]


class _Report:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.failures = 0

    def ok(self, what: str, detail: str = "") -> None:
        self.console.print(
            Text("  ok    ", style="green")
            + Text(what)
            + Text(f"  {detail}" if detail else "", style="dim")
        )

    def fail(self, what: str, detail: str) -> None:
        self.failures += 1
        self.console.print(
            Text("  FAIL  ", style="bold red") + Text(what) + Text(f"  {detail}", style="red"),
            soft_wrap=True,
        )

    def warn(self, what: str, detail: str) -> None:
        self.console.print(Text("  warn  ", style="yellow") + Text(what) + Text(f"  {detail}"))


async def run_doctor(console: Console, config: str | None, *, quick: bool = False) -> int:
    """Print one line per check; exit 0 when everything needed works, 1 otherwise, 2 bad config."""
    report = _Report(console)
    console.print(Text("configuration", style="bold"))
    try:
        settings = load_settings(config)
    except ConfigError as err:
        console.print(Text(str(err), style="red"))
        return 2
    report.ok("config", f"{len(settings.sources)} sources, {len(settings.watches)} watches")
    for warning in interval_warnings(settings):
        report.warn("poll", warning)
    console.print(Text("database", style="bold"))
    destinations = {w.to for w in settings.watches}
    url = settings.database.url
    where = masked_url(url)
    try:
        store = await Store.open(url, migrate=False)
    except DatabaseProblem as problem:  # unsupported URL, unusable path: one line, no password
        report.fail("database", problem.message)
        return 1
    try:
        try:
            await store.ping()
        except Exception as err:  # unreachable server, refused login: one line, no password
            found = describe(err, url)
            report.fail("database", found.message)
            return 1
        try:
            counts = await store.counts()
            destinations |= {w.destination for w in await store.list_watches()}
            failing = [
                s for s in await store.list_sources() if s.consecutive_failures or not s.enabled
            ]
        except Exception:
            report.fail(where, "the schema is missing or out of date: run `wirewatch db upgrade`")
            return 1
        report.ok(where, ", ".join(f"{k} {v}" for k, v in counts.items()))
    finally:
        await store.close()
    if quick:
        return 1 if report.failures else 0
    for source in failing:
        report.warn(
            f"source #{source.id} {source.name}",
            source.disabled_reason
            or f"{source.consecutive_failures} failures: {source.last_error}",
        )
    console.print(Text("outputs", style="bold"))
    await _check_outputs(report, settings, destinations)
    return 1 if report.failures else 0


def _unwritable(target: str) -> str | None:
    """Why a JSONL path cannot be written, or None when it can (parents may be created)."""
    parent = Path(target).expanduser().resolve().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return None if os.access(parent, os.W_OK) else f"{parent} is not writable by this user"


async def _check_outputs(report: _Report, settings: Settings, destinations: set[str]) -> None:
    secrets = Secrets()
    schemes: set[str] = set()
    for text in sorted(destinations):
        try:
            dest = parse_destination(text)
        except DestinationError as err:
            report.fail(text, str(err))
            continue
        schemes.add(dest.scheme)
        if dest.scheme == "jsonl":
            problem = _unwritable(dest.target)
            if problem is None:
                report.ok(text, "writable")
            else:
                report.fail(text, problem)
        elif dest.scheme in {"console", "webhook"}:
            report.ok(text)
    if settings.slack.enabled or "slack" in schemes:
        await _check_slack(report, settings, secrets)
    if settings.discord.enabled or "discord" in schemes:
        await _check_discord(report, settings, secrets)


async def _check_slack(report: _Report, settings: Settings, secrets: Secrets) -> None:
    if not settings.slack.enabled:
        report.fail("slack", "watches deliver to Slack but [slack] enabled = false")
        return
    if secrets.slack_bot_token is None:
        report.fail("slack", "SLACK_BOT_TOKEN is not set")
        return
    if settings.slack.mode == "socket" and secrets.slack_app_token is None:
        report.fail("slack", "Socket Mode needs SLACK_APP_TOKEN (xapp-...)")
    if settings.slack.mode == "http" and secrets.slack_signing_secret is None:
        report.fail("slack", "HTTP mode needs SLACK_SIGNING_SECRET")
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(
        token=secrets.slack_bot_token.get_secret_value(),
        base_url=settings.slack.api_url,
        timeout=10,
    )
    try:
        answer = await client.auth_test()
        report.ok("slack", f"connected as {answer.get('user')} in {answer.get('team')}")
    except SlackApiError as err:
        report.fail("slack", f"auth.test failed: {err.response.get('error')}")
    except Exception as err:
        report.fail("slack", f"cannot reach {settings.slack.api_url}: {type(err).__name__}")


async def _check_discord(report: _Report, settings: Settings, secrets: Secrets) -> None:
    if not settings.discord.enabled:
        report.fail("discord", "watches deliver to Discord but [discord] enabled = false")
        return
    if secrets.discord_bot_token is None:
        report.fail("discord", "DISCORD_BOT_TOKEN is not set")
        return
    from bot.chat.discord_bot import api_base

    base = api_base(settings.discord.api_url or "https://discord.com/api")
    headers = {"Authorization": f"Bot {secrets.discord_bot_token.get_secret_value()}"}
    try:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            answer = await client.get(f"{base}/users/@me", headers=headers)
    except httpx.HTTPError as err:
        report.fail("discord", f"cannot reach {base}: {type(err).__name__}")
        return
    if answer.status_code == 200:
        report.ok("discord", f"connected as {answer.json().get('username')}")
    else:
        report.fail("discord", f"GET /users/@me answered {answer.status_code}: check the token")
