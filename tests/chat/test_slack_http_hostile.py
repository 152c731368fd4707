"""Issue #18 point 6: in HTTP mode a correctly signed but malformed request gets a 4xx or a
proper ack, never a 5xx, and the app keeps serving.

Signed bodies that are not what Slack sends: JSON that does not parse (as an Events API body and
as a form's `payload`), JSON of the wrong shape, and a `block_actions` payload without
`response_url` (which Bolt cannot `respond` to).
"""

# ruff: noqa: F811  (the `rig` fixture of test_slack_app is imported, and used as a parameter)
from __future__ import annotations

import asyncio
import json
import logging
import re
from urllib.parse import urlencode

import pytest

from tests.chat.test_slack_app import CHANNEL, USER, Rig, rig  # noqa: F401 (fixture)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


async def still_serving(rig: Rig) -> None:
    answer = await rig.command("/watch", "add Algeria AND readmission")
    assert "Algeria AND readmission" in json.dumps(answer)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"type": "event_callback", "event": {', JSON),
        ("not json at all", JSON),
        ("[1, 2, 3]", JSON),
        ('"just a string"', JSON),
        ("null", JSON),
        (urlencode({"payload": "{broken"}), FORM),
        (urlencode({"payload": "[]"}), FORM),
        (urlencode({"payload": json.dumps({"type": "block_actions", "actions": "x"})}), FORM),
        ("", JSON),
    ],
)
async def test_a_signed_malformed_body_is_a_4xx_and_the_app_keeps_serving(
    rig: Rig, body: str, content_type: str
) -> None:
    status, text = await rig.post(body, content_type)
    assert status == 400, (status, text)
    assert "Traceback" not in text and json.loads(text)["error"]
    await still_serving(rig)


async def test_a_button_without_response_url_is_acked_and_answered_privately(
    rig: Rig, caplog
) -> None:
    caplog.set_level(logging.ERROR)
    created = await rig.command("/watch", "add Algeria AND readmission")
    watch_id = re.search(r"#(\d+)", json.dumps(created)).group(1)  # type: ignore[union-attr]
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "username": "ana"},
        "api_app_id": "A1",
        "team": {"id": "T0000FAKE"},
        "channel": {"id": CHANNEL, "name": "desk"},
        "trigger_id": "1.2.3",
        "actions": [{"action_id": "watch_pause", "value": watch_id, "type": "button"}],
    }
    status, text = await rig.post(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200, text
    await rig.fake.wait_until(lambda: bool(rig.fake.ephemerals))
    (answer,) = rig.fake.ephemerals
    assert answer["user"] == USER and answer["channel"] == CHANNEL
    assert "paused" in answer["text"].lower()
    watch = await rig.store.get_watch(int(watch_id))
    assert watch is not None and watch.paused
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await still_serving(rig)


async def test_share_without_response_url_posts_in_the_channel(rig: Rig) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "username": "ana"},
        "channel": {"id": CHANNEL, "name": "desk"},
        "actions": [{"action_id": "news_share", "value": "Algeria", "type": "button"}],
    }
    status, text = await rig.post(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200, text
    await rig.fake.wait_until(lambda: bool(rig.fake.messages(CHANNEL)))
    (shared,) = rig.fake.messages(CHANNEL)
    assert "Shared by user ana" in json.dumps(shared["blocks"])


async def test_a_dead_response_url_is_logged_not_raised(rig: Rig, caplog) -> None:
    caplog.set_level(logging.WARNING)
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "username": "ana"},
        "channel": {"id": CHANNEL, "name": "desk"},
        "response_url": "http://127.0.0.1:9/gone",
        "actions": [{"action_id": "watch_pause", "value": "999", "type": "button"}],
    }
    status, text = await rig.post(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200, text
    await still_serving(rig)
    for _ in range(100):  # the click is answered in the background, after its ack
        if any("could not answer" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert any("could not answer" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
