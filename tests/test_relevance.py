"""Answers about the row and the thing asked: the phase, the tower, the place, the attribute."""

from __future__ import annotations

import pytest

from app.rag.answer import answer_question
from app.rag.compose import line_label
from app.rag.query import analyze, tokenize
from app.rag.rows import qualifiers
from tests.test_retrieval import brochure


@pytest.fixture
def hill_view(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Hill View",
        {
            1: "HILL VIEW\nSector 977, Gurugram",
            2: "PRICE LIST - PHASE 1 (TOWERS T1 & T2)\nBasic Sale Price: ₹ 14,000 per sq ft of super area",
            3: "PRICE LIST - PHASE 2 (TOWERS T3 & T4)\nBasic Sale Price: ₹ 15,500 per sq ft of super area",
            4: "POSSESSION\nTower Aster & Tower Lily: June 2029\nTower Orchid: March 2031\n"
            "RERA possession date: 31.12.2031 (all towers)",
            5: "CONNECTIVITY\nSector 55 Metro Station: 4 km (9 mins)\n"
            "International Airport (Jewar) by road: 60 km (55 mins)",
        },
    )


def test_row_labels_are_read_from_text():
    assert qualifiers("PRICE LIST - PHASE 1 (TOWERS T1 & T2)") == {"phase": {"1"}, "tower": {"1", "2"}}
    assert qualifiers("When is possession for Tower Orchid?") == {"tower": {"orchid"}}
    assert qualifiers("4 BHK Type-C, all towers") == {"type": {"c"}}
    assert qualifiers("TOWER 03 - 4 BHK") == qualifiers("tower 3 4 bhk") == {"tower": {"3"}}


def test_a_price_for_one_phase_is_not_answered_with_another_phases_row(hill_view):
    answer = answer_question("What is the BSP per sq ft for Phase 2?", project=hill_view)
    assert answer.answered and "15,500" in answer.answer and "14,000" not in answer.answer
    missing = answer_question("What is the BSP per sq ft for Phase 3?", project=hill_view)
    assert missing.answered is False, missing.answer


def test_a_named_towers_date_comes_from_the_line_naming_it(hill_view):
    answer = answer_question("When is possession for Tower Orchid?", project=hill_view)
    assert answer.answered and "March 2031" in answer.answer, answer.answer


def test_a_printed_tower_name_counts_in_any_order(hill_view):
    answer = answer_question("posession date for orchid tower?", project=hill_view)
    assert answer.answered and "March 2031" in answer.answer, answer.answer
    assert "31.12.2031" not in answer.answer


def test_a_distance_question_naming_a_sector_is_not_answered_with_the_projects_sector(hill_view):
    answer = answer_question("How far is it from the Sector 55 Metro Station?", project=hill_view)
    assert answer.answered and "4 km" in answer.answer, answer.answer


def test_an_acronym_opening_the_question_must_be_on_the_page(hill_view):
    answer = answer_question("IGI International Airport distance by road?", project=hill_view)
    assert answer.answered is False, answer.answer


def test_a_two_cell_table_row_reads_as_label_and_value(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Teak Court",
        {
            1: "TEAK COURT\nSector 977, Gurugram",
            2: "AT A GLANCE\nParticulars: Power backup | Details: 100% DG backup for common areas\n"
            "Unit: 3 BHK | Super Area: 2,400 sq ft | Floors: 12 to 30",
        },
    )
    answer = answer_question("What power backup is provided?", project=name)
    assert answer.answered, answer.answer
    assert "Power backup: 100% DG backup for common areas" in answer.answer
    assert "Particulars" not in answer.answer


@pytest.fixture
def river_bend(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "River Bend",
        {
            1: "RIVER BEND\nSector 978, Gurugram\nHRERA Registration No. RB/GGM/4411/2025",
            2: "PRICE LIST\nBasic Sale Price (BSP): ₹ 12,300 per sq ft of super area\n"
            "GST, stamp duty and registration charges extra.",
            3: "OTHER CHARGES\nCharge: Additional Covered Car Parking | Amount: ₹ 3,75,000 each\n"
            "Charge: One-time Lease Rent | Amount: ₹ 40 per sq ft",
            4: "POSSESSION\nPhase 1 (Towers T1, T2): Proposed possession March 2029\n"
            "Phase 2 (Towers T3, T4): Proposed possession September 2030",
            5: "NEIGHBOURHOOD\nCyber Mall\nRiverside Golf Club: 3 km (6 mins)",
        },
    )


def test_a_word_asked_as_another_words_expansion_is_not_asked_twice(river_bend):
    # "registration" is both a word of the question and an expansion of "HRERA"; it must not
    # become a second group that no line can cover.
    question = "What is the HRERA registration number?"
    words = set(tokenize(question))
    first_of_group: dict[int, tuple[str, ...]] = {}
    for term in analyze(question).terms:
        if not term.optional:
            first_of_group.setdefault(term.group, term.tokens)
    assert all(set(tokens) <= words for tokens in first_of_group.values()), first_of_group
    answer = answer_question(question, project=river_bend)
    assert answer.answered and "RB/GGM/4411/2025" in answer.answer, answer.answer


def test_the_line_must_speak_of_what_is_priced(river_bend):
    answer = answer_question("extra parking cost?", project=river_bend)
    assert answer.answered and "3,75,000" in answer.answer, answer.answer
    assert "12,300" not in answer.answer


def test_a_rental_yield_is_not_a_lease_rent(river_bend):
    answer = answer_question("What rental yield can I expect here?", project=river_bend)
    assert answer.answered is False, answer.answer


def test_lines_that_only_repeat_the_question_answer_nothing(river_bend):
    answer = answer_question("river bend to cyber mall?", project=river_bend)
    assert answer.answered is False, answer.answer
    golf = answer_question("river bend to riverside golf club?", project=river_bend)
    assert golf.answered and "3 km" in golf.answer, golf.answer


def test_a_date_on_the_row_of_the_tower_asked_about(river_bend):
    answer = answer_question("What is the possession date for Tower T4?", project=river_bend)
    assert answer.answered and "September 2030" in answer.answer, answer.answer
    assert "March 2029" not in answer.answer


def test_a_phase_the_brochure_does_not_have_is_refused_not_answered_with_another(river_bend):
    answer = answer_question("phase 3 possession date?", project=river_bend)
    assert answer.answered is False, answer.answer
    tower = answer_question("When is possession of Tower T9?", project=river_bend)
    assert tower.answered is False, tower.answer


@pytest.fixture
def quay_point(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Quay Point",
        {
            1: "QUAY POINT\nSector 979, Gurugram",
            2: "CONSTRUCTION LINKED PLAN\n"
            "S.No.: 1 | Stage: On booking | % of BSP: 10%\n"
            "S.No.: 2 | Stage: On casting of 12th floor roof slab | % of BSP: 12.5%\n"
            "S.No.: 3 | Stage: On offer of possession | % of BSP: 15% + IFMS + Stamp Duty\n"
            "Club charges payable in 2 equal instalments with stages 1 and 3.",
            3: "OTHER CHARGES\nIFMS : Rs. 175 per sq ft\nClub membership : Rs. 2,00,000",
        },
    )


def test_how_much_is_payable_asks_about_the_stage_not_the_word_payable(quay_point):
    question = "How much is payable on casting of the 12th floor roof slab?"
    analysis = analyze(question)
    assert [t.tokens for t in analysis.terms if t.group == analysis.focus][0] == ("casting",)
    answer = answer_question(question, project=quay_point)
    assert answer.answered and "12.5%" in answer.answer, answer.answer


