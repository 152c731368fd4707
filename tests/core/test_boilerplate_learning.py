"""Per-source boilerplate: learned from what a source repeats, taken out, kept for content:."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from bot.core.boilerplate_learning import (
    GENERIC_UNTIL,
    HALF_LIFE_ITEMS,
    MAX_SHAPES,
    SourceBoilerplate,
    shape_of,
)
from bot.core.cleaning import html_to_text
from bot.core.item import Item

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
# Distinct words for distinct items: lines that differ only in their numbers are one template.
PLACES = [
    "Lisbon", "Oslo", "Quito", "Hanoi", "Dakar", "Lima", "Perth", "Cork", "Riga", "Tunis",
    "Accra", "Bergen", "Cusco", "Delft", "Essen", "Faro", "Gdansk", "Hue", "Izmir", "Jaipur",
]  # fmt: skip


def feed_items(name: str) -> list[Item]:
    """The items of a fixture feed as a source delivers them (plain text fields)."""
    parsed = feedparser.parse(io.BytesIO((FEEDS / name).read_bytes()))
    out = []
    for entry in parsed.entries:
        content = entry.get("content", [{}])[0].get("value", "")
        out.append(
            Item(
                title=html_to_text(entry.title),
                summary=html_to_text(entry.get("summary", "")),
                content=html_to_text(content),
                url=entry.link,
                lang="en",
            )
        )
    return out


def learned_from(items: list[Item]) -> SourceBoilerplate:
    learner = SourceBoilerplate()
    learner.observe(items)
    return learner


def test_hacker_news_lines_are_all_boilerplate() -> None:
    items = feed_items("hacker-news.rss")
    learner = learned_from(items)
    for item in items:
        cleaned = learner.clean(item)
        assert cleaned.summary == ""
        assert cleaned.boilerplate.startswith("Article URL: https://")
        assert "Points: " in cleaned.boilerplate and "# Comments: " in cleaned.boilerplate


def test_a_cms_view_counter_and_page_controls_go_and_the_news_stays() -> None:
    items = feed_items("cms-views-zoom.rss")
    assert items[0].summary.startswith("Total Views : 10 Zoom In Zoom Out Read Later Print\n")
    learner = learned_from(items)
    for item in items:
        cleaned = learner.clean(item)
        assert "Total Views" not in cleaned.summary and "Zoom" not in cleaned.summary
        assert cleaned.summary == item.summary.split("\n", 1)[1]


def test_the_wordpress_credit_naming_each_title_is_one_shape() -> None:
    items = feed_items("wordpress-credit.rss")
    learner = learned_from(items)
    for item in items:
        cleaned = learner.clean(item)
        assert "appeared first on" not in cleaned.summary + cleaned.content
        assert "[…]" not in cleaned.summary
        assert cleaned.content.count("\n") == 1  # the two paragraphs of news stay
        assert f"The post {item.title} appeared first on Greenfield Blog." in cleaned.boilerplate


def test_a_trailer_sentence_inside_a_news_line_is_taken_out() -> None:
    trailer = "Media contact: desk@press.example."
    items = [
        Item(f"Release {n}", summary=f"A company opened a plant in {place}. {trailer}")
        for n, place in enumerate(PLACES[:6])
    ]
    cleaned = learned_from(items).clean(items[2])
    assert cleaned.summary == "A company opened a plant in Quito."
    assert cleaned.boilerplate == trailer


def test_news_that_is_not_repeated_is_never_taken_out() -> None:
    items = feed_items("cms-views-zoom.rss")
    learner = learned_from(items)
    news = [line for item in items for line in item.summary.split("\n")[1:]]
    kept = [learner.clean(item).summary for item in items]
    assert all(any(line in summary for summary in kept) for line in news)


def test_a_line_in_few_items_is_not_boilerplate() -> None:
    items = [Item(f"Story {n}", summary=f"News from {p} today.") for n, p in enumerate(PLACES)]
    items[3] = replace(items[3], summary="Photo: Reuters\n" + items[3].summary)
    items[9] = replace(items[9], summary="Photo: Reuters\n" + items[9].summary)
    items[15] = replace(items[15], summary="Photo: Reuters\n" + items[15].summary)
    learner = learned_from(items)  # 3 of 20 items: fewer than MIN_SHARE of them
    assert learner.clean(items[3]).summary.startswith("Photo: Reuters")


def test_the_generic_list_covers_a_new_source_and_then_stops() -> None:
    first = Item("Storm hits the coast", summary="Winds of 120 km/h.\nShare on Facebook")
    new_source = SourceBoilerplate()
    new_source.observe([first])
    assert new_source.generic
    cleaned = new_source.clean(first)
    assert (cleaned.summary, cleaned.boilerplate) == ("Winds of 120 km/h.", "Share on Facebook")
    seasoned = learned_from(
        [Item(f"S{n}", summary=f"News from {p}.") for n, p in enumerate(PLACES[:GENERIC_UNTIL])]
    )
    assert not seasoned.generic
    assert seasoned.clean(first).summary == first.summary  # not a habit of this source


def test_numbers_urls_and_the_title_do_not_change_a_shape() -> None:
    assert shape_of("Points: 12") == shape_of("Points: 1,204") == "points 0"
    assert shape_of("# Comments: 3rd") == "comments 0"
    assert shape_of("Article URL: https://a.example/x") == shape_of("Article URL: http://b.test/")
    one = shape_of("The post Storm hits the coast appeared first on Blog.", "storm hits the coast")
    two = shape_of("The post Port reopens today appeared first on Blog.", "port reopens today")
    assert one == two
    assert shape_of("…") == "" and shape_of("x " * 300) == ""


def test_lines_differing_only_in_their_numbers_are_one_template() -> None:
    items = [Item(f"Quake {n}", summary=f"Depth: {n}.{n} km") for n in range(1, 9)]
    assert learned_from(items).clean(items[0]).boilerplate == "Depth: 1.1 km"


def test_state_round_trips_and_bad_state_starts_afresh() -> None:
    learner = learned_from(feed_items("hacker-news.rss"))
    again = SourceBoilerplate.from_state(learner.to_state())
    assert again == learner and again.learned == learner.learned
    for bad in (None, "", "not json", "[]", '{"v": 99, "items": 1, "counts": {}}', '{"v": 1}'):
        assert SourceBoilerplate.from_state(bad) == SourceBoilerplate()


def test_the_state_stays_small_whatever_a_source_publishes() -> None:
    def word(n: int) -> str:  # a distinct word of letters for each number
        return "".join(chr(ord("a") + int(d)) for d in str(n))

    learner = SourceBoilerplate()
    for batch in range(30):  # 3,000 items, each with its own lines
        learner.observe(
            [
                Item("t", summary=f"Unique {word(batch * 100 + n)}.\nOther {word(n)}{word(batch)}")
                for n in range(100)
            ]
        )
    assert len(learner.counts) <= MAX_SHAPES
    assert len(learner.to_state()) < 16_000
    assert learner.items < 2 * HALF_LIFE_ITEMS


def test_a_source_that_changes_its_template_is_relearned() -> None:
    old = [
        Item(f"a{n}", summary=f"News from {PLACES[n % 20]}{PLACES[n // 20 % 20]}.\nOld footer")
        for n in range(3 * HALF_LIFE_ITEMS)
    ]
    learner = learned_from(old)
    assert learner.clean(old[0]).boilerplate == "Old footer"
    new = [
        Item(f"b{n}", summary=f"Item from {PLACES[n % 20]}{PLACES[n // 20 % 20]}.\nNew footer")
        for n in range(3 * HALF_LIFE_ITEMS)
    ]
    learner.observe(new)
    assert learner.clean(old[0]).boilerplate == ""
    assert learner.clean(new[0]).boilerplate == "New footer"


@pytest.mark.parametrize("field", ["summary", "content"])
def test_each_removed_piece_is_kept_once(field: str) -> None:
    items = [
        Item(f"t{n}", **{field: f"A fact from {p}.\nSubscribe now\nSubscribe now"})  # type: ignore[arg-type]
        for n, p in enumerate(PLACES[:5])
    ]
    cleaned = learned_from(items).clean(items[0])
    assert cleaned.boilerplate == "Subscribe now"
    assert getattr(cleaned, field) == "A fact from Lisbon."
