"""The shared removal of invisible characters (bidi controls, zero-width, tags)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.alert import Marked
from bot.core.visible import is_invisible, strip_invisible, strip_invisible_marked, visible_url

BIDI_CONTROLS = [
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u200e",
    "\u200f",
    "\u061c",
]
OTHER_INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e", "\U000e0041", "\U000e007f"]


def test_every_bidi_control_and_other_format_character_is_removed():
    for char in BIDI_CONTROLS + OTHER_INVISIBLE:
        assert is_invisible(char), hex(ord(char))
        assert strip_invisible(f"pay{char}ment") == "payment", hex(ord(char))


def test_joiners_and_visible_format_signs_stay():
    persian = "می\u200cخواهم"  # ZWNJ is part of Persian spelling
    family = "👩\u200d👩\u200d👧"
    arabic_number_sign = "\u0600١٢"
    for text in (persian, family, arabic_number_sign, "plain ASCII", "Algérie"):
        assert strip_invisible(text) == text


def test_a_right_to_left_override_cannot_disguise_a_file_name():
    assert strip_invisible("invoice_\u202egnp.exe") == "invoice_gnp.exe"


def test_marks_move_with_the_words_they_emphasise():
    text = "\u202eAlgeria\u200b agreed on \u2066readmission\u2069."
    start = text.index("readmission")
    marked = Marked(text, ((1, 8), (start, start + len("readmission"))))
    assert [text[s:e] for s, e in marked.marks] == ["Algeria", "readmission"]
    clean = strip_invisible_marked(marked)
    assert clean.text == "Algeria agreed on readmission."
    assert [clean.text[s:e] for s, e in clean.marks] == ["Algeria", "readmission"]


def test_a_mark_made_only_of_invisible_characters_disappears():
    clean = strip_invisible_marked(Marked("a\u200b\u200bb", ((1, 3),)))
    assert clean == Marked("ab", ())


@given(st.text(alphabet=st.sampled_from("ab \u202e\u200b\u2066é")), st.data())
def test_marked_text_keeps_exactly_the_visible_characters_under_each_mark(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    clean = strip_invisible_marked(Marked(text, ((start, end),)))
    assert clean.text == strip_invisible(text)
    expected = strip_invisible(text[start:end])
    shown = [clean.text[s:e] for s, e in clean.marks if e > s]
    assert shown == ([expected] if expected else [])


def test_urls_keep_working_with_invisible_characters_percent_encoded():
    assert visible_url("https://news.example/a\u202eb") == "https://news.example/a%E2%80%AEb"
    assert visible_url("https://news.example/algérie") == "https://news.example/algérie"
