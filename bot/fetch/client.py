"""The one safe HTTP client: every fetch of a user-supplied URL goes through `SafeClient.get`."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from bot.fetch.decoding import ACCEPT_ENCODING, BodyTooLarge, BoundedDecoder, UnsupportedEncoding
from bot.fetch.headers import parse_retry_after
from bot.fetch.policy import FetchPolicy
from bot.fetch.resolver import ResolveError, Resolver, system_resolver
from bot.fetch.response import Response
from bot.fetch.transport import AddressRefused, GuardedBackend, GuardedTransport
from bot.ports import FetchError

__all__ = ["SafeClient"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?$", re.I)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_DOTTED_QUAD = re.compile(rf"^(?:{_OCTET}\.){{3}}{_OCTET}$")
_ALLOW_HINT = "set [fetch] allow_private_networks or add the host to [fetch] allow_hosts"


class _HostGate:
    """Concurrency and spacing for one host."""

    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(max(1, concurrency))
        self.spacing_lock = asyncio.Lock()
        self.last_start: float | None = None
        self.users = 0


class SafeClient:
    """Fetch untrusted URLs safely: SSRF guard, checked redirects, byte cap, deadline, politeness.

    One per process; wraps one httpx.AsyncClient whose transport connects only to checked addresses.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock or time.monotonic
        self._sleep = sleep or asyncio.sleep
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._gates: dict[str, _HostGate] = {}
        self._backend = GuardedBackend(policy, resolver or system_resolver)
        transport: httpx.AsyncBaseTransport
        if policy.proxy:
            transport = httpx.AsyncHTTPTransport(
                proxy=policy.proxy, trust_env=False, verify=ssl_context or True
            )
        else:
            transport = GuardedTransport(
                policy, resolver or system_resolver, ssl_context=ssl_context
            )
        self._http = httpx.AsyncClient(
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s),
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> Response:
        """GET `url` within the policy; raise FetchError with a message a person can act on."""
        headers = {"Accept": accept or "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            return await self._follow(url, headers)
        except TimeoutError:
            raise FetchError(
                f"timed out after {self.policy.timeout_s:g} s fetching {url} "
                "(the server is too slow; raise [fetch] timeout if this is expected)"
            ) from None

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def _follow(self, url: str, headers: dict[str, str]) -> Response:
        current = url
        previous: httpx.URL | None = None
        deadline: list[float] = []  # set when the first hop gets its host slot
        for _hop in range(self.policy.max_redirects + 1):
            parsed = self._validate(current, previous)
            result = await self._get_once(parsed, headers, deadline)
            if isinstance(result, Response):
                return result
            previous = parsed
            try:
                current = urljoin(str(parsed), result)
            except ValueError:
                bad = result[:200]
                raise FetchError(f"{parsed} redirected to an invalid address: {bad!r}") from None
        raise FetchError(
            f"too many redirects fetching {url} (more than {self.policy.max_redirects}); "
            "use the final address of the feed instead"
        )

    def _validate(self, url: str, previous: httpx.URL | None) -> httpx.URL:
        shown = url if len(url) <= 200 else url[:200] + "..."
        via = f" (redirected from {previous})" if previous is not None else ""
        raw_host = _raw_host(url)
        if raw_host and _NUMERIC_HOST.match(raw_host) and not _DOTTED_QUAD.match(raw_host):
            raise FetchError(
                f"refused {shown}{via}: {raw_host} is a non-standard numeric address "
                "(write IPv4 addresses as four decimal numbers)"
            )
        try:
            parsed = httpx.URL(url.strip())
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise FetchError(f"refused {shown!r}{via}: not a valid URL ({exc})") from None
        if parsed.scheme not in ("http", "https"):
            got = parsed.scheme or "no scheme"
            raise FetchError(
                f"refused {shown}{via}: only http and https URLs can be fetched (got {got})"
            )
        if parsed.userinfo:
            raise FetchError(
                f"refused {parsed.scheme}://{parsed.host}/...{via}: credentials in URLs "
                "(user:password@) are not allowed"
            )
        host = parsed.host
        if not host:
            raise FetchError(f"refused {shown}{via}: the URL has no host")
        if previous is not None and previous.scheme == "https" and parsed.scheme == "http":
            raise FetchError(
                f"refused redirect from {previous} to {shown}: https to http downgrade"
            )
        return parsed

    def _gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = _HostGate(self.policy.per_host_concurrency)
        return gate

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        gate = self._gate(host)
        gate.users += 1
        try:
            async with gate.slots:
                spacing = self.policy.min_host_spacing_s
                if spacing > 0:
                    async with gate.spacing_lock:
                        if gate.last_start is not None:
                            wait = gate.last_start + spacing - self._clock()
                            if wait > 0:
                                await self._sleep(wait)
                        gate.last_start = self._clock()
                yield
        finally:
            gate.users -= 1
            spaced_out = gate.last_start is None or (
                self._clock() - gate.last_start >= self.policy.min_host_spacing_s
            )
            if gate.users == 0 and spaced_out:  # forget idle hosts: 10,000 feeds, bounded memory
                self._gates.pop(host, None)

    async def _get_once(
        self, url: httpx.URL, headers: dict[str, str], deadline: list[float]
    ) -> Response | str:
        """Fetch one hop; return the Response, or the Location of a redirect.

        The total deadline starts when the first hop gets its host slot, so waiting behind
        other fetches of the same host does not count against a request.
        """
        shown = str(url)
        try:
            async with self._host_slot(url.host):
                if not deadline:
                    deadline.append(asyncio.get_running_loop().time() + self.policy.timeout_s)
                async with asyncio.timeout_at(deadline[0]):
                    if self.policy.proxy:
                        port = url.port or _default_port(url)
                        await self._backend.checked_addresses(url.host, port)
                    async with self._http.stream("GET", url, headers=headers) as answer:
                        return await self._read(shown, answer)
        except AddressRefused as exc:
            raise FetchError(f"refused {shown}: {exc.reason} ({_ALLOW_HINT})") from None
        except ResolveError as exc:
            raise FetchError(f"cannot fetch {shown}: {exc} (check the host name)") from None
        except httpx.TimeoutException:
            raise FetchError(
                f"timed out fetching {shown} (no answer within the [fetch] timeouts)"
            ) from None
        except httpx.ConnectError as exc:
            detail = str(exc) or "connection failed"
            raise FetchError(f"cannot connect to {url.host}: {detail}") from None
        except httpx.HTTPError as exc:
            detail = str(exc) or type(exc).__name__
            raise FetchError(f"fetching {shown} failed: {detail}") from None
        except ssl.SSLError as exc:
            raise FetchError(f"TLS failed for {url.host}: {exc.reason or exc}") from None

    async def _read(self, shown: str, answer: httpx.Response) -> Response | str:
        status = answer.status_code
        if status in _REDIRECTS or status == 304 or not 200 <= status < 300:
            await _drain(answer)
        if status in _REDIRECTS:
            location = str(answer.headers.get("location", "")).strip()
            if not location:
                message = f"{shown} answered HTTP {status} without a Location"
                raise FetchError(message, status=status)
            return location
        if status == 304:
            return Response(304, shown, answer.headers, b"", not_modified=True)
        if not 200 <= status < 300:
            retry_after = parse_retry_after(answer.headers.get("retry-after"), self._wall_clock())
            reason = answer.reason_phrase or "error"
            raise FetchError(
                f"{shown} answered HTTP {status} {reason}", status=status, retry_after=retry_after
            )
        declared = answer.headers.get("content-length", "").strip()
        limit = self.policy.max_bytes
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"refused {shown}: the body is {int(declared)} bytes, over the {limit}-byte "
                "cap ([fetch] max_bytes)"
            )
        try:
            decoder = BoundedDecoder(answer.headers.get("content-encoding", ""), limit)
            chunks: list[bytes] = []
            async for raw in answer.aiter_raw():
                chunks.append(decoder.feed(raw))
            chunks.append(decoder.flush())
        except BodyTooLarge as exc:
            raise FetchError(f"refused {shown}: {exc} ([fetch] max_bytes)") from None
        except UnsupportedEncoding as exc:
            raise FetchError(f"refused {shown}: {exc}") from None
        except zlib.error as exc:
            raise FetchError(f"{shown} sent a corrupt compressed body ({exc})") from None
        return Response(status, shown, answer.headers, b"".join(chunks))


async def _drain(answer: httpx.Response, limit: int = 65_536) -> None:
    """Read a small unwanted body so the connection can be reused; give up past `limit`."""
    seen = 0
    async for chunk in answer.aiter_raw():
        seen += len(chunk)
        if seen > limit:
            return


def _raw_host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