def test_a_line_labelled_with_the_asked_word_beats_a_mention(quay_point):
    answer = answer_question("IFMS?", project=quay_point)
    assert answer.answered and "175" in answer.answer, answer.answer
    assert line_label("IFMS : Rs. 175 per sq ft") == "IFMS"
    assert line_label("S.No.: 3 | Stage: On offer of possession | % of BSP: 15%") == "On offer of possession"


@pytest.fixture
def cedar_heights(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Cedar Heights",
        {
            1: "CEDAR HEIGHTS\nSector 978, Gurugram",
            2: "THE TEAM\n\nSTRUCTURAL CONSULTANT\nOAKWELL ENGINEERS\n\n"
            "NORTHLINE STUDIO\nLANDSCAPE ARCHITECT\nNORTHLINE STUDIO\n\n"
            "FACADE CONSULTANT\nGLASSWORKS PARTNERS",
            3: "UNIT PLANS\nType: A | Configuration: 3 BHK | Super Area (sq. ft.): 2,210 | Floors: 4 to 20\n"
            "Type: B | Configuration: 4 BHK | Super Area (sq. ft.): 3,060 | Floors: 21 to 30",
        },
    )


def test_a_caption_answers_with_the_line_it_names(cedar_heights):
    above = answer_question("Who is the structural consultant?", project=cedar_heights)
    assert above.answered and "OAKWELL ENGINEERS" in above.answer, above.answer
    # A logo line, the caption, then the name: the caption takes the line under it.
    between = answer_question("who is the landscpe architect", project=cedar_heights)
    assert between.answered and "NORTHLINE STUDIO" in between.answer, between.answer
    assert "GLASSWORKS" not in between.answer and "OAKWELL" not in between.answer


def test_contractions_do_not_become_search_words(cedar_heights):
    assert [t.tokens for t in analyze("Who's doing the facade?").terms] == [("facade",)]
    assert [t.tokens for t in analyze("Isn't parking there?").terms][0] == ("parking",)
    answer = answer_question("Who's doing the facade?", project=cedar_heights)
    assert answer.answered and "GLASSWORKS PARTNERS" in answer.answer, answer.answer


def test_a_table_cell_whose_header_carries_the_unit_is_an_area(cedar_heights):
    answer = answer_question("What's the super area of the 4 BHK?", project=cedar_heights)
    assert answer.answered and "3,060" in answer.answer and "2,210" not in answer.answer, answer.answer


@pytest.fixture
def lotus_grove(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Lotus Grove",
        {
            1: "LOTUS GROVE\nSector 979, Gurugram",
            2: "PRICE LIST\nBasic Sale Price (BSP): ₹ 12,800 per sq. ft. of super area\n"
            "Floor: Ground to 9th | Floor Rise (₹ per sq. ft.): Nil\n"
            "Floor: 10th to 19th | Floor Rise (₹ per sq. ft.): 60\n"
            "Floor: 20th to 34th | Floor Rise (₹ per sq. ft.): 140",
            3: "OTHER CHARGES\nCharge: GST | Amount: 5% extra on BSP\n"
            "Charge: EDC / IDC | Amount: Included in BSP\n"
            "Charge: Club membership | Amount: ₹ 3,00,000\nCharge: IFMS | Amount: ₹ 150 per sq. ft.",
            4: "PAYMENT PLAN\n\nS. No.: 1 | Milestone: On booking | Payment: 10% of BSP\n"
            "S. No.: 2 | Milestone: On offer of possession | Payment: 40% of BSP + IFMS",
            5: "SIZES\nType: A | Configuration: 3 BHK | Carpet Area (sq. ft.): 1,540\n"
            "Type: B | Configuration: 4 BHK | Carpet Area (sq. ft.): 2,260",
        },
    )


def test_a_yes_no_question_is_answered_by_a_line_without_the_figure_kind(lotus_grove):
    # "Is GST included in the BSP?" names a price but is answered by "5% extra on BSP".
    answer = answer_question("Is GST included in the BSP?", project=lotus_grove)
    assert answer.answered and "5% extra" in answer.answer, answer.answer
    separately = answer_question("Do I have to pay EDC/IDC separately?", project=lotus_grove)
    assert separately.answered and "Included in BSP" in separately.answer, separately.answer


def test_what_is_due_on_a_milestone_is_a_payment_not_a_date(lotus_grove):
    assert analyze("how much is due on offer of possession?").primary_intent == "payment"
    assert analyze("When is possession?").primary_intent == "possession"
    answer = answer_question("how much is due on offer of posession?", project=lotus_grove)
    assert answer.answered and "40% of BSP" in answer.answer, answer.answer


def test_each_part_answers_with_a_line_of_its_own(lotus_grove):
    # The second part ("at which stage is it payable?") is not answered again with the IFMS
    # amount; "stage" names a milestone row, which need not print the word.
    answer = answer_question("What is the IFMS and at which stage is it payable?", project=lotus_grove)
    assert answer.answered and "150" in answer.answer, answer.answer
    assert "On offer of possession" in answer.answer, answer.answer
    assert "not in the brochures" not in answer.answer, answer.answer
    assert "evidence_lines" not in answer.to_dict()


def test_a_floor_inside_a_printed_range_is_on_that_row(lotus_grove):
    answer = answer_question("lotus grov floor rise for 25th flor?", project=lotus_grove)
    assert answer.answered and "140" in answer.answer and "60" not in answer.answer, answer.answer


def test_the_word_unit_after_a_configuration_is_not_required(lotus_grove):
    answer = answer_question("What is the carpet area of the 4 BHK unit?", project=lotus_grove)
    assert answer.answered and "2,260" in answer.answer, answer.answer


def test_typed_question_words_are_not_searched_and_english_words_are_not_corrected(lotus_grove):
    vocabulary = frozenset({"around", "converge", "floor", "grove", "which"})
    analysis = analyze("wich ground coverage around the flor?", vocabulary)
    assert [t.tokens for t in analysis.terms if not t.optional] == [
        ("ground",),
        ("coverage",),
        ("around",),
        ("flor",),
        ("floor",),
    ]
    assert analysis.corrections == {"flor": "floor"}
    refused = answer_question("What ground coverage is allowed?", project=lotus_grove)
    assert refused.answered is False, refused.answer


@pytest.fixture
def fern_towers(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Fern Towers",
        {
            1: "FERN TOWERS\nSector 980, Gurugram",
            2: "THE TOWERS\nFern Towers rises to 34 floors, designed for easy living above the city "
            "with a rooftop lounge and sky decks.",
            3: "SPECIFICATIONS\n\nLIVING / DINING / FOYER\nFLOOR: Italian marble\nWALLS: Acrylic emulsion\n\n"
            "BEDROOMS\nFLOOR: Engineered wooden flooring",
            4: "CONSULTANTS\n\nMEERA KAPOOR\nARCHITECT\n\nNORTHWIND\nMEP CONSULTANT",
        },
    )


def test_the_living_room_is_the_living_block_of_a_specification(fern_towers):
    answer = answer_question("What flooring is used in the living room?", project=fern_towers)
    assert answer.answered and "Italian marble" in answer.answer, answer.answer
    assert "wooden" not in answer.answer.lower()


def test_a_name_above_its_caption_answers_who(fern_towers):
    answer = answer_question("Who is the architect?", project=fern_towers)
    assert answer.answered and "MEERA KAPOOR" in answer.answer, answer.answer
    assert "NORTHWIND" not in answer.answer


