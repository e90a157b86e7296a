"""Profile names made fit to store and to greet with."""

import pytest

from app.conversation.names import display_name, first_name


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (None, None),
        ("", None),
        (" ", None),
        ("\u00a0\u3000\t", None),
        ("\u200b", None),  # a zero-width space alone
        ("~", None),
        ("🙂🙏", None),
        ("12345", None),
        ("  Rohan   Mehta ", "Rohan Mehta"),
        ("\u200bPriya\u200d", "Priya"),
        ("Ｒｏｈａｎ", "Rohan"),  # full-width letters, as some keyboards type them
        ("Dr.", "Dr."),  # a title is still what they call themselves
    ],
)
def test_display_name_keeps_only_what_could_be_a_name(raw, stored):
    assert display_name(raw) == stored


@pytest.mark.parametrize(
    ("raw", "first"),
    [
        ("Rohan Mehta", "Rohan"),
        ("Dr. Rohan Mehta", "Rohan"),
        ("Dr.Rohan", "Rohan"),
        ("Mrs Anjali Rao", "Anjali"),
        ("Shri Ram Kumar", "Ram"),
        ("श्री रवि वर्मा", "रवि"),  # a Devanagari title, and a name ending in a vowel sign
        ("A. K. Sharma", "Sharma"),  # initials are not a name to greet by
        ("rohan", "Rohan"),
        ("NEHA GUPTA", "Neha"),
        ("McDonald", "McDonald"),
        ("O'Brien", "O'Brien"),
        ("~Neha~", "Neha"),
        ("Rohan🙂", "Rohan"),
        ("Dr.", None),
        ("Mr Mrs", None),
        ("~", None),
        ("🙂", None),
        (" ", None),
        ("x" * 40, None),  # a pasted handle, not a first name
    ],
)
def test_first_name_is_the_word_to_greet_by(raw, first):
    assert first_name(raw) == first
