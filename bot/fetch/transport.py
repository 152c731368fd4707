"""An httpx transport that resolves each host itself and connects only to addresses it checked.

The check sits in the network backend, which httpcore calls for every new connection with the
URL's host name; the backend resolves, judges every address, then opens the TCP connection to
the judged address. httpcore still performs TLS with the host name (SNI and certificate checks)
and sends the original Host header, so nothing but the socket's destination changes.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpcore
import httpx

from bot.fetch.addresses import IPAddress, host_is_allowed
from bot.fetch.policy import FetchPolicy
from bot.fetch.resolver import ResolveError, Resolver

__all__ = ["AddressRefused", "GuardedBackend", "GuardedTransport"]


class AddressRefused(Exception):
    """The host resolves to an address the policy does not allow."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


def _parse_addresses(values: Iterable[str]) -> list[IPAddress]:
    parsed: list[IPAddress] = []
    for value in values:
        try:
            parsed.append(ipaddress.ip_address(value))
        except ValueError:
            continue
    return parsed


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check every address against the policy, connect to a checked address."""

    def __init__(self, policy: FetchPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Return the addresses of `host`; raise AddressRefused or ResolveError."""
        bare = host.strip("[]")
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(bare)]
        except ValueError:
            addresses = _parse_addresses(await self._resolver(bare, port))
        if not addresses:
            raise ResolveError(f"cannot resolve {bare}: no address")
        allowed, reason = host_is_allowed(self._policy, bare, addresses)
        if not allowed:
            raise AddressRefused(bare, reason or "not allowed")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection to a checked address of `host`."""
        addresses = await self.checked_addresses(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: Unix sockets are never fetched."""
        raise AddressRefused(path, "Unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's retry delay)."""
        await self._inner.sleep(seconds)


_CORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProxyError, httpx.ProxyError),
)


def _as_httpx_error(exc: Exception) -> Exception:
    for core_type, httpx_type in _CORE_ERRORS:
        if isinstance(exc, core_type):
            return httpx_type(str(exc) or type(exc).__name__)
    return exc


class _CoreStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except Exception as exc:
            mapped = _as_httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool whose connections go through GuardedBackend."""

    def __init__(
        self,
        policy: FetchPolicy,
        resolver: Resolver,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        max_keepalive_connections: int = 16,
    ) -> None:
        self.backend = GuardedBackend(policy, resolver)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=30.0,
            network_backend=self.backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the guarded pool."""
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except Exception as exc:
            mapped = _as_httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CoreStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()