@pytest.fixture
def maple_court(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Maple Court",
        {
            1: "MAPLE COURT\nSector 981, Gurugram",
            2: "UNIT LAYOUT 3BHK\n\nLIVING / DINING\n6100 x 5200\n20'-0\" x 17'-1\"\n\n"
            "MASTER BEDROOM\n4200 x 3900\n13'-9\" x 12'-10\"",
            3: "UNIT LAYOUT 4BHK\n\nLIVING / DINING\n8800 x 5600\n28'-10\" x 18'-4\"",
            4: "CONNECTIVITY\nCyber Hub: 6 km (12 mins)\nEvery plot is one acre, with 40% open area.",
        },
    )


def test_a_room_size_answers_how_big_and_number_words_name_the_configuration(maple_court):
    assert tokenize("the three-bedroom flat") == ["the", "3bhk", "flat"]
    assert analyze("How big is a four-bedroom home?").bhk == "4bhk"
    answer = answer_question("How big is the living room in the three-bedroom flat?", project=maple_court)
    assert answer.answered and "6100 x 5200" in answer.answer, answer.answer
    assert "8800" not in answer.answer


def test_an_everyday_word_in_capitals_is_an_acronym(maple_court):
    # "FAR" (floor area ratio) is not "how far": no distance line answers it.
    assert [t.tokens for t in analyze("What FAR is allowed on each plot?").terms][0] == ("far",)
    assert len([t for t in analyze("What FAR is allowed?").terms if t.tokens == ("km",)]) == 0
    refused = answer_question("What FAR is allowed on each one-acre plot?", project=maple_court)
    assert refused.answered is False, refused.answer
    distance = answer_question("How far is Cyber Hub?", project=maple_court)
    assert distance.answered and "6 km" in distance.answer, distance.answer


@pytest.fixture
def birch_enclave(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Birch Enclave",
        {
            1: "BIRCH ENCLAVE\nSector 982, Gurugram\nThe Garden Suites and The Sky Villas",
            2: "SPECIFICATIONS\nArea: Air Conditioning | Specification: VRF system in all bedrooms\n"
            "Area: Bedrooms | Specification: Modular wardrobes in every bedroom\nTHE GARDEN SUITES",
            3: "PLC\nPLC — Park view : Rs. 900 per sq ft\nPLC — Corner : Rs. 400 per sq ft\n"
            "THE GARDEN SUITES",
            4: "Gather\nA place to gather with friends.\nTHE GARDEN SUITES",
        },
    )


def test_hinglish_questions_about_flats_and_names_at_the_start(birch_enclave):
    ac = answer_question("Flats mein AC milega kya?", project=birch_enclave)
    assert ac.answered and "VRF" in ac.answer, ac.answer
    wardrobes = answer_question("Garden Suites ke bedrooms mein wardrobes milenge?", project=birch_enclave)
    assert wardrobes.answered and "Modular wardrobes" in wardrobes.answer, wardrobes.answer


def test_short_typos_and_real_words_that_look_alike(birch_enclave):
    plc = answer_question("whats the plc for park vew units", project=birch_enclave)
    assert plc.answered and "900" in plc.answer, plc.answer
    # "rather" is a word of its own, not a misread "gather"
    refused = answer_question("Which tower sells plots rather than flats?", project=birch_enclave)
    assert refused.answered is False, refused.answer


@pytest.fixture
def two_projects(app_ctx, tmp_path):
    alder = brochure(
        tmp_path,
        "Alder Park",
        {
            1: "ALDER PARK\nSector 983, Gurugram",
            2: "PRICE LIST\nBasic Sale Price: ₹ 15,000 per sq ft of super area",
            3: "UNIT SIZES\nType: A | Configuration: 3 BHK | Carpet Area (sq. ft.): 1,610",
        },
    )
    banyan = brochure(
        tmp_path,
        "Banyan Court",
        {
            1: "BANYAN COURT\nSector 984, Gurugram",
            2: "PRICE LIST\nBasic Sale Price: ₹ 19,500 per sq ft of super area",
            3: "UNIT SIZES\nType: B | Configuration: 3 BHK | Carpet Area (sq. ft.): 1,880",
            4: "TIMELINE\nPossession: December 2029",
        },
    )
    return alder, banyan


def test_a_question_about_two_projects_answers_each_from_its_own_brochure(two_projects):
    alder, banyan = two_projects
    answer = answer_question(f"Compare the per sq ft price of {alder} and {banyan}.")
    assert answer.answered, answer.answer
    first, second = answer.answer.split("\n\n")
    assert first.startswith(alder) and "15,000" in first and "Alder_Park.pdf" in first, answer.answer
    assert second.startswith(banyan) and "19,500" in second and "Banyan_Court.pdf" in second, answer.answer
    # "Type B" belongs to the second project's mention: it does not rule out the first's rows.
    sizes = answer_question(f"Which 3 BHK has the bigger carpet area - {alder} or {banyan} Type B?")
    assert "1,610" in sizes.answer and "1,880" in sizes.answer, sizes.answer


def test_a_project_that_lacks_the_answer_is_named_as_missing(two_projects):
    alder, banyan = two_projects
    answer = answer_question(f"What is the clubhouse size at {alder} and {banyan}?")
    assert answer.answered is False, answer.answer
    possession = answer_question(f"When is possession at {alder} and {banyan}?")
    assert f"{alder}: not in the brochures I have." in possession.answer, possession.answer
    assert "December 2029" in possession.answer


def test_which_projects_have_an_amenity_lists_each_with_its_line(app_ctx, tmp_path):
    rowan = brochure(
        tmp_path, "Rowan Fields", {1: "ROWAN FIELDS\nSector 985", 2: "SPORTS\nBox cricket pitch"}
    )
    sorrel = brochure(
        tmp_path,
        "Sorrel Point",
        {1: "SORREL POINT\nSector 986", 2: "CLUB\nFull-size cricket pitch with nets"},
    )
    tamarind = brochure(tmp_path, "Tamarind Hill", {1: "TAMARIND HILL\nSector 987", 2: "CLUB\nTennis court"})
    answer = answer_question("Which projects have a cricket pitch?")
    assert answer.answered, answer.answer
    blocks = {block.split(":", 1)[0]: block for block in answer.answer.split("\n\n")}
    assert "Box cricket pitch" in blocks[rowan] and "Rowan_Fields.pdf p.2" in blocks[rowan], answer.answer
    assert "Full-size cricket pitch" in blocks[sorrel], answer.answer
    assert tamarind not in answer.answer


def test_a_listing_longer_than_an_answer_gives_one_line_a_project(app_ctx, tmp_path):
    names = [
        brochure(
            tmp_path,
            f"Kite Field {n}",
            {1: f"KITE FIELD {n}\nSector 99{n}", 2: f"SPORTS\nPetanque lawn no. {n}"},
        )
        for n in range(1, 8)
    ]
    answer = answer_question("Which projects have a petanque lawn?")
    assert answer.answered and len(answer.answer) <= 700, answer.answer
    lines = answer.answer.splitlines()
    assert all(any(line.startswith(f"• {name}") for line in lines) for name in names), answer.answer
    assert lines[-1].startswith("Source: ") and all(
        f"Kite_Field_{n}.pdf p.2" in lines[-1] for n in range(1, 8)
    )


def test_the_total_area_of_a_project_is_its_land_area(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Willow Bay",
        {
            1: "WILLOW BAY\nSector 988, Gurugram",
            2: "PROJECT HIGHLIGHTS\n• 6.2 acres on Sohna Road\n• 2 towers",
        },
    )
    answer = answer_question("Willow Bay का कुल क्षेत्रफल कितना है?", project=name)
    assert answer.answered and "6.2 acres" in answer.answer, answer.answer


