"""Measure the whole bot's memory: `wirewatch run` with N watches in K languages.

Builds a SQLite database holding N watches (realistic rules over K languages: names, rare and
common words, phrases, prefixes, NEAR, NOT, OR, `title:`, `site:` and `lang:`), a config with
one loopback feed per language, and starts the real bot (`python -m bot run`) as a subprocess.
The feeds are empty at first; once the bot has started and polled them all, they are switched
on one language at a time (ten items each, news text with the language's accents, quotes and
dashes), so the table shows the bot's RSS after start-up and after the first items in each
language (the first item in a language builds that language's stem index), and after the
bot's half-minute watch refresh (which reads every watch again). RSS is read from
/proc/PID/status (VmRSS; VmHWM is the peak).

With `--trace`, the same bot runs under tracemalloc (one frame per allocation), started by
this script in the child before it calls the CLI's `main`; at each step the script asks the
child for a snapshot (SIGUSR1) and prints where the memory is, grouped by module. Tracing
costs memory of its own: the RSS column of a traced run is not the bot's.

    uv run python bench/memory.py --watches 100000 --languages 2
    uv run python bench/memory.py --watches 100000 --languages 6
    uv run python bench/memory.py --watches 100000 --languages 2 --trace
    uv run python bench/memory.py --watches 100000 --languages 2 --hold 300   # then 5 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import news_farm  # noqa: E402
from news_farm import Language, make_languages, make_story  # noqa: E402

# Two more languages than the farm's four: Italian (accents) and Russian (Cyrillic).
EXTRA = {
    "it": (
        "di e il la che a per in un una è del della le non si con i da al alla come più ma "
        "sono anche nel nella questo suo sua dei delle gli ha ad tra dopo",
        "governo ministro negoziati sicurezza cooperazione frontiera accordo economia elezioni "
        "parlamento tribunale sentenza tempesta alluvione energia prezzi mercato commercio "
        "vertice salute vaccino scuola sciopero protesta polizia indagine rapporto clima "
        "siccità raccolto porto presidente ministero bilancio inflazione banca tassi",
        "ka ri to ma ne lo sa vi de ru po li an el or us ta mi go be ke fo tra gel mon dar "
        "vè sil bor qua ist ven gli zio ò",
        ("«", "»"),
    ),
    "ru": (
        "и в не на что с по как он к но из у за от о же так это все она мы для было бы уже "
        "был до то или если его ее при их был после",
        "правительство министр переговоры безопасность сотрудничество граница соглашение "
        "экономика выборы парламент суд решение шторм наводнение энергия цены рынок торговля "
        "саммит здоровье вакцина школа забастовка протест полиция расследование доклад климат "
        "засуха урожай порт президент министерство бюджет инфляция банк ставки",
        "ка ри то ма не ло са ви де ру по ли ан ел ор ус та ми го бе ке фо тра гель мон дар "
        "век сил бор ист вен жу щё ый",
        ("«", "»"),
    ),
}
ORDER = ("en", "fr", "de", "es", "it", "ru")
COMMON_NEWS = {
    "en": ["government", "minister", "police", "president"],
    "fr": ["gouvernement", "ministre", "police", "président"],
    "de": ["Regierung", "Minister", "Polizei", "Präsident"],
    "es": ["gobierno", "ministro", "policía", "presidente"],
    "it": ["governo", "ministro", "polizia", "presidente"],
    "ru": ["правительство", "министр", "полиция", "президент"],
}


def languages(count: int, seed: int = 16) -> dict[str, Language]:
    """The first `count` of ORDER: the news farm's four, then Italian and Russian."""
    out = make_languages(seed)
    rng = random.Random(seed + 1)
    for code, (function_words, news_words, syllable_text, quotes) in EXTRA.items():
        function, news, syllables = (
            function_words.split(),
            news_words.split(),
            syllable_text.split(),
        )
        taken = set(function) | set(news)
        tail = news_farm._made_up(rng, syllables, news_farm.TAIL_WORDS, taken)
        names = news_farm._made_up(rng, syllables, news_farm.NAMES, taken | set(tail))
        names = [w.capitalize() for w in names]
        ranked = function[:12] + news[:20] + function[12:] + news[20:] + tail
        out[code] = Language(
            code, news_farm.Zipf(ranked, 1.05), news_farm.Zipf(names, 1.0), news, tail, names
        )
        news_farm.QUOTES.setdefault(code, quotes)  # make_story's quotes for these languages
    return {code: out[code] for code in ORDER[:count]}


