"""The configuration file (TOML), validated by pydantic; secrets come only from the environment."""

from __future__ import annotations

import difflib
import os
import sys
import typing
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import tomli
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.destination import DestinationError, parse_destination
from bot.core.durations import format_duration, parse_duration
from bot.sources import SourceSpecError, check_source
from bot.store.engine import normalise_url

if typing.TYPE_CHECKING:
    from bot.core.query import Query

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_DATABASE_URL",
    "ConfigError",
    "DiscordSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "WebSettings",
    "anchored_sqlite_url",
    "describe_problems",
    "interval_warnings",
    "load_settings",
    "settings_from_dict",
]

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "wirewatch.toml"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/wirewatch.db"
PARSED_RULES = "parsed_rules"
"""Validation context key: where WatchEntry leaves the rules it parsed (rule -> Query)."""


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
    """[database]: a relative SQLite path is relative to the config file's directory."""

    url: str = DEFAULT_DATABASE_URL
    connect_retry: Seconds = Field(60.0, ge=0, le=3600)

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        normalise_url(value)  # ValueError names the problem and the accepted forms
        return value


class PollSettings(_Section):
    """[poll]: defaults for every source."""

    interval: Seconds = Field(300.0, ge=1)
    min_interval: Seconds = Field(60.0, ge=1)
    max_interval: Seconds = Field(6 * 3600.0, ge=1)
    adaptive: bool = True
    jitter: float = Field(0.1, ge=0.0, le=0.5)
    concurrency: int = Field(20, ge=1, le=500)
    backfill: int = Field(0, ge=0, le=100)
    fetch_articles_per_poll: int = Field(10, ge=0, le=100)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min_interval > self.max_interval:
            raise ValueError(
                f"min_interval ({format_duration(self.min_interval)}) is longer than "
                f"max_interval ({format_duration(self.max_interval)}): swap them"
            )
        return self


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
    poll_history: Seconds = Field(7 * 86400.0, ge=3600)


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


