"""The configuration file (TOML), validated by pydantic; secrets come only from the environment."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from bot.app.durations import parse_duration
from bot.core.destination import DestinationError, parse_destination

__all__ = [
    "DEFAULT_CONFIG",
    "ConfigError",
    "DiscordSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "load_settings",
    "settings_from_dict",
]

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "wirewatch.toml"


def _seconds(value: Any) -> float:
    return parse_duration(value)


def _bytes(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        raw = value.strip().upper().replace(" ", "")
        for suffix, size in (
            ("KIB", 1024),
            ("MIB", 1024**2),
            ("GIB", 1024**3),
            ("KB", 1000),
            ("MB", 1000**2),
            ("GB", 1000**3),
            ("B", 1),
        ):
            if raw.endswith(suffix) and raw[: -len(suffix)].isdigit():
                return int(raw[: -len(suffix)]) * size
        if raw.isdigit():
            return int(raw)
    raise ValueError(f"expected a size like 10MiB or 500KB, got {value!r}")


Seconds = Annotated[float, BeforeValidator(_seconds)]
Bytes = Annotated[int, BeforeValidator(_bytes)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    """[database]"""

    url: str = "sqlite+aiosqlite:///data/wirewatch.db"


class PollSettings(_Section):
    """[poll]: defaults for every source."""

    interval: Seconds = 300.0
    min_interval: Seconds = 60.0
    max_interval: Seconds = 6 * 3600.0
    adaptive: bool = True
    jitter: float = Field(0.1, ge=0.0, le=0.5)
    concurrency: int = Field(20, ge=1, le=500)
    backfill: int = Field(0, ge=0, le=100)
    fetch_articles_per_poll: int = Field(10, ge=0, le=100)


class FetchSettings(_Section):
    """[fetch]: the safe HTTP client."""

    allow_private_networks: bool = False
    allow_hosts: list[str] = Field(default_factory=list)
    max_bytes: Bytes = 10 * 1024 * 1024
    timeout: Seconds = 20.0
    connect_timeout: Seconds = 10.0
    per_host_concurrency: int = Field(2, ge=1, le=32)
    min_host_spacing: Seconds = 0.0
    max_redirects: int = Field(5, ge=0, le=10)
    user_agent: str = "Wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"
    proxy: str | None = None


class ArchiveSettings(_Section):
    """[archive]: how long items and seen marks are kept."""

    retention: Seconds = 30 * 86400.0
    seen_retention: Seconds = 365 * 86400.0


class AlertSettings(_Section):
    """[alerts]: story updates, bursts, digests."""

    updates: Literal["edit", "thread", "off"] = "edit"
    cluster_window: Seconds = 48 * 3600.0
    burst_limit: int = Field(5, ge=1, le=100)
    burst_window: Seconds = 60.0
    digest_limit: int = Field(15, ge=1, le=100)
    summary_chars: int = Field(300, ge=80, le=2000)
    delivery_lease: Seconds = 120.0


class SummarySettings(_Section):
    """[summary]: extractive by default; an OpenAI-compatible model on request."""

    provider: Literal["extractive", "openai"] = "extractive"
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = "llama3.1"
    api_key_env: str = "WIREWATCH_SUMMARY_API_KEY"
    timeout: Seconds = 10.0


class SlackSettings(_Section):
    """[slack]: tokens come from SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET."""

    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    host: str = "0.0.0.0"  # noqa: S104 - the HTTP mode must listen for Slack's requests
    port: int = Field(3000, ge=1, le=65535)
    path: str = "/slack/events"
    api_url: str = "https://slack.com/api/"
    admins: list[str] = Field(default_factory=list)
    open_sources: bool = False
    quota_user: int = Field(50, ge=1)
    quota_channel: int = Field(200, ge=1)


class DiscordSettings(_Section):
    """[discord]: the token comes from DISCORD_BOT_TOKEN."""

    enabled: bool = False
    guild_ids: list[int] = Field(default_factory=list)
    shards: bool = False
    api_url: str | None = None
    admin_role: str | None = None
    admins: list[str] = Field(default_factory=list)
    open_sources: bool = False
    quota_user: int = Field(50, ge=1)
    quota_channel: int = Field(200, ge=1)


class SourceEntry(_Section):
    """[[sources]]"""

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1)
    kind: str = "rss"
    interval: Seconds | None = None
    backfill: int | None = Field(None, ge=0, le=100)
    fetch_article: bool = False
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value


class WatchEntry(_Section):
    """[[watches]]"""

    query: str = Field(min_length=1)
    to: str = "console"
    mode: str = "immediate"
    tz: str = "UTC"

    @field_validator("query")
    @classmethod
    def _rule(cls, value: str) -> str:
        from bot.core.query import QuerySyntaxError, parse

        try:
            parse(value)
        except QuerySyntaxError as err:
            raise ValueError(f"{err.message} at column {err.position + 1}") from None
        return value

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        from bot.core.digest import parse_digest_mode

        return parse_digest_mode(value).text

    @field_validator("to")
    @classmethod
    def _destination(cls, value: str) -> str:
        try:
            return str(parse_destination(value))
        except DestinationError as err:
            raise ValueError(str(err)) from None


class Settings(_Section):
    """The whole configuration file."""

    database: DatabaseSettings = DatabaseSettings()
    poll: PollSettings = PollSettings()
    fetch: FetchSettings = FetchSettings()
    archive: ArchiveSettings = ArchiveSettings()
    alerts: AlertSettings = AlertSettings()
    summary: SummarySettings = SummarySettings()
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()
    sources: list[SourceEntry] = Field(default_factory=list)
    watches: list[WatchEntry] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Secrets:
    """Tokens read from the environment; never printed (repr hides them)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        self.slack_bot_token = _secret(env, "SLACK_BOT_TOKEN")
        self.slack_app_token = _secret(env, "SLACK_APP_TOKEN")
        self.slack_signing_secret = _secret(env, "SLACK_SIGNING_SECRET")
        self.discord_bot_token = _secret(env, "DISCORD_BOT_TOKEN")
        self._env = env

    def get(self, name: str) -> SecretStr | None:
        """Any other secret by environment variable name (e.g. the summary API key)."""
        return _secret(self._env, name)

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"


