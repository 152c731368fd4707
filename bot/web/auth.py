"""Sessions, CSRF and sign-in: the admin token, Sign in with Slack, Sign in with Discord.

Every request gets a session (a signed cookie, `HttpOnly`, `SameSite=Lax`, `Secure` behind
https). Every POST must carry the session's CSRF token (form field `csrf` or header
`X-CSRF-Token`, which htmx sends) or is refused with 403. Every page but /healthz, /readyz,
/metrics, /static/ and the sign-in pages needs a signed-in user, else it redirects to /signin.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web.context import SESSION, context_of, session_of
from bot.web.oauth import SignInError
from bot.web.render import render
from bot.web.sessions import COOKIE_NAME, Session, User

__all__ = [
    "auth_middleware",
    "redirect",
    "routes",
    "security_headers_middleware",
    "session_middleware",
]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def redirect(location: str) -> web.Response:
    """303 See Other to `location` (a GET after a form)."""
    return web.Response(status=303, headers={"Location": location})


def _needs_no_session(path: str) -> bool:
    """Health checks, metrics and static files: served to anyone, no cookie."""
    return path in {"/healthz", "/readyz", "/metrics", "/favicon.ico"} or path.startswith(
        "/static/"
    )


def _is_sign_in(path: str) -> bool:
    return path == "/signin" or path.startswith("/signin/")


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No framing, no sniffing, scripts and styles from this server only."""
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session from its cookie (or start one) and save it when it changed."""
    if _needs_no_session(request.path):
        return await handler(request)
    ctx = context_of(request)
    loaded = ctx.codec.loads(request.cookies.get(COOKIE_NAME))
    session = loaded or Session(changed=True)
    request[SESSION] = session
    response = await handler(request)
    if session.changed or loaded is None:
        response.set_cookie(
            COOKIE_NAME,
            ctx.codec.dumps(session),
            max_age=int(ctx.codec.max_age_s),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=ctx.secure_cookies,
        )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a POST without the session's CSRF token; send anyone not signed in to /signin."""
    if _needs_no_session(request.path):
        return await handler(request)
    session = session_of(request)
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        form = await request.post()
        token = request.headers.get("X-CSRF-Token") or str(form.get("csrf", ""))
        if not session.csrf_ok(token):
            log.warning(
                "web: refused a %s to %s without a valid CSRF token", request.method, request.path
            )
            return web.Response(
                status=403,
                text="This form has expired or did not come from this console: reload the "
                "page and try again.\n",
            )
    if session.user is None and not _is_sign_in(request.path):
        if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
            session.after_sign_in = request.path_qs  # a page, not an image or a fragment
            session.changed = True
        if request.headers.get("HX-Request"):
            return web.Response(status=401, headers={"HX-Redirect": "/signin"})
        return redirect("/signin")
    return await handler(request)


def _base_url(request: web.Request) -> str:
    configured = context_of(request).settings.web.public_url
    return configured or f"{request.scheme}://{request.host}"


def _redirect_uri(request: web.Request, provider: str) -> str:
    return f"{_base_url(request)}/signin/{provider}/callback"


def _sign_in_page(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    ctx = context_of(request)
    return render(
        request,
        "signin.html",
        status=status,
        error=error,
        token_enabled=ctx.admin_token is not None,
        providers=list(ctx.providers.values()),
    )


async def sign_in_form(request: web.Request) -> web.Response:
    """The sign-in page: the admin token form and a button per configured platform."""
    if session_of(request).user is not None:
        return redirect("/")
    return _sign_in_page(request)


async def sign_in_with_token(request: web.Request) -> web.Response:
    """Sign in as an admin with WIREWATCH_WEB_TOKEN."""
    ctx = context_of(request)
    session = session_of(request)
    address = request.remote or "?"
    if ctx.admin_token is None:
        return _sign_in_page(
            request, error="Token sign-in is off: WIREWATCH_WEB_TOKEN is not set.", status=403
        )
    if ctx.throttle.blocked(address):
        return _sign_in_page(
            request, error="Too many wrong tokens: wait five minutes and try again.", status=429
        )
    form = await request.post()
    token = str(form.get("token", "")).strip()
    if not token or not hmac.compare_digest(token.encode(), ctx.admin_token.encode()):
        ctx.throttle.failed(address)
        log.warning("web: a wrong admin token from %s", address)
        return _sign_in_page(
            request,
            error="That token is not right. It is the value of WIREWATCH_WEB_TOKEN.",
            status=401,
        )
    session.sign_in(User("admin", "web-admin", "admin"))
    log.info("web: admin signed in with the token from %s", address)
    return redirect(session.after_sign_in or "/")


async def sign_in_with_provider(request: web.Request) -> web.Response:
    """Send the browser to Slack's or Discord's consent page, with a fresh state."""
    ctx = context_of(request)
    provider = ctx.providers.get(request.match_info["provider"])
    if provider is None:
        return _sign_in_page(request, error="That sign-in method is not configured.", status=404)
    session = session_of(request)
    session.oauth_provider = provider.name
    session.oauth_state = secrets.token_urlsafe(24)
    session.changed = True
    url = provider.authorize_url(
        state=session.oauth_state, redirect_uri=_redirect_uri(request, provider.name)
    )
    return web.Response(status=302, headers={"Location": url})


async def provider_callback(request: web.Request) -> web.Response:
    """Finish an OAuth sign-in: check the state, exchange the code, read the user."""
    ctx = context_of(request)
    name = request.match_info["provider"]
    provider = ctx.providers.get(name)
    session = session_of(request)
    expected, session.oauth_state = session.oauth_state, ""
    started_here, session.oauth_provider = session.oauth_provider == name, ""
    session.changed = True
    if provider is None:
        return _sign_in_page(request, error="That sign-in method is not configured.", status=404)
    state = request.query.get("state", "")
    if not expected or not started_here or not hmac.compare_digest(state, expected):
        return _sign_in_page(
            request,
            error="That sign-in link is stale or was not started here: try again.",
            status=400,
        )
    if "error" in request.query:
        reason = request.query.get("error", "")[:100]
        return _sign_in_page(
            request, error=f"{provider.label} was cancelled ({reason}).", status=400
        )
    code = request.query.get("code", "")
    if not code:
        return _sign_in_page(
            request, error="The sign-in came back without a code: try again.", status=400
        )
    try:
        user = await provider.user_for(code, redirect_uri=_redirect_uri(request, name))
    except SignInError as err:
        log.warning("web: %s sign-in refused: %s", name, err)
        return _sign_in_page(request, error=str(err), status=403)
    session.sign_in(user)
    log.info("web: %s user %s signed in", name, user.id)
    return redirect(session.after_sign_in or "/")


async def sign_out(request: web.Request) -> web.Response:
    """End the session."""
    session = session_of(request)
    session.user = None
    session.csrf = secrets.token_urlsafe(24)
    session.after_sign_in = "/"
    session.changed = True
    return redirect("/signin")


def routes() -> list[web.RouteDef]:
    """The sign-in and sign-out routes."""
    return [
        web.get("/signin", sign_in_form),
        web.post("/signin", sign_in_with_token),
        web.get("/signin/{provider}", sign_in_with_provider),
        web.get("/signin/{provider}/callback", provider_callback),
        web.post("/signout", sign_out),
    ]
