"""The webhook output against a real aiohttp receiver on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from aiohttp import web

from bot.chat.alert_json import alert_to_json
from bot.chat.webhook import WebhookNotifier, parse_retry_after
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError, Notifier, PermanentDeliveryError

TLS = ssl.create_default_context()  # built once: a client per test must not rebuild it


def alert(delivery_id: int = 41) -> Alert:
    item = Item(
        title="France and Algeria resume security cooperation",
        url="https://wire.example/fa",
        source="Wire Service",
        published=datetime(2026, 11, 23, 19, 48, tzinfo=UTC),
    )
    return Alert(
        delivery_id,
        "alert",
        WatchRef(12, "Algeria AND readmission", "webhook:x"),
        (Story(item, Marked("Readmission of nationals.", ((0, 11),))),),
    )


@dataclass
class Receiver:
    """A webhook receiver that answers from a script and records what it got."""

    answers: list[web.StreamResponse | None] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append((dict(request.headers), await request.read()))
        answer = self.answers.pop(0) if self.answers else web.Response(status=204)
        if answer is None:  # hang until the test ends: the client must time out
            await self.release.wait()
            return web.Response(status=204)
        return answer


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    hook.url = f"http://127.0.0.1:{port}/hook"
    yield hook
    hook.release.set()
    await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0, trust_env=False, verify=TLS) as http:
        yield http


def test_the_webhook_notifier_satisfies_the_notifier_protocol(client):
    assert isinstance(WebhookNotifier(client), Notifier)
    assert WebhookNotifier.scheme == "webhook"


async def test_a_2xx_delivers_the_alert_json_with_the_idempotency_key(receiver, client):
    ref = await WebhookNotifier(client).send(receiver.url, alert(41))
    assert ref == "41"
    [(headers, body)] = receiver.received
    assert headers["Idempotency-Key"] == "41"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("Wirewatch/")
    assert json.loads(body) == alert_to_json(alert(41))


async def test_a_retry_after_a_5xx_carries_the_same_idempotency_key(receiver, client):
    receiver.answers = [web.Response(status=503, text="busy", headers={"Retry-After": "30"})]
    notifier = WebhookNotifier(client)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(receiver.url, alert(7))
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.retry_after == 30.0
    assert "503" in caught.value.message and "busy" in caught.value.message
    assert await notifier.send(receiver.url, alert(7)) == "7"
    keys = [headers["Idempotency-Key"] for headers, _ in receiver.received]
    assert keys == ["7", "7"]
    assert receiver.received[0][1] == receiver.received[1][1]


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 504])
async def test_temporary_statuses_are_retried(receiver, client, status):
    receiver.answers = [web.Response(status=status)]
    with pytest.raises(DeliveryError) as caught:
        await WebhookNotifier(client).send(receiver.url, alert())
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert str(status) in caught.value.message


async def test_a_429_with_an_http_date_retry_after_is_honoured(receiver, client):
    later = datetime.now(UTC) + timedelta(minutes=10)
    receiver.answers = [
        web.Response(status=429, headers={"Retry-After": format_datetime(later, usegmt=True)})
    ]
    with pytest.raises(DeliveryError) as caught:
        await WebhookNotifier(client).send(receiver.url, alert())
    assert caught.value.retry_after is not None and 500 < caught.value.retry_after <= 600


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
async def test_other_4xx_refuse_permanently_with_the_status_and_an_excerpt(
    receiver, client, status
):
    receiver.answers = [web.Response(status=status, text='{"error": "unknown hook"}\n\x1b[31m')]
    with pytest.raises(PermanentDeliveryError) as caught:
        await WebhookNotifier(client).send(receiver.url, alert())
    assert f"refused the alert with {status}" in caught.value.message
    assert '{"error": "unknown hook"}' in caught.value.message
    assert "\x1b" not in caught.value.message and "\n" not in caught.value.message


async def test_a_huge_error_body_gives_a_short_excerpt(receiver, client):
    receiver.answers = [web.Response(status=400, body=b"A" * 5_000_000)]
    with pytest.raises(PermanentDeliveryError) as caught:
        await WebhookNotifier(client).send(receiver.url, alert())
    assert len(caught.value.message) < 400


async def test_a_redirect_is_not_followed_and_says_to_update_the_url(receiver, client):
    receiver.answers = [web.Response(status=308, headers={"Location": "https://new.example/h"})]
    with pytest.raises(PermanentDeliveryError) as caught:
        await WebhookNotifier(client).send(receiver.url, alert())
    assert "https://new.example/h" in caught.value.message
    assert len(receiver.received) == 1


async def test_a_timeout_is_retried(receiver):
    receiver.answers = [None]
    async with httpx.AsyncClient(timeout=0.2, trust_env=False, verify=TLS) as impatient:
        with pytest.raises(DeliveryError) as caught:
            await WebhookNotifier(impatient).send(receiver.url, alert())
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert "timed out" in caught.value.message


async def test_a_refused_connection_is_retried(client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryError) as caught:
        await WebhookNotifier(client).send(f"http://127.0.0.1:{port}/hook", alert())
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert "unreachable" in caught.value.message


@pytest.mark.parametrize("url", ["http://", "ftp://example.org/hook", "not a url"])
async def test_an_unusable_url_is_refused_permanently(client, url):
    with pytest.raises(PermanentDeliveryError) as caught:
        await WebhookNotifier(client).send(url, alert())
    assert "cannot be used" in caught.value.message


def test_retry_after_parses_seconds_and_dates_and_ignores_garbage():
    now = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Mon, 23 Nov 2026 20:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Mon, 23 Nov 2026 19:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("99999999999") == 86400.0
    for garbage in (None, "", "soon", "-5", "1.5e9"):
        assert parse_retry_after(garbage) is None