def make_rules(count: int, langs: dict[str, Language], seed: int = 7) -> list[str]:
    """`count` distinct rules, spread evenly over the languages.

    Most name a person, place or organisation or a rare word; others combine a common news word
    with a name, use phrases, OR groups, prefixes, NOT, NEAR, `title:`, `site:` and `lang:`; one
    in 500 watches a common word alone in its language.
    """
    rng = random.Random(seed)
    codes = list(langs)
    rules: dict[str, None] = {}
    n = 0
    while len(rules) < count:
        lang = langs[codes[n % len(codes)]]
        n += 1

        def tail(lang: Language = lang) -> str:
            return rng.choice(lang.tail[200:12000])

        def name(lang: Language = lang) -> str:
            return rng.choice(lang.name_list)

        common = rng.choice(COMMON_NEWS[lang.code])
        kind = rng.random()
        if kind < 0.25:
            rule = name()
        elif kind < 0.35:
            rule = tail()
        elif kind < 0.47:
            rule = f"{tail()} AND {name()}"
        elif kind < 0.55:
            rule = f'"{name()} {tail()}"'
        elif kind < 0.62:
            rule = f"{name()} OR {name()} OR {tail()}"
        elif kind < 0.66:
            rule = f"{tail()[:5]}* AND {name()}"
        elif kind < 0.72:
            rule = f"{name()} -{tail()}"
        elif kind < 0.77:
            rule = f"{name()} NEAR/5 {rng.choice(lang.news)}"
        elif kind < 0.81:
            rule = f"title:{name()}"
        elif kind < 0.84:
            rule = f"site:news{rng.randrange(97)}.example {name()}"
        elif kind < 0.87:
            rule = f"lang:{lang.code} {name()} {tail()}"
        elif kind < 0.998:
            rule = f"{common} AND {name()}"
        else:
            rule = f"{common} lang:{lang.code}"
        rules[rule] = None
    return list(rules)


# --- the database and the config ---------------------------------------------------------


async def fill_database(url: str, rules: list[str], destination: str) -> None:
    """Create the database and add one watch per rule (as chat would, in bulk)."""
    from bot.store import NewWatch, Store

    store = await Store.open(url)
    try:
        now = datetime.now(UTC)
        for start in range(0, len(rules), 5000):
            batch = [
                NewWatch(rule, destination, owner="U0BENCH", platform="slack")
                for rule in rules[start : start + 5000]
            ]
            async with store.transaction() as tx:
                await tx.add_watches(batch, now=now)
    finally:
        await store.close()


def write_config(
    path: Path, db_url: str, port: int, codes: list[str], rules: list[str], destination: str
) -> Path:
    """The bot's config: the loopback feeds, and `rules` as `[[watches]]` entries if any."""
    lines = [
        'log_level = "INFO"',
        f'[database]\nurl = "{db_url}"',
        '[poll]\ninterval = "2s"\nmin_interval = "1s"',
        '[fetch]\nallow_hosts = ["127.0.0.1"]',
    ]
    for code in codes:
        lines.append(
            f'[[sources]]\nname = "Wire {code}"\nurl = "http://127.0.0.1:{port}/{code}.xml"'
        )
    for rule in rules:
        lines.append(
            f'[[watches]]\nquery = {json.dumps(rule, ensure_ascii=False)}\nto = "{destination}"'
        )
    config = path / "wirewatch.toml"
    config.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return config


# --- the feeds -----------------------------------------------------------------------------


class Feeds:
    """One RSS feed per language, empty until switched on; counts the requests of each."""

    def __init__(self, langs: dict[str, Language], items: int, seed: int = 3) -> None:
        rng = random.Random(seed)
        self.bodies: dict[str, bytes] = {}
        self.on: set[str] = set()
        self.requests: dict[str, int] = dict.fromkeys(langs, 0)
        self.full_requests: dict[str, int] = dict.fromkeys(langs, 0)
        for code, lang in langs.items():
            self.bodies[code] = self._render(code, lang, rng, items)

    @staticmethod
    def _render(code: str, lang: Language, rng: random.Random, count: int) -> bytes:
        from email.utils import format_datetime
        from xml.sax.saxutils import escape

        now = time.time()
        parts = [
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
            f"<title>Wire {code}</title><link>https://news{len(code)}.example/{code}/</link>",
            f"<description>wire</description><language>{code}</language>",
        ]
        for k in range(count):
            title, summary = make_story(rng, lang)
            when = format_datetime(datetime.fromtimestamp(now - 60 * k, UTC), usegmt=True)
            link = f"https://news{k % 97}.example/{code}/{k}"
            parts.append(
                f"<item><title>{escape(title)}</title><link>{link}</link>"
                f"<guid>{link}</guid><pubDate>{when}</pubDate>"
                f"<description>{escape(summary)}</description></item>"
            )
        parts.append("</channel></rss>")
        return "".join(parts).encode()

    async def serve(self) -> tuple[object, int]:
        from aiohttp import web

        empty = (
            b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            b"<title>Wire</title><link>https://news.example/</link><description>wire"
            b"</description></channel></rss>"
        )

        async def feed(request: web.Request) -> web.Response:
            code = request.match_info["code"]
            if code not in self.bodies:
                return web.Response(status=404)
            self.requests[code] += 1
            body = empty
            if code in self.on:
                self.full_requests[code] += 1
                body = self.bodies[code]
            # A conditional GET of an unchanged feed is answered 304, as real feeds do: the
            # bot then does not parse the same (possibly large) feed every poll.
            etag = f'"{code}-{int(code in self.on)}"'
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(
                body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag}
            )

        app = web.Application()
        app.router.add_get("/{code}.xml", feed)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