class WebSettings(_Section):
    """[web]: the console, /healthz and /readyz; secrets come from WIREWATCH_WEB_SECRET,
    WIREWATCH_WEB_TOKEN, WIREWATCH_SLACK_CLIENT_SECRET and WIREWATCH_DISCORD_CLIENT_SECRET."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str | None = None
    session_lifetime: Seconds = Field(12 * 3600.0, ge=60, le=30 * 86400)
    slack_client_id: str | None = None
    slack_team_id: str | None = None
    slack_authorize_url: str = "https://slack.com/openid/connect/authorize"
    discord_client_id: str | None = None
    discord_guild_ids: list[int] = Field(default_factory=list)
    discord_authorize_url: str = "https://discord.com/oauth2/authorize"

    @field_validator("public_url", "slack_authorize_url", "discord_authorize_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _slack_team(self) -> Self:
        if self.slack_client_id and not self.slack_team_id:
            raise ValueError(
                "slack_client_id needs slack_team_id (your workspace id, T…): without it anyone "
                "with a Slack account could sign in"
            )
        return self


class SourceEntry(_Section):
    """[[sources]]"""

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1)
    kind: str = "rss"
    interval: Seconds | None = Field(None, ge=1)
    backfill: int | None = Field(None, ge=0, le=100)
    fetch_article: bool = False
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _pollable(self) -> Self:
        """The same check as every other way of adding a source (bot.sources.check_source)."""
        try:
            url = check_source(self.url, self.kind)
        except SourceSpecError as err:
            raise ValueError(f"source {self.name!r}: {err}") from None
        return self if url == self.url else self.model_copy(update={"url": url})


class WatchEntry(_Section):
    """[[watches]]"""

    query: str = Field(min_length=1)
    to: str = "console"
    mode: str = "immediate"
    tz: str = "UTC"

    @field_validator("query")
    @classmethod
    def _rule(cls, value: str, info: ValidationInfo) -> str:
        from bot.core.query import QuerySyntaxError, parse

        try:
            query = parse(value)
        except QuerySyntaxError as err:
            raise ValueError(f"{err.message} at column {err.position + 1}") from None
        if isinstance(info.context, dict) and PARSED_RULES in info.context:
            info.context[PARSED_RULES][value] = query  # the watch index takes it at start
        return value

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        return _checked_mode(value)

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _checked_zone(value)

    @field_validator("to")
    @classmethod
    def _destination(cls, value: str) -> str:
        try:
            return _canonical_destination(value)
        except DestinationError as err:
            raise ValueError(str(err)) from None

    @model_validator(mode="after")
    def _digest(self) -> Self:
        """Store the canonical mode, with a zone written in it (`daily 08:00 Asia/Tokyo`) in tz."""
        mode, tz = _canonical_digest(self.mode, self.tz)
        if (mode, tz) == (self.mode, self.tz):
            return self
        return self.model_copy(update={"mode": mode, "tz": tz})


# The checks of a [[watches]] entry's mode, zone and destination, remembered: the thousands of
# watches of a config file repeat a few of each (10,000 entries: about 0.1 s of a start). A
# value that fails is not remembered (lru_cache keeps only results), so each entry that has it
# is reported. The results are interned: the settings hold every entry while the bot runs.
_SEEN_VALUES = 256


@lru_cache(maxsize=_SEEN_VALUES)
def _checked_mode(value: str) -> str:
    from bot.core.digest import parse_digest_mode

    parse_digest_mode(value)
    return sys.intern(value)


@lru_cache(maxsize=_SEEN_VALUES)
def _checked_zone(value: str) -> str:
    from bot.core.digest import check_zone

    return sys.intern(check_zone(value))


@lru_cache(maxsize=_SEEN_VALUES)
def _canonical_destination(value: str) -> str:
    return sys.intern(str(parse_destination(value)))


@lru_cache(maxsize=_SEEN_VALUES)
def _canonical_digest(mode: str, tz: str) -> tuple[str, str]:
    """The stored (mode, tz) of an entry whose mode and zone passed their own checks."""
    from bot.core.digest import DigestModeError, parse_digest_mode

    named = parse_digest_mode(mode)
    if named.tz != "UTC" and tz not in ("UTC", named.tz):
        raise ValueError(f"mode names the time zone {named.tz} but tz says {tz}: keep one of them")
    try:
        parsed = parse_digest_mode(mode, tz if named.tz == "UTC" else named.tz)
    except DigestModeError as err:
        raise ValueError(str(err)) from None
    return sys.intern(parsed.text), sys.intern(parsed.tz)


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
    web: WebSettings = WebSettings()
    sources: list[SourceEntry] = Field(default_factory=list)
    watches: list[WatchEntry] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    _config_file: Path | None = PrivateAttr(default=None)
    _parsed_rules: dict[str, Query] = PrivateAttr(default_factory=dict)

    def take_parsed_rules(self) -> dict[str, Query]:
        """The watches' rules as validation parsed them (once: the start's watch index reuses
        them instead of parsing every rule again)."""
        parsed, self._parsed_rules = self._parsed_rules, {}
        return parsed

    @property
    def config_file(self) -> Path | None:
        """The file these settings were loaded from (None when built from a dict)."""
        return self._config_file

    @property
    def files_base(self) -> Path | None:
        """Where relative paths of the config are taken from: the config file's directory
        (None when built from a dict: the working directory)."""
        return self._config_file.parent if self._config_file is not None else None

    @property
    def web_discord_guilds(self) -> list[int]:
        """The Discord servers whose members may sign in to the console."""
        return self.web.discord_guild_ids or self.discord.guild_ids

    @model_validator(mode="after")
    def _discord_sign_in_guilds(self) -> Self:
        if self.web.discord_client_id and not self.web_discord_guilds:
            raise ValueError(
                "[web] discord_client_id needs discord_guild_ids (or [discord] guild_ids): only "
                "members of those servers may sign in"
            )
        return self


def interval_warnings(settings: Settings) -> list[str]:
    """The politeness warning for every poll interval set under [poll] min_interval.

    Such an interval is honoured (it is what the file says), but most publishers ask for less.
    """
    floor = settings.poll.min_interval
    out: list[str] = []
    if settings.poll.interval < floor:
        out.append(
            f"[poll] interval = {format_duration(settings.poll.interval)} is under "
            f"min_interval ({format_duration(floor)}): honoured, but polling that often is "
            "impolite to most publishers"
        )
    for i, entry in enumerate(settings.sources):
        if entry.interval is not None and entry.interval < floor:
            out.append(
                f"sources[{i}] ({entry.name}) interval = {format_duration(entry.interval)} is "
                f"under [poll] min_interval ({format_duration(floor)}): honoured, but polling "
                "that often is impolite to most publishers"
            )
    return out


class Secrets:
    """Tokens read from the environment; never printed (repr hides them)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        self.slack_bot_token = _secret(env, "SLACK_BOT_TOKEN")
        self.slack_app_token = _secret(env, "SLACK_APP_TOKEN")
        self.slack_signing_secret = _secret(env, "SLACK_SIGNING_SECRET")
        self.discord_bot_token = _secret(env, "DISCORD_BOT_TOKEN")
        self.web_secret = _secret(env, "WIREWATCH_WEB_SECRET")
        self.web_token = _secret(env, "WIREWATCH_WEB_TOKEN")
        self.slack_client_secret = _secret(env, "WIREWATCH_SLACK_CLIENT_SECRET")
        self.discord_client_secret = _secret(env, "WIREWATCH_DISCORD_CLIENT_SECRET")
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


