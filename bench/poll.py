"""Benchmark one polling cycle: Wirewatch (SafeClient + rss source) vs newsboat and feed2exec.

A local aiohttp feed farm (a separate process, pinned to its own core when possible) serves
N RSS feeds of 20 to 100 items each, with strong ETags and 304 answers. Every tool polls the
same farm twice: a cold cycle (every feed new, all 200s) and a steady cycle after 10% of the
feeds changed (conditional GETs: 90% 304). Each run reports wall time, CPU time (user + system),
requests per second and peak RSS.

    uv run python bench/poll.py                      # 10,000 feeds, all three tools
    uv run python bench/poll.py --feeds 1000 --peers none

Loopback is allowed explicitly in the bench policy; per-host concurrency is raised to the
cycle's concurrency because every feed of the farm lives on one host (127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "government",
    "minister",
    "talks",
    "security",
    "cooperation",
    "border",
    "agreement",
    "economy",
    "election",
    "parliament",
    "court",
    "ruling",
    "storm",
    "flood",
    "energy",
    "prices",
    "market",
    "trade",
    "summit",
    "health",
    "vaccine",
    "school",
    "strike",
    "protest",
    "police",
    "investigation",
    "report",
    "climate",
    "drought",
    "harvest",
    "port",
    "shipping",
]


# --- the farm ---------------------------------------------------------------------------------


def _feed_items(feed: int, version: int) -> int:
    return 20 + (feed * 7919) % 81


def render_feed(feed: int, version: int, port: int) -> bytes:
    """Render feed `feed` at `version`: `version` newer items on top of a stable base."""
    rand = random.Random(feed)
    base_count = _feed_items(feed, version)
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=feed)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
        f"<title>Farm feed {feed}</title><link>http://127.0.0.1:{port}/</link>",
        "<description>bench</description><language>en</language>",
    ]
    total = base_count + version * 2
    for k in range(total - 1, -1, -1):
        if len(parts) > 3 + 100:
            break
        words = " ".join(rand.choice(WORDS) for _ in range(24))
        when = format_datetime(start + timedelta(hours=k), usegmt=True)
        parts.append(
            f"<item><title>Feed {feed} story {k}: {escape(words[:60])}</title>"
            f"<link>https://news.example/{feed}/{k}</link>"
            f'<guid isPermaLink="false">farm-{feed}-{k}</guid>'
            f"<pubDate>{when}</pubDate>"
            f"<description>&lt;p&gt;{escape(words)}&lt;/p&gt;</description>"
            f"<category>bench</category></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def last_modified(version: int) -> str:
    """The Last-Modified date of a feed at `version` (one day per version)."""
    return format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=version), usegmt=True)


def serve(feeds: int, port_file: Path) -> None:
    """Run the farm until killed; write the port to `port_file` once listening."""
    from aiohttp import web

    versions = [0] * feeds
    stats = {"200": 0, "304": 0}
    state = {"port": 0, "cycle": 0}

    async def feed(request: web.Request) -> web.Response:
        name = request.match_info["n"]
        if not name.isdigit() or int(name) >= feeds:
            return web.Response(status=404)
        n = int(name)
        etag = f'"{n}-{versions[n]}"'
        modified = last_modified(versions[n])
        validators = {"ETag": etag, "Last-Modified": modified}
        if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == modified
        ):
            stats["304"] += 1
            return web.Response(status=304, headers=validators)
        stats["200"] += 1
        body = render_feed(n, versions[n], state["port"])
        return web.Response(
            body=body, headers={**validators, "Content-Type": "application/rss+xml"}
        )

    async def advance(request: web.Request) -> web.Response:
        fraction = float(request.query.get("fraction", "0.1"))
        state["cycle"] += 1
        step = max(1, round(1 / fraction)) if fraction > 0 else feeds + 1
        changed = 0
        for n in range(feeds):
            if (n + state["cycle"]) % step == 0:
                versions[n] += 1
                changed += 1
        return web.json_response({"changed": changed})

    async def reset(request: web.Request) -> web.Response:
        versions[:] = [0] * feeds
        state["cycle"] = 0
        stats.update({"200": 0, "304": 0})
        return web.json_response({"ok": True})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed)
        app.router.add_post("/_advance", advance)
        app.router.add_post("/_reset", reset)
        app.router.add_get("/_stats", get_stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        state["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        port_file.write_text(str(state["port"]))
        await asyncio.Event().wait()

    asyncio.run(main())


class Farm:
    """Start the farm in a child process and talk to its control endpoints."""

    def __init__(self, feeds: int, core: int | None) -> None:
        self.feeds = feeds
        self._dir = Path(tempfile.mkdtemp(prefix="wirewatch-farm-"))
        port_file = self._dir / "port"
        command = [
            sys.executable,
            __file__,
            "--serve",
            "--feeds",
            str(feeds),
            "--port-file",
            str(port_file),
        ]
        if core is not None and shutil.which("taskset"):
            command = ["taskset", "-c", str(core), *command]
        self._process = subprocess.Popen(command)
        for _ in range(600):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{n}.xml"

    def _call(self, method: str, path: str) -> dict[str, object]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=b"" if method == "POST" else None,
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._call("POST", "/_reset")

    def advance(self, fraction: float) -> int:
        return int(self._call("POST", f"/_advance?fraction={fraction}")["changed"])  # type: ignore[call-overload]

    def stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._call("GET", "/_stats").items()}  # type: ignore[call-overload]

    def close(self) -> None:
        self._process.terminate()
        self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)


# --- measurements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One tool's cycle."""

    tool: str
    cycle: str
    feeds: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    ok: int
    not_modified: int
    errors: int
    items: int = -1

    @property
    def req_per_s(self) -> float:
        return self.feeds / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_feed(self) -> float:
        return 1000 * self.cpu_s / self.feeds if self.feeds else 0.0


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak_rss() -> None:
    """Reset VmHWM so each cycle reports its own peak (Linux 4.0+; ignored elsewhere)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


async def wirewatch_cycle(
    farm: Farm, etags: dict[int, str | None], concurrency: int, cycle: str
) -> Run:
    """Poll every farm feed once through SafeClient + the rss source."""
    from bot.fetch import FetchPolicy, SafeClient
    from bot.ports import FetchError, FetchState
    from bot.sources import get_source

    policy = FetchPolicy(allow_hosts=("127.0.0.1",), per_host_concurrency=concurrency)
    client = SafeClient(policy)
    source = get_source("rss")
    gate = asyncio.Semaphore(concurrency)
    counts = {"ok": 0, "304": 0, "errors": 0, "items": 0}

    async def one(n: int) -> None:
        async with gate:
            try:
                result = await source.fetch(client, FetchState(url=farm.url(n), etag=etags[n]))
            except FetchError:
                counts["errors"] += 1
                return
        if result.not_modified:
            counts["304"] += 1
        else:
            counts["ok"] += 1
            counts["items"] += len(result.items)
            etags[n] = result.etag

    _reset_peak_rss()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(farm.feeds)))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await client.aclose()
    return Run(
        "wirewatch",
        cycle,
        farm.feeds,
        wall,
        cpu,
        _rss_mb("VmHWM"),
        counts["ok"],
        counts["304"],
        counts["errors"],
        counts["items"],
    )


def _run_child(
    command: list[str], env: dict[str, str], core: int | None, cwd: Path
) -> tuple[float, float, float, int]:
    """Run a peer; return wall, CPU (with its waited-for children), peak RSS MB, exit code.

    GNU time measures the peer: a child of this (large) Python process would otherwise carry
    our own peak RSS into its ru_maxrss across exec.
    """
    report = cwd / "time.out"
    if shutil.which("time") or Path("/usr/bin/time").exists():
        command = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(report), *command]
    if core is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(core), *command]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    if report.exists():
        fields = report.read_text().split()[-3:]
        with contextlib.suppress(ValueError, IndexError):
            peak, cpu = int(fields[0]) / 1024, float(fields[1]) + float(fields[2])
    return wall, cpu, peak, process.returncode


def _peer_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
        }
    )
    return env


def peer_runs(tool: str, farm: Farm, fraction: float, threads: int, core: int | None) -> list[Run]:
    """Run a peer's cold and steady cycles on a reset farm."""
    home = Path(tempfile.mkdtemp(prefix=f"wirewatch-bench-{tool}-"))
    env = _peer_env(home)
    if tool == "newsboat":
        (home / "urls").write_text("".join(farm.url(n) + "\n" for n in range(farm.feeds)))
        (home / "config").write_text(f"reload-threads {threads}\nsuppress-first-reload yes\n")
        command = [
            "newsboat",
            "-u",
            str(home / "urls"),
            "-c",
            str(home / "cache.db"),
            "-C",
            str(home / "config"),
            "-x",
            "reload",
        ]
    else:
        (home / "feed2exec.ini").write_text(
            "".join(f"[farm{n}]\nurl = {farm.url(n)}\n\n" for n in range(farm.feeds))
        )
        command = [
            "feed2exec",
            "--quiet",
            "--config",
            str(home / "feed2exec.ini"),
            "--database",
            str(home / "feed2exec.db"),
            "fetch",
            "--jobs",
            str(threads),
        ]
    runs = []
    farm.reset()
    try:
        for cycle in ("cold", "steady"):
            if cycle == "steady":
                farm.advance(fraction)
            before = farm.stats()
            wall, cpu, rss, code = _run_child(command, env, core, home)
            after = farm.stats()
            ok, not_modified = after["200"] - before["200"], after["304"] - before["304"]
            errors = farm.feeds - ok - not_modified if code == 0 else farm.feeds
            runs.append(
                Run(tool, cycle, farm.feeds, wall, cpu, rss, ok, not_modified, max(0, errors))
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return runs


def print_table(runs: list[Run]) -> None:
    """Print the results as a Markdown table."""
    print(
        "| tool | cycle | feeds | wall s | CPU s | CPU ms/feed | req/s | peak RSS MB | 200 | 304 "
        "| errors |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        print(
            f"| {r.tool} | {r.cycle} | {r.feeds} | {r.wall_s:.1f} | {r.cpu_s:.1f} | "
            f"{r.cpu_ms_per_feed:.2f} | {r.req_per_s:.0f} | {r.peak_rss_mb:.0f} | {r.ok} | "
            f"{r.not_modified} | {r.errors} |"
        )


def main() -> int:
    """Parse arguments, run the farm and every tool, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--feeds", type=int, default=10_000, help="feeds in Wirewatch's headline steady cycle"
    )
    parser.add_argument(
        "--cold", action="store_true", help="also time Wirewatch's cold first poll of all --feeds"
    )
    parser.add_argument(
        "--peer-feeds",
        type=int,
        default=300,
        help="feeds in the side-by-side cold+steady runs of every tool",
    )
    parser.add_argument("--changed", type=float, default=0.1, help="fraction changed per cycle")
    parser.add_argument("--concurrency", type=int, default=16, help="Wirewatch fetches in flight")
    parser.add_argument(
        "--peer-threads", type=int, default=16, help="newsboat reload-threads and feed2exec --jobs"
    )
    parser.add_argument(
        "--peers", default="newsboat,feed2exec", help="comma-separated peers to run, or 'none'"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.feeds, args.port_file)
        return 0
    two_cores = (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    client_core, farm_core = (0, 1) if two_cores else (None, None)
    if client_core is not None:
        os.sched_setaffinity(0, {client_core})
    farm = Farm(max(args.feeds, args.peer_feeds), farm_core)
    runs: list[Run] = []
    try:
        baseline = _rss_mb("VmRSS")
        print(f"# Wirewatch RSS before polling: {baseline:.0f} MB", file=sys.stderr)
        farm.feeds = args.feeds
        if args.cold:
            etags: dict[int, str | None] = dict.fromkeys(range(args.feeds))
            runs.append(asyncio.run(wirewatch_cycle(farm, etags, args.concurrency, "cold")))
        else:  # a running bot holds the validators of its previous cycle
            etags = {n: f'"{n}-0"' for n in range(args.feeds)}
        changed = farm.advance(args.changed)
        runs.append(asyncio.run(wirewatch_cycle(farm, etags, args.concurrency, "steady")))
        print(f"# {args.feeds} feeds, {changed} changed in the steady cycle", file=sys.stderr)
        farm.feeds = args.peer_feeds
        farm.reset()
        etags = dict.fromkeys(range(args.peer_feeds))
        side = [asyncio.run(wirewatch_cycle(farm, etags, args.concurrency, "cold"))]
        farm.advance(args.changed)
        side.append(asyncio.run(wirewatch_cycle(farm, etags, args.concurrency, "steady")))
        runs += side
        for tool in [p for p in args.peers.split(",") if p and p != "none"]:
            if shutil.which(tool) is None:
                print(
                    f"# {tool} not installed (apt-get install -y {tool}); skipped", file=sys.stderr
                )
                continue
            print(f"# running {tool} on {args.peer_feeds} feeds ...", file=sys.stderr)
            runs += peer_runs(tool, farm, args.changed, args.peer_threads, client_core)
    finally:
        farm.close()
    print_table(runs)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
