"""Measure how quickly the `wirewatch` command answers: wall time, CPU time, modules imported.

Run: `uv run python bench/cli_speed.py [--runs 10] [--code DIR] [--bytecode compiled|none]`.

Each command runs `--runs` times as a fresh `python -m bot` process (after one untimed warm-up
run) against a temporary config (four sources and two watches of its own, like the default
config) and SQLite file with 200 more watches and 20 more sources; the table gives
the median wall time, the median CPU time (user + system of the child, so a loaded machine
shows in wall time, not in CPU time), the import time `python -X importtime` reports, and
whether a database, chat or clustering module was imported. The load average is printed
before and after. `--code DIR` measures another revision's `bot/` with the same interpreter:
`git archive REV bot config | tar -x -C DIR`.

`--bytecode compiled` (the default) runs from compiled bytecode, as an installed bot does (the
Docker image compiles it): the warm-up run writes it to a private `PYTHONPYCACHEPREFIX`.
`--bytecode none` compiles every module from source on every run, as this development
environment does (it sets PYTHONDONTWRITEBYTECODE): the cost then grows with the number of
modules a command loads.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "discord",
    "slack_bolt",
    "slack_sdk",
    "numpy",
    "trafilatura",
    "httpx",
    "feedparser",
)
RULES = "Algeria AND readmission"


@dataclass(frozen=True)
class Case:
    """One command line to time."""

    name: str
    argv: tuple[str, ...]


CASES = (
    Case("--help", ("--help",)),
    Case("check RULE --text", ("check", RULES, "--text", "Algeria agreed on readmission.")),
    Case("watch add RULE", ("watch", "add", "Libya AND visa{run}")),  # a new rule each run
    Case("watch list", ("watch", "list")),
    Case("sources list", ("sources", "list")),
)


def _env(code: Path | None, bytecode: str, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code) if code else str(ROOT)
    env["COLUMNS"] = "120"
    # Bytecode is read from (and written to) this private folder only, so neither the
    # environment's own __pycache__ folders nor an earlier run change what is measured.
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if bytecode == "compiled":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("WIREWATCH_CONFIG", "WIREWATCH_DATABASE_URL"):
        env.pop(name, None)
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run once; return (wall seconds, child CPU seconds, stderr)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, stderr


def _imports(stderr: str) -> tuple[float, set[str]]:
    """Total import time (s) and top-level packages from `-X importtime` output."""
    total = 0.0
    names: set[str] = set()
    for line in stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if found is None:
            continue
        if len(found.group(2)) == 1:  # a top-level import: its cumulative time counts once
            total += int(found.group(1)) / 1e6
        names.add(found.group(3).split(".")[0])
    return total, names


def _prepare(work: Path, env: dict[str, str]) -> Path:
    config = work / "bench.toml"
    entries = (
        "".join(
            f'[[sources]]\nname = "Wire {i}"\nurl = "https://wire{i}.example/rss"\n'
            for i in range(4)
        )
        + '[[watches]]\nquery = "Algeria"\n[[watches]]\nquery = "Tunisia AND visa"\n'
    )
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///bench.db"\n{entries}', encoding="utf-8"
    )
    script = (
        "import asyncio\n"
        "from bot.store import Store\n"
        "async def main():\n"
        f"    store = await Store.open('sqlite+aiosqlite:///{work}/bench.db')\n"
        "    await store.upgrade()\n"
        "    for i in range(200):\n"
        "        await store.add_watch(f'word{i} AND other{i}', 'console', owner='cli:bench',"
        " platform='cli')\n"
        "    for i in range(20):\n"
        "        await store.add_source(f'S{i}', f'https://example.org/{i}.xml', kind='rss',"
        " interval_s=300, owner='cli:bench')\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=work, check=True)
    return config


def main() -> None:
    """Print one row per command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--code", type=Path, help="a directory holding another revision's bot/")
    parser.add_argument("--bytecode", choices=("compiled", "none"), default="compiled")
    args = parser.parse_args()
    print(
        f"load before: {os.getloadavg()}; code: {args.code or ROOT}; bytecode: {args.bytecode}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = _env(args.code, args.bytecode, work / "pycache")
        config = _prepare(work, env)
        query_import = _run(
            [sys.executable, "-X", "importtime", "-c", "import bot.core.query"], env, work
        )
        print(
            f"import bot.core.query alone: {_imports(query_import[2])[0] * 1000:.0f} ms", flush=True
        )
        print(
            "| command | wall median (s) | CPU median (s) | imports (ms) | heavy modules |\n"
            "|---|---|---|---|---|"
        )
        for case in CASES:

            def argv(run: int, case: Case = case) -> list[str]:
                words = [word.format(run=run) for word in case.argv]
                return [sys.executable, "-m", "bot", "--config", str(config), *words]

            _run(argv(0), env, work)  # warm-up: file caches, .pyc
            walls, cpus = [], []
            for run in range(1, args.runs + 1):
                wall, cpu, _ = _run(argv(run), env, work)
                walls.append(wall)
                cpus.append(cpu)
            last = argv(args.runs + 1)
            timed = _run([last[0], "-X", "importtime", *last[1:]], env, work)
            total, names = _imports(timed[2])
            heavy = ", ".join(sorted(n for n in names if n in HEAVY)) or "none"
            print(
                f"| `{case.name}` | {statistics.median(walls):.2f} | "
                f"{statistics.median(cpus):.2f} | {total * 1000:.0f} | {heavy} |"
            )
    print(f"load after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
