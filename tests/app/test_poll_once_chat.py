"""Issue #18 point 4: `wirewatch poll --once` delivers to Discord (and Slack) over REST alone.

Before, every Discord delivery of `poll --once` raised `AttributeError: '_MissingSentinel'
object has no attribute 'is_set'` (the client was never logged in) and the alerts waited for
`run`. Now the adapters log in to the REST API only: no gateway session, no command sync.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.bot_process import bot_env, wirewatch
from tests.app.harness import story
from tests.fakes.discord_api import CHANNEL_ID, FakeDiscord
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

pytestmark = pytest.mark.slow


def config_for(tmp_path: Path, feed: str, discord_api: str, slack_api: str) -> Path:
    config = tmp_path / "c.toml"
    config.write_text(f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path}/ww.db"
[poll]
backfill = 5
[fetch]
allow_hosts = ["127.0.0.1"]
[discord]
enabled = true
api_url = "{discord_api}"
[slack]
enabled = true
api_url = "{slack_api}"
[[sources]]
name = "Wire"
url = "{feed}"
[[watches]]
query = "readmission"
to = "discord:{CHANNEL_ID}"
[[watches]]
query = "readmission"
to = "slack:C0123ABCD"
""")
    return config


async def test_poll_once_delivers_to_discord_and_slack_without_a_gateway(tmp_path):
    async with FeedServer() as feeds, FakeDiscord() as discord_api, FakeSlack() as slack:
        feeds.set_feed("/wire.xml", rss_feed([story(1, "Readmission accord signed")]))
        config = config_for(tmp_path, feeds.url("/wire.xml"), discord_api.api_url, slack.api_url)
        env = bot_env(DISCORD_BOT_TOKEN=discord_api.token, SLACK_BOT_TOKEN=BOT_TOKEN)
        code, out, err = await wirewatch(config, "poll", "--once", env=env)
        assert code == 0, err[-3000:]
        assert "1 new items, 2 messages sent, 0 failed" in out, out + err[-2000:]
        assert "AttributeError" not in err
        (post,) = discord_api.posts(CHANNEL_ID)
        assert post.body["embeds"][0]["title"] == "Readmission accord signed"
        assert discord_api.identify is None  # no gateway session was opened
        assert not discord_api.calls("PUT /applications/{app}/commands")  # nor commands synced
        (message,) = slack.messages("C0123ABCD")
        assert "Readmission accord signed" in message["text"]


async def test_a_refused_token_is_one_line_and_the_alert_waits(tmp_path):
    async with FeedServer() as feeds, FakeDiscord() as discord_api, FakeSlack() as slack:
        feeds.set_feed("/wire.xml", rss_feed([story(1, "Readmission accord signed")]))
        config = config_for(tmp_path, feeds.url("/wire.xml"), discord_api.api_url, slack.api_url)
        env = bot_env(DISCORD_BOT_TOKEN="wrong", SLACK_BOT_TOKEN=BOT_TOKEN)
        code, out, err = await wirewatch(config, "poll", "--once", env=env)
        assert code == 1
        assert "Discord refused the bot token (401)" in err and "Traceback" not in err
        assert "2 messages sent" not in out and "1 messages sent" in out
        assert not discord_api.posts() and len(slack.messages("C0123ABCD")) == 1
