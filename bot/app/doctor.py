"""`wirewatch doctor`: check a config, the database and each output without starting the bot."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from bot.app.output_probes import Finding, probe_discord, probe_jsonl, probe_slack
from bot.chat.jsonl import JsonlNotifier
from bot.core.destination import DestinationError, parse_destination
from bot.settings import ConfigError, Secrets, Settings, interval_warnings, load_settings
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
            report.fail(where, "the schema is missing or out of date: run wirewatch db upgrade")
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


def _show(report: _Report, finding: Finding) -> None:
    if finding.level == "ok":
        report.ok(finding.what, finding.detail)
    elif finding.level == "warn":
        report.warn(finding.what, finding.detail)
    else:
        report.fail(finding.what, finding.detail)


async def _check_outputs(report: _Report, settings: Settings, destinations: set[str]) -> None:
    """Try each output as the bot will (bot.app.output_probes), without posting anything."""
    secrets = Secrets()
    jsonl = JsonlNotifier(settings.files_base)  # the bot's own path resolution
    targets: dict[str, list[str]] = {"slack": [], "discord": []}
    for text in sorted(destinations):
        try:
            dest = parse_destination(text)
        except DestinationError as err:
            report.fail(text, str(err))
            continue
        if dest.scheme == "jsonl":
            _show(report, probe_jsonl(text, jsonl.path_for(dest.target)))
        elif dest.scheme in targets:
            targets[dest.scheme].append(dest.target)
        else:
            report.ok(text)
    if settings.slack.enabled or targets["slack"]:
        await _check_slack(report, settings, secrets, targets["slack"])
    if settings.discord.enabled or targets["discord"]:
        await _check_discord(report, settings, secrets, targets["discord"])


async def _check_slack(
    report: _Report, settings: Settings, secrets: Secrets, targets: list[str]
) -> None:
    if not settings.slack.enabled:
        report.fail("slack", "watches deliver to Slack but [slack] enabled = false")
        return
    if settings.slack.mode == "socket" and secrets.slack_app_token is None:
        report.fail("slack", "Socket Mode needs SLACK_APP_TOKEN (xapp-...)")
    if settings.slack.mode == "http" and secrets.slack_signing_secret is None:
        report.fail("slack", "HTTP mode needs SLACK_SIGNING_SECRET")
    for finding in await probe_slack(settings, secrets, targets):
        _show(report, finding)


async def _check_discord(
    report: _Report, settings: Settings, secrets: Secrets, targets: list[str]
) -> None:
    if not settings.discord.enabled:
        report.fail("discord", "watches deliver to Discord but [discord] enabled = false")
        return
    from bot.chat.discord_bot import api_base

    base = api_base(settings.discord.api_url or "https://discord.com/api")
    for finding in await probe_discord(secrets, base, targets):
        _show(report, finding)
