"""Signed session cookies: who is signed in, the CSRF token, and the OAuth state in flight.

The cookie holds a small JSON object signed (HMAC-SHA1 via itsdangerous, with a per-purpose
salt) and time-stamped: a changed or expired cookie is simply no session. Nothing secret is in
it (it is signed, not encrypted): the user's platform, id and name, and random tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

__all__ = ["COOKIE_NAME", "Session", "SessionCodec", "User"]

COOKIE_NAME = "wirewatch_session"


@dataclass(frozen=True, slots=True)
class User:
    """Who is signed in: `platform` is "admin" (the web token), "slack" or "discord"."""

    platform: str
    id: str
    name: str = ""


@dataclass(slots=True)
class Session:
    """The contents of one browser's session cookie."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: User | None = None
    oauth_state: str = ""
    oauth_provider: str = ""
    after_sign_in: str = "/"
    notice: str = ""
    notice_ok: bool = True
    changed: bool = False

    def flash(self, text: str, *, ok: bool = True) -> None:
        """Keep a one-line notice ("Watch #12 paused") for the next page shown."""
        self.notice, self.notice_ok = text[:300], ok
        self.changed = True

    def take_notice(self) -> tuple[str, bool]:
        """The pending notice (then forgotten) and whether it reports a success."""
        notice, ok = self.notice, self.notice_ok
        if notice:
            self.notice, self.notice_ok, self.changed = "", True, True
        return notice, ok

    def sign_in(self, user: User) -> None:
        """Start a signed-in session: a new CSRF token, no OAuth state left over."""
        self.user = user
        self.csrf = secrets.token_urlsafe(24)
        self.oauth_state = ""
        self.oauth_provider = ""
        self.changed = True

    def csrf_ok(self, token: str) -> bool:
        """Whether a form's token is this session's (compared in constant time)."""
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf.encode())

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able contents of the cookie."""
        data: dict[str, Any] = {"c": self.csrf, "n": self.after_sign_in}
        if self.user is not None:
            data["u"] = [self.user.platform, self.user.id, self.user.name]
        if self.oauth_state:
            data["s"] = [self.oauth_provider, self.oauth_state]
        if self.notice:
            data["f"] = [self.notice, self.notice_ok]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Session:
        """Rebuild a session from a cookie's contents; a malformed one is a fresh session."""
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return cls(changed=True)
        session = cls(csrf=data["c"])
        after = data.get("n")
        if isinstance(after, str) and after.startswith("/") and not after.startswith("//"):
            session.after_sign_in = after
        user = data.get("u")
        if isinstance(user, list) and len(user) == 3 and all(isinstance(p, str) for p in user):
            session.user = User(*user)
        state = data.get("s")
        if isinstance(state, list) and len(state) == 2 and all(isinstance(p, str) for p in state):
            session.oauth_provider, session.oauth_state = state
        notice = data.get("f")
        if isinstance(notice, list) and len(notice) == 2 and isinstance(notice[0], str):
            session.notice, session.notice_ok = notice[0], bool(notice[1])
        return session


class SessionCodec:
    """Signs sessions into cookie values and reads them back (None when forged or expired)."""

    def __init__(
        self, secret: str, *, max_age_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        # A dedicated key for cookies, derived from the configured secret.
        key = hashlib.sha256(b"wirewatch web session\x00" + secret.encode()).hexdigest()
        self._serializer = _clocked_serializer(key, salt="wirewatch-session", clock=clock)
        self.max_age_s = max_age_s

    def dumps(self, session: Session) -> str:
        """The cookie value for `session`."""
        return str(self._serializer.dumps(session.to_dict()))

    def loads(self, value: str | None) -> Session | None:
        """The session in a cookie value; None when absent, forged or older than max_age_s."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=int(self.max_age_s))
        except BadSignature:  # includes SignatureExpired
            return None
        return Session.from_dict(data)


def _clocked_serializer(
    key: str, *, salt: str, clock: Callable[[], float]
) -> URLSafeTimedSerializer:
    """A timed serializer whose clock is injected, so expiry is tested without sleeping."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(key, salt=salt, signer=ClockedSigner)
