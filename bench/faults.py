"""Kill -9 fault figures: the bot killed at random points while delivering to JSONL, a webhook,
Slack and Discord (local fakes), then run to the end; every story counted in every output.

    uv run python bench/faults.py                     # 40 kills, a random seed
    uv run python bench/faults.py --kills 60 --seed 7 --runs 2 --per-kill 4

Prints one Markdown table per run (kills, alerts, lost, doubled, resends dropped per output)
and the totals, with the machine's load; the scenario is tests/faults/kill9.py, the same one the
fault suite (`uv run pytest -m fault`) asserts on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.kill9 import OUTPUTS, Figures, run_scenario, ways_text  # noqa: E402


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--per-kill", type=int, default=4, help="new stories before each kill")
    parser.add_argument(
        "--nonce-window",
        type=float,
        default=1.0,
        help="seconds the Discord fake keeps a nonce (Discord: a few minutes); 1 s puts every "
        "Discord retry past it, so only the history look-up can stop a double",
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    print(f"# kill -9 faults: {platform.node()}, Python {platform.python_version()}")
    print(
        f"command: uv run python bench/faults.py --kills {args.kills} --seed {seed} "
        f"--runs {args.runs} --per-kill {args.per_kill} --nonce-window {args.nonce_window:g}"
    )
    print(f"before: {load()}\n")
    runs: list[Figures] = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="ww-faults-") as tmp:
            started = time.monotonic()
            figures = await run_scenario(
                Path(tmp),
                kills=args.kills,
                seed=seed + run,
                per_kill=args.per_kill,
                discord_nonce_window=args.nonce_window,
            )
            print(f"## run {run + 1} ({time.monotonic() - started:.0f} s, {load()})\n")
            print(figures.table(), flush=True)
            print(f"clean stop after the last kill: exit code {figures.stop_exit_code}\n")
            runs.append(figures)
    print("## totals\n\n| output | kills | alerts | lost | doubled | resends dropped |")
    print("|---|---|---|---|---|---|")
    failed = False
    for name in OUTPUTS:
        kills = sum(f.kills for f in runs)
        alerts = sum(len(f.outcomes[name].stories) for f in runs)
        lost = sum(len(f.outcomes[name].lost) for f in runs)
        doubled = sum(len(f.outcomes[name].doubled) for f in runs)
        resends = sum(f.outcomes[name].resends for f in runs)
        ways: Counter[str] = Counter()
        for f in runs:
            ways.update(f.outcomes[name].ways)  # update keeps zero counts, + would drop them
        failed |= bool(lost or doubled)
        how = f" ({ways_text(ways)})" if ways else ""
        print(f"| {name} | {kills} | {alerts} | {lost} | {doubled} | {resends}{how} |")
    modes = Counter[str]()
    for f in runs:
        modes.update(f.modes)
    print(f"\nkill moments: {', '.join(f'{m} {n}' for m, n in sorted(modes.items()))}")
    print(f"after: {load()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
