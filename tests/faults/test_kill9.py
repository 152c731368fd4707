"""The kill -9 fault suite (issue #18, Proof): the bot is killed at random points while it
delivers to JSONL, a webhook, Slack and Discord, and every story must arrive exactly once in
every output. Run apart: `uv run pytest -m fault` (WIREWATCH_FAULT_KILLS, WIREWATCH_FAULT_SEED
to repeat a run); `uv run python bench/faults.py` prints the figures of a longer run. The Discord
fake forgets nonces after 1 s (WIREWATCH_FAULT_NONCE_WINDOW), so every Discord retry comes past
Discord's nonce window, as after a long outage."""

from __future__ import annotations

import os
import random

import pytest

from tests.faults.kill9 import run_scenario

pytestmark = [pytest.mark.fault, pytest.mark.slow]


async def test_kill_9_at_random_points_loses_and_doubles_nothing_in_any_output(tmp_path):
    kills = int(os.environ.get("WIREWATCH_FAULT_KILLS", "10"))
    seed = int(os.environ.get("WIREWATCH_FAULT_SEED") or random.randrange(1_000_000))
    window = float(os.environ.get("WIREWATCH_FAULT_NONCE_WINDOW", "1"))
    figures = await run_scenario(tmp_path, kills=kills, seed=seed, discord_nonce_window=window)
    print(figures.table())
    assert figures.kills == kills
    for name, outcome in figures.outcomes.items():
        assert not outcome.lost, f"{name} lost {outcome.lost} (seed {seed})\n{figures.log_tail}"
        assert not outcome.doubled, (
            f"{name} doubled {outcome.doubled} (seed {seed})\n{figures.log_tail}"
        )
    assert figures.stop_exit_code == 0, figures.log_tail
