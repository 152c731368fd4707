"""End-to-end benchmark: the real `wirewatch run` against a loopback news farm, cycle by cycle.

The bot runs as a subprocess (`python -m bot run`, pinned to one core when the machine has two)
with its sources and watches in its config file, against bench/news_farm.py (pinned to the other
core): N feeds in four languages publishing over time. Watches (10,000 by default) mix rare and
common words, phrases, prefixes, NEAR, NOT and OR, and all go to one JSONL file, which the
benchmark tails to time each alert.

Per cycle (one poll interval, after the cold first round of every feed) it reports: polls made
(200 / 304), failed polls (the bot's own log lines), the bot's CPU seconds and peak RSS, alerts
written, and item-to-alert latency (from the moment the farm published an item to the moment its
alert line appeared) at p50 / p95 / p99. Also: time from the start of the process to its first
fetch on a fresh database, and again on a restart over the same database whose config names one
feed more (due at once: the others were all just polled); the cold round; and the time the bot
takes to exit on SIGTERM.

The bot runs from compiled bytecode, as installed (the Docker image compiles it): the benchmark
first compiles `bot/` and the environment's packages in place (`compileall`, skipped when up to
date), and starts the bot without PYTHONDONTWRITEBYTECODE.

    uv run python bench/bot.py --feeds 1000                      # SQLite, 3 cycles of 5 minutes
    uv run python bench/bot.py --feeds 10000 --db postgresql     # WIREWATCH_TEST_DATABASE_URL
    uv run python bench/bot.py --feeds 300 --interval 60 --cycles 2   # a quick look

PostgreSQL runs get a database of their own, created and dropped by the benchmark. With
`--workers N` (PostgreSQL only, issue #19) N `wirewatch run` processes share the same config and
database, unpinned (the farm keeps its core); bot CPU and peak RSS are their sums, and the restart
figure is one worker's.

    uv run python bench/bot.py --feeds 1000 --db postgresql --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from news_farm import LANGUAGES, Language, make_languages  # noqa: E402
from pg_scratch import create_database, database_url, drop_database  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+) ([\w.]+): (.*)$")
FAILED_POLL = re.compile(r"source #\d+ .* failed|polling source #\d+ failed|database is locked")
COMMON_NEWS = {
    "en": ["government", "minister", "police", "president"],
    "fr": ["gouvernement", "ministre", "police", "président"],
    "de": ["Regierung", "Minister", "Polizei", "Präsident"],
    "es": ["gobierno", "ministro", "policía", "presidente"],
}


# --- watches ------------------------------------------------------------------------------


def make_rules(count: int, languages: dict[str, Language], seed: int = 7) -> list[str]:
    """`count` distinct watch rules over the farm's languages.

    Newsrooms watch names and topics of the long tail far more than headline words, so most
    rules name a person, place or organisation (any of the 5,000 names of a language, evenly)
    or a rare word; some combine a common news word with a name ("government AND Kalomir"),
    and a few (one in 500) watch a common news word alone, which matches one item in ten or so.
    """
    rng = random.Random(seed)

    def tail(lang: Language) -> str:
        return rng.choice(lang.tail[200:8000])

    def name(lang: Language) -> str:
        return rng.choice(lang.name_list)

    rules: dict[str, None] = {}  # distinct rules: the bot keeps one watch per rule anyway
    n = 0
    while len(rules) < count:
        lang = languages[LANGUAGES[n % len(LANGUAGES)]]
        n += 1
        kind = rng.random()
        if kind < 0.35:
            rule = name(lang)
        elif kind < 0.50:
            rule = tail(lang)
        elif kind < 0.62:
            rule = f"{tail(lang)} AND {name(lang)}"
        elif kind < 0.70:
            rule = f'"{name(lang)} {tail(lang)}"'
        elif kind < 0.77:
            rule = f"{name(lang)} OR {name(lang)} OR {tail(lang)}"
        elif kind < 0.81:
            rule = tail(lang)[:5] + "*"
        elif kind < 0.86:
            rule = f"{name(lang)} -{tail(lang)}"
        elif kind < 0.90:
            rule = f"{name(lang)} NEAR/5 {rng.choice(lang.news)}"
        elif kind < 0.998:
            rule = f"{rng.choice(COMMON_NEWS[lang.code])} AND {name(lang)}"
        else:
            rule = rng.choice(COMMON_NEWS[lang.code]) + f" lang:{lang.code}"
        rules[rule] = None
    return list(rules)


# --- processes ----------------------------------------------------------------------------


def pinned(command: list[str], core: int | None) -> list[str]:
    if core is not None and shutil.which("taskset"):
        return ["taskset", "-c", str(core), *command]
    return command


class FarmProcess:
    """bench/news_farm.py in a child process."""

    def __init__(self, feeds: int, interval: float, fraction: float, core: int | None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wirewatch-farm-"))
        port_file = self.dir / "port"
        command = [
            sys.executable,
            str(ROOT / "bench" / "news_farm.py"),
            "--feeds",
            str(feeds),
            "--port-file",
            str(port_file),
            "--interval",
            str(interval),
            "--publish-fraction",
            str(fraction),
        ]
        self.process = subprocess.Popen(pinned(command, core))
        for _ in range(6000):
            if port_file.exists() and port_file.read_text():
                break
            if self.process.poll() is not None:
                raise RuntimeError("the news farm exited before listening")
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{n}.xml"

    def get(self, path: str) -> object:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=60) as answer:
            return json.loads(answer.read())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class BotProcess:
    """One `wirewatch run`: CPU and memory read from /proc."""

    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def reset_peak(self) -> None:
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def exited(self) -> bool:
        return self.process.poll() is not None

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM, then wait (SIGKILL after `timeout`)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class Bots:
    """Several `wirewatch run` workers measured as one: CPU and peak RSS summed."""

    workers: list[BotProcess]

    def cpu_s(self) -> float:
        return sum(bot.cpu_s() for bot in self.workers if not bot.exited())

    def peak_rss_mb(self) -> float:
        return sum(bot.peak_rss_mb() for bot in self.workers if not bot.exited())

    def reset_peak(self) -> None:
        for bot in self.workers:
            bot.reset_peak()

    def exited(self) -> bool:
        return any(bot.exited() for bot in self.workers)

    def stop(self, timeout: float = 60.0) -> None:
        for bot in self.workers:
            if not bot.exited():
                bot.process.send_signal(signal.SIGTERM)
        for bot in self.workers:
            bot.stop(timeout)

    def kill(self) -> None:
        for bot in self.workers:
            bot.kill()


def worker_logs(log: Path, workers: int) -> list[Path]:
    """The log of each worker: `log` for the first, `log`'s name with -2, -3 ... for the others."""
    return [log, *(log.with_name(f"{log.stem}-{n}{log.suffix}") for n in range(2, workers + 1))]


