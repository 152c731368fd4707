"""The `webhook:URL` output: POST each alert as JSON, with the delivery id as Idempotency-Key.

A retry of the same delivery (after a timeout, a 5xx or a crash of the bot) carries the same
`Idempotency-Key`, so the receiver can drop the duplicate. Redirects are not followed: a POST
that is redirected is refused, and the message says to update the URL.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar

import httpx

from bot.chat.alert_json import alert_to_json
from bot.core.alert import Alert
from bot.ports import DeliveryError, PermanentDeliveryError

__all__ = ["USER_AGENT", "WebhookNotifier", "parse_retry_after"]

log = logging.getLogger(__name__)

USER_AGENT = "Wirewatch/0.1 (+https://github.com/wirewatch/wirewatch; webhook)"
RETRYABLE_STATUSES = frozenset({408, 425, 429})
EXCERPT_BYTES = 2048
EXCERPT_CHARS = 200
MAX_RETRY_AFTER_S = 24 * 3600.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return Retry-After (delay seconds or an HTTP date) as seconds from now, or None."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    if raw.isdigit():
        return min(float(raw), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delay, 0.0), MAX_RETRY_AFTER_S)


def _excerpt(body: bytes) -> str:
    """Return the start of a response body as one short printable line."""
    text = body.decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


class WebhookNotifier:
    """POST alerts to HTTP endpoints through one shared `httpx.AsyncClient`."""

    scheme: ClassVar[str] = "webhook"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, target: str, alert: Alert) -> str | None:
        """POST `alert`; 2xx delivers; return the delivery id as the reference."""
        body = json.dumps(alert_to_json(alert), ensure_ascii=False).encode("utf-8", "replace")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": str(alert.delivery_id),
            "User-Agent": USER_AGENT,
        }
        try:
            async with self.client.stream("POST", target, content=body, headers=headers) as answer:
                status = answer.status_code
                excerpt = await self._read_excerpt(answer) if status >= 300 else ""
                retry_after = parse_retry_after(answer.headers.get("Retry-After"))
                location = answer.headers.get("Location", "")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as err:
            raise PermanentDeliveryError(
                f"webhook URL {target!r} cannot be used: {err}; fix the watch's destination"
            ) from err
        except httpx.TimeoutException as err:
            raise DeliveryError(f"webhook {target} timed out ({type(err).__name__})") from err
        except httpx.HTTPError as err:
            reason = f"{type(err).__name__}: {err}"
            raise DeliveryError(f"webhook {target} unreachable: {reason}") from err
        return self._judge(target, alert, status, excerpt, retry_after, location)

    @staticmethod
    async def _read_excerpt(answer: httpx.Response) -> str:
        """Read at most EXCERPT_BYTES of an error body (a hostile receiver may send gigabytes)."""
        received = b""
        async for chunk in answer.aiter_bytes():
            received += chunk
            if len(received) >= EXCERPT_BYTES:
                break
        return _excerpt(received[:EXCERPT_BYTES])

    @staticmethod
    def _judge(
        target: str,
        alert: Alert,
        status: int,
        excerpt: str,
        retry_after: float | None,
        location: str,
    ) -> str:
        """Map the answer's status to success, a retry or a refusal."""
        if 200 <= status < 300:
            return str(alert.delivery_id)
        detail = f": {excerpt}" if excerpt else ""
        if status in RETRYABLE_STATUSES or status >= 500:
            raise DeliveryError(
                f"webhook {target} answered {status}{detail}", retry_after=retry_after
            )
        if 300 <= status < 400:
            moved = f" to {location}" if location else ""
            raise PermanentDeliveryError(
                f"webhook {target} answered {status} (redirect{moved}); redirects are not "
                "followed for POSTs: put the final URL in the watch's destination"
            )
        raise PermanentDeliveryError(f"webhook {target} refused the alert with {status}{detail}")

    async def notify_owner(self, owner: str, text: str) -> None:
        """Log the message: the owner of a webhook output is the operator at the terminal."""
        log.warning("to %s: %s", owner or "the operator", text)

    async def aclose(self) -> None:
        """Nothing to release: the shared client belongs to the caller."""
