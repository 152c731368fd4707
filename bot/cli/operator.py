"""The terminal's own commands: run, demo, poll, db upgrade, doctor, manifest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from bot.cli.dispatch import CliCall
from bot.cli.logs import setup_logging

if TYPE_CHECKING:
    from bot.app.pipeline import PollReport
    from bot.store.records import SourceRecord

__all__ = ["db_upgrade", "demo", "doctor", "manifest", "poll", "run"]

MANIFEST = Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yml"


async def run(call: CliCall) -> int:
    """The bot: poll, deliver, answer commands, until SIGTERM or SIGINT."""
    from bot.app.build import build_app
    from bot.app.runtime import BotRuntime
    from bot.settings import Secrets, load_settings

    settings = load_settings(call.config)
    setup_logging(call.err, settings.log_level)
    app = await build_app(settings, Secrets(), console=call.out, wait_for_database=True)
    runtime = BotRuntime(app)
    runtime.install_signal_handlers()
    try:
        await runtime.run()
    finally:
        await app.aclose()
    return 0


async def demo(call: CliCall) -> int:
    """The offline demo."""
    from bot.app.demo import run_demo

    setup_logging(call.err, "WARNING")
    return await run_demo(call.out, database=call.values["db"])


async def poll(call: CliCall) -> int:
    """One cycle of every source, delivered, with a progress bar; 1 when an output failed."""
    from rich.progress import Progress

    from bot.app.build import build_app
    from bot.settings import Secrets, load_settings

    settings = load_settings(call.config)
    setup_logging(call.err, settings.log_level, quiet=not call.values["verbose"])
    app = await build_app(settings, Secrets(), console=call.out, with_chat=True)
    try:
        await app.sync_config()
        await app.warm_clusters()
        problems = await app.connect_outputs()
        for problem in problems:
            call.err.print(Text(problem, style="red"))
        sources = [s for s in await app.store.list_sources() if s.enabled]
        with Progress(console=call.err, transient=True) as progress:
            task = progress.add_task("polling", total=len(sources))
            gate = asyncio.Semaphore(app.settings.poll.concurrency)

            async def one(source: SourceRecord) -> PollReport:
                async with gate:
                    report = await app.pipeline.poll_source(source)
                progress.advance(task)
                return report

            reports = await asyncio.gather(*(one(s) for s in sources))
        sent = await app.relay.drain()
        failed = [r for r in reports if not r.ok]
        new = sum(r.new_items for r in reports)
        call.out.print(
            f"polled {len(reports)} sources: {new} new items, {sent} messages sent, "
            f"{len(failed)} failed"
        )
        for report in failed:
            call.out.print(Text(f"  source #{report.source_id}: {report.error}", style="red"))
        return 1 if problems else 0
    finally:
        await app.aclose()


async def db_upgrade(call: CliCall) -> int:
    """Apply the migrations; say what the database holds."""
    from bot.settings import load_settings
    from bot.store import Store

    store = await Store.open(load_settings(call.config).database.url)
    try:
        await store.upgrade()
        counts = await store.counts()
    finally:
        await store.close()
    call.out.print(
        "database is at the latest schema: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0


async def doctor(call: CliCall) -> int:
    """Check the config, the database and each output as the bot will use them."""
    from bot.app.doctor import run_doctor

    return await run_doctor(call.out, call.config, quick=call.values["quick"])


def manifest(call: CliCall) -> int:
    """Print config/slack-manifest.yml with the table's command list, or write it in place."""
    from bot.chat.slack_manifest import manifest_with_commands

    text = manifest_with_commands(MANIFEST.read_text(encoding="utf-8"))
    if call.values["write"]:
        MANIFEST.write_text(text, encoding="utf-8")
        call.err.print(Text(f"wrote {MANIFEST}", style="green"))
    else:
        call.out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
    return 0