def test_english_words_typed_for_one_another(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Yew Gardens",
        {1: "YEW GARDENS\nSector 989", 2: "PARTNERS\n\nPRINCIPAL CONTRACTOR\nHALDEN BUILDERS"},
    )
    answer = answer_question("who is the principle contracter?", project=name)
    assert answer.answered and "HALDEN BUILDERS" in answer.answer, answer.answer


def test_question_reading_edge_cases():
    from app.rag.answer import LISTING_RE
    from app.rag.compose import _in_a_range
    from app.rag.query import _names_project

    assert LISTING_RE.search("Which of your projects are near a metro?")
    assert LISTING_RE.search("any project on the expressway?")
    assert not LISTING_RE.search("What is the possession date of the project?")
    assert not LISTING_RE.search("Is there any clubhouse in this project?")
    assert not _in_a_range(12, False, tokenize("Floors 6-10: 1,250 psf"))  # "1,250" is no range
    assert _in_a_range(7, False, tokenize("Floors 5 to 9"))
    assert [t.tokens for t in analyze("Can't I pay by cheque?").terms] == [
        ("pay",),
        ("cheque",),
        ("pay", "cheque"),
    ]
    assert not [t for t in analyze("Won't there be a clubhouse?").terms if t.tokens == ("wo",)]
    assert not next(t for t in analyze("How FAR is it from the airport?").terms if t.tokens == ("far",)).name
    assert _names_project("vatka", {"kesar", "vatika"}) and not _names_project("power", {"palm", "tower"})


def test_highway_and_developer_wordings(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Zinnia Acres",
        {
            1: "ZINNIA ACRES\nA Larkspur Developers project\nSector 990, Gurugram",
            2: "WHY HERE\nThe township sits strategically on NH-8, minutes from the new expressway.",
        },
    )
    assert analyze("Who is developing it?").primary_intent == "developer"
    highway = answer_question("Which national highway is it on?", project=name)
    assert highway.answered and "NH-8" in highway.answer, highway.answer


def test_swapped_letters_and_misspelt_phrase_words(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Juniper Rise",
        {
            1: "JUNIPER RISE\nSector 991, Gurugram",
            2: "LOCATION\nStrategically on NH-48, minutes from the new expressway.",
            3: "SIZES\nType: A | Configuration: Sky Villa | Super Area (sq. ft.): 7,400",
        },
    )
    area = answer_question("super aera of the sky villa?", project=name)
    assert area.answered and "7,400" in area.answer, area.answer
    highway = answer_question("which nationl highway is it on?", project=name)
    assert highway.answered and "NH-48" in highway.answer, highway.answer


def test_a_table_row_opening_a_page_can_answer_and_bathroom_words_meet(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Kikar Vale",
        {
            1: "KIKAR VALE\nSector 992, Gurugram",
            2: "LIVING: Italian marble; UPVC Double Glass Unit windows | TOILETS: Vanity; Shower cubicle; "
            "Bath tub in master toilet\nKITCHEN: Granite counter\nBALCONY: Anti-skid tiles\n"
            "LIFT LOBBY: Marble",
        },
    )
    tub = answer_question("Does the master bathroom come with a bathtub?", project=name)
    assert tub.answered and "Bath tub in master toilet" in tub.answer, tub.answer
    glazing = answer_question("Are the windows double glazed?", project=name)
    assert glazing.answered and "Double Glass Unit" in glazing.answer, glazing.answer


def test_a_count_in_words_and_in_figures_is_one_fact(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Pipal Square",
        {
            1: "PIPAL SQUARE\nSector 994, Gurugram\nFour towers of quiet luxury",
            2: "HIGHLIGHTS\n• 4 towers — Amber, Beryl, Coral & Dune\n• 260 residences",
        },
    )
    towers = answer_question("How many towers are there?", project=name)
    assert towers.answered and towers.route == "facts" and "4 towers" in towers.answer, towers.answer


def test_a_portfolio_page_about_another_city_does_not_answer(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Neem Plots",
        {
            1: "NEEM PLOTS\nSector 995, Gurugram\nOne-acre plots with landscaped gardens",
            2: "OUR OTHER ADDRESSES\nSeaview Villas, Goa: private pool in every villa",
            3: "CONNECTIVITY\nIGI Airport, New Delhi: 25 km (30 mins)",
        },
    )
    pool = answer_question("Does each plot come with a private pool?", project=name)
    assert pool.answered is False, pool.answer
    airport = answer_question("How far is IGI Airport?", project=name)
    assert airport.answered and "25 km" in airport.answer, airport.answer


def test_a_city_named_in_a_biography_does_not_make_a_portfolio_page(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Teak Heights",
        {
            1: "TEAK HEIGHTS\nSector 974, Gurugram",
            2: "CONSULTANTS ON BOARD\n\nMIRA SETHI\nARCHITECT\n\nMira has designed towers for thirty years."
            "\n\nHer studio works out of Mumbai and Pune.",
        },
    )
    answer = answer_question("Who is the architect?", project=name)
    assert answer.answered and "MIRA SETHI" in answer.answer, answer.answer


def test_a_longer_word_made_on_the_asked_one_counts(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Amla Estates",
        {
            1: "AMLA ESTATES\nSector 996, Gurugram",
            2: "SERVICES\n• Gardener-on-call to maintain the lawns of every plot\n"
            "Returning residents are greeted by the concierge",
        },
    )
    answer = answer_question("Plot ke garden ki dekh-rekh kaun karega?", project=name)
    assert answer.answered and "Gardener-on-call" in answer.answer, answer.answer
    # an expansion is not lengthened: "returns" (of "rental yield") is not "returning"
    refused = answer_question("What rental yield can I expect?", project=name)
    assert refused.answered is False, refused.answer


def test_the_kind_of_entity_asked_for_need_not_be_on_the_line(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Bel Court",
        {
            1: "BEL COURT\nSector 997, Gurugram",
            2: "THE TEAM\nMain contractor: Ostrava Buildcon Pvt. Ltd.",
            3: "DISCLAIMER\nThe project land is situated at Village Kherki, Tehsil Sohna.",
        },
    )
    answer = answer_question("Which firm is the main contractor?", project=name)
    assert answer.answered and "Ostrava Buildcon" in answer.answer, answer.answer
    village = answer_question("village name?", project=name)
    assert village.answered and "Village Kherki" in village.answer, village.answer


def test_a_yes_no_question_is_answered_by_a_line_about_what_it_asks_is_had(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Jamun Towers",
        {
            1: "JAMUN TOWERS\nSector 998, Gurugram",
            2: "UNIT LAYOUT 3BHK\n\nLIVING / DINING\n6000 x 5000\n\nROOM 01\n4000 x 5000\n\n"
            "UTILITY\n1800 x 3000\n\n3BHK | CARPET SQM.: 140.10",
        },
    )
    assert analyze("Does the 3BHK have a separate utility room?").focus is not None
    answer = answer_question("Does the 3BHK have a separate utility room?", project=name)
    assert answer.answered and "UTILITY" in answer.answer and "140.10" not in answer.answer, answer.answer


