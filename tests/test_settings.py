"""Config validation: one actionable message per problem, env overrides, secrets hidden."""

from pathlib import Path

import pytest

from bot.core.durations import format_duration, parse_duration
from bot.settings import (
    DEFAULT_CONFIG,
    ConfigError,
    Secrets,
    interval_warnings,
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
                "sources": [
                    {"name": "x", "url": "https://x.example/rss", "intervall": "3m"},
                    {"name": "y", "url": "ftp://y.example/rss"},
                ],
                "watches": [{"query": "a", "to": "slak:x"}],
                "fetch": {"max_bytes": "lots"},
            },
            env={},
        )
    problems = caught.value.problems
    joined = "\n".join(problems)
    assert len(problems) == 5
    assert "poll.interval: expected a duration like 30s, 5m, 1h or 7d" in joined
    assert (
        "sources[1]: source 'y': only http:// and https:// URLs can be polled, not ftp:" in joined
    )
    assert "sources[0].intervall: unknown key; did you mean interval?" in joined
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


@pytest.mark.parametrize(
    "text",
    [
        "[poll]\ninterval = \n",
        'watches = [{query = "a",\n  to = "console"}]\n',  # TOML 1.1 only: refused, as by 3.11
        'log_level = "\\e"\n',  # TOML 1.1's \e escape: refused too
        "[poll]\n[poll]\n",
    ],
)
def test_the_config_is_read_as_the_standard_librarys_toml_10(tmp_path: Path, text: str):
    """tomli (compiled, faster) reads the file: same grammar and messages as stdlib tomllib."""
    import tomllib

    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(tomllib.TOMLDecodeError) as stdlib:
        tomllib.loads(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.problems == [f"not valid TOML: {stdlib.value}"]


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


def test_environment_turns_the_web_server_on_for_a_container(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text('[web]\nport = 9000\nsession_lifetime = "1h"\n')
    assert load_settings(path, env={}).web.enabled is False
    env = {"WIREWATCH_WEB_ENABLED": "true", "WIREWATCH_WEB_HOST": "0.0.0.0"}
    web = load_settings(path, env=env).web
    assert (web.enabled, web.host, web.port, web.session_lifetime) == (True, "0.0.0.0", 9000, 3600)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"WIREWATCH_WEB_PORT": "eighty"})
    assert "web.port" in caught.value.problems[0]


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
        ("1.5s", 1.5),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "m5", "-3", "-3s", "1h junk", True, None])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["30", 30, "45", 12.0])
def test_a_duration_without_a_unit_is_refused_with_the_fix(text):
    with pytest.raises(ValueError, match=r"a duration needs a unit: write \d+s for seconds"):
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


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return load_settings(path, env=env or {})


def _problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    return "\n".join(caught.value.problems)


def test_a_duration_without_a_unit_in_the_file_is_refused_with_the_fix(tmp_path: Path):
    problems = _problems(tmp_path, '[poll]\nmin_interval = "30"\ninterval = 300\n')
    assert "poll.min_interval: a duration needs a unit: write 30s for seconds" in problems
    assert "poll.interval: a duration needs a unit: write 300s for seconds" in problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('log_levl = "DEBUG"\n', "log_levl: unknown key; did you mean log_level?"),
        ('[pol]\ninterval = "5m"\n', "pol: unknown key; did you mean poll?"),
        ('[poll]\nintervl = "5m"\n', "poll.intervl: unknown key; did you mean interval?"),
        ("[slack]\nadmin = []\n", "slack.admin: unknown key; did you mean admins?"),
        (
            '[[watches]]\nquery = "a"\ntimezone = "UTC"\n',
            "watches[0].timezone: unknown key (known here: mode, query, to, tz)",
        ),
    ],
)
def test_an_unknown_key_gets_a_suggestion(tmp_path: Path, text: str, expected: str):
    assert expected in _problems(tmp_path, text)