def start_bots(
    config: Path, log: Path, workers: int, core: int | None, profile: Path | None
) -> BotProcess | Bots:
    """One bot as before; several workers (unpinned, no profile) as one `Bots`."""
    if workers <= 1:
        return start_bot(config, log, core, profile)
    return Bots([start_bot(config, path, None, None) for path in worker_logs(log, workers)])


def bot_environment() -> dict[str, str]:
    """The bot's environment: none of ours WIREWATCH_*; bytecode read (and written) as installed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_bytecode() -> None:
    """Compile the bot and its packages in place, as an installed bot is (quick when done)."""
    import sysconfig

    paths = [str(ROOT / "bot"), sysconfig.get_paths()["purelib"]]
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j0", *paths],
        env=bot_environment(),
        stdout=subprocess.DEVNULL,
        check=False,  # a few test files of third-party packages do not compile: harmless
    )
    print(f"# bytecode compiled in {time.time() - started:.0f} s", file=sys.stderr)


def start_bot(config: Path, log: Path, core: int | None, profile: Path | None) -> BotProcess:
    """Start `wirewatch run` on `config`, its log in `log` (cProfile over it with `profile`)."""
    command = [sys.executable, "-m", "bot", "--config", str(config), "run"]
    if profile:  # the whole run under cProfile, written when the bot exits
        command[1:1] = ["-m", "cProfile", "-o", str(profile.resolve())]
    with log.open("wb") as log_file:
        return BotProcess(
            subprocess.Popen(
                pinned(command, core),
                cwd=ROOT,
                env=bot_environment(),
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
        )


async def _first_fetch(farm: FarmProcess, bot: BotProcess | Bots, before: int, log: Path) -> float:
    """When the farm saw its first request after the `before` it had seen already."""
    while True:
        await asyncio.sleep(0.02)
        if bot.exited():
            raise RuntimeError("the bot exited: " + log.read_text(errors="replace")[-3000:])
        summary = farm.get("/_summary")
        if summary["requests"] > before:  # type: ignore[index]
            requests: list[list[float]] = farm.get("/_log")  # type: ignore[assignment]
            return requests[before][0]


def uptime() -> str:
    """The load averages, as `uptime` prints them."""
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def postgres_cpu_s(database: str) -> float:
    """CPU seconds of the PostgreSQL backends serving `database` (their titles name it)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres: ") and f" {database} " in title:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


