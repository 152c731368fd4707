"""The sample-news file: loaded from the package, and a malformed one is explained."""

from __future__ import annotations

import pytest

from bot.demo.catalogue import CatalogueError, load_catalogue, parse_catalogue

OUTLET = {"slug": "w", "name": "W", "lang": "en", "format": "rss", "description": "d"}
STORY = {
    "outlet": "w",
    "phase": 1,
    "minutes_ago": 5,
    "slug": "s",
    "title": "T",
    "summary": "Some  text\n here.",
}


def test_the_bundled_catalogue_has_a_baseline_and_new_stories_for_every_outlet():
    catalogue = load_catalogue()
    assert len(catalogue.outlets) == 5
    for outlet in catalogue.outlets:
        assert len(catalogue.stories_of(outlet.slug, 1)) >= 5
        assert len(catalogue.stories_of(outlet.slug, 2)) > len(catalogue.stories_of(outlet.slug, 1))
    event = [s for s in catalogue.stories if s.event == "france-algeria-security"]
    assert len({s.outlet for s in event}) == 4 and {s.phase for s in event} == {2}


def test_stories_are_listed_newest_first_and_whitespace_is_normalised():
    catalogue = parse_catalogue(
        {"outlets": [OUTLET], "stories": [STORY, {**STORY, "slug": "t", "minutes_ago": 1}]}
    )
    assert [s.slug for s in catalogue.stories_of("w", 1)] == ["t", "s"]
    assert catalogue.stories[0].summary == "Some text here."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "no [[outlets]]"),
        ({"outlets": [{**OUTLET, "format": "json"}]}, "outlets[0]: format must be 'rss' or 'atom'"),
        ({"outlets": [OUTLET, OUTLET]}, "share a slug"),
        (
            {"outlets": [OUTLET], "stories": [{**STORY, "outlet": "x"}]},
            "stories[0]: unknown outlet",
        ),
        ({"outlets": [OUTLET], "stories": [{**STORY, "phase": 3}]}, "phase must be 1 or 2"),
        ({"outlets": [OUTLET], "stories": [{**STORY, "minutes_ago": -1}]}, "minutes_ago"),
        ({"outlets": [OUTLET], "stories": [{**STORY, "title": " "}]}, "'title' must be"),
        ({"outlets": [OUTLET], "stories": [{**STORY, "tags": "x"}]}, "tags must be a list"),
        ({"outlets": [OUTLET], "stories": [STORY, STORY]}, "share a slug"),
    ],
)
def test_a_malformed_catalogue_names_the_entry_and_the_problem(data, message):
    with pytest.raises(CatalogueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_catalogue(data)
