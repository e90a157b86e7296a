"""Questions in Hinglish and Hindi read as English, and answers that stay on what was asked."""

from __future__ import annotations

import re

import pytest

from app.rag.answer import answer_question
from app.rag.language import (
    ENGLISH,
    HINDI,
    HINGLISH,
    detect_language,
    is_yes_no,
    normalise_text,
    to_english,
)
from app.rag.query import FIGURE_SHAPES, correct_typo
from tests.test_retrieval import brochure


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is the price of the 3 BHK?", ENGLISH),
        ("Is there a door to the terrace, or a lift to the roof?", ENGLISH),
        ("3 BHK ka carpet area kitna hai?", HINGLISH),
        ("possession kab milega", HINGLISH),
        ("Tower B ke paas metro", HINGLISH),  # two weak markers ("ke", "paas")
        ("कब्ज़ा कब मिलेगा?", HINDI),
        ("3 BHK का carpet area कितना है?", HINDI),
    ],
)
def test_the_language_of_a_question_is_recognised(text, language):
    assert detect_language(text) == language


def test_an_english_question_is_left_exactly_as_typed():
    question = "Is there a door lock on the main door, and how far is the metro?"
    assert to_english(question) == question


@pytest.mark.parametrize(
    ("question", "english"),
    [
        # The question word goes to the front with the words it asks about.
        ("3 BHK ka carpet area kitna hai?", "how much carpet area 3 BHK of?"),
        ("Booking pe kitna pay karna hoga?", "how much pay Booking on?"),
        ("Metro station kitna door hai?", "how far Metro station?"),
        ("Possession kab tak milega?", "when Possession available?"),
        ("Tower C mein kaunse units hain?", "which units Tower C in?"),
        # Each sentence on its own.
        ("Flats mein AC milega kya? Kaunsa system hai?", "Flats in AC available? which system?"),
        # Devanagari, loanwords included.
        ("रेरा नंबर क्या है?", "what is rera number?"),
        ("3 BHK का कारपेट एरिया कितना है?", "how much carpet area 3 BHK of?"),
        ("एयरपोर्ट कितनी दूर है?", "how far airport?"),
    ],
)
def test_hinglish_and_hindi_questions_read_as_english(question, english):
    assert to_english(question) == english


def test_a_nukta_letter_matches_however_it_was_typed():
    rest = " \u0915\u092c \u092e\u093f\u0932\u0947\u0917\u093e?"
    precomposed = "\u0915\u092c\u094d\u095b\u093e" + rest  # ज़ as one code point
    decomposed = "\u0915\u092c\u094d\u091c\u093c\u093e" + rest  # ज and the nukta sign
    assert to_english(precomposed) == to_english(decomposed) == "when possession available?"


def test_devanagari_digits_become_ascii_and_unknown_hindi_words_are_left_out():
    assert normalise_text("२०२९") == "2029"
    # "वृंदावन" (a name the tables do not know) cannot match an English brochure.
    assert to_english("वृंदावन में २०२९ तक कब्ज़ा मिलेगा?") == "in 2029 possession available?"


@pytest.fixture
def tower_brochure(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Neem Heights",
        {
            1: "NEEM HEIGHTS\nSector 977, Gurugram\nHRERA Registration No. RC/REP/HARERA/GGM/977/2026/11",
            2: "POSSESSION\nPossession: March 2030",
            3: "UNIT PLANS\n3 BHK Residence\nCarpet Area: 1,875 sq ft",
            4: "CONNECTIVITY\nIGI International Airport by road: 24 km (35 mins)\nMetro: 6 km (12 mins)",
            5: "AMENITIES\nA clubhouse with a gym and a rooftop pool",
        },
    )


