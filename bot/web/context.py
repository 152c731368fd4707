"""What every console handler needs, kept on the aiohttp application under one key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import jinja2
from aiohttp import web

from bot.commands.service import Caller, CommandService
from bot.settings import Settings
from bot.store import Store
from bot.web.oauth import OAuthProvider
from bot.web.sessions import Session, SessionCodec, User

__all__ = [
    "ADMIN_USER_ID",
    "CONTEXT",
    "SESSION",
    "SignInThrottle",
    "WebContext",
    "caller_for",
    "context_of",
    "session_of",
]

ADMIN_USER_ID = "web-admin"


class SignInThrottle:
    """Slows token guessing: after `limit` wrong tokens from one address within `window_s`,
    refuse that address until the window has passed."""

    def __init__(
        self, clock: Callable[[], float], *, limit: int = 5, window_s: float = 300.0
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._window_s = window_s
        self._failures: dict[str, list[float]] = {}

    def _recent(self, address: str) -> list[float]:
        now = self._clock()
        kept = [t for t in self._failures.get(address, []) if now - t < self._window_s]
        if kept:
            self._failures[address] = kept
        else:
            self._failures.pop(address, None)
        return kept

    def blocked(self, address: str) -> bool:
        """Whether this address has used up its tries for now."""
        return len(self._recent(address)) >= self._limit

    def failed(self, address: str) -> None:
        """Count a wrong token from this address."""
        self._failures.setdefault(address, []).append(self._clock())


@dataclass
class WebContext:
    """The console's dependencies: the command service, the store's read side, templates,
    the session codec, the sign-in methods, and the clock."""

    settings: Settings
    service: CommandService
    store: Store
    codec: SessionCodec
    templates: jinja2.Environment
    clock: Callable[[], datetime]
    throttle: SignInThrottle
    admin_token: str | None = None
    providers: dict[str, OAuthProvider] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure when the console is served over https."""
        return (self.settings.web.public_url or "").startswith("https://")


CONTEXT = web.AppKey("wirewatch_web", WebContext)
SESSION = web.RequestKey("wirewatch_session", Session)


def context_of(request: web.Request) -> WebContext:
    """The console context of the application serving `request`."""
    return request.app[CONTEXT]


def session_of(request: web.Request) -> Session:
    """The session the middleware loaded for this request."""
    return request[SESSION]


def caller_for(user: User) -> Caller:
    """The command caller for a signed-in user: the same ids and rights as in chat.

    The admin token stands for the operator, as the command line does (platform "cli"): any
    destination, no quotas. A Slack or Discord user is that platform's user id; their rights
    come from `[slack]`/`[discord] admins` and quotas, checked by the command service. On the
    web nobody is in a channel, so a Discord channel watch needs a Wirewatch admin (Discord
    asks for Manage Channels there, which the console cannot see).
    """
    if user.platform == "admin":
        return Caller(platform="cli", user_id=ADMIN_USER_ID, is_admin=True, user_name=user.name)
    return Caller(
        platform=user.platform,
        user_id=user.id,
        user_name=user.name,
        can_manage_channel=user.platform != "discord",
    )
