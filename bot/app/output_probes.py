"""`doctor`'s output checks: each one tries what the bot will do, without posting anything.

- `jsonl:PATH`: create the folders and open the file for appending, as the JSONL output does
  (a file or folder made only for the check is removed again).
- Slack: `auth.test` with the bot token, then per channel `conversations.history` (limit 1),
  the call the bot makes to find its own alerts after a crash: it fails with `not_in_channel`
  or `channel_not_found` exactly when posting there would; a DM target is opened with
  `conversations.open`, as the Slack output does.
- Discord: `GET /users/@me` with the bot token, then per channel `GET /channels/{id}` (the bot
  must see it: 403 and 404 say why not); a DM target is opened with `POST /users/@me/channels`,
  as discord.py does before sending.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.settings import Secrets, Settings

__all__ = ["Finding", "probe_discord", "probe_jsonl", "probe_slack"]

_TEXT_CHANNEL_TYPES = frozenset({0, 5, 10, 11, 12})  # text, news, threads


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: `level` is "ok", "fail" or "warn"."""

    level: str
    what: str
    detail: str = ""


def probe_jsonl(target: str, path: Path) -> Finding:
    """Create `path`'s folders and open it for appending, then undo what only the check made."""
    made: list[Path] = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
        try:
            if not os.path.isfile(path):
                raise OSError(errno.EINVAL, "not a regular file")
        finally:
            os.close(fd)
    except OSError as err:
        return Finding("fail", target, f"cannot append to {path}: {err.strerror or err}")
    finally:
        if not existed:
            _remove_quietly(path, made)
    return Finding("ok", target, f"can append to {path}")


def _remove_quietly(path: Path, folders: list[Path]) -> None:
    """Remove a file and folders the check created (best effort, innermost first)."""
    with contextlib.suppress(OSError):
        path.unlink()
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


async def probe_slack(settings: Settings, secrets: Secrets, targets: list[str]) -> list[Finding]:
    """Log in to Slack as the bot and check that every channel target can be posted to."""
    if secrets.slack_bot_token is None:
        return [Finding("fail", "slack", "SLACK_BOT_TOKEN is not set")]
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(
        token=secrets.slack_bot_token.get_secret_value(),
        base_url=settings.slack.api_url,
        timeout=10,
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as err:
        return [Finding("fail", "slack", f"auth.test failed: {err.response.get('error')}")]
    except Exception as err:
        return [
            Finding("fail", "slack", f"cannot reach {settings.slack.api_url}: {type(err).__name__}")
        ]
    found = [Finding("ok", "slack", f"connected as {answer.get('user')} in {answer.get('team')}")]
    for target in targets:
        what = f"slack:{target}"
        try:
            if target.startswith("@"):
                await client.conversations_open(users=target[1:])
                found.append(Finding("ok", what, "can open a direct message"))
            elif target.startswith("#") or target.islower():
                found.append(
                    Finding(
                        "warn", what, "named, not an id: use the channel id (C0123ABCD) to check it"
                    )
                )
            else:
                await client.conversations_history(channel=target, limit=1)
                found.append(Finding("ok", what, "the bot is in the channel"))
        except SlackApiError as err:
            found.append(Finding("fail", what, _slack_advice(str(err.response.get("error")))))
        except Exception as err:
            found.append(Finding("fail", what, f"cannot check it: {type(err).__name__}"))
    return found


def _slack_advice(error: str) -> str:
    """What a Slack error code means for posting there, and the fix."""
    advice = {
        "not_in_channel": "the bot is not in the channel: type /invite @Wirewatch there",
        "channel_not_found": "no such channel, or a private one the bot was not invited to",
        "missing_scope": "the app lacks a scope: reinstall it from config/slack-manifest.yml",
        "user_not_found": "no such user",
        "is_archived": "the channel is archived",
    }
    return advice.get(error, f"Slack answered {error}")


async def probe_discord(secrets: Secrets, base: str, targets: list[str]) -> list[Finding]:
    """Log in to Discord's REST API as the bot and check that every target can be reached."""
    if secrets.discord_bot_token is None:
        return [Finding("fail", "discord", "DISCORD_BOT_TOKEN is not set")]
    headers = {"Authorization": f"Bot {secrets.discord_bot_token.get_secret_value()}"}
    try:
        async with httpx.AsyncClient(
            base_url=base, headers=headers, timeout=10, trust_env=False
        ) as client:
            me = await client.get("/users/@me")
            if me.status_code != 200:
                return [
                    Finding(
                        "fail",
                        "discord",
                        f"GET /users/@me answered {me.status_code}: check the token",
                    )
                ]
            found = [Finding("ok", "discord", f"connected as {_json(me).get('username')}")]
            for target in targets:
                found.append(await _discord_target(client, target))
            return found
    except httpx.HTTPError as err:
        return [Finding("fail", "discord", f"cannot reach {base}: {type(err).__name__}")]


async def _discord_target(client: httpx.AsyncClient, target: str) -> Finding:
    what = f"discord:{target}"
    if target.startswith("@"):
        answer = await client.post("/users/@me/channels", json={"recipient_id": target[1:]})
        if answer.status_code == 200:
            return Finding("ok", what, "can open a direct message")
        return Finding("fail", what, f"cannot open a DM ({answer.status_code}): {_message(answer)}")
    answer = await client.get(f"/channels/{target}")
    if answer.status_code == 200:
        channel = _json(answer)
        name = f"#{channel.get('name')}" if channel.get("name") else "the channel"
        if channel.get("type") not in _TEXT_CHANNEL_TYPES:
            return Finding("fail", what, f"{name} is not a text channel or thread")
        return Finding("ok", what, f"the bot sees {name}")
    if answer.status_code == 403:
        return Finding(
            "fail", what, "the bot cannot see this channel: give it View Channel and Send Messages"
        )
    if answer.status_code == 404:
        return Finding("fail", what, "no such channel (deleted, or a wrong id)")
    return Finding("fail", what, f"GET /channels/{target} answered {answer.status_code}")


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(answer: httpx.Response) -> str:
    return str(_json(answer).get("message") or answer.reason_phrase)
