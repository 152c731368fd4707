"""Config validation: one actionable message per problem, env overrides, secrets hidden."""

from pathlib import Path

import pytest

from bot.app.durations import format_duration, parse_duration
from bot.app.settings import (
    DEFAULT_CONFIG,
    ConfigError,
    Secrets,
    load_settings,
    settings_from_dict,
)


def test_default_config_is_valid():
    settings = load_settings(DEFAULT_CONFIG, env={})
    assert settings.sources and settings.watches
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert not settings.fetch.allow_private_networks


def test_every_problem_is_reported_with_its_key_path():
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(
            {
                "poll": {"interval": "soon"},
                "sources": [{"name": "x", "url": "ftp://x", "intervall": 3}],
                "watches": [{"query": "a", "to": "slak:x"}],
                "fetch": {"max_bytes": "lots"},
            },
            env={},
        )
    problems = caught.value.problems
    joined = "\n".join(problems)
    assert len(problems) == 5
    assert "poll.interval: expected a duration like 30s, 5m, 1h or 7d" in joined
    assert "sources[0].url: expected an http:// or https:// URL" in joined
    assert "sources[0].intervall: unknown key" in joined
    assert "watches[0].to: unknown destination 'slak:x'" in joined
    assert "fetch.max_bytes: expected a size like 10MiB" in joined
    assert "'got 'soon'' " not in str(caught.value)


def test_bad_toml_names_the_line(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text("[poll]\ninterval = \n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert "not valid TOML" in caught.value.problems[0]
    assert "line 2" in caught.value.problems[0]


def test_missing_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nope.toml", env={})
    assert "cannot read the file" in caught.value.problems[0]


def test_environment_overrides_database_and_chooses_config(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text('[poll]\ninterval = "90s"\n')
    env = {"WIREWATCH_CONFIG": str(path), "WIREWATCH_DATABASE_URL": "postgresql+asyncpg://db/x"}
    settings = load_settings(None, env=env)
    assert settings.poll.interval == 90
    assert settings.database.url == "postgresql+asyncpg://db/x"


def test_secrets_come_from_env_and_never_print():
    secrets = Secrets({"SLACK_BOT_TOKEN": "xoxb-secret-value", "DISCORD_BOT_TOKEN": " "})
    assert secrets.slack_bot_token is not None
    assert secrets.slack_bot_token.get_secret_value() == "xoxb-secret-value"
    assert secrets.discord_bot_token is None
    assert "xoxb" not in repr(secrets) and "xoxb" not in str(secrets.slack_bot_token)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("7d", 604800),
        ("2w", 1209600),
        ("45", 45),
        (12, 12),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "m5", "-3", "1h junk", True])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration():
    assert [format_duration(s) for s in (0, 45, 300, 5400, 86400)] == [
        "0s",
        "45s",
        "5m",
        "1h30m",
        "1d",
    ]


def test_bad_watch_rules_and_modes_in_config_are_reported():
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(
            {
                "watches": [
                    {"query": "Algeria AND", "to": "console"},
                    {"query": "ok", "mode": "weekly"},
                ]
            },
            env={},
        )
    joined = "\n".join(caught.value.problems)
    assert "watches[0].query:" in joined and "column" in joined
    assert "watches[1].mode: unknown digest 'weekly'" in joined
