"""Slack-style command text: channel mentions, digest clauses, `since` periods."""

import pytest

from bot.commands.text import parse_since, parse_watch_add, split_subcommand
from bot.core.digest import DigestModeError, parse_digest_mode


def test_watch_add_with_channel_and_digest():
    parsed = parse_watch_add(
        "Algeria AND readmission <#C0123|maghreb-desk> digest daily 08:00 Europe/Paris"
    )
    assert parsed.query == "Algeria AND readmission"
    assert parsed.channel == "C0123"
    assert parsed.digest == "daily 08:00 Europe/Paris"


def test_watch_add_plain_rule_keeps_quotes_and_words():
    parsed = parse_watch_add('"digest hourly" OR Algeria')
    assert parsed == type(parsed)(query='"digest hourly" OR Algeria', channel=None, digest=None)


def test_split_and_since():
    assert split_subcommand("  ADD a b ") == ("add", "a b")
    assert parse_since("Algeria since 24h") == ("Algeria", "24h")
    assert parse_since("since when") == ("since when", None)


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
    parsed = parse_watch_add("Algeria <#C0123|desk> digest weekly mon 08:00 Europe/Paris")
    assert (parsed.query, parsed.channel, parsed.digest) == (
        "Algeria",
        "C0123",
        "weekly mon 08:00 Europe/Paris",
    )


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
