"""The `wirewatch` command as a subprocess, for tests that need a real process (signals, kill -9,
start-up failures): a clean environment, one-shot commands and a long-running `run`."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

__all__ = ["ROOT", "BotProcess", "bot_env", "wirewatch"]

ROOT = Path(__file__).resolve().parents[2]
_SECRETS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_BOT_TOKEN")


def bot_env(**extra: str) -> dict[str, str]:
    """This process's environment without Wirewatch settings or chat tokens, plus `extra`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_") and k not in _SECRETS
    }
    return env | extra


async def wirewatch(
    config: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """Run `wirewatch --config CONFIG ARGS...` to its end; return exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        *args,
        cwd=ROOT,
        env=env if env is not None else bot_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


class BotProcess:
    """`wirewatch run` as a subprocess, its output appended to one log file across restarts."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.config, self.log = config, log
        self.env = env if env is not None else bot_env()
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start (again)."""
        with self.log.open("ab") as sink:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--config",
                str(self.config),
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def started(self) -> int:
        """How many times a bot wrote its "running" line to the log (its handlers are set)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count("wirewatch running")

    async def kill9(self) -> None:
        """SIGKILL, and wait for the process to be gone."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self, timeout: float) -> int | None:
        """SIGTERM; the exit code, or None (and SIGKILL) when it took longer than `timeout`."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.kill9()
            return None
