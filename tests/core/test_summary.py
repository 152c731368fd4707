"""Extractive summaries, sentence splitting and boilerplate removal."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.alert import Marked
from bot.core.boilerplate import is_boilerplate, strip_boilerplate
from bot.core.boilerplate_learning import SourceBoilerplate
from bot.core.cleaning import html_to_text
from bot.core.item import Item
from bot.core.query import parse
from bot.core.sentences import split_sentences
from bot.core.summary import ELLIPSIS, Highlighter, summarize

ALGERIA_BODY = (
    "<p>Paris and Algiers said on Tuesday they would resume security cooperation after months "
    "of diplomatic tension.</p>"
    "<p>The announcement followed a two-day visit by the French interior minister to the "
    "Algerian capital.</p>"
    "<p>Both sides praised what they called a frank and constructive dialogue.</p>"
    "<p>Officials said intelligence sharing on the Sahel would restart within weeks.</p>"
    "<p>Algeria also agreed to speed up the readmission of its nationals who have been ordered "
    "to leave France, a long-standing French demand.</p>"
)
ALGERIA = Item(
    title="France and Algeria agree to resume security cooperation",
    summary=ALGERIA_BODY,
    url="https://news.example/algeria",
)


def highlight_words(*patterns: str) -> re.Pattern[str]:
    """Build a regex marking words that start with any of `patterns` (a trailing * = prefix)."""
    parts = [re.escape(p[:-1]) + r"\w*" if p.endswith("*") else re.escape(p) for p in patterns]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def highlighter(*patterns: str) -> Highlighter:
    """Build a highlighter marking the words matched by `patterns`."""
    regex = highlight_words(*patterns)
    return lambda text: [m.span() for m in regex.finditer(text)]


def marked_words(summary: Marked) -> list[str]:
    return [summary.text[s:e] for s, e in summary.marks]


def test_france_algeria_summary_contains_the_readmission_sentence_with_marks() -> None:
    summary = summarize(ALGERIA, highlighter("Algeria", "readmission*"))
    assert "readmission of its nationals" in summary.text
    assert summary.text.startswith("Paris and Algiers said on Tuesday")
    assert marked_words(summary) == ["Algeria", "readmission"]
    assert len(summary.text) <= 330


@pytest.mark.parametrize("rule", ["Algeria AND readmission", "Algeria AND readmission*"])
def test_france_algeria_summary_with_the_real_watch_rule_highlighter(rule: str) -> None:
    query = parse(rule)
    summary = summarize(ALGERIA, lambda text: query.highlight(text, ALGERIA.lang))
    assert "readmission of its nationals" in summary.text
    assert marked_words(summary) == ["Algeria", "readmission"]


def test_without_highlighter_the_summary_is_the_lede_and_the_next_sentence() -> None:
    summary = summarize(ALGERIA)
    assert summary.text == (
        "Paris and Algiers said on Tuesday they would resume security cooperation after months "
        "of diplomatic tension. The announcement followed a two-day visit by the French interior "
        "minister to the Algerian capital."
    )
    assert summary.marks == ()


def test_matched_sentence_wins_over_the_lede_when_both_do_not_fit() -> None:
    summary = summarize(ALGERIA, highlighter("readmission*"), max_chars=160)
    assert summary.text.startswith("Algeria also agreed to speed up the readmission")
    assert "Paris and Algiers" not in summary.text


def test_max_sentences_one_keeps_only_the_best_matching_sentence() -> None:
    summary = summarize(ALGERIA, highlighter("Sahel"), max_sentences=1)
    assert (
        summary.text
        == "Officials said intelligence sharing on the Sahel would restart within weeks."
    )
    assert marked_words(summary) == ["Sahel"]


def test_headline_restated_in_the_body_is_skipped() -> None:
    item = Item(
        title="Storm Ciaran hits Brittany",
        summary="Storm Ciaran hits Brittany. Winds of 200 km/h cut power to 1.2 million homes "
        "overnight, the grid operator said.",
    )
    summary = summarize(item, highlighter("Ciaran"))
    assert summary.text.startswith("Winds of 200 km/h cut power to 1.2 million homes")
    assert "Storm Ciaran hits" not in summary.text


def test_html_heavy_wordpress_summary_of_a_new_source_is_cleaned_of_furniture() -> None:
    html = (
        '<div class="entry"><figure><img src="x.jpg"><figcaption></figcaption></figure>'
        "<p>The city council approved a &quot;green corridor&quot; plan&nbsp;on Monday, "
        "adding 40&nbsp;km of protected bike lanes by 2028.</p>"
        "<script>track('view')</script><style>p{color:red}</style>"
        "<p>Opponents said the budget of &euro;12.5m was too high [&hellip;]</p>"
        '<p><a href="https://news.example/x">Continue reading &rarr;</a></p>'
        "<p>Share this:</p><ul><li>Facebook</li><li>Twitter</li></ul>"
        "<p>Total Views: 1,204</p>"
        "<p>The post City approves green corridor appeared first on Daily Example.</p></div>"
    )
    item = Item(title="City approves green corridor", summary=html_to_text(html))
    first_item = SourceBoilerplate().clean(item)  # a new source: the generic list applies
    summary = summarize(first_item, max_sentences=3)
    assert summary.text == (
        'The city council approved a "green corridor" plan on Monday, adding 40 km of protected '
        "bike lanes by 2028. Opponents said the budget of €12.5m was too high"
    )


def test_content_is_preferred_over_the_feed_summary() -> None:
    item = Item(
        title="Port strike ends",
        summary="Short teaser. Read more",
        content="<p>Dockers in Antwerp voted to end a nine-day strike on Friday.</p>",
    )
    assert summarize(item).text == "Dockers in Antwerp voted to end a nine-day strike on Friday."


def test_empty_body_falls_back_to_the_title() -> None:
    item = Item(title="  Markets <b>rally</b> as\ninflation cools ", summary="<p> </p>")
    summary = summarize(item, highlighter("inflation"))
    assert summary.text == "Markets rally as inflation cools"
    assert marked_words(summary) == ["inflation"]


def test_body_of_only_the_restated_headline_is_kept() -> None:
    item = Item(title="Volcano erupts in Iceland", summary="Volcano erupts in Iceland.")
    assert summarize(item).text == "Volcano erupts in Iceland."


def test_very_short_item() -> None:
    assert summarize(Item(title="x", summary="Ok.")).text == "Ok."


def test_very_long_single_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    sentence = "The committee " + " ".join(f"reviewed clause {n} carefully" for n in range(200))
    summary = summarize(Item(title="Committee", summary=sentence + "."), max_chars=300)
    assert summary.text.endswith(ELLIPSIS)
    assert len(summary.text) <= 300
    body = summary.text[: -len(ELLIPSIS)]
    assert sentence.startswith(body)
    assert sentence[len(body)] == " "


def test_very_long_article_keeps_the_budget() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {n} describes the negotiations in some detail for readers.</p>"
        for n in range(1000)
    )
    item = Item(title="Talks", content=paragraphs + "<p>The ceasefire was finally signed.</p>")
    summary = summarize(item, highlighter("ceasefire"))
    assert "The ceasefire was finally signed." in summary.text
    assert len(summary.text) <= 330
    assert marked_words(summary) == ["ceasefire"]


def test_huge_article_is_read_from_its_start_only() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {n} describes the negotiations in some detail.</p>" for n in range(20000)
    )
    item = Item(title="Talks", content=paragraphs + "<p>The ceasefire was finally signed.</p>")
    summary = summarize(item, highlighter("ceasefire"))
    assert summary.text.startswith("Paragraph 0 describes the negotiations")
    assert "ceasefire" not in summary.text


def test_french_article() -> None:
    item = Item(
        title="La France et l'Algérie relancent leur coopération sécuritaire",
        summary=(
            "<p>Paris et Alger ont annoncé mardi la reprise de leur coopération en matière de "
            "sécurité, après des mois de tensions.</p><p>« C'est une étape importante ! » a "
            "déclaré M. Dupont, le ministre de l'Intérieur. Les discussions ont duré deux "
            "jours.</p><p>L'Algérie s'engage aussi à accélérer la réadmission de ses "
            "ressortissants en situation irrégulière.</p><p>Lire la suite</p>"
            "<p>L'article La France et l'Algérie est apparu en premier sur Exemple Info.</p>"
        ),
        lang="fr",
    )
    summary = summarize(item, highlighter("Algérie", "réadmission*"))
    assert summary.text == (
        "Paris et Alger ont annoncé mardi la reprise de leur coopération en matière de sécurité, "
        "après des mois de tensions. L'Algérie s'engage aussi à accélérer la réadmission de ses "
        "ressortissants en situation irrégulière."
    )
    assert marked_words(summary) == ["Algérie", "réadmission"]


def test_a_faulty_highlighter_cannot_produce_marks_outside_the_text() -> None:
    summary = summarize(ALGERIA, lambda text: [(-5, 3), (10, 5), (0, len(text) + 9), (0, 5)])
    assert summary.marks == ((0, 5),)


@given(st.text(max_size=400), st.text(max_size=800), st.integers(1, 400), st.integers(1, 4))
def test_summarize_never_crashes_and_respects_the_budget(
    title: str, body: str, max_chars: int, max_sentences: int
) -> None:
    summary = summarize(
        Item(title=title, summary=body),
        highlighter("a*"),
        max_chars=max_chars,
        max_sentences=max_sentences,
    )
    assert len(summary.text) <= max_chars * 1.1 + 1
    assert all(0 <= s < e <= len(summary.text) for s, e in summary.marks)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones at 3.5 p.m. on Monday. They talked.",
            "en",
            ["Mr. Smith met Dr. Jones at 3.5 p.m. on Monday.", "They talked."],
        ),
        (
            "The U.S. and the U.N. agreed on a $1.2 billion plan. The deal was signed in the "
            "U.S. The president hailed it.",
            "en",
            [
                "The U.S. and the U.N. agreed on a $1.2 billion plan.",
                "The deal was signed in the U.S.",
                "The president hailed it.",
            ],
        ),
        (
            '"Is it over?" she asked. "Yes." Then silence... and more.',
            "en",
            ['"Is it over?" she asked.', '"Yes."', "Then silence... and more."],
        ),
        (
            "Fruit, nuts, etc. are sold. Apples, pears etc. The end",
            "en",
            ["Fruit, nuts, etc. are sold.", "Apples, pears etc.", "The end"],
        ),
        ("John F. Kennedy spoke. Then he left.", "", ["John F. Kennedy spoke.", "Then he left."]),
        (
            "He said no. They told me. It is art. He met Gen. Ruiz at No. 10 Downing St. today.",
            "",
            [
                "He said no.",
                "They told me.",
                "It is art.",
                "He met Gen. Ruiz at No. 10 Downing St. today.",
            ],
        ),
        (
            "Me Dupont plaide. Selon Me. Martin, non.",
            "fr",
            ["Me Dupont plaide.", "Selon Me. Martin, non."],
        ),
        (
            "« Nous ne céderons pas ! » a déclaré M. Macron. Vraiment\u00a0? Oui\u00a0!",
            "fr",
            ["« Nous ne céderons pas ! » a déclaré M. Macron.", "Vraiment\u00a0?", "Oui\u00a0!"],
        ),
        (
            "Mme Martin, etc. Selon elle, le taux est de 2,5 %. « Non. » Il part.",
            "fr",
            ["Mme Martin, etc.", "Selon elle, le taux est de 2,5 %.", "« Non. »", "Il part."],
        ),
        (
            "A headline without a stop\nBody one. Body two!",
            "",
            ["A headline without a stop", "Body one.", "Body two!"],
        ),
        ("Prices rose 3.5% in Q3.The next line", "", ["Prices rose 3.5% in Q3.The next line"]),
        ("", "", []),
        ("   \n  ", "", []),
    ],
)
def test_split_sentences(text: str, lang: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text, lang)] == expected


def test_abbreviations_and_initials_far_into_a_one_line_article_still_hold() -> None:
    # The word before a period is looked for in its last 80 characters only (linear time).
    text = "Talks went on. " * 400 + "Mr. Smith met John F. Kennedy Jr. in the U.S. The talks "
    text += "ended. A word" + "x" * 100 + ". Next one."
    assert [text[s:e] for s, e in split_sentences(text, "en")][-4:] == [
        "Mr. Smith met John F. Kennedy Jr. in the U.S.",
        "The talks ended.",
        "A word" + "x" * 100 + ".",
        "Next one.",
    ]


@given(st.text(max_size=500), st.sampled_from(["", "en", "fr", "xx"]))
def test_split_sentences_spans_are_ordered_trimmed_and_cover_every_word(
    text: str, lang: str
) -> None:
    spans = split_sentences(text, lang)
    assert all(s < e for s, e in spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(text.split()) == "".join(covered.split())


@pytest.mark.parametrize(
    "line",
    [
        "Read more",
        "Read more »",
        "Continue reading →",
        "Lire la suite",
        "Total Views: 1,234",
        "The post Foo appeared first on Bar.",
        "L'article Foo est apparu en premier sur Bar.",
        "Share this:",
        "Share on Facebook",
        "Facebook Twitter WhatsApp",
        "Advertisement",
        "Photo: Jane Doe / Example Wire",
        "Crédit : Exemple Photo",
        "Sign up for our daily newsletter",
        "…",
    ],
)
def test_furniture_is_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Officials want people to read more books.",
        "Shares in Facebook fell 3% on Monday.",
        "The post office will close on Friday.",
        "Total views of the eclipse were spectacular.",
        "Photographers: the winners of this year's contest were announced on Monday.",
    ],
)
def test_news_is_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)
    assert strip_boilerplate(line) == line


def test_trailing_teaser_is_cut_but_a_sentence_mentioning_reading_is_kept() -> None:
    text = (
        "The minister spoke. Read more »\nPeople should read more books.\n"
        "He left [...] Continue reading"
    )
    assert strip_boilerplate(text) == "The minister spoke.\nPeople should read more books.\nHe left"
