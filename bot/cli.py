"""The `wirewatch` command: run, demo, poll, check, watch, sources, db, doctor."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress
from rich.text import Text

from bot.cli_render import marked_text, render_reply
from bot.commands.service import Caller, CommandService
from bot.commands.watch_file import FORMATS, format_of
from bot.core.item import Item
from bot.core.query import Query, QuerySyntaxError, parse
from bot.settings import ConfigError, Secrets, Settings, load_settings
from bot.store.db_errors import DatabaseProblem

if TYPE_CHECKING:
    from bot.app.build import App
    from bot.app.pipeline import PollReport
    from bot.commands.check_file import CheckedFile
    from bot.store.records import SourceRecord

__all__ = ["main"]

out = Console()
err = Console(stderr=True)


def _setup_logging(level: str, *, quiet: bool = False) -> None:
    """Rich log lines on a terminal; one plain line per record elsewhere (Docker, journald)."""
    handler: logging.Handler
    if err.is_terminal:
        handler = RichHandler(console=err, show_path=False, rich_tracebacks=False, markup=False)
        fmt = "%(message)s"
    else:
        handler = logging.StreamHandler(sys.stderr)
        fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(
        level="WARNING" if quiet else level, handlers=[handler], format=fmt, force=True
    )
    for noisy in (
        "httpx",
        "httpcore",
        "apscheduler",
        "aiosqlite",
        "asyncio",
        "slack_bolt",
        "slack_sdk",
        "discord",
        "trafilatura",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def _cli_caller() -> Caller:
    try:
        user = getpass.getuser()
    except Exception:
        user = "operator"
    return Caller(platform="cli", user_id=user, is_admin=True)


async def _with_app(
    args: argparse.Namespace, body: Callable[..., Awaitable[int]], *, with_chat: bool = False
) -> int:
    from bot.app.build import build_app

    settings = _settings(args)
    _setup_logging(settings.log_level, quiet=not getattr(args, "verbose", False))
    app = await build_app(settings, Secrets(), console=out, with_chat=with_chat)
    try:
        return await body(app)
    finally:
        await app.aclose()


# ---- commands ---------------------------------------------------------------------------------
async def cmd_run(args: argparse.Namespace) -> int:
    from bot.app.build import build_app
    from bot.app.runtime import BotRuntime

    settings = _settings(args)
    _setup_logging(settings.log_level)
    app = await build_app(settings, Secrets(), console=out, wait_for_database=True)
    runtime = BotRuntime(app)
    runtime.install_signal_handlers()
    try:
        await runtime.run()
    finally:
        await app.aclose()
    return 0


async def cmd_demo(args: argparse.Namespace) -> int:
    from bot.app.demo import run_demo

    _setup_logging("WARNING")
    return await run_demo(out, database=args.db, interval_s=args.interval)


async def cmd_poll(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        await app.sync_config()
        await app.warm_clusters()
        problems = await app.connect_outputs()
        for problem in problems:
            err.print(Text(problem, style="red"))
        sources = [s for s in await app.store.list_sources() if s.enabled]
        reports = []
        with Progress(console=err, transient=True) as progress:
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
        out.print(
            f"polled {len(reports)} sources: {new} new items, {sent} messages sent, "
            f"{len(failed)} failed"
        )
        for report in failed:
            out.print(Text(f"  source #{report.source_id}: {report.error}", style="red"))
        return 1 if problems else 0

    return await _with_app(args, body, with_chat=True)


def cmd_check(args: argparse.Namespace) -> int:
    try:
        query = parse(args.query)
    except QuerySyntaxError as error:
        err.print(Text(f"syntax error: {error.message}", style="bold red"))
        err.print(Text(str(error), style="cyan"))
        return 2
    out.print(Text("rule: ", style="bold") + Text(str(query)))
    for warning in query.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))
    text = args.text
    if args.file:
        # Imported here: feed and page parsing (feedparser, trafilatura) load only when needed.
        from bot.commands.check_file import CheckFileError, read_check_file

        try:
            checked = asyncio.run(
                read_check_file(Path(args.file), lang=args.lang or "", title=args.title or "")
            )
        except CheckFileError as error:
            err.print(Text(str(error), style="red"))
            return 2
        if checked.kind != "text":
            return _print_checked_file(query, checked)
        text = checked.items[0].content
    if text is None and args.title is None:
        return 0
    item = Item(title=args.title or "", content=text or "", lang=args.lang or "")
    match = query.explain(item)
    if match is None:
        out.print(Text("no match", style="bold red"))
        return 1
    out.print(Text("match: ", style="bold green") + Text(", ".join(match.terms)))
    from bot.core.alert import Marked

    for field_name in ("title", "content"):
        value = getattr(item, field_name)
        spans = tuple((s, e) for f, s, e in match.spans if f == field_name)
        if value and spans:
            out.print(Text(f"{field_name}: ", style="dim") + marked_text(Marked(value, spans)))
    return 0


def _print_checked_file(query: Query, checked: CheckedFile) -> int:
    """Show which items of a feed or page match; exit 0 when one does, 1 when none does."""
    from bot.commands.check_file import check_items

    name = checked.title or "untitled"
    out.print(Text(f"{checked.kind}: {name} ({len(checked.items)} items)", style="bold"))
    verdicts = check_items(query, checked.items)
    for number, verdict in enumerate(verdicts, 1):
        if verdict.match is None:
            out.print(Text(f"  no match  #{number} {verdict.item.title}", style="dim"))
            continue
        out.print(Text(f"  match     #{number} ", style="bold green") + Text(verdict.item.title))
        out.print(Text("            matched: " + ", ".join(verdict.match.terms), style="green"))
        if verdict.summary is not None and verdict.summary.text:
            out.print(Text("            ") + marked_text(verdict.summary))
    matched = sum(1 for v in verdicts if v.match is not None)
    out.print(Text(f"{matched} of {len(verdicts)} items match"))
    return 0 if matched else 1


async def cmd_watch(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        await app.refresh_watches()
        caller = _cli_caller()
        service = app.service
        if args.action == "add":
            reply = await service.watch_add(caller, args.query, channel=args.to, digest=args.digest)
        elif args.action == "list":
            reply = await service.watch_list(caller)
            reply.watches = await app.store.list_watches()
            reply.title = f"{len(reply.watches)} watch{'es' if len(reply.watches) != 1 else ''}"
        elif args.action == "export":
            return await _export_watches(service, caller, args)
        elif args.action == "import":
            path = Path(args.file)
            try:
                text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                err.print(Text(f"cannot read {path}: {_reason(error)}", style="red"))
                return 2
            reply = await service.watch_import(caller, text, format_of(path.name, args.format))
        elif args.action == "pause":
            reply = await service.watch_pause(caller, args.id, until=" ".join(args.span) or None)
        else:
            action = {"remove": service.watch_remove, "resume": service.watch_resume}[args.action]
            reply = await action(caller, args.id)
        render_reply(out, reply)
        return 0 if reply.ok else 1

    return await _with_app(args, body)


def _reason(error: OSError | UnicodeDecodeError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    return error.strerror or str(error)


async def _export_watches(service: CommandService, caller: Caller, args: argparse.Namespace) -> int:
    """Write the export to FILE (its extension picks the format) or to standard output."""
    target = Path(args.file) if args.file else None
    fmt = format_of(target.name if target else "", args.format)
    reply = await service.watch_export(caller, fmt)
    if not reply.ok or reply.code is None:
        render_reply(err, reply)
        return 1
    if target is None:
        sys.stdout.write(reply.code)
        return 0
    try:
        await asyncio.to_thread(target.write_text, reply.code, encoding="utf-8")
    except OSError as error:
        err.print(Text(f"cannot write {target}: {_reason(error)}", style="red"))
        return 2
    err.print(Text(f"{reply.title} to {target}", style="green"))
    return 0


async def cmd_sources(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        caller = _cli_caller()
        service = app.service
        if args.action == "add":
            reply = await service.sources_add(caller, args.url, name=args.name, kind=args.kind)
        elif args.action == "list":
            reply = await service.sources_list(caller)
        elif args.action == "remove":
            reply = await service.sources_remove(caller, args.id)
        else:
            path = Path(args.file)
            try:
                data = await asyncio.to_thread(path.read_bytes)
            except OSError as error:
                err.print(Text(f"cannot read {path}: {error.strerror}", style="red"))
                return 2
            reply = await service.sources_import(caller, data)
            if not reply.ok:
                err.print(Text(f"{path}: " + " ".join(map(str, reply.lines)), style="red"))
                return 2
        render_reply(out, reply)
        return 0 if reply.ok else 1

    return await _with_app(args, body)


async def cmd_db(args: argparse.Namespace) -> int:
    from bot.store import Store

    settings = _settings(args)
    store = await Store.open(settings.database.url)
    try:
        await store.upgrade()
        counts = await store.counts()
    finally:
        await store.close()
    out.print(
        "database is at the latest schema: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0


async def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.app.doctor import run_doctor

    return await run_doctor(out, args.config, quick=args.quick)


# ---- parser -----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `wirewatch`."""
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Watch the news for your team: boolean watch rules, "
        "summaries, alerts to Slack, Discord, the console, JSONL files and webhooks.",
    )
    parser.add_argument(
        "--config", "-c", help="config file (default: $WIREWATCH_CONFIG or config/wirewatch.toml)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the bot: poll on schedule, deliver alerts, answer commands")
    demo = sub.add_parser("demo", help="show the whole product offline with bundled sample news")
    demo.add_argument("--db", help="SQLite file to use (default: a temporary one)")
    demo.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    poll = sub.add_parser("poll", help="poll every source once, deliver, exit")
    poll.add_argument(
        "--once", action="store_true", required=True, help="one cycle of every source (required)"
    )
    poll.add_argument("--verbose", "-v", action="store_true")

    check = sub.add_parser(
        "check",
        help="check a rule; with text, show whether and why it "
        "matches (exit 0 match, 1 no match, 2 syntax error)",
    )
    check.add_argument("query")
    given = check.add_mutually_exclusive_group()
    given.add_argument("--text", help="text to test the rule against")
    given.add_argument(
        "--file",
        help="a feed (each item is tested, as a source reads it), a web page, or plain text",
    )
    check.add_argument("--title", help="an item title to test as well")
    check.add_argument("--lang", help="language of the text (en, fr, ...)")

    watch = sub.add_parser("watch", help="manage watches").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = watch.add_parser("add", help="add a watch")
    add.add_argument("query")
    add.add_argument(
        "--to",
        default="console",
        help="console | jsonl:PATH | webhook:URL | "
        "slack:CHANNEL | discord:CHANNEL_ID (default console)",
    )
    add.add_argument(
        "--digest", help='hourly | "daily 08:00 [Area/City]" | "weekly mon 08:00 [Area/City]"'
    )
    watch.add_parser("list", help="list every watch")
    export = watch.add_parser(
        "export", help="write the watches (not the config file's) as TOML or JSON"
    )
    export.add_argument("file", nargs="?", help="file to write (default: standard output)")
    export.add_argument(
        "--format", choices=FORMATS, help="default: the file's extension, else toml"
    )
    imp = watch.add_parser("import", help="add the watches of an exported TOML or JSON file")
    imp.add_argument("file")
    imp.add_argument("--format", choices=FORMATS, help="default: the file's extension, else toml")
    for name in ("remove", "pause", "resume"):
        action = watch.add_parser(name, help=f"{name} a watch")
        action.add_argument("id")
        if name == "pause":
            action.add_argument(
                "span",
                nargs="*",
                help='resume by itself: "for 2h" or "until 18:00 [Area/City]" (default: never)',
            )

    sources = sub.add_parser("sources", help="manage sources").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    sadd = sources.add_parser("add", help="add a feed (a site URL finds its feeds)")
    sadd.add_argument("url")
    sadd.add_argument("--name", help="the source's name (default: the feed's title)")
    sadd.add_argument(
        "--kind", help="rss | jsonfeed | gdelt | html: add the URL as this kind (no discovery)"
    )
    sources.add_parser("list", help="list sources and their health")
    srem = sources.add_parser("remove", help="remove a source")
    srem.add_argument("id")
    simp = sources.add_parser("import", help="import sources from an OPML file")
    simp.add_argument("file")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply migrations")
    doctor = sub.add_parser("doctor", help="check the config, the database and each output")
    doctor.add_argument("--quick", action="store_true", help="config and database only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wirewatch` command."""
    args = build_parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "run": cmd_run,
        "demo": cmd_demo,
        "poll": cmd_poll,
        "watch": cmd_watch,
        "sources": cmd_sources,
        "db": cmd_db,
        "doctor": cmd_doctor,
    }
    try:
        if args.command == "check":
            return cmd_check(args)
        return asyncio.run(handlers[args.command](args))
    except ConfigError as error:
        err.print(Text(str(error), style="red"))
        return 2
    except DatabaseProblem as problem:  # one line, the URL's password masked
        err.print(Text(f"database: {problem.message}", style="red"), soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