def test_is_x_included_in_y_asks_about_x(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Karonda Heights",
        {
            1: "KARONDA HEIGHTS\nSector 999, Gurugram",
            2: "OTHER CHARGES\nEDC & IDC : Rs. 900 per sq ft (extra)\nClub membership : Rs. 5,00,000",
            3: "CONSTRUCTION LINKED PLAN\nS.No.: 1 | Stage: On booking | % of BSP: 10%\n"
            "EDC/IDC payable in 2 equal instalments with stages 3 and 6.",
        },
    )
    answer = answer_question("Is EDC/IDC included in the BSP?", project=name)
    assert answer.answered and "Rs. 900 per sq ft (extra)" in answer.answer, answer.answer


def test_a_count_must_count_what_was_asked(app_ctx, tmp_path):
    pages = {
        1: "PHALSA GREENS\nSector 1001, Gurugram",
        2: "WELCOME\nFour-side open residences and a clubhouse that take living to the next level.",
    }
    vague = brochure(tmp_path, "Phalsa Greens", pages)
    refused = answer_question("How many levels does the clubhouse have?", project=vague)
    assert refused.answered is False, refused.answer
    counted = brochure(
        tmp_path, "Phalsa Greens", {**pages, 3: "CLUBHOUSE\nSpread over 3 levels with a rooftop deck"}
    )
    answer = answer_question("How many levels does the clubhouse have?", project=counted)
    assert answer.answered and "3 levels" in answer.answer, answer.answer


def test_the_unit_types_are_those_whose_areas_are_printed_when_no_list_is(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Quince Park",
        {
            1: "QUINCE PARK\nSector 979, Gurugram",
            3: "UNIT PLAN\n4 BHK TYPE 1\nCarpet Area: 2,150 sq ft",
            4: "UNIT PLAN\n4 BHK TYPE 2\nCarpet Area: 2,400 sq ft",
            5: "UNIT PLAN\n3 BHK TYPE 1\nCarpet Area: 1,650 sq ft",
        },
    )
    answer = answer_question("What apartment configurations are available?", project=name)
    assert answer.answered and "3 BHK, 4 BHK" in answer.answer, answer.answer
    assert sorted(c.page for c in answer.citations) == [3, 5]


def test_a_yes_no_question_about_more_than_a_fact_is_not_answered_with_the_fact(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Sumac Lane",
        {1: "SUMAC LANE\nby Hollis Developers\nSector 978, Gurugram", 2: "CLUB\nA rooftop pool"},
    )
    named = answer_question("Is Hollis Developers the developer?", project=name)
    assert named.answered and "Hollis Developers" in named.answer, named.answer
    record = answer_question("Has this developer built homes in Pune before?", project=name)
    assert not record.answered, record.answer


def test_the_smallest_of_a_unit_types_layouts_is_the_one_with_the_least_carpet_area(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Rowan Court",
        {
            1: "ROWAN COURT\nSector 975, Gurugram",
            2: "4 BHK + SERVANT ROOM\nCarpet Area: 2,310 sq ft",
            3: "4 BHK + SERVANT ROOM\nCarpet Area: 2,095 sq ft",
            4: "4 BHK + LOUNGE + SERVANT ROOM\nCarpet Area: 2,640 sq ft",
        },
    )
    smallest = answer_question("What's the smallest 4 BHK by carpet area?", project=name)
    assert smallest.answered and "2,095" in smallest.answer and "2,310" not in smallest.answer, (
        smallest.answer
    )
    assert [c.page for c in smallest.citations] == [3]
    largest = answer_question("largest 4bhk carpet area?", project=name)
    assert largest.answered and "2,640" in largest.answer and "LOUNGE" in largest.answer, largest.answer


def test_a_price_given_on_request_is_not_answered_with_another_homes_price(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Birch Crown",
        {
            1: "BIRCH CROWN\nSector 973, Gurugram\n3 BHK residences and Crown Penthouses",
            2: "CROWN PENTHOUSES\nDuplex homes on the top two floors",
            3: "CROWN PENTHOUSES\nPrivate terrace pool",
            4: "PRICE LIST\nBasic Sale Price: Rs. 24,000/- per sq ft of super area\n"
            "Unit Type: 3 BHK | BSP (Rs.): 6,24,00,000\nUnit Type: Crown Penthouse | BSP (Rs.): On request",
            5: "CROWN PENTHOUSES\nOnly six in the project",
        },
    )
    penthouse = answer_question("What is the price of a Crown Penthouse?", project=name)
    assert not penthouse.answered and "on request" in penthouse.answer, penthouse.answer
    assert "24,000" not in penthouse.answer
    flat = answer_question("What is the price of the 3 BHK?", project=name)
    assert flat.answered and "6,24,00,000" in flat.answer, flat.answer


@pytest.fixture
def elm_rise(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Elm Rise",
        {
            1: "ELM RISE\nSector 972, Gurugram",
            2: "THE HOME\n\nPrivate lift\nVideo door phone\n5-Tier Security\n3-Star IGBC Pre-Certified",
            3: "AROUND YOU\n\nNEIGHBOURHOOD\nN CEDAR MALL\nE LOTUS HOSPITAL\nS CITY PARK\nW GOLF CLUB",
        },
    )


def test_the_kind_of_answer_asked_for_need_not_be_on_its_line(elm_rise):
    security = answer_question("What security features does it have?", project=elm_rise)
    assert security.answered and "5-Tier Security" in security.answer, security.answer
    hospital = answer_question("Which hospitals are close to the project?", project=elm_rise)
    assert hospital.answered and "LOTUS HOSPITAL" in hospital.answer, hospital.answer


def test_a_green_rating_is_a_green_building_certificate(elm_rise):
    answer = answer_question("green rating?", project=elm_rise)
    assert answer.answered and "IGBC" in answer.answer, answer.answer


def test_a_capitalised_line_in_a_list_is_an_item_not_a_heading(elm_rise):
    answer = answer_question("Is it near Cedar Mall?", project=elm_rise)
    assert answer.answered and "CEDAR MALL" in answer.answer, answer.answer


@pytest.fixture
def oak_terrace(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Oak Terrace",
        {
            1: "OAK TERRACE\nSector 971, Gurugram",
            2: "PAYMENT PLAN\nOn booking | 10%\n"
            "On offer of possession (stamp duty, registration charges) | 10%\n\n"
            "NOTES\na) Stamp duty and registration charges shall be extra\nb) GST extra as applicable",
            3: "The project is registered with HARERA.\nHARERA Registration No. RC/REP/HARERA/GGM/555/2025/12"
            " dated 14.03.2025",
        },
    )


def test_a_terse_included_question_is_answered_by_the_line_saying_either_way(oak_terrace):
    answer = answer_question("stamp duty incl in price?", project=oak_terrace)
    assert answer.answered and "shall be extra" in answer.answer, answer.answer


def test_a_word_asking_for_a_date_is_covered_by_a_date(oak_terrace):
    answer = answer_question("What is the HARERA registration date?", project=oak_terrace)
    assert answer.answered and "14.03.2025" in answer.answer, answer.answer


def test_unit_types_are_listed_with_the_rooms_their_names_add(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Pine Arc",
        {
            1: "PINE ARC\nSector 970, Gurugram",
            2: "RESIDENCE TYPES\n<table>"
            "<tr><th>Type</th><th>Configuration</th><th>Carpet Area (sq. ft.)</th></tr>"
            "<tr><td>A</td><td>3 BHK + Study</td><td>1,600</td></tr>"
            "<tr><td>B</td><td>4 BHK</td><td>2,100</td></tr>"
            "<tr><td>C</td><td>4 BHK + Servant</td><td>2,390</td></tr></table>",
            3: "PROJECT HIGHLIGHTS\n3 & 4 BHK residences",
        },
    )
    answer = answer_question("What residence types are available?", project=name)
    assert answer.answered and "3 BHK + STUDY, 4 BHK, 4 BHK + SERVANT" in answer.answer, answer.answer
    named = answer_question("What is the carpet area of the residence type C?", project=name)
    assert "Unit types" not in named.answer, named.answer


