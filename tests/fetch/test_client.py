"""The safe client over real loopback HTTP: refusals, redirects, caps, deadline, politeness."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.fetch import FetchPolicy, SafeClient
from bot.ports import FetchError
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fetch.scripted_resolver import ScriptedResolver

LOOPBACK = FetchPolicy(allow_hosts=("127.0.0.1",))
FEED = rss_feed([{"title": "Hello", "link": "https://news.test/1", "guid": "1"}])


@pytest.fixture
async def fs() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


async def fetch(policy: FetchPolicy, url: str, **kwargs: object) -> object:
    client = SafeClient(policy, resolver=kwargs.pop("resolver", None))  # type: ignore[arg-type]
    try:
        return await client.get(url, **kwargs)  # type: ignore[arg-type]
    finally:
        await client.aclose()


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:10.1.2.3]/", "private"),
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://2130706433/", "non-standard numeric"),
        ("http://0x7f000001/", "non-standard numeric"),
        ("http://0177.0.0.1/", "non-standard numeric"),
        ("http://127.1/", "non-standard numeric"),
        ("ftp://example.org/feed", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:secret@example.org/", "credentials"),
        ("not a url", "only http and https"),
    ],
)
async def test_refuses_non_public_targets_with_an_actionable_message(url: str, why: str) -> None:
    with pytest.raises(FetchError) as caught:
        await fetch(FetchPolicy(), url)
    assert why in caught.value.message
    assert "secret" not in caught.value.message


async def test_private_refusal_tells_how_to_allow(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED)
    with pytest.raises(FetchError) as caught:
        await fetch(FetchPolicy(), fs.url("/feed.xml"))
    assert "allow_private_networks" in caught.value.message
    assert "allow_hosts" in caught.value.message
    assert fs.requests == []


async def test_localhost_by_name_is_refused_after_resolution(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED)
    with pytest.raises(FetchError, match="loopback"):
        await fetch(FetchPolicy(), f"http://localhost:{fs.port}/feed.xml")
    assert fs.requests == []


async def test_allow_private_networks_and_allow_hosts_open_the_intranet(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED)
    for policy in (FetchPolicy(allow_private_networks=True), LOOPBACK):
        response = await fetch(policy, fs.url("/feed.xml"))
        assert response.status == 200  # type: ignore[attr-defined]
    resolver = ScriptedResolver({"wiki.corp.test": ["127.0.0.1"]})
    policy = FetchPolicy(allow_hosts=("corp.test",))
    url = f"http://wiki.corp.test:{fs.port}/feed.xml"
    response = await fetch(policy, url, resolver=resolver)
    assert response.body == FEED.encode()  # type: ignore[attr-defined]


async def test_connects_to_the_checked_address_and_keeps_the_host_header(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED)
    resolver = ScriptedResolver({"feeds.test": ["127.0.0.1"]})
    policy = FetchPolicy(allow_hosts=("127.0.0.1/32",))
    response = await fetch(policy, f"http://feeds.test:{fs.port}/feed.xml", resolver=resolver)
    assert response.status == 200  # type: ignore[attr-defined]
    assert fs.requests[0].headers["Host"] == f"feeds.test:{fs.port}"
    assert resolver.calls == ["feeds.test"]


async def test_dns_rebinding_to_a_private_address_is_refused_at_connect(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED, headers={"Connection": "close"})
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.7"]]})
    client = SafeClient(FetchPolicy(allow_hosts=("127.0.0.1/32",)), resolver=resolver)
    url = f"http://rebind.test:{fs.port}/feed.xml"
    try:
        first = await client.get(url)
        assert first.status == 200
        with pytest.raises(FetchError, match=r"10\.0\.0\.7 is a private-network address"):
            await client.get(url)
    finally:
        await client.aclose()
    assert resolver.calls == ["rebind.test", "rebind.test"]
    assert len(fs.requests) == 1


async def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    resolver = ScriptedResolver({"mixed.test": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(FetchError, match="loopback"):
        await fetch(FetchPolicy(), "http://mixed.test/", resolver=resolver)


async def test_unknown_host_is_reported_as_such() -> None:
    with pytest.raises(FetchError, match="cannot resolve"):
        await fetch(FetchPolicy(), "http://no-such-host.invalid/feed")


# --- redirects ------------------------------------------------------------------------------


async def test_redirects_are_followed_and_the_final_url_reported(fs: FeedServer) -> None:
    fs.set_response("/old", 301, headers={"Location": "/mid"})
    fs.set_response("/mid", 302, headers={"Location": fs.url("/feed.xml")})
    fs.set_feed("/feed.xml", FEED)
    response = await fetch(LOOPBACK, fs.url("/old"))
    assert response.url == fs.url("/feed.xml")  # type: ignore[attr-defined]
    assert response.body == FEED.encode()  # type: ignore[attr-defined]


async def test_a_redirect_to_a_private_address_is_refused(fs: FeedServer) -> None:
    resolver = ScriptedResolver({"feeds.test": ["127.0.0.1"], "internal.test": ["10.1.1.1"]})
    fs.set_response("/go", 302, headers={"Location": "http://internal.test/admin"})
    policy = FetchPolicy(allow_hosts=("feeds.test",))
    with pytest.raises(FetchError, match=r"refused http://internal\.test/admin.*private"):
        await fetch(policy, f"http://feeds.test:{fs.port}/go", resolver=resolver)
    resolver2 = ScriptedResolver({"feeds.test": ["127.0.0.1"]})
    fs.set_response("/go2", 302, headers={"Location": "http://169.254.169.254/"})
    with pytest.raises(FetchError, match="link-local"):
        await fetch(policy, f"http://feeds.test:{fs.port}/go2", resolver=resolver2)


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("ftp://example.org/x", "only http and https"),
        ("http://u:p@example.org/x", "credentials"),
        ("http://2130706433/", "non-standard numeric"),
        ("http://[bad", "not a valid URL|invalid address"),
    ],
)
async def test_redirect_targets_are_checked_like_any_url(
    fs: FeedServer, location: str, why: str
) -> None:
    fs.set_response("/go", 302, headers={"Location": location})
    with pytest.raises(FetchError, match=why):
        await fetch(LOOPBACK, fs.url("/go"))


async def test_at_most_five_redirects(fs: FeedServer) -> None:
    for hop in range(6):
        fs.set_response(f"/r{hop}", 302, headers={"Location": f"/r{hop + 1}"})
    fs.set_feed("/r6", FEED)
    fs.set_feed("/r5", FEED)
    response = await fetch(LOOPBACK, fs.url("/r0"))  # five redirects, then the feed
    assert response.status == 200  # type: ignore[attr-defined]
    fs.set_response("/r5", 302, headers={"Location": "/r6"})
    with pytest.raises(FetchError, match="too many redirects"):
        await fetch(LOOPBACK, fs.url("/r0"))


async def test_redirect_without_location_is_an_error(fs: FeedServer) -> None:
    fs.set_response("/go", 302)
    with pytest.raises(FetchError, match="without a Location"):
        await fetch(LOOPBACK, fs.url("/go"))


# --- TLS ------------------------------------------------------------------------------------


async def _tls_site(app: web.Application, context: ssl.SSLContext) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def test_https_verifies_the_certificate_for_the_host_name_while_connecting_to_the_ip(
    fs: FeedServer, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    seen: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        seen.append(request.host)
        return web.Response(body=FEED.encode(), content_type="application/rss+xml")

    async def downgrade(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://feeds.test:{fs.port}/feed.xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/down", downgrade)
    runner, port = await _tls_site(app, server_tls)
    resolver = ScriptedResolver({"feeds.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    client = SafeClient(
        FetchPolicy(allow_hosts=("127.0.0.1/32",)), resolver=resolver, ssl_context=client_tls
    )
    fs.set_feed("/feed.xml", FEED)
    try:
        response = await client.get(f"https://feeds.test:{port}/feed.xml")
        assert response.body == FEED.encode()
        assert seen == [f"feeds.test:{port}"]
        with pytest.raises(FetchError, match="https to http"):
            await client.get(f"https://feeds.test:{port}/down")
        with pytest.raises(FetchError, match=r"other\.test"):
            await client.get(f"https://other.test:{port}/feed.xml")  # certificate is for feeds.test
    finally:
        await client.aclose()
        await runner.cleanup()
    assert fs.requests == []


# --- bodies ---------------------------------------------------------------------------------


async def test_gzip_bomb_is_cut_at_the_cap(fs: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    fs.set_response("/bomb", 200, bomb, {"Content-Encoding": "gzip"})
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), max_bytes=1024 * 1024)
    with pytest.raises(FetchError, match=r"larger than 1048576 bytes once decompressed"):
        await fetch(policy, fs.url("/bomb"))


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib header
    ],
)
async def test_compressed_bodies_are_decoded(
    fs: FeedServer, coding: str, encode: Callable[[bytes], bytes]
) -> None:
    fs.set_response("/feed", 200, encode(FEED.encode()), {"Content-Encoding": coding})
    response = await fetch(LOOPBACK, fs.url("/feed"))
    assert response.body == FEED.encode()  # type: ignore[attr-defined]
    assert fs.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


async def test_an_encoding_we_did_not_ask_for_is_refused(fs: FeedServer) -> None:
    fs.set_response("/feed", 200, b"\x1b\x00garbage", {"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="'br' was not requested"):
        await fetch(LOOPBACK, fs.url("/feed"))


async def test_corrupt_gzip_is_an_error(fs: FeedServer) -> None:
    fs.set_response("/feed", 200, b"\x1f\x8b not gzip at all", {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt compressed body"):
        await fetch(LOOPBACK, fs.url("/feed"))


async def test_declared_length_over_the_cap_is_refused_before_reading(raw_server) -> None:  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n" + b"x" * 100)
        await writer.drain()
        await reader.read()

    port = await raw_server(handler)
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), max_bytes=1000)
    with pytest.raises(FetchError, match="over the 1000-byte cap"):
        await fetch(policy, f"http://127.0.0.1:{port}/")


async def test_undeclared_body_over_the_cap_is_cut(raw_server) -> None:  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(50):
            writer.write(b"y" * 1000)
            await writer.drain()

    port = await raw_server(handler)
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), max_bytes=10_000)
    with pytest.raises(FetchError, match="larger than 10000 bytes"):
        await fetch(policy, f"http://127.0.0.1:{port}/")


async def test_a_body_shorter_than_its_content_length_is_an_error(raw_server) -> None:  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"<rss>short")
        await writer.drain()

    port = await raw_server(handler)
    with pytest.raises(FetchError, match="failed"):
        await fetch(LOOPBACK, f"http://127.0.0.1:{port}/")


async def test_a_server_sending_one_byte_at_a_time_hits_the_total_deadline(raw_server) -> None:  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while True:  # each byte arrives well within the read timeout; the total deadline stops it
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)

    port = await raw_server(handler)
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), timeout_s=0.4)
    with pytest.raises(FetchError, match=r"timed out after 0\.4 s"):
        await fetch(policy, f"http://127.0.0.1:{port}/")


# --- protocol and politeness ----------------------------------------------------------------


async def test_conditional_get_and_identifying_headers(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED, headers={"Cache-Control": "public, max-age=600"})
    client = SafeClient(LOOPBACK)
    try:
        first = await client.get(fs.url("/feed.xml"), accept="application/rss+xml")
        again = await client.get(fs.url("/feed.xml"), etag=first.etag, last_modified="x")
    finally:
        await client.aclose()
    assert first.max_age == 600.0
    assert again.not_modified and again.status == 304 and again.body == b""
    sent = fs.requests[1].headers
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == "x"
    assert sent["User-Agent"].startswith("Wirewatch/") and "+https://" in sent["User-Agent"]
    assert fs.requests[0].headers["Accept"] == "application/rss+xml"


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds_is_reported(fs: FeedServer, status: int) -> None:
    fs.set_response("/feed", status, b"slow down", {"Retry-After": "120"})
    with pytest.raises(FetchError) as caught:
        await fetch(LOOPBACK, fs.url("/feed"))
    assert caught.value.status == status
    assert caught.value.retry_after == 120.0
    assert f"HTTP {status}" in caught.value.message


async def test_retry_after_as_http_date_uses_the_injected_clock(fs: FeedServer) -> None:
    fs.set_response("/feed", 503, headers={"Retry-After": "Wed, 21 Oct 2015 07:30:00 GMT"})
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    client = SafeClient(LOOPBACK, wall_clock=lambda: now)
    try:
        with pytest.raises(FetchError) as caught:
            await client.get(fs.url("/feed"))
    finally:
        await client.aclose()
    assert caught.value.retry_after == 120.0


async def test_http_errors_carry_their_status(fs: FeedServer) -> None:
    with pytest.raises(FetchError) as caught:
        await fetch(LOOPBACK, fs.url("/missing"))
    assert caught.value.status == 404
    assert caught.value.retry_after is None


async def test_proxy_environment_variables_are_ignored(
    fs: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    fs.set_feed("/feed.xml", FEED)
    response = await fetch(LOOPBACK, fs.url("/feed.xml"))
    assert response.status == 200  # type: ignore[attr-defined]


async def test_a_configured_proxy_is_used_and_targets_are_still_checked(raw_server) -> None:  # type: ignore[no-untyped-def]
    request_lines: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_lines.append(head.split(b"\r\n", 1)[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()

    port = await raw_server(proxy)
    resolver = ScriptedResolver({"news.test": ["93.184.216.34"], "intranet.test": ["10.0.0.2"]})
    client = SafeClient(FetchPolicy(proxy=f"http://127.0.0.1:{port}"), resolver=resolver)
    try:
        response = await client.get("http://news.test/feed.xml")
        with pytest.raises(FetchError, match="private"):
            await client.get("http://intranet.test/")
    finally:
        await client.aclose()
    assert response.body == b"ok"
    assert request_lines == [b"GET http://news.test/feed.xml HTTP/1.1"]


async def test_minimum_spacing_per_host_uses_the_injected_clock(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED)
    now = [100.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    policy = FetchPolicy(allow_hosts=("127.0.0.1",), min_host_spacing_s=30.0)
    client = SafeClient(policy, clock=lambda: now[0], sleep=fake_sleep)
    try:
        await client.get(fs.url("/feed.xml"))
        now[0] += 5.0
        await client.get(fs.url("/feed.xml"))
        await client.get(fs.url("/feed.xml"))
    finally:
        await client.aclose()
    assert waits == [25.0, 30.0]
    assert len(fs.requests) == 3


async def test_per_host_concurrency_is_bounded() -> None:
    in_flight = 0
    peak = 0
    arrived = asyncio.Condition()
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        async with arrived:
            arrived.notify_all()
        await release.wait()
        in_flight -= 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/{n}", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = SafeClient(FetchPolicy(allow_hosts=("127.0.0.1",), per_host_concurrency=2))
    try:
        tasks = [asyncio.create_task(client.get(f"http://127.0.0.1:{port}/{n}")) for n in range(6)]
        async with arrived:
            await arrived.wait_for(lambda: in_flight >= 2)
        for _ in range(200):  # give any request that slipped past the limit every chance to arrive
            await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*tasks)
    finally:
        await client.aclose()
        await runner.cleanup()
    assert [r.body for r in results] == [b"ok"] * 6
    assert peak == 2


async def test_idle_hosts_are_forgotten(fs: FeedServer) -> None:
    fs.set_feed("/feed.xml", FEED)
    resolver = ScriptedResolver({f"h{n}.test": ["127.0.0.1"] for n in range(5)})
    client = SafeClient(FetchPolicy(allow_hosts=("127.0.0.1/32",)), resolver=resolver)
    try:
        for n in range(5):
            await client.get(f"http://h{n}.test:{fs.port}/feed.xml")
        assert client._gates == {}
    finally:
        await client.aclose()


async def test_waiting_for_a_host_slot_does_not_eat_the_deadline() -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        if request.path == "/hold":
            arrived.set()
            await release.wait()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/{name}", held)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), per_host_concurrency=1, timeout_s=0.3)
    client = SafeClient(policy)
    try:
        holder = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/hold"))
        await arrived.wait()
        queued = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/quick"))
        with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
            await holder  # the held request runs past its own deadline
        release.set()
        assert (await queued).body == b"ok"  # queued ~0.3 s behind it, yet not timed out
    finally:
        await client.aclose()
        await runner.cleanup()


REFUSED_ADDRESSES = [
    ("127.0.0.2", "loopback"),
    ("10.9.8.7", "private"),
    ("169.254.169.254", "link-local"),
    ("100.100.0.1", "carrier-grade NAT"),
    ("::ffff:192.168.0.1", "private"),
    ("::ffff:127.0.0.3", "loopback"),  # 127.0.0.1 itself is allow-listed here
    ("fe80::2", "link-local"),
    ("239.1.1.1", "multicast"),
    ("0.0.0.0", "unspecified"),
]


@pytest.mark.parametrize(("address", "why"), REFUSED_ADDRESSES)
async def test_every_refusal_class_holds_directly_via_redirect_and_via_rebinding(
    fs: FeedServer, address: str, why: str
) -> None:
    fs.set_feed("/feed.xml", FEED, headers={"Connection": "close"})
    fs.set_response("/go", 302, headers={"Location": "http://target.test/"})
    resolver = ScriptedResolver(
        {
            "target.test": [address],
            "origin.test": ["127.0.0.1"],
            "rebind.test": [["127.0.0.1"], [address]],
        }
    )
    policy = FetchPolicy(allow_hosts=("origin.test", "127.0.0.1/32"))
    client = SafeClient(policy, resolver=resolver)
    try:
        with pytest.raises(FetchError, match=why):
            await client.get("http://target.test/")
        with pytest.raises(FetchError, match=why):
            await client.get(f"http://origin.test:{fs.port}/go")
        assert (await client.get(f"http://rebind.test:{fs.port}/feed.xml")).status == 200
        with pytest.raises(FetchError, match=why):
            await client.get(f"http://rebind.test:{fs.port}/feed.xml")
    finally:
        await client.aclose()
    assert [r.path for r in fs.requests] == ["/go", "/feed.xml"]


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_plain_body_labelled_compressed_is_read_as_identity(
    fs: FeedServer, coding: str
) -> None:
    fs.set_response("/feed", 200, FEED.encode(), {"Content-Encoding": coding})
    response = await fetch(LOOPBACK, fs.url("/feed"))
    assert response.body == FEED.encode()  # type: ignore[attr-defined]


async def test_the_byte_cap_holds_on_a_plain_body_labelled_gzip(raw_server) -> None:  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # no Content-Length: only the decoder can stop it
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n<rss>")
        for _ in range(50):
            writer.write(b" " * 1000)
            await writer.drain()

    port = await raw_server(handler)
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), max_bytes=10_000)
    with pytest.raises(FetchError, match=r"larger than 10000 bytes once decompressed"):
        await fetch(policy, f"http://127.0.0.1:{port}/")