# --- the run ------------------------------------------------------------------------------


@dataclass
class Window:
    """One measured cycle."""

    name: str
    start: float
    end: float
    cpu_s: float = 0.0
    db_cpu_s: float | None = None
    peak_rss_mb: float = 0.0
    round_s: float = 0.0  # from the window's first poll to its last
    polls_200: int = 0
    polls_304: int = 0
    failed: int = 0
    alerts: int = 0
    latencies: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class RunResult:
    """Everything measured for one database."""

    db: str
    feeds: int
    watches: int
    start_to_first_fetch_s: float
    start_cpu_s: float
    windows: list[Window]
    restart_to_first_fetch_s: float | None = None  # a second start on the same database
    restart_cpu_s: float | None = None
    stop_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    load: str = ""  # /proc/loadavg when the run ended


def write_config(
    path: Path,
    farm: FarmProcess,
    args: argparse.Namespace,
    db_url: str,
    rules: list[str],
    feeds: int | None = None,
) -> Path:
    """The bot's config: `feeds` farm feeds (default all but the farm's last) and the rules."""
    out = path / "alerts.jsonl"
    lines = [
        'log_level = "INFO"',
        f'[database]\nurl = "{db_url}"',
        f'[poll]\ninterval = "{int(args.interval)}s"\nconcurrency = {args.concurrency}',
        f'[fetch]\nallow_hosts = ["127.0.0.1"]\nper_host_concurrency = {min(32, args.concurrency)}',
    ]
    for n in range(args.feeds if feeds is None else feeds):
        lines.append(f'[[sources]]\nname = "Farm {n}"\nurl = "{farm.url(n)}"')
    for rule in rules:
        lines.append(
            f'[[watches]]\nquery = {json.dumps(rule, ensure_ascii=False)}\nto = "jsonl:{out}"'
        )
    config = path / "wirewatch.toml"
    config.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return config


class AlertTail:
    """Reads the JSONL output as it grows; remembers when each line appeared."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""
        self.seen: list[tuple[float, dict[str, Any]]] = []

    def read(self) -> None:
        if not self.path.exists():
            return
        now = time.time()
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if line.strip():
                self.seen.append((now, json.loads(line)))


def log_failures(log: Path) -> tuple[list[float], list[str]]:
    """Times of failed polls in the bot's log, and the error lines."""
    failures, errors = [], []
    for line in log.read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        stamp, level, _name, message = match.groups()
        when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if FAILED_POLL.search(message):
            failures.append(when)
        if level in ("ERROR", "CRITICAL"):
            errors.append(line[:300])
    return failures, errors