def test_an_abbreviation_inside_a_long_line_does_not_end_its_sentence(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Ash Quay",
        {
            1: "ASH QUAY\nSector 969, Gurugram",
            2: "DISCLAIMER\nThe approvals are available on the website of the authority and in the office "
            "of the "
            "Company. The name ASH is used for branding as per the brand licensing agreement between Fenwick "
            "Estates Pvt. Ltd. and Marlow Brands Ltd. and is no endorsement by the brand. The Company may "
            "change the plans as advised by its architects.",
        },
    )
    answer = answer_question("With which company is the brand licensing agreement?", project=name)
    assert answer.answered and "Fenwick Estates Pvt. Ltd. and Marlow Brands Ltd." in answer.answer, (
        answer.answer
    )


def test_a_pages_title_qualifies_the_lines_under_it(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Hazel Yard",
        {
            1: "HAZEL YARD\nSector 968, Gurugram",
            2: "CLUB MARIGOLD—GROUND FLOOR\nArrive to a grand welcome.\n"
            "Banquet | Salon | Multipurpose Court | Outdoor Gym",
            3: "CLUB MARIGOLD—FOURTH FLOOR\nLibrary | Card Room | Indoor Gym",
            4: "FROM THE GROUND UP\n01. Entry\n02. Club Marigold Drop Off\n03. Outdoor Gym",
            5: "CLUB MARIGOLD\nA club for every age",
        },
    )
    answer = answer_question("What amenities are on the ground floor of Club Marigold?", project=name)
    assert answer.answered and "Banquet" in answer.answer, answer.answer


def test_a_listing_names_a_project_whose_line_only_names_the_thing(app_ctx, tmp_path):
    bare = brochure(tmp_path, "Yarrow Point", {1: "YARROW POINT\nSector 967", 2: "THE HOME\nBocce court"})
    told = brochure(
        tmp_path, "Zinnia Row", {1: "ZINNIA ROW\nSector 966", 2: "CLUB\nA lit bocce court beside the lawn"}
    )
    answer = answer_question("Which projects have a bocce court?")
    assert bare in answer.answer and told in answer.answer, answer.answer


def test_a_line_naming_only_what_was_asked_gives_way_to_one_that_answers(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Walnut Bend",
        {
            1: "WALNUT BEND\nSector 965, Gurugram",
            2: "Mall\nHospital\nSchool\nMetro\nLotus Hospital\nRiver Hospital\nCedar School",
        },
    )
    answer = answer_question("Which hospitals are close to the project?", project=name)
    assert answer.answered and "Lotus Hospital" in answer.answer, answer.answer


def test_a_hurried_question_word_and_a_misspelt_kind_word_are_not_searched_for(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Cypress End",
        {
            1: "CYPRESS END\nSector 964, Gurugram\nA water softening system in every apartment",
            2: "SPECIFICATIONS\nAIR CONDITIONING | VRV/VRF with high wall units in living and bedrooms",
        },
    )
    answer = answer_question("wat AC sytem is in the apartmnts?", project=name)
    assert answer.answered and "VRV/VRF" in answer.answer, answer.answer


def test_travel_time_asks_for_a_distance(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Dogwood Fields",
        {
            1: "DOGWOOD FIELDS\nSector 963, Gurugram",
            2: "Location Connectivity\n\nRidge Lakes\n15 mins\n\nOrbit Mall South Sector 12\n20 mins",
        },
    )
    answer = answer_question("travel time to Orbit Mall South?", project=name)
    assert answer.answered and "20 mins" in answer.answer and "15 mins" not in answer.answer, answer.answer


def test_a_page_without_a_row_of_its_own_continues_the_unit_plan_before_it(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Linden Arch",
        {
            1: "LINDEN ARCH\nSector 962, Gurugram",
            2: "UNIT PLAN – 3 BHK (TYPE B)\nLIVING 6000 x 4200",
            3: "HIGHLIGHTS\nA sunlit reading nook beside the living room",
            4: "UNIT PLAN – 4 BHK (TYPE C)\nLIVING 7200 x 5100",
            5: "HIGHLIGHTS\nAn eight-foot-wide party deck off the living room",
        },
    )
    deck = answer_question("Does the 4 BHK Type C have a party deck?", project=name)
    assert deck.answered and "party deck" in deck.answer and deck.citations[0].page == 5, deck.answer
    other = answer_question("Does the 3 BHK Type B have a party deck?", project=name)
    assert not other.answered, other.answer


def test_a_specifications_page_after_the_last_unit_plan_continues_no_unit():
    from app.rag.corpus_stats import CorpusStats

    titles = {
        (1, 2): "UNIT PLAN – 3 BHK (TYPE B)",
        (1, 3): "HIGHLIGHTS",
        (1, 4): "UNIT PLAN – 4 BHK (TYPE C)",
        (1, 5): "HIGHLIGHTS",
        (1, 6): "UNIT PLAN – 4 BHK (TYPE D)",
        (1, 7): "UNIT PLAN – 5 BHK (TYPE E)",
        (1, 8): "SPECIFICATIONS",
    }
    stats = CorpusStats(frozenset(), {}, 8, titles=titles)
    assert stats.continued_title(1, 3, "HIGHLIGHTS\nA reading nook") == titles[1, 2]
    assert stats.continued_title(1, 5, "HIGHLIGHTS\nA party deck") == titles[1, 4]
    assert stats.continued_title(1, 8, "SPECIFICATIONS\nFlooring: marble") == ""
    assert stats.continued_title(1, 5, "HIGHLIGHTS\nThe 3 BHK has a deck") == ""  # names its own unit


def test_a_long_specifications_row_is_cut_to_the_item_asked_about(app_ctx, tmp_path):
    items = ", ".join(f"Fitting no. {n} in brushed steel" for n in range(1, 9))
    name = brochure(
        tmp_path,
        "Rowan Mews",
        {
            1: "ROWAN MEWS\nSector 960, Gurugram",
            2: "SPECIFICATIONS\n<table><tr><th>Area</th><th>Details</th><th>Other</th></tr>"
            f"<tr><td>COMMON AREAS</td><td>Features: {items}, Heated plunge pool, Lobby chandelier</td>"
            "<td>Lift lobby in granite</td></tr></table>",
        },
    )
    answer = answer_question("Is there a plunge pool?", project=name)
    assert answer.answered and "Heated plunge pool" in answer.answer, answer.answer
    assert "Fitting no. 3" not in answer.answer and "granite" not in answer.answer, answer.answer