# --- the bot process -----------------------------------------------------------------------


def status(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def settle(pid: int, alive: Callable[[], bool], quiet_s: float = 1.5) -> None:
    """Wait until the process uses under 5 % of a core over `quiet_s` seconds."""
    while alive():
        before = cpu_s(pid)
        await asyncio.sleep(quiet_s)
        if cpu_s(pid) - before < 0.05 * quiet_s:
            return
    raise RuntimeError("the bot exited")


@dataclass
class Step:
    name: str
    rss: float
    peak: float
    anon: float
    seconds: float
    load: str
    snapshot: Path | None = None


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)


async def measure(args: argparse.Namespace) -> Run:
    langs = languages(args.languages)
    rules = make_rules(args.watches, langs)
    work = Path(tempfile.mkdtemp(prefix="wirewatch-memory-"))
    try:
        db_url = f"sqlite+aiosqlite:///{work / 'wirewatch.db'}"
        destination = f"jsonl:{work / 'alerts.jsonl'}"
        started = time.time()
        if not args.in_config:
            await fill_database(db_url, rules, destination)
            print(
                f"# database with {len(rules):,} watches in {time.time() - started:.0f} s",
                file=sys.stderr,
            )
        feeds = Feeds(langs, args.items)
        runner, port = await feeds.serve()
        config = write_config(
            work, db_url, port, list(langs), rules if args.in_config else [], destination
        )
        log = work / "bot.log"
        snapshots = work / "snapshots"
        snapshots.mkdir()
        command = [sys.executable, "-m", "bot", "--config", str(config), "run"]
        if args.trace or args.without:
            command = [sys.executable, str(Path(__file__).resolve()), "--child", str(snapshots)]
            command += [",".join(args.without), "1" if args.trace else "0"]
            command += ["--config", str(config), "run"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        env.update(args.env)
        spawned = time.time()
        with log.open("wb") as log_file:
            bot = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file
            )
        run = Run()

        def alive() -> bool:
            return bot.poll() is None

        async def record(name: str) -> None:
            snapshot = None
            if args.trace:
                snapshot = snapshots / f"{len(run.steps)}.snap"
                bot.send_signal(signal.SIGUSR1)
                while not (snapshots / f"{len(run.steps)}.done").exists():
                    if not alive():
                        raise RuntimeError("the bot exited")
                    await asyncio.sleep(0.2)
            got = status(bot.pid)
            run.steps.append(
                Step(
                    name,
                    got["VmRSS"],
                    got["VmHWM"],
                    got["RssAnon"],
                    time.time() - spawned,
                    load(),
                    snapshot,
                )
            )
            print(
                f"# {name}: RSS {got['VmRSS']:.0f} MB, peak {got['VmHWM']:.0f} MB", file=sys.stderr
            )

        try:
            while not all(feeds.requests.values()):  # every feed polled once: started
                if not alive():
                    raise RuntimeError(log.read_text(errors="replace")[-3000:])
                await asyncio.sleep(0.1)
            running = time.time()  # the run loop's chores start about now
            await settle(bot.pid, alive)
            await record("after start-up (watches loaded, feeds polled, nothing new)")
            for code in langs:
                feeds.on.add(code)
                while feeds.full_requests[code] == 0:
                    if not alive():
                        raise RuntimeError(log.read_text(errors="replace")[-3000:])
                    await asyncio.sleep(0.1)
                await settle(bot.pid, alive)
                await record(f"after the first {args.items} items in {code}")
            # The run loop re-reads every watch every 30 s (App.refresh_watches).
            await asyncio.sleep(max(0.0, running + 33.0 - time.time()))
            await settle(bot.pid, alive)
            await record("after a watch refresh (30 s chore)")
            for waited in range(30, args.hold + 1, 30):  # a running bot: polls and refreshes
                await asyncio.sleep(max(0.0, running + 33.0 + waited - time.time()))
                await settle(bot.pid, alive)
                await record(f"{waited} s later")
            errors = [
                line
                for line in log.read_text(errors="replace").splitlines()
                if " ERROR " in line or "Traceback" in line
            ]
            if errors:
                print("# errors in the bot's log:\n" + "\n".join(errors[:10]), file=sys.stderr)
        finally:
            if alive():
                bot.send_signal(signal.SIGTERM)
                try:
                    bot.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    bot.kill()
                    bot.wait()
            await runner.cleanup()  # type: ignore[attr-defined]
        if args.trace:
            report_snapshots(run, args.top)
        return run
    finally:
        if args.keep:
            print(f"# kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


# --- tracemalloc ----------------------------------------------------------------------------


def module_of(filename: str) -> str:
    """A file's module, as `bot.core.matcher` or `sqlalchemy` (third-party packages by name)."""
    path = Path(filename)
    parts = path.with_suffix("").parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if "bot" in parts:
        at = len(parts) - 1 - parts[::-1].index("bot")
        return ".".join(parts[at:])
    if filename.startswith("<"):
        return filename
    return "stdlib:" + path.stem


def report_snapshots(run: Run, top: int) -> None:
    import tracemalloc

    for step in run.steps:
        assert step.snapshot is not None
        snapshot = tracemalloc.Snapshot.load(str(step.snapshot))
        by_module: dict[str, list[int]] = {}
        for stat in snapshot.statistics("filename"):
            name = module_of(stat.traceback[0].filename)
            entry = by_module.setdefault(name, [0, 0])
            entry[0] += stat.size
            entry[1] += stat.count
        total = sum(size for size, _count in by_module.values())
        print(
            f"\n{step.name}: traced {total / 2**20:,.1f} MB (RSS under tracing {step.rss:,.0f} MB)"
        )
        print("| module | MB | blocks |")
        print("|---|---|---|")
        ranked = sorted(by_module.items(), key=lambda kv: -kv[1][0])
        for name, (size, count) in ranked[:top]:
            print(f"| {name} | {size / 2**20:,.1f} | {count:,} |")
        rest = ranked[top:]
        print(
            f"| {len(rest)} others | {sum(s for _n, (s, _c) in rest) / 2**20:,.1f} |"
            f" {sum(c for _n, (_s, c) in rest):,} |"
        )


def child(snapshots: Path, without: str, trace: bool, argv: list[str]) -> int:
    """Run the bot's CLI without the modules `without` names (as if not installed), under
    tracemalloc with `trace`: then SIGUSR1 writes the next snapshot to `snapshots`."""
    import tracemalloc

    for name in filter(None, without.split(",")):
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    if trace:
        tracemalloc.start(1)
    taken = [0]

    def dump(_signum: int, _frame: object) -> None:
        number = taken[0]
        taken[0] += 1
        tracemalloc.take_snapshot().dump(str(snapshots / f"{number}.snap"))
        (snapshots / f"{number}.done").write_text("")

    signal.signal(signal.SIGUSR1, dump)
    from bot.cli import main as cli_main

    return int(cli_main(argv) or 0)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        sys.exit(child(Path(argv[1]), argv[2], argv[3] == "1", argv[4:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=100_000)
    parser.add_argument("--languages", type=int, default=2, help=f"1 to {len(ORDER)}: {ORDER}")
    parser.add_argument(
        "--items",
        type=int,
        default=10,
        help="items per language's feed (the bot reads at most 500 of a feed)",
    )
    parser.add_argument("--trace", action="store_true", help="tracemalloc, grouped by module")
    parser.add_argument("--top", type=int, default=25, help="modules listed per snapshot")
    parser.add_argument(
        "--hold", type=int, default=0, help="then read the RSS every 30 s for this many seconds"
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        help="run the bot as if this package were not installed (e.g. trio: a dev-only package"
        " that httpcore imports when present, 16 MB); repeatable",
    )
    parser.add_argument(
        "--in-config",
        action="store_true",
        help="the watches as [[watches]] entries of the config file (default: in the database,"
        " as chat adds them)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=lambda s: tuple(s.split("=", 1)),
        help="NAME=VALUE for the bot's environment (e.g. MALLOC_ARENA_MAX=2)",
    )
    args = parser.parse_args(argv)
    args.env = dict(args.env)
    run = asyncio.run(measure(args))
    import platform

    print(
        f"\n{args.watches:,} watches in {args.languages} languages"
        f" ({', '.join(ORDER[: args.languages])}); Python {platform.python_version()},"
        f" {platform.machine()}, {os.cpu_count()} CPUs"
        + (f"; bot environment {args.env}" if args.env else "")
        + ("; under tracemalloc" if args.trace else "")
        + (f"; without {', '.join(args.without)}" if args.without else "")
        + ("; watches in the config file" if args.in_config else "")
    )
    print("| step | RSS | peak RSS (VmHWM) | anonymous | s since start | load (1/5/15 min) |")
    print("|---|---|---|---|---|---|")
    for s in run.steps:
        print(
            f"| {s.name} | {s.rss:,.0f} MB | {s.peak:,.0f} MB | {s.anon:,.0f} MB |"
            f" {s.seconds:,.0f} | {s.load} |"
        )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
