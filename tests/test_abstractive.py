"""The OpenAI-compatible abstractive summariser against a local fake of the chat API."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.abstractive import MAX_ANSWER_BYTES, MAX_SUMMARY_CHARS, AbstractiveSummarizer
from bot.core.alert import Marked
from bot.core.item import Item
from tests.fakes.openai_api import FakeOpenAI, completion

KEY = "sk-test-secret-0123456789"
ITEM = Item(
    title="France and Algeria agree to resume security cooperation",
    summary="<p>Paris and Algiers will resume security cooperation.</p>"
    "<p>Algeria will speed up the readmission of its nationals.</p>",
    source="Meridian Wire",
)
FALLBACK = Marked("Paris and Algiers will resume security cooperation.", ((10, 17),))


@pytest.fixture
async def api() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def summarizer(
    api: FakeOpenAI, client: httpx.AsyncClient, timeout_s: float = 5.0
) -> AbstractiveSummarizer:
    return AbstractiveSummarizer(
        base_url=api.base_url + "/", model="tiny", api_key=KEY, timeout_s=timeout_s, client=client
    )


async def test_returns_the_model_summary_unmarked(
    api: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    api.reply("  Algeria agreed to take back more of its nationals\n expelled from France. ")
    result = await summarizer(api, client).summarize(ITEM, "Algeria AND readmission", FALLBACK)
    assert result == Marked(
        "Algeria agreed to take back more of its nationals expelled from France."
    )


async def test_request_speaks_the_chat_completions_protocol(
    api: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    api.reply("Summary.")
    await summarizer(api, client).summarize(ITEM, "Algeria AND readmission", FALLBACK)
    (request,) = api.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "tiny"
    system, user = request.body["messages"]
    assert system["role"] == "system"
    assert user["role"] == "user"
    assert "Watch rule: Algeria AND readmission" in user["content"]
    assert "Title: France and Algeria agree to resume security cooperation" in user["content"]
    assert "readmission of its nationals" in user["content"]
    assert "<p>" not in user["content"]


async def test_no_key_sends_no_authorization_header(
    api: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    api.reply("Summary.")
    local = AbstractiveSummarizer(base_url=api.base_url, model="m", api_key=None, client=client)
    assert await local.summarize(ITEM, "q", FALLBACK) == Marked("Summary.")
    assert "Authorization" not in api.requests[0].headers


async def test_answer_is_cleaned_of_markup_and_capped(
    api: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    long = "<b>Summary:</b> **Algeria** " + " ".join(["agreed"] * 200)
    api.reply(long)
    result = await summarizer(api, client).summarize(ITEM, "q", FALLBACK)
    assert result.text.startswith("Algeria agreed agreed")
    assert len(result.text) <= MAX_SUMMARY_CHARS
    assert result.text.endswith("…")
    assert "<" not in result.text
    assert "*" not in result.text
    assert result.marks == ()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b'{"error": {"message": "boom"}}'),
        (401, b'{"error": {"message": "bad key"}}'),
        (429, b'{"error": {"message": "slow down"}}'),
        (200, b"not json at all"),
        (200, b"[]"),
        (200, b'{"choices": []}'),
        (200, b'{"choices": [{"message": {}}]}'),
        (200, json.dumps(completion(None)).encode()),
        (200, json.dumps(completion(["a", "b"])).encode()),
        (200, json.dumps(completion("   ")).encode()),
        (200, b"[" * 100_000),
    ],
)
async def test_errors_and_malformed_answers_return_the_fallback(
    api: FakeOpenAI, client: httpx.AsyncClient, status: int, body: bytes
) -> None:
    api.respond(status, body)
    assert await summarizer(api, client).summarize(ITEM, "q", FALLBACK) is FALLBACK


async def test_timeout_returns_the_fallback(api: FakeOpenAI, client: httpx.AsyncClient) -> None:
    api.hang()
    result = await summarizer(api, client, timeout_s=0.2).summarize(ITEM, "q", FALLBACK)
    assert result is FALLBACK
    assert len(api.requests) == 1


async def test_endless_answer_is_cut_off_and_returns_the_fallback(
    api: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    api.flood()
    result = await summarizer(api, client).summarize(ITEM, "q", FALLBACK)
    assert result is FALLBACK
    assert MAX_ANSWER_BYTES < 1024 * 1024


async def test_unreachable_server_returns_the_fallback(client: httpx.AsyncClient) -> None:
    async with FakeOpenAI() as gone:
        base_url = gone.base_url
    local = AbstractiveSummarizer(base_url=base_url, model="m", api_key=KEY, client=client)
    assert await local.summarize(ITEM, "q", FALLBACK) is FALLBACK


@pytest.mark.parametrize("base_url", ["", "not a url", "ftp://127.0.0.1/v1", "http://[::1"])
async def test_bad_base_url_returns_the_fallback(client: httpx.AsyncClient, base_url: str) -> None:
    local = AbstractiveSummarizer(base_url=base_url, model="m", api_key=KEY, client=client)
    assert await local.summarize(ITEM, "q", FALLBACK) is FALLBACK


async def test_the_key_is_never_logged_nor_shown(
    api: FakeOpenAI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.respond(401, b'{"error": "invalid key"}')
    local = summarizer(api, client)
    assert await local.summarize(ITEM, "q", FALLBACK) is FALLBACK
    assert "HTTP 401" in caplog.text
    assert KEY not in caplog.text
    assert KEY not in repr(local)


async def test_credentials_in_the_base_url_are_not_logged(
    api: FakeOpenAI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.respond(500, b"{}")
    base_url = f"http://user:{KEY}@127.0.0.1:{api.port}/v1/?api-version=2024-10-21"
    local = AbstractiveSummarizer(base_url=base_url, model="m", api_key=None, client=client)
    assert await local.summarize(ITEM, "q", FALLBACK) is FALLBACK
    (request,) = api.requests
    assert request.path == "/v1/chat/completions"
    assert request.query == "api-version=2024-10-21"
    user, password = (
        base64.b64decode(request.headers["Authorization"].split()[1]).decode().split(":")
    )
    assert (user, password) == ("user", KEY)
    assert f"127.0.0.1:{api.port}/v1/chat/completions" in caplog.text
    assert KEY not in caplog.text
    assert KEY not in repr(local)


async def test_owned_client_is_closed_by_the_context_manager(api: FakeOpenAI) -> None:
    api.reply("Done.")
    async with AbstractiveSummarizer(base_url=api.base_url, model="m", api_key=None) as local:
        assert await local.summarize(ITEM, "q", FALLBACK) == Marked("Done.")
    assert await local.summarize(ITEM, "q", FALLBACK) is FALLBACK