@pytest.fixture
def saffron_gate(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Saffron Gate",
        {
            1: "SAFFRON GATE\nSector 959, Gurugram\nTowers Rohan, Mira and Jal",
            2: "TOWER ROHAN\nA sky lounge on the 40th floor",
            3: "TOWER MIRA\nA lap pool on the terrace",
            4: "TOWERS ROHAN & MIRA\nHomes face the central lawn",
            5: "POSSESSION\nTOWER ROHAN - OCTOBER 2029\nTOWER MIRA - APRIL 2030\nTOWER JAL - JULY 2031\n"
            "RERA completion date: 31.12.2031",
            6: "PROJECT TEAM & SCHEDULE\nArchitect: Studio Nine, Mumbai\nStructure: Beam Consultants, Pune\n"
            "<table><tr><th>Phase</th><th>Tower</th><th>Proposed Possession</th></tr>"
            "<tr><td>Phase 2</td><td>Kiran</td><td>June 2032</td></tr>"
            "<tr><td>Phase 2</td><td>Tara</td><td>March 2033</td></tr></table>",
            7: "AREA STATEMENT\n<table><tr><th>Unit Type</th><th>Tower</th><th>Carpet Area</th></tr>"
            "<tr><td>3 BHK + Study</td><td>Rohan, Mira</td><td>1,905 sq ft</td></tr>"
            "<tr><td>4 BHK</td><td>All towers</td><td>2,460 sq ft</td></tr></table>",
            8: "4 BHK\nLIVING/DINING 6200 x 5900\nMASTER BEDROOM 4800 x 4200\nall dimensions in mm",
            9: "TOWER JAL\nThe tallest of the three",
        },
    )


def test_a_towers_printed_name_is_the_row_asked_about_not_a_brand(saffron_gate):
    answer = answer_question("What is the possession date of Tower Mira?", project=saffron_gate)
    assert answer.answered and "APRIL 2030" in answer.answer and "2031" not in answer.answer, answer.answer
    terse = answer_question("poss date jal?", project=saffron_gate)
    assert terse.answered and "JULY 2031" in terse.answer, terse.answer


def test_a_table_row_names_its_tower_and_a_consultants_city_is_no_portfolio(saffron_gate):
    answer = answer_question("When is possession of Tower Tara?", project=saffron_gate)
    assert answer.answered and "March 2033" in answer.answer and "June 2032" not in answer.answer, (
        answer.answer
    )


def test_a_number_of_bedrooms_after_towers_is_not_a_tower(saffron_gate):
    answer = answer_question("3 BHK + Study kaunse towers mein milega?", project=saffron_gate)
    assert answer.answered and "Rohan, Mira" in answer.answer and "All towers" not in answer.answer, (
        answer.answer
    )


def test_dimensions_are_answered_by_a_line_with_a_size(saffron_gate):
    answer = answer_question(
        "What are the dimensions of the living/dining room in the 4 BHK?", project=saffron_gate
    )
    assert answer.answered and "6200 x 5900" in answer.answer, answer.answer


def test_a_hindi_question_whose_words_are_unknown_is_refused_not_summarised(saffron_gate):
    answer = answer_question("क्या इस पर कोई एश्योर्ड रिटर्न मिलता है?", project=saffron_gate)
    assert not answer.answered and "Key facts" not in answer.answer, answer.answer


@pytest.fixture
def tulsi_heights(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Tulsi Heights",
        {
            1: "TULSI HEIGHTS\nSECTOR 958, NOIDA\nPHASE I UP RERA REGN. NO. UPRERAPRJ111111\n"
            "PHASE II UP RERA REGN. NO. UPRERAPRJ222222",
            2: "ABOUT THE DEVELOPER\nHomes delivered in Noida since 2011\n\n"
            "Elm Vista, Sector 957, Noida (2017)\nElm Park, Sector 956, Noida (2021)",
            3: "PRICE LIST\nPHASE I (TOWERS A & B) BSP : Rs. 17,250/- per sq ft\n"
            "PHASE II (TOWERS C & D) BSP : Rs. 19,750/- per sq ft",
        },
    )


def test_a_phase_in_roman_numerals_and_in_shorthand_is_one_phase(tulsi_heights):
    price = answer_question("ph2 psf?", project=tulsi_heights)
    assert price.answered and "19,750" in price.answer and "17,250" not in price.answer, price.answer
    rera = answer_question("rera no phase 1?", project=tulsi_heights)
    assert rera.answered and "UPRERAPRJ111111" in rera.answer, rera.answer


def test_the_projects_address_is_the_one_on_its_cover(tulsi_heights):
    answer = answer_question("wher is it located", project=tulsi_heights)
    assert answer.answered and "958" in answer.answer, answer.answer
    assert "957" not in answer.answer and "956" not in answer.answer, answer.answer


def test_the_payment_plans_offered_are_named_each_with_its_page(app_ctx, tmp_path):
    plan = "<tr><th>Milestone</th><th>Due</th></tr><tr><td>On booking</td><td>10%</td></tr>"
    name = brochure(
        tmp_path,
        "Kadam Vihar",
        {
            1: "KADAM VIHAR\nSector 955, Gurugram",
            5: f"PAYMENT PLANS\nCONSTRUCTION LINKED PLAN @ Rs. 14,750 per sq ft\n<table>{plan}</table>",
            6: f"POSSESSION LINKED PLAN 30:70 @ Rs. 15,250 per sq ft\n<table>{plan}</table>",
        },
    )
    answer = answer_question("What payment plans are offered?", project=name)
    assert answer.answered and "CONSTRUCTION LINKED PLAN" in answer.answer, answer.answer
    assert "POSSESSION LINKED PLAN 30:70" in answer.answer and sorted(c.page for c in answer.citations) == [
        5,
        6,
    ]


def test_investors_words_for_trade_terms(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Neel Kamal",
        {
            1: "NEEL KAMAL\nSector 954, Gurugram",
            2: "UNIT PLAN – 3 BHK\nCarpet Area: 1,640 sq ft\nSuper Area: 2,480 sq ft",
            3: "THE TEAM\n\nCONTRACTOR\nHALDIRAM INFRA PROJECTS",
        },
    )
    space = answer_question("How much usable floor space does the 3 BHK have?", project=name)
    assert space.answered and "1,640" in space.answer and "2,480" not in space.answer, space.answer
    builder = answer_question("Who is the construction company?", project=name)
    assert builder.answered and "HALDIRAM INFRA" in builder.answer, builder.answer


def test_a_tiered_club_has_levels_and_a_bath_is_a_bathroom(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Kusum Vihar",
        {
            1: "KUSUM VIHAR\nSector 953, Gurugram",
            2: "CLUB KUSUM\nThe four-tiered club is the heart of the community.",
            3: "4 BHK\n4 Bedrooms\n5 Bath\nLiving Dining",
        },
    )
    levels = answer_question("How many levels does the club have?", project=name)
    assert levels.answered and "four-tiered" in levels.answer, levels.answer
    baths = answer_question("How many bathrooms does the 4 BHK have?", project=name)
    assert baths.answered and "5 Bath" in baths.answer, baths.answer


def test_a_question_about_every_tower_gets_each_towers_row(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Champa Court",
        {
            1: "CHAMPA COURT\nSector 951, Gurugram",
            2: "POSSESSION\nTower Lotus & Tower Iris — September 2030\nTower Fern & Tower Moss — March 2031\n"
            "RERA completion date: 31.12.2031 (all towers)",
        },
    )
    answer = answer_question("What are the possession dates for all four towers?", project=name)
    assert answer.answered and "September 2030" in answer.answer and "March 2031" in answer.answer, (
        answer.answer
    )


def test_hindi_words_typed_with_or_without_nukta_and_a_measure_is_no_count(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Sheesham Residences",
        {
            1: "SHEESHAM RESIDENCES\nSector 950, Gurugram\nThe tower holds 36 residences, two to a floor.",
            2: "KEY FACTS\nLocation : Plot 7, Sector 950, Gurugram\nLand Area : 1.9 acres\nFloors : G+18\n"
            "Clubhouse : 9,000 sq ft",
        },
    )
    land = answer_question("ज़मीन कितने एकड़ की है?", project=name)
    assert land.answered and "1.9 acres" in land.answer, land.answer
    floors = answer_question("कितनी मंज़िलें हैं?", project=name)  # (dictionary spells मंजिलें)
    assert floors.answered and "G+18" in floors.answer, floors.answer
    club = answer_question("क्लब हाउस कितना बड़ा है?", project=name)
    assert club.answered and "9,000" in club.answer, club.answer