def _known_keys(loc: tuple[int | str, ...], root: type[BaseModel]) -> list[str]:
    """The keys allowed in the table at `loc` (the path of an unknown key, without it)."""
    model = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return sorted(model.model_fields)


def _unknown_key(path: str, loc: tuple[int | str, ...], root: type[BaseModel]) -> str:
    """Say which key is unknown and, when one is close, which was meant."""
    key = str(loc[-1])
    known = _known_keys(loc[:-1], root)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"{path}: unknown key; did you mean {close[0]}?"
    listed = f" (known here: {', '.join(known)})" if known else ""
    return f"{path}: unknown key{listed}; see README 'Configuration reference'"


def describe_problems(err: ValidationError, root: type[BaseModel]) -> list[str]:
    """One actionable line per problem of a validation of `root`: key path, what, the fix."""
    return [_describe(dict(e), root) for e in err.errors()]


def _describe(err: dict[str, Any], root: type[BaseModel]) -> str:
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    path = _key_path(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        return _unknown_key(path, loc, root)
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    if kind in {"missing"}:
        return f"{path}: required"
    if loc == ("database", "url"):
        return f"{path}: {msg}"  # the message names the URL, its password masked
    if isinstance(got, str | int | float) and not isinstance(got, bool) and repr(got) not in msg:
        return f"{path}: {msg} (got {got!r})"
    return f"{path}: {msg}"


def anchored_sqlite_url(url: str, base: Path) -> str:
    """Return `url` with a relative SQLite path made relative to `base` (other URLs unchanged)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the [database] validator explains what is wrong with it
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database:
        return url
    if database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if path.is_absolute():
        return url
    return parsed.set(database=os.path.normpath(base / path)).render_as_string(hide_password=False)


def settings_from_dict(
    data: dict[str, Any],
    *,
    source: str = "<config>",
    env: dict[str, str] | None = None,
    base_dir: Path | None = None,
) -> Settings:
    """Validate a parsed config, apply environment overrides, raise ConfigError listing every problem.

    With `base_dir` (the config file's directory) a relative SQLite path, the default one
    included, is taken relative to it; WIREWATCH_DATABASE_URL is used as given.
    """
    env = dict(os.environ) if env is None else env
    data = dict(data)
    database = data.get("database")
    if base_dir is not None and (database is None or isinstance(database, dict)):
        url = (database or {}).get("url", DEFAULT_DATABASE_URL)
        if isinstance(url, str):
            data["database"] = {**(database or {}), "url": anchored_sqlite_url(url, base_dir)}
    if env.get("WIREWATCH_DATABASE_URL"):
        data["database"] = {**data.get("database", {}), "url": env["WIREWATCH_DATABASE_URL"]}
    web = {
        key: env[f"WIREWATCH_WEB_{key.upper()}"]
        for key in _WEB_ENV
        if env.get(f"WIREWATCH_WEB_{key.upper()}")
    }
    if web and isinstance(data.get("web", {}), dict):  # a container's /healthz, one image
        data["web"] = {**data.get("web", {}), **web}
    context: dict[str, dict[str, Query]] = {PARSED_RULES: {}}
    try:
        settings = Settings.model_validate(data, context=context)
    except ValidationError as err:
        raise ConfigError(source, describe_problems(err, Settings)) from None
    settings._parsed_rules = context[PARSED_RULES]
    return settings


_WEB_ENV = ("enabled", "host", "port")
"""[web] keys that WIREWATCH_WEB_ENABLED, _HOST and _PORT override (the Docker image turns the
server on for its health check and Prometheus; the config file need not say so)."""


def load_settings(path: str | Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Load the config at `path`, else $WIREWATCH_CONFIG, else config/wirewatch.toml."""
    env = dict(os.environ) if env is None else env
    chosen = Path(path or env.get("WIREWATCH_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = chosen.read_bytes()
    except OSError as err:
        raise ConfigError(str(chosen), [f"cannot read the file: {err.strerror or err}"]) from None
    try:
        data = tomli.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(chosen), ["the file is not UTF-8 text"]) from None
    except tomli.TOMLDecodeError as err:
        raise ConfigError(str(chosen), [f"not valid TOML: {err}"]) from None
    base = chosen.expanduser().resolve().parent
    settings = settings_from_dict(data, source=str(chosen), env=env, base_dir=base)
    settings._config_file = chosen.expanduser().resolve()
    return settings
