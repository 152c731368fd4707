"""The Dockerfile's HEALTHCHECK, run as written against a real [web] server (Docker cannot run
here): healthy while /healthz answers on WIREWATCH_WEB_PORT, unhealthy (exit 1) when nothing does."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from pathlib import Path

from aiohttp import web

from bot.web.health import healthz
from tests.fakes.loopback import serve_on_loopback

DOCKERFILE = Path(__file__).resolve().parents[2] / "Dockerfile"


def healthcheck_command() -> str:
    """The shell command after HEALTHCHECK ... CMD (continuation lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*? CMD (.+)$", text, re.MULTILINE)
    assert match, "no HEALTHCHECK ... CMD in the Dockerfile"
    return match.group(1).strip()


def image_env() -> dict[str, str]:
    """The ENV the image sets (KEY=VALUE pairs of its ENV instructions)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    pairs = re.findall(r"(\w+)=(\S+)", " ".join(re.findall(r"^ENV (.+)$", text, re.MULTILINE)))
    return dict(pairs)


async def run_check(port: int) -> int:
    command = healthcheck_command().replace("python ", f"{sys.executable} ", 1)
    env = {**os.environ, "WIREWATCH_WEB_PORT": str(port)}
    proc = await asyncio.create_subprocess_shell(command, env=env)
    return await asyncio.wait_for(proc.wait(), 30)


def test_the_image_turns_the_web_server_on_for_its_health_check():
    env = image_env()
    assert env["WIREWATCH_WEB_ENABLED"] == "true" and env["WIREWATCH_WEB_HOST"] == "0.0.0.0"
    assert "/healthz" in healthcheck_command()


async def test_the_healthcheck_passes_on_healthz_and_fails_without_it():
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner, port = await serve_on_loopback(app)
    try:
        assert await run_check(port) == 0
    finally:
        await runner.cleanup()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert await run_check(closed) == 1