def test_the_projects_own_name_asks_nothing_of_the_facts(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Peepal Residences",
        {
            1: "PEEPAL RESIDENCES\nSector 949, Gurugram\n36 residences in one tower",
            2: "Land Area : 2.2 acres",
        },
    )
    answer = answer_question(f"How many acres of land does {name} have?", project=name)
    assert answer.answered and "2.2 acres" in answer.answer and "36" not in answer.answer, answer.answer


def test_cutting_a_long_row_keeps_figures_whole_and_unit_types_are_asked_plainly(app_ctx, tmp_path):
    items = ", ".join(f"Room no. {n} in teak" for n in range(1, 9))
    name = brochure(
        tmp_path,
        "Gulmohar Crest",
        {
            1: "GULMOHAR CREST\nSector 947, Gurugram",
            2: "CLUB\n<table><tr><th>Name</th><th>Amenities</th><th>Timings</th></tr>"
            f"<tr><td>Club Gulmohar</td><td>Features: {items}, clubhouse of 42,000 sq ft, squash court</td>"
            "<td>6 am to 11 pm daily</td></tr></table>",
            3: "RESIDENCE TYPES\n<table><tr><th>Type</th><th>Configuration</th></tr>"
            "<tr><td>A</td><td>3 BHK</td></tr><tr><td>B</td><td>4 BHK</td></tr></table>",
        },
    )
    club = answer_question("How big is the clubhouse?", project=name)
    assert "42,000 sq ft" in club.answer, club.answer
    types = answer_question("What unit types do you have?", project=name)
    assert types.answered and "3 BHK" in types.answer and "4 BHK" in types.answer, types.answer


def test_a_tower_amenity_is_not_a_tower_and_a_degree_is_not_a_phase(app_ctx, tmp_path):
    from app.rag.rows import qualifiers

    assert qualifiers("Does the tower gym have a sauna?") == {}
    assert qualifiers("Dr. Rao, Ph.D, architect") == {}
    assert qualifiers("Tower: Jal | June 2029") == {"tower": {"jal"}}


def test_a_question_the_brochure_asks_itself_is_answered_by_the_line_after_it(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Ashoka Farms",
        {
            1: "ASHOKA FARMS\nSector 943, Sohna",
            2: "FREQUENTLY ASKED\nWhen will plots be handed over?\nPossession is targeted for March 2027.\n"
            "Can NRIs buy a plot?\nYes, subject to FEMA rules; payments through NRE/NRO accounts.",
        },
    )
    answer = answer_question("Can NRIs buy a plot?", project=name)
    assert answer.answered and "FEMA" in answer.answer, answer.answer


def test_a_bare_price_question_is_answered_with_the_base_price_not_a_charge(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Kanak Towers",
        {
            1: "KANAK TOWERS\nSector 942, Noida",
            2: "PLC & FLOOR RISE\nExpressway facing | Charge (₹ per sq ft): 350\n"
            "Corner unit | Charge (₹ per sq ft): 150",
            3: "PRICE SHEET\nType A (3 BHK) | BSP (₹ per sq ft): 11,450 | Basic Cost (₹): 2,16,97,750",
        },
    )
    answer = answer_question("psf?", project=name)
    assert answer.answered and "11,450" in answer.answer and "350" not in answer.answer, answer.answer


def test_a_developer_named_on_the_cover_and_in_full_later_is_one_developer(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Arjun Enclave",
        {
            1: "ARJUN ENCLAVE\nSector 941, Noida\nA Varuna Buildcon Development",
            2: "TYPE B | 3 BHK + Study\n<table><tr><th>Area</th><th>sq ft</th><th>sq m</th></tr>"
            "<tr><td>Carpet Area</td><td>1,430</td><td>132.85</td></tr></table>",
            3: "DISCLAIMER\nDeveloped by Varuna Buildcon Private Limited, Noida.",
        },
    )
    developer = answer_question("developr name?", project=name)  # a letter left out
    assert developer.answered and "Varuna Buildcon Private Limited" in developer.answer, developer.answer
    area = answer_question("What is the carpet area of the Type B 3 BHK + Study?", project=name)
    assert area.answered and "1,430" in area.answer, area.answer


def test_a_misspelt_word_goes_to_the_closest_word_brochure_or_jargon(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Bakul Tower",
        {
            1: "BAKUL TOWER\nSector 940, Gurugram",
            2: "THE RESIDENCES\nCeilings rise to 3.6 m floor to floor; the principal bedroom looks east.\n"
            "Bedrooms are laid in engineered wooden planks.",
        },
    )
    answer = answer_question("wat floorng in bedrooms?", project=name)
    # "flooring", not the brochure's "floor": never the ceiling height
    assert "3.6 m" not in answer.answer, answer.answer


def test_right_next_to_asks_what_is_beside_and_homes_per_floor_are_residences(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Neem Heights",
        {
            1: "NEEM HEIGHTS\nSector 939, Gurugram\n• 240 residences | only 2 residences per floor",
            2: "DISCLAIMER\nThe Company reserves the right to make changes as advised by the architect.",
        },
    )
    beside = answer_question("What is right next to the plot?", project=name)
    assert "reserves the right" not in beside.answer, beside.answer
    homes = answer_question("How many homes share each floor?", project=name)
    assert homes.answered and "2 residences per floor" in homes.answer, homes.answer


def test_a_floor_plan_that_counts_its_bedrooms_answers_how_many_bedrooms(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Khejri Court",
        {
            4: "KHEJRI COURT\n4 BHK + STUDY\nTYPE 02\n4 Bedrooms\n5 Bath\nLiving Dining\n"
            "Carpet Area\n2,310 sq.ft.",
            5: "KHEJRI COURT\n3 BHK\nTYPE 01\n3 Bedrooms\n3 Bath\nCarpet Area\n1,740 sq.ft.",
        },
    )
    rooms = answer_question("How many bedrooms does the 4 BHK + Study have?", project=name)
    assert rooms.answered and "4 Bedrooms" in rooms.answer, rooms.answer
    assert [c.page for c in rooms.citations] == [4]
    # "a four-bedroom home" still names the kind of home, not a count of rooms
    assert tokenize("four-bedroom home") == ["4bhk", "home"]
    assert tokenize("4 Bedrooms") == ["4bhk", "4", "bedroom"]


def test_how_many_towers_counts_the_towers_a_page_labels_when_no_line_gives_the_count(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Sheesham Park",
        {
            3: "SITE LAYOUT\nTower-K | Entry\nTower-L\nTower-M | Club\nTower-N\nAmphitheatre\nTower-L",
            6: "SPECIFICATIONS\nThree high-speed lifts per tower\nTower-K and Tower-L face the park",
        },
    )
    towers = answer_question("How many residential towers are there?", project=name)
    assert towers.answered and "four towers" in towers.answer, towers.answer
    assert "Tower K, Tower L, Tower M, Tower N" in towers.answer and [c.page for c in towers.citations] == [3]
    # Counting every tower does not answer a question about some of them or about something else.
    assert "four towers" not in answer_question("How many lifts per tower?", project=name).answer
    assert "four towers" not in answer_question("How many towers have 3 BHK homes?", project=name).answer
