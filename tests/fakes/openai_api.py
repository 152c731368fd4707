"""A local fake of the OpenAI-compatible chat API (`POST /v1/chat/completions`) on 127.0.0.1.

async with FakeOpenAI() as api:
    api.reply("France and Algeria resumed security cooperation.")
    summarizer = AbstractiveSummarizer(base_url=api.base_url, model="m", api_key="k")

Scripted behaviours: a normal answer (`reply`), any status and raw body (`respond`), a hang
that only ends when the test is over (`hang`), and an answer streamed without end (`flood`).
Every request is recorded with its headers and JSON body.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve_on_loopback

__all__ = ["ChatRequest", "FakeOpenAI", "completion"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One request the fake received."""

    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]


def completion(content: object, model: str = "fake-model") -> dict[str, Any]:
    """Build a chat-completions answer whose first choice carries `content`."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


class FakeOpenAI:
    """Serve scripted chat completions on a free loopback port and record every request."""

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []
        self._status = 200
        self._body = json.dumps(completion("")).encode()
        self._mode = "answer"
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The base URL a client is configured with (the `/v1` prefix, like OpenAI's)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def reply(self, content: object) -> None:
        """Answer the next requests with a completion whose message content is `content`."""
        self.respond(200, json.dumps(completion(content)).encode())

    def respond(self, status: int, body: bytes) -> None:
        """Answer the next requests with `status` and the raw `body` (JSON content type)."""
        self._mode, self._status, self._body = "answer", status, body

    def hang(self) -> None:
        """Accept the next requests and never answer them (until the server stops)."""
        self._mode = "hang"

    def flood(self) -> None:
        """Answer 200 and stream an endless body."""
        self._mode = "flood"

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        self.requests.append(
            ChatRequest(request.path, request.query_string, dict(request.headers), body)
        )
        if self._mode == "hang":
            await self._release.wait()
            return web.Response(status=503)
        if self._mode == "flood":
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            chunk = b'{"choices": [{"message": {"content": "' + b"x" * 65536
            while not self._release.is_set():
                await response.write(chunk)
            return response
        return web.Response(
            status=self._status, body=self._body, headers={"Content-Type": "application/json"}
        )
