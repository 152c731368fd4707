"""Commands typed as text, parsed by the table: channel mentions, clauses, tails, aliases."""

import pytest

from bot.commands.table import command
from bot.commands.text import TextProblem, parse_arguments, split_subcommand, sub_command
from bot.core.digest import DigestModeError, parse_digest_mode

ADD = command("watch", "add")


def test_watch_add_with_channel_and_digest():
    assert parse_arguments(
        ADD, "Algeria AND readmission <#C0123|maghreb-desk> digest daily 08:00 Europe/Paris"
    ) == {
        "query": "Algeria AND readmission",
        "channel": "C0123",
        "digest": "daily 08:00 Europe/Paris",
    }


def test_watch_add_plain_rule_keeps_quotes_and_words():
    assert parse_arguments(ADD, '"digest hourly" OR Algeria') == {
        "query": '"digest hourly" OR Algeria'
    }
    # a clause is taken only at the end and only with a value of its form
    assert parse_arguments(ADD, "weekly digest of Algeria") == {"query": "weekly digest of Algeria"}


def test_split_and_since():
    news = command("news")
    assert split_subcommand("  ADD a b ") == ("add", "a b")
    assert parse_arguments(news, "Algeria since 24h") == {"query": "Algeria", "since": "24h"}
    assert parse_arguments(news, "since when") == {"query": "since when"}


def test_sub_commands_by_name_or_alias_and_a_group_that_is_one_command():
    assert sub_command("watch", "LS") == (command("watch", "list"), "ls", "")
    assert sub_command("watch", "frobnicate now") == (None, "frobnicate", "now")
    assert sub_command("news", "Algeria since 2d") == (command("news"), "", "Algeria since 2d")
    # commands of the terminal only are not commands of the chat
    assert sub_command("watch", "export x.toml")[0] is None


def test_positional_arguments_tails_and_clauses_in_any_order():
    pause = command("watch", "pause")
    assert parse_arguments(pause, "#12 until 18:00 Europe/Paris") == {
        "id": "#12",
        "until": "until 18:00 Europe/Paris",
    }
    assert parse_arguments(pause, "12") == {"id": "12"}
    add = command("sources", "add")
    assert parse_arguments(add, "https://example.org/page kind html") == {
        "url": "https://example.org/page",
        "kind": "html",
    }


def test_missing_and_unexpected_words_are_named():
    with pytest.raises(TextProblem, match="<rule> is missing"):
        parse_arguments(ADD, "<#C0123|desk> digest hourly")
    with pytest.raises(TextProblem, match="'13' was not expected"):
        parse_arguments(command("watch", "remove"), "12 13")


@pytest.mark.parametrize(
    ("text", "kind", "stored", "tz"),
    [
        (None, "immediate", "immediate", "UTC"),
        ("hourly", "hourly", "hourly", "UTC"),
        ("daily 8:05", "daily", "daily 08:05", "UTC"),
        ("daily 18:30 America/New_York", "daily", "daily 18:30", "America/New_York"),
        ("weekly mon 08:00 Europe/Paris", "weekly", "weekly mon 08:00", "Europe/Paris"),
        ("Weekly Friday 8:30", "weekly", "weekly fri 08:30", "UTC"),
        ("weekly sun 23:59 UTC", "weekly", "weekly sun 23:59", "UTC"),
    ],
)
def test_digest_modes(text, kind, stored, tz):
    mode = parse_digest_mode(text)
    assert (mode.kind, mode.text, mode.tz) == (kind, stored, tz)


@pytest.mark.parametrize(
    "text",
    [
        "weekly",
        "daily 24:00",
        "daily 08:00 Mars/Olympus",
        "daily",
        "weekly mon",
        "weekly mo 08:00",
        "weekly funday 08:00",
        "weekly mon 08:60",
        "weekly mon 08:00 Europe/Pariss",
    ],
)
def test_bad_digest_modes(text):
    with pytest.raises(DigestModeError) as caught:
        parse_digest_mode(text)
    assert "use" in str(caught.value)


def test_a_weekly_digest_clause_in_command_text():
    assert parse_arguments(ADD, "Algeria <#C0123|desk> digest weekly mon 08:00 Europe/Paris") == {
        "query": "Algeria",
        "channel": "C0123",
        "digest": "weekly mon 08:00 Europe/Paris",
    }


def test_weekly_digests_go_out_on_that_day_and_time_in_the_zone():
    from datetime import UTC, datetime

    from bot.app.scheduler import next_digest_at

    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert next_digest_at("weekly mon 08:00", "Europe/Paris", monday) == datetime(
        2026, 11, 30, 7, 0, tzinfo=UTC
    )
    assert next_digest_at("weekly mon 12:00", "UTC", monday) == datetime(
        2026, 11, 23, 12, 0, tzinfo=UTC
    )
    assert next_digest_at("weekly fri 18:30", "UTC", monday) == datetime(
        2026, 11, 27, 18, 30, tzinfo=UTC
    )
    # Summer time: Monday 8:00 in Paris is 06:00 UTC in June.
    june = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
    assert next_digest_at("weekly mon 08:00", "Europe/Paris", june) == datetime(
        2026, 6, 8, 6, 0, tzinfo=UTC
    )
