"""Names written in Devanagari are read as the catalogue's English names."""

from __future__ import annotations

from app.rag.answer import answer_question
from app.rag.language import to_english
from app.rag.transliterate import NameReader, devanagari_skeleton, latin_skeleton
from tests.test_retrieval import brochure
from tests.test_sections import bound_pages


def test_both_scripts_keep_the_same_consonants():
    assert devanagari_skeleton("रेसिडेंसेज़") == latin_skeleton("Residences") == "rsdns"
    assert devanagari_skeleton("एक्सप्रेसवे") == latin_skeleton("Expressway")
    assert devanagari_skeleton("फ्लोरिंग") == latin_skeleton("flooring")
    assert devanagari_skeleton("मेपल") != latin_skeleton("Marble")
    # च is not a hard c, and a soft g is a ज
    assert devanagari_skeleton("पंचशील") == latin_skeleton("Panchsheel")
    assert devanagari_skeleton("रीजेंसी") == latin_skeleton("Regency")
    assert devanagari_skeleton("हेरिटेज") == latin_skeleton("Heritage")
    assert devanagari_skeleton("हाइट्स") == latin_skeleton("Heights")
    assert devanagari_skeleton("जॉगिंग") == latin_skeleton("jogging")


def test_a_run_of_hindi_words_is_read_as_a_known_name():
    reader = NameReader(["Maple Vista", "The Aspen Residences"], ["expressway", "marble", "mabel"])
    assert reader.read(["मेपल", "विस्टा"]) == ["Maple Vista"]
    assert reader.read(["एस्पन", "रेसिडेंसेज़"]) == ["Aspen Residences"]
    assert reader.read(["एक्सप्रेसवे"]) == ["expressway"]
    assert reader.read(["गुलमोहर"]) == [""]  # not a known name: left out, never guessed
    english = to_english("मेपल विस्टा में 3 BHK की कीमत क्या है?", reader)
    assert "Maple Vista" in english and "price" in english, english


def test_a_hindi_question_naming_a_project_in_devanagari_finds_it(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Juniper Vista",
        {1: "JUNIPER VISTA\nSector 976, Gurugram", 2: "PRICE LIST\n3 BHK: ₹ 3.10 Cr onwards"},
    )
    answer = answer_question("जुनिपर विस्टा में 3 BHK की कीमत क्या है?")
    assert answer.project == name and answer.answered and "3.10 Cr" in answer.answer, answer.answer


def test_a_hindi_question_naming_a_bound_brochure_answers_from_its_pages(app_ctx, tmp_path):
    name = brochure(tmp_path, "Alder Kit", bound_pages())
    answer = answer_question("सीडर ग्रैंड रेसिडेंसेज़ का हरेरा रजिस्ट्रेशन नंबर क्या है?", project=name)
    assert answer.answered and "202/2024/22" in answer.answer and "101/2024" not in answer.answer


def test_a_hindi_question_that_names_its_project_and_asks_where_is_answered(app_ctx, tmp_path):
    name = brochure(tmp_path, "Mulberry Vista", {1: "MULBERRY VISTA\nSector 948, Gurugram"})
    answer = answer_question("मलबेरी विस्टा कहाँ है?")
    assert answer.project == name and answer.answered and "948" in answer.answer, answer.answer


def test_a_project_name_read_after_a_row_word_is_no_row(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Sagar Heights",
        {1: "SAGAR HEIGHTS\nSector 944, Noida\nTower A and Tower B", 2: "PROJECT FACTS\nTowers: 2 towers"},
    )
    answer = answer_question("सागर हाइट्स में कितने टावर हैं?")  # read as "how many tower Sagar Heights in?"
    assert answer.project == name and answer.answered and "2 towers" in answer.answer, answer.answer