async def run_once(args: argparse.Namespace, db: str, rules: list[str]) -> RunResult:
    two_cores = (os.cpu_count() or 1) >= 2
    bot_core, farm_core = (0, 1) if two_cores else (None, None)
    # one feed more than the bot polls: the restart adds it to the config (see below)
    farm = FarmProcess(args.feeds + 1, args.interval, args.publish_fraction, farm_core)
    work = Path(tempfile.mkdtemp(prefix="wirewatch-bench-bot-"))
    database = f"wirewatch_bench_{os.getpid()}"
    admin_url = args.pg_url
    try:
        if db == "postgresql":
            await create_database(admin_url, database)
            db_url = database_url(admin_url, database)
        else:
            db_url = f"sqlite+aiosqlite:///{work / 'wirewatch.db'}"
        config = write_config(work, farm, args, db_url, rules)
        log = work / "bot.log"
        spawned = time.time()
        core = bot_core if args.workers is None else None  # --workers: never pinned
        bot = start_bots(config, log, args.workers or 1, core, args.profile)
        try:
            result = await _measure(args, db, database, farm, bot, work, spawned, log)
        finally:
            bot.kill()
        # A restart over the same database, its config naming one feed more (the others are
        # not due for a while: they were all just polled): the new source is due at once, so
        # its fetch is the first thing the bot does once it is ready.
        write_config(work, farm, args, db_url, rules, feeds=args.feeds + 1)
        before = farm.get("/_summary")["requests"]  # type: ignore[index]
        spawned = time.time()
        bot = start_bot(config, work / "bot-restart.log", bot_core, None)
        try:
            first = await _first_fetch(farm, bot, before, work / "bot-restart.log")
            result.restart_cpu_s = bot.cpu_s()
            result.restart_to_first_fetch_s = first - spawned
            bot.stop()
        finally:
            bot.kill()
        print(
            f"# {db}: restart: first fetch {result.restart_to_first_fetch_s:.1f} s after the "
            f"start ({result.restart_cpu_s:.1f} s of CPU)",
            file=sys.stderr,
        )
        result.load = uptime()
        return result
    finally:
        farm.close()
        if db == "postgresql":
            await drop_database(admin_url, database)
        if args.keep:
            print(f"# kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


async def _measure(
    args: argparse.Namespace,
    db: str,
    database: str,
    farm: FarmProcess,
    bot: BotProcess | Bots,
    work: Path,
    spawned: float,
    log: Path,
) -> RunResult:
    tail = AlertTail(work / "alerts.jsonl")
    first = await _first_fetch(farm, bot, 0, log)
    start_to_first_fetch = first - spawned
    start_cpu = bot.cpu_s()
    print(
        f"# {db}: first fetch {start_to_first_fetch:.1f} s after the start "
        f"(the bot had used {start_cpu:.1f} s of CPU)",
        file=sys.stderr,
    )
    # the cold round: until every feed was polled once
    cold = Window("cold round", first, first)
    cold_cpu0, db_cpu0 = start_cpu, postgres_cpu_s(database) if db == "postgresql" else None
    while farm.get("/_summary")["requests"] < args.feeds:  # type: ignore[index]
        await asyncio.sleep(0.2)
        tail.read()
        if bot.exited():
            raise RuntimeError("the bot exited: " + log.read_text(errors="replace")[-3000:])
    cold.end = time.time()
    cold.cpu_s = bot.cpu_s() - cold_cpu0
    cold.peak_rss_mb = bot.peak_rss_mb()
    if db_cpu0 is not None:
        cold.db_cpu_s = postgres_cpu_s(database) - db_cpu0
    print(f"# {db}: cold round {cold.end - cold.start:.0f} s", file=sys.stderr)
    windows = [cold]
    # Round k of polls (every feed once more) falls around first + k * interval, spread by the
    # jitter and by the cold round's length: each window is centred on one round, and starts
    # after the cold round.
    start = max(cold.end, first + args.interval / 2)
    while args.cycles and time.time() < start:
        await asyncio.sleep(0.1)
        tail.read()
    for k in range(args.cycles):
        window = Window(f"cycle {k + 1}", start + k * args.interval, 0.0)
        window.end = window.start + args.interval
        cpu0 = bot.cpu_s()
        db0 = postgres_cpu_s(database) if db == "postgresql" else None
        bot.reset_peak()
        while time.time() < window.end:
            await asyncio.sleep(0.1)
            tail.read()
            if bot.exited():
                raise RuntimeError("the bot exited: " + log.read_text(errors="replace")[-3000:])
        window.cpu_s = bot.cpu_s() - cpu0
        window.peak_rss_mb = bot.peak_rss_mb()
        if db0 is not None:
            window.db_cpu_s = postgres_cpu_s(database) - db0
        windows.append(window)
        print(f"# {db}: {window.name} done", file=sys.stderr)
    stopped = time.time()
    bot.stop()
    stop_s = time.time() - stopped
    tail.read()
    published: dict[str, float] = farm.get("/_published")  # type: ignore[assignment]
    requests: list[list[float]] = farm.get("/_log")  # type: ignore[assignment]
    failures, errors = [], []
    for path in worker_logs(log, args.workers or 1):
        more_failures, more_errors = log_failures(path)
        failures += more_failures
        errors += more_errors
    for window in windows:
        polled = [
            (when, status)
            for when, status in requests
            if window.start <= when < window.end or (window is cold and when <= cold.end)
        ]
        window.polls_200 = sum(1 for _, status in polled if status == 200)
        window.polls_304 = len(polled) - window.polls_200
        if polled:
            window.round_s = polled[-1][0] - polled[0][0]
        window.failed = sum(1 for t in failures if window.start <= t < window.end)
        for seen_at, record in tail.seen:
            if not window.start <= seen_at < window.end:
                continue
            window.alerts += 1
            for story in record.get("stories") or []:
                url = (story.get("item") or {}).get("url", "")
                if url in published:
                    window.latencies.append(seen_at - published[url])
    return RunResult(
        db,
        args.feeds,
        len(args.rules),
        start_to_first_fetch,
        start_cpu,
        windows,
        stop_s=stop_s,
        errors=errors[:20],
    )


# --- report -------------------------------------------------------------------------------


def _fmt(value: float | None, pattern: str = "{:.1f}") -> str:
    return "–" if value is None else pattern.format(value)


def machine() -> str:
    """CPU model, cores, memory, Python and the commit measured."""
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024**2:.0f} GiB"
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"{model}, {os.cpu_count()} cores, {memory}; Python {sys.version.split()[0]}; "
        f"commit {commit or '?'}"
    )