def _secret(env: dict[str, str], name: str) -> SecretStr | None:
    value = env.get(name, "").strip()
    return SecretStr(value) if value else None


class ConfigError(Exception):
    """A configuration that cannot be used: one actionable message per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def __str__(self) -> str:
        lines = [f"invalid configuration {self.source}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _describe(err: dict[str, Any]) -> str:
    path = _key_path(tuple(p for p in err["loc"] if not str(p).startswith("function-")))
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{path}: unknown key (check the spelling; see README 'Configuration reference')"
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    if kind in {"missing"}:
        return f"{path}: required"
    if isinstance(got, str | int | float) and not isinstance(got, bool) and repr(got) not in msg:
        return f"{path}: {msg} (got {got!r})"
    return f"{path}: {msg}"


def settings_from_dict(
    data: dict[str, Any], *, source: str = "<config>", env: dict[str, str] | None = None
) -> Settings:
    """Validate a parsed config, apply environment overrides, raise ConfigError listing every problem."""
    env = dict(os.environ) if env is None else env
    data = dict(data)
    if env.get("WIREWATCH_DATABASE_URL"):
        data["database"] = {**data.get("database", {}), "url": env["WIREWATCH_DATABASE_URL"]}
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(source, [_describe(dict(e)) for e in err.errors()]) from None


def load_settings(path: str | Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Load the config at `path`, else $WIREWATCH_CONFIG, else config/wirewatch.toml."""
    env = dict(os.environ) if env is None else env
    chosen = Path(path or env.get("WIREWATCH_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = chosen.read_bytes()
    except OSError as err:
        raise ConfigError(str(chosen), [f"cannot read the file: {err.strerror or err}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(chosen), ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(chosen), [f"not valid TOML: {err}"]) from None
    return settings_from_dict(data, source=str(chosen), env=env)