@pytest.mark.parametrize(
    ("english", "hinglish", "hindi", "expected"),
    [
        ("What is the RERA number?", "RERA number kya hai?", "रेरा नंबर क्या है?", "HARERA/GGM/977/2026/11"),
        ("When is possession?", "Possession kab tak milega?", "कब्ज़ा कब मिलेगा?", "March 2030"),
        (
            "What is the carpet area of the 3 BHK?",
            "3 BHK ka carpet area kitna hai?",
            "3 BHK का कारपेट एरिया कितना है?",
            "1,875 sq ft",
        ),
        ("How far is the airport?", "Airport kitna door hai?", "एयरपोर्ट कितनी दूर है?", "24 km"),
    ],
)
def test_the_same_question_in_three_languages_gets_the_same_cited_answer(
    tower_brochure, english, hinglish, hindi, expected
):
    answers = [answer_question(q, project=tower_brochure) for q in (english, hinglish, hindi)]
    for answer in answers:
        assert answer.answered, answer.answer
        assert expected in answer.answer
        assert answer.citations
    assert {a.answer for a in answers} == {answers[0].answer}


@pytest.mark.parametrize("question", ["Helipad milega kya?", "हेलीपैड है क्या?", "Golf course kitna door hai?"])
def test_hinglish_and_hindi_questions_the_brochure_cannot_answer_are_refused(tower_brochure, question):
    answer = answer_question(question, project=tower_brochure)
    assert answer.answered is False
    assert "not in the brochures" in answer.answer


def test_a_place_the_brochure_does_not_mention_is_not_answered_with_another_place(tower_brochure):
    asked = answer_question("How far is Jewar International Airport by road?", project=tower_brochure)
    assert asked.answered is False, asked.answer
    known = answer_question("How far is IGI International Airport by road?", project=tower_brochure)
    assert known.answered and "24 km" in known.answer


@pytest.mark.parametrize(
    ("line", "is_price"),
    [
        ("Particulars: Total Residences | 668", False),  # "rs" inside "Particulars"
        ("Basic Sale Price: Rs18,500 per sq ft", True),
        ("BSP ₹ 5 Cr onwards", True),
        ("Booking amount 5lakh", True),
        ("INR 2 crores", True),
    ],
)
def test_a_price_needs_a_money_word_not_letters_inside_another_word(line, is_price):
    assert bool(re.search(FIGURE_SHAPES["price"], line, re.I)) is is_price


def test_a_typo_is_corrected_the_same_way_whatever_the_vocabulary_order():
    words = ["covers", "towers", "hovers", "been", "tree"]
    for vocabulary in (frozenset(words), frozenset(reversed(words))):
        assert correct_typo("tovers", vocabulary) == "towers"  # one edit; same first letter wins
        # "been" and "tree" are two edits away: too far for a five-letter word.
        assert correct_typo("green", vocabulary) is None


@pytest.mark.parametrize(
    ("question", "yes_no"),
    [
        ("Is there a gym?", True),
        ("Does the tower have a service lift?", True),
        ("Gym milega kya?", True),
        ("Kya gym hai?", True),
        ("क्या जिम है?", True),
        ("What is the price?", False),
        ("RERA number kya hai?", False),  # "kya hai" asks what
        ("Gym kitna bada hai kya?", False),  # "kitna" asks how much
    ],
)
def test_a_yes_or_no_question_is_recognised_in_each_language(question, yes_no):
    assert is_yes_no(question) is yes_no


@pytest.mark.parametrize("question", ["Is there a clubhouse?", "Clubhouse milega kya?", "क्या क्लबहाउस है?"])
def test_a_yes_or_no_question_is_answered_with_the_brochures_line_quoted(tower_brochure, question):
    answer = answer_question(question, project=tower_brochure)
    assert answer.answered, answer.answer
    assert answer.answer.startswith("The brochure says: ")
    assert "clubhouse with a gym" in answer.answer and answer.citations[0].page == 5


@pytest.mark.parametrize("question", ["Tell me about {name}", "{name} ke baare mein batao", "{name}?"])
def test_asking_about_a_project_as_a_whole_gives_its_key_facts_each_with_its_page(tower_brochure, question):
    answer = answer_question(question.format(name=tower_brochure), project=tower_brochure)
    assert answer.answered, answer.answer
    assert answer.answer.startswith("Key facts from the brochure:")
    assert "• RERA: RC/REP/HARERA/GGM/977/2026/11 (p.1)" in answer.answer
    assert "• Possession: March 2030 (p.2)" in answer.answer
    assert {1, 2} <= {c.page for c in answer.citations}