def test_a_digest_time_zone_is_checked_at_load(tmp_path: Path):
    problems = _problems(
        tmp_path,
        '[[watches]]\nquery = "a"\nmode = "daily 08:00"\ntz = "Europe/Pariss"\n'
        '[[watches]]\nquery = "b"\nmode = "daily 08:00 Europe/Pariss"\n'
        '[[watches]]\nquery = "c"\nmode = "daily 08:00 Asia/Tokyo"\ntz = "Europe/Paris"\n',
    )
    assert "watches[0].tz: unknown time zone 'Europe/Pariss'" in problems
    assert "watches[1].mode: unknown time zone 'Europe/Pariss'" in problems
    assert "watches[2]: mode names the time zone Asia/Tokyo but tz says Europe/Paris" in problems


def test_a_value_repeated_by_many_watches_is_checked_for_each(tmp_path: Path):
    # The checks of modes, zones and destinations are remembered across entries (a config file
    # repeats a few of each): a bad one is still reported for every entry that has it, and a
    # good one gives every entry the same canonical form.
    bad = (
        '[[watches]]\nquery = "a"\nto = "slak:x"\nmode = "weekly"\ntz = "Europe/Pariss"\n'
        '[[watches]]\nquery = "b"\nmode = "daily 08:00 Asia/Tokyo"\ntz = "Europe/Paris"\n'
    )
    expected = [
        "watches[0].to: unknown destination 'slak:x': use one of console, jsonl:PATH, "
        "webhook:URL, slack:CHANNEL, discord:CHANNEL_ID",
        "watches[0].mode: unknown digest 'weekly': use hourly, daily HH:MM or weekly DAY HH:MM, "
        "optionally followed by Area/City",
        "watches[0].tz: unknown time zone 'Europe/Pariss': use an IANA name such as "
        "Europe/Paris or UTC",
        "watches[1]: mode names the time zone Asia/Tokyo but tz says Europe/Paris: keep one of "
        "them",
    ]
    expected += [p.replace("[0]", "[2]").replace("[1]", "[3]") for p in expected]
    for _ in range(2):  # the second load finds the first one's checks remembered
        assert _problems(tmp_path, bad * 2).splitlines() == expected
    good = '[[watches]]\nquery = "a"\nmode = "Daily  8:00 Asia/Tokyo"\nto = "Slack:#news"\n'
    for _ in range(2):
        settings = _load(tmp_path, good * 3)
        assert {(w.mode, w.tz, w.to) for w in settings.watches} == {
            ("daily 08:00", "Asia/Tokyo", "slack:#news")
        }


def test_a_time_zone_written_in_the_mode_becomes_the_watch_zone(tmp_path: Path):
    settings = _load(tmp_path, '[[watches]]\nquery = "a"\nmode = "daily 08:00 Asia/Tokyo"\n')
    (watch,) = settings.watches
    assert (watch.mode, watch.tz) == ("daily 08:00", "Asia/Tokyo")


def test_a_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path):
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / "a.toml").write_text('[database]\nurl = "sqlite+aiosqlite:///state/ww.db"\n')
    (folder / "b.toml").write_text("")
    (folder / "c.toml").write_text('[database]\nurl = "sqlite+aiosqlite:///../up.db"\n')
    absolute = f"sqlite+aiosqlite:///{tmp_path}/abs.db"
    (folder / "d.toml").write_text(f'[database]\nurl = "{absolute}"\n')
    urls = [load_settings(folder / f"{n}.toml", env={}).database.url for n in "abcd"]
    assert urls == [
        f"sqlite+aiosqlite:///{folder}/state/ww.db",
        f"sqlite+aiosqlite:///{folder}/data/wirewatch.db",
        f"sqlite+aiosqlite:///{tmp_path}/up.db",
        absolute,
    ]
    env = {"WIREWATCH_DATABASE_URL": "sqlite+aiosqlite:///here.db"}
    assert load_settings(folder / "a.toml", env=env).database.url == "sqlite+aiosqlite:///here.db"


def test_the_default_config_keeps_its_database_in_the_data_folder_beside_config():
    settings = load_settings(DEFAULT_CONFIG, env={})
    expected = DEFAULT_CONFIG.parent.parent / "data" / "wirewatch.db"
    assert settings.database.url == f"sqlite+aiosqlite:///{expected}"
    assert settings.config_file == DEFAULT_CONFIG


