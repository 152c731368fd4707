"""The JSONL output: the documented record shape, and never a delivery written twice."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.alert_json import alert_to_json, alert_to_line
from bot.chat.jsonl import JsonlNotifier
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import Notifier, PermanentDeliveryError

PUBLISHED = datetime(2026, 11, 23, 19, 48, tzinfo=UTC)


def alert(
    delivery_id: int,
    title: str = "France and Algeria resume security cooperation",
    kind: str = "alert",
    **fields,
) -> Alert:
    item = Item(
        title=title,
        summary="Feed summary.",
        content="<p>Full article text</p>",
        url="https://wire.example/fa",
        source="Wire Service",
        author="Sami Benali",
        lang="en",
        published=PUBLISHED,
        tags=("France", "Algeria"),
        guid="g1",
    )
    story = Story(
        item,
        Marked("Algeria agreed to the readmission of nationals.", ((0, 7), (22, 33))),
        ("algeria", "readmission"),
        item_id=7,
    )
    return Alert(
        delivery_id,
        kind,
        WatchRef(12, "Algeria AND readmission", "jsonl:out.jsonl"),
        (story,),
        **fields,
    )  # type: ignore[arg-type]


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_jsonl_notifier_satisfies_the_notifier_protocol():
    assert isinstance(JsonlNotifier(), Notifier)
    assert JsonlNotifier.scheme == "jsonl"


async def test_an_alert_is_one_line_with_the_documented_fields(tmp_path):
    path = tmp_path / "alerts.jsonl"
    ref = await JsonlNotifier().send(str(path), alert(41))
    assert ref == "41"
    [record] = records(path)
    assert record["type"] == "alert"
    assert record["delivery_id"] == 41
    assert record["watch"] == {
        "id": 12,
        "query": "Algeria AND readmission",
        "destination": "jsonl:out.jsonl",
    }
    assert record["item"] == {
        "title": "France and Algeria resume security cooperation",
        "url": "https://wire.example/fa",
        "source": "Wire Service",
        "author": "Sami Benali",
        "lang": "en",
        "published": "2026-11-23T19:48:00+00:00",
        "tags": ["France", "Algeria"],
        "summary": "Feed summary.",
    }
    assert record["summary"] == "Algeria agreed to the readmission of nationals."
    assert [record["summary"][s:e] for s, e in record["highlights"]] == ["Algeria", "readmission"]
    assert record["also_reported_by"] == [] and record["updates"] is None
    assert record["more"] == 0 and len(record["stories"]) == 1
    assert "content" not in json.dumps(record["item"])


async def test_update_digest_and_burst_records_carry_their_extra_fields(tmp_path):
    path = tmp_path / "alerts.jsonl"
    notifier = JsonlNotifier()
    await notifier.send(
        str(path),
        alert(42, kind="update", updates="41", also_reported_by=("Gulf Observer", "Daily Ledger")),
    )
    digest = alert(43, kind="digest")
    await notifier.send(str(path), digest)
    update, digest_record = records(path)
    assert update["type"] == "update" and update["updates"] == "41"
    assert update["also_reported_by"] == ["Gulf Observer", "Daily Ledger"]
    assert digest_record["type"] == "digest" and digest_record["more"] == 0  # all are listed
    assert digest_record == alert_to_json(digest)


async def test_the_same_delivery_is_never_written_twice_even_after_a_restart(tmp_path):
    path = tmp_path / "alerts.jsonl"
    first = JsonlNotifier()
    assert await first.send(str(path), alert(1)) == "1"
    assert await first.send(str(path), alert(1)) == "1"
    restarted = JsonlNotifier()  # a new process scans the file on first use
    assert await restarted.send(str(path), alert(1)) == "1"
    await restarted.send(str(path), alert(2))
    assert [r["delivery_id"] for r in records(path)] == [1, 2]


async def test_a_torn_last_line_from_a_crash_mid_write_is_cut_and_rewritten_whole(tmp_path):
    path = tmp_path / "alerts.jsonl"
    whole = alert_to_line(alert(1))
    torn = alert_to_line(alert(2))[:57]
    path.write_bytes(whole + torn)
    notifier = JsonlNotifier()
    await notifier.send(str(path), alert(2))  # the relay's retry of the torn delivery
    await notifier.send(str(path), alert(3))
    data = path.read_bytes()
    assert data.startswith(whole) and data.endswith(b"\n")
    assert [r["delivery_id"] for r in records(path)] == [1, 2, 3]


async def test_a_torn_line_is_repaired_even_when_its_delivery_is_not_retried(tmp_path):
    path = tmp_path / "alerts.jsonl"
    path.write_bytes(alert_to_line(alert(1)) + b'{"type":"alert","deli')
    await JsonlNotifier().send(str(path), alert(1))
    assert path.read_bytes() == alert_to_line(alert(1))


async def test_foreign_lines_are_kept_and_ignored(tmp_path):
    path = tmp_path / "alerts.jsonl"
    path.write_text('not json\n{"delivery_id": "7"}\n[1, 2]\n{"delivery_id": true}\n')
    await JsonlNotifier().send(str(path), alert(7))
    lines = path.read_text().splitlines()
    assert lines[:4] == ["not json", '{"delivery_id": "7"}', "[1, 2]", '{"delivery_id": true}']
    assert json.loads(lines[4])["delivery_id"] == 7


async def test_parent_directories_are_created_and_relative_paths_use_the_base(tmp_path):
    notifier = JsonlNotifier(tmp_path / "base")
    await notifier.send("deep/er/alerts.jsonl", alert(5))
    assert records(tmp_path / "base" / "deep" / "er" / "alerts.jsonl")[0]["delivery_id"] == 5
    assert notifier.path_for("x.jsonl") == tmp_path / "base" / "x.jsonl"


async def test_concurrent_sends_to_one_file_give_whole_unique_lines(tmp_path):
    path = tmp_path / "alerts.jsonl"
    notifier = JsonlNotifier()
    ids = list(range(1, 41)) * 2
    await asyncio.gather(*(notifier.send(str(path), alert(i, f"Story {i}")) for i in ids))
    got = [r["delivery_id"] for r in records(path)]
    assert sorted(got) == list(range(1, 41))
    assert path.read_bytes().endswith(b"\n")


async def test_hostile_text_stays_on_one_line_and_valid(tmp_path):
    path = tmp_path / "alerts.jsonl"
    title = 'Line\nbreak\u2028sep "quotes" \\ \x00 lone \ud800 surrogate'
    await JsonlNotifier().send(str(path), alert(9, title))
    lines = path.read_bytes().split(b"\n")
    assert lines[1:] == [b""]
    record = json.loads(lines[0])
    assert record["item"]["title"].startswith('Line\nbreak\u2028sep "quotes" \\ \x00 lone ')
    assert "\ud800" not in record["item"]["title"]


async def test_a_path_under_a_file_is_refused_permanently_with_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PermanentDeliveryError) as caught:
        await JsonlNotifier().send(str(blocker / "alerts.jsonl"), alert(1))
    assert str(blocker) in caught.value.message
    assert "writable file path" in caught.value.message


async def test_a_directory_as_target_is_refused_permanently(tmp_path):
    with pytest.raises(PermanentDeliveryError):
        await JsonlNotifier().send(str(tmp_path), alert(1))


async def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(PermanentDeliveryError) as caught:
        await JsonlNotifier().send(str(fifo), alert(1))
    assert "pipe.jsonl" in caught.value.message


async def test_a_read_only_directory_is_refused_permanently(tmp_path):
    if os.geteuid() == 0:
        # Root ignores file modes; sysfs refuses a new file to everyone, root included.
        with pytest.raises(PermanentDeliveryError) as caught:
            await JsonlNotifier().send("/sys/wirewatch-alerts.jsonl", alert(1))
        assert "Permission denied" in caught.value.message
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermanentDeliveryError) as caught:
            await JsonlNotifier().send(str(locked / "alerts.jsonl"), alert(1))
    finally:
        locked.chmod(0o700)
    assert "Permission denied" in caught.value.message


@pytest.mark.parametrize("target", ["", "   ", "bad\x00path"])
async def test_an_empty_or_nul_path_is_refused(target):
    with pytest.raises(PermanentDeliveryError):
        await JsonlNotifier().send(target, alert(1))
