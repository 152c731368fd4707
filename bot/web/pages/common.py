"""What the pages share: the caller of a request, paging, ids from the path, a 404 page."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.commands.reply import Reply
from bot.commands.service import Caller
from bot.web.context import caller_for, session_of
from bot.web.render import plain_text, render

__all__ = ["Paging", "caller_of", "not_found", "paging", "path_id", "reply_notice"]


def caller_of(request: web.Request) -> Caller:
    """The command caller of the signed-in user (the middleware guarantees one)."""
    user = session_of(request).user
    assert user is not None, "auth_middleware lets no anonymous request reach a page"
    return caller_for(user)


@dataclass(frozen=True, slots=True)
class Paging:
    """Page `number` (from 1) of `size` rows."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.number - 1) * self.size

    def pages(self, total: int) -> int:
        """How many pages `total` rows fill (at least one)."""
        return max(1, -(-total // self.size))


def paging(request: web.Request, size: int) -> Paging:
    """The page asked for by `?page=N` (1 when absent or not a number)."""
    raw = request.query.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
    return Paging(max(number, 1), size)


def path_id(request: web.Request) -> int | None:
    """The numeric id in the path (`/watches/{id}`), or None when it is not one."""
    raw = request.match_info.get("id", "")
    return int(raw) if raw.isdigit() and len(raw) < 13 else None


def not_found(request: web.Request, what: str) -> web.Response:
    """A 404 page saying what was not found."""
    return render(request, "not_found.html", status=404, what=what)


def reply_notice(request: web.Request, reply: Reply) -> None:
    """Show a command's outcome on the next page: its title, and for an error how to fix it."""
    text = plain_text(reply.title)
    if not reply.ok:
        text = " ".join([text + ".", *(plain_text(line) for line in reply.lines)])
    session_of(request).flash(text, ok=reply.ok)