def test_an_unusable_database_url_fails_at_load(tmp_path: Path):
    problems = _problems(tmp_path, '[database]\nurl = "mysql://u@h/db"\n')
    assert "database.url: unsupported database driver 'mysql'" in problems


def test_interval_bounds_are_checked(tmp_path: Path):
    problems = _problems(tmp_path, '[poll]\nmin_interval = "2h"\nmax_interval = "1h"\n')
    assert "poll: min_interval (2h) is longer than max_interval (1h): swap them" in problems
    assert "poll.interval: Input should be greater than or equal to 1" in _problems(
        tmp_path, '[poll]\ninterval = "0s"\n'
    )


@pytest.mark.parametrize(
    ("url", "kind", "message"),
    [
        ("notaurl", "rss", "'notaurl' is not a URL: give the full address with http://"),
        ("file:///etc/passwd", "rss", "only http:// and https:// URLs can be polled, not file:"),
        ("javascript:alert(1)", "rss", "only http:// and https:// URLs can be polled"),
        ("https://x.example/f", "atom", "unknown source kind 'atom'; known kinds: gdelt"),
    ],
)
def test_a_source_in_the_file_gets_the_same_check_as_everywhere(tmp_path, url, kind, message):
    text = f'[[sources]]\nname = "S"\nurl = "{url}"\nkind = "{kind}"\n'
    assert f"sources[0]: source 'S': {message}" in _problems(tmp_path, text)


def test_a_bare_domain_source_becomes_https(tmp_path: Path):
    settings = _load(tmp_path, '[[sources]]\nname = "S"\nurl = "news.example/rss"\n')
    assert settings.sources[0].url == "https://news.example/rss"


def test_a_lower_case_or_in_a_config_watch_is_refused_with_its_column(tmp_path: Path):
    problems = _problems(tmp_path, '[[watches]]\nquery = "election or vote"\n')
    assert 'watches[0].query: lower-case "or" between words: write OR' in problems
    assert "at column 10" in problems


def test_intervals_under_min_interval_are_honoured_with_a_warning():
    settings = settings_from_dict(
        {
            "poll": {"interval": "30s", "min_interval": "1m"},
            "sources": [
                {"name": "Fast", "url": "https://f.example/rss", "interval": "20s"},
                {"name": "Calm", "url": "https://c.example/rss", "interval": "10m"},
            ],
        },
        env={},
    )
    assert settings.poll.interval == 30 and settings.sources[0].interval == 20
    warnings = interval_warnings(settings)
    assert len(warnings) == 2
    assert warnings[0].startswith("[poll] interval = 30s is under min_interval (1m): honoured")
    assert warnings[1].startswith("sources[0] (Fast) interval = 20s is under [poll] min_interval")


def test_a_weekly_digest_in_the_file(tmp_path: Path):
    settings = _load(
        tmp_path, '[[watches]]\nquery = "a"\nmode = "weekly Monday 8:00 Europe/Paris"\n'
    )
    (watch,) = settings.watches
    assert (watch.mode, watch.tz) == ("weekly mon 08:00", "Europe/Paris")
    assert "watches[0].mode: unknown day 'someday'" in _problems(
        tmp_path, '[[watches]]\nquery = "a"\nmode = "weekly someday 08:00"\n'
    )


def test_config_watches_share_their_destination_mode_and_zone_strings(tmp_path: Path):
    # The settings hold every [[watches]] entry while the bot runs: 100,000 of them naming one
    # destination must not hold 100,000 copies of it.
    entries = "".join(
        f'[[watches]]\nquery = "rule{n}"\nto = "jsonl:alerts.jsonl"\nmode = "hourly"\n'
        f'tz = "Europe/Paris"\n\n'
        for n in range(3)
    )
    config = tmp_path / "wirewatch.toml"
    config.write_text(entries, encoding="utf-8")
    first, *others = load_settings(config, env={}).watches
    for entry in others:
        assert entry.to is first.to and entry.mode is first.mode and entry.tz is first.tz