LEGEND = """\
Columns: wall s = the measured window (one poll interval; the cold round: until every feed was
polled once); polls from first to last = how long that window's polls took; bot CPU s = user +
system CPU of the bot process in the window (one core for the whole window = 100 %); db CPU s =
the PostgreSQL backends of the bot's database; peak RSS = the bot's high-water mark in the
window; polls 200 / 304 = farm answers (fresh body / not modified); failed polls = the bot's log
lines for a failed poll or a lock error; alerts = JSONL lines written; latency = from the moment
the farm published an item to the moment its alert line appeared. Targets (issue #16): every feed
polled each cycle with 0 failed polls within one core (bot CPU s < wall s), p95 <= interval + 5 s;
first fetch < 3 s after the start."""


def print_table(results: list[RunResult], args: argparse.Namespace, load_before: str) -> None:
    print(f"# command: uv run python bench/bot.py {' '.join(sys.argv[1:])}")
    print(f"# machine: {machine()}")
    print(
        f"# {args.watches:,} watches, poll interval {args.interval:.0f} s, "
        f"{args.workers or 1} worker(s){' unpinned' if args.workers else ''}, "
        f"[poll] concurrency {args.concurrency}, {args.publish_fraction:.0%} of the feeds "
        f"publish per interval; load average (1, 5, 15 min) at the start: {load_before}"
    )
    print()
    print(
        "| db | feeds | cycle | wall s | polls from first to last, s | bot CPU s | CPU % of a core "
        "| db CPU s | peak RSS MB | polls 200 / 304 | failed polls | alerts "
        "| latency p50 / p95 / p99 s |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        for w in r.windows:
            wall = w.end - w.start
            print(
                f"| {r.db} | {r.feeds:,} | {w.name} | {wall:.0f} | {w.round_s:.0f} | {w.cpu_s:.1f} "
                f"| {100 * w.cpu_s / wall:.0f} | {_fmt(w.db_cpu_s)} | {w.peak_rss_mb:.0f} "
                f"| {w.polls_200:,} / {w.polls_304:,} | {w.failed} | {w.alerts:,} "
                f"| {_fmt(w.percentile(50))} / {_fmt(w.percentile(95))} "
                f"/ {_fmt(w.percentile(99))} |"
            )
    print()
    print(
        "| db | feeds | start to first fetch: fresh database | restart on it | exit on SIGTERM "
        "| load at the end |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        restart = (
            "–"
            if r.restart_to_first_fetch_s is None
            else f"{r.restart_to_first_fetch_s:.1f} s ({_fmt(r.restart_cpu_s)} s CPU)"
        )
        print(
            f"| {r.db} | {r.feeds:,} | {r.start_to_first_fetch_s:.1f} s "
            f"({r.start_cpu_s:.1f} s CPU) | {restart} | {r.stop_s:.1f} s | {r.load} |"
        )
    print()
    print(LEGEND)
    for r in results:
        for line in r.errors:
            print(f"# {r.db} error: {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument(
        "--cycles", type=int, default=3, help="measured cycles after the cold round"
    )
    parser.add_argument("--interval", type=float, default=300.0, help="poll interval, seconds")
    parser.add_argument("--concurrency", type=int, default=20, help="[poll] concurrency")
    parser.add_argument(
        "--publish-fraction", type=float, default=0.1, help="feeds publishing per interval"
    )
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql or sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "WIREWATCH_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL URL whose user may create databases",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="N `wirewatch run` processes on one PostgreSQL database (unpinned; issue #19)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bot's directory and log")
    parser.add_argument("--profile", type=Path, help="run the bot under cProfile, write here")
    args = parser.parse_args()
    if (args.workers or 1) > 1 and args.db.strip() != "postgresql":
        parser.error("--workers N > 1 needs --db postgresql (SQLite takes one `wirewatch run`)")
    args.rules = make_rules(args.watches, make_languages())
    compile_bytecode()
    load_before = uptime()
    results = []
    for db in args.db.split(","):
        results.append(asyncio.run(run_once(args, db.strip(), args.rules)))
    print_table(results, args, load_before)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
