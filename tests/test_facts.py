"""Fact extraction: what a careful reader of the real brochure pages would note, and no more."""

import json
import re
from functools import cache

import pytest

from app.rag.fact_evidence import EVIDENCE_MAX, ExtractedFact
from app.rag.facts import extract_facts
from app.rag.readers import read_jsonl
from tests.shared_data import CORPUS_DIR, require

CORPUS_FILES = [
    "Godrej_SORA.jsonl",
    "TARC_Ishva.jsonl",
    "The_Sanctuaries.jsonl",
    "Trevoc_56.jsonl",
    "Project_1.jsonl",
    "Estate_360.jsonl",
]
KEY_FAMILIES = {
    "rera_number", "location", "sector", "city", "developer", "price_psf", "carpet_area",
    "saleable_area", "balcony_area", "payment", "possession", "towers", "floors", "units",
    "club_size", "land_area", "distance", "unit_types",
}  # fmt: skip


@cache
def _facts(name: str) -> tuple[ExtractedFact, ...]:
    return tuple(extract_facts(read_jsonl(CORPUS_DIR / name)))


def facts_of(name: str) -> tuple[ExtractedFact, ...]:
    require(CORPUS_DIR / name)
    return _facts(name)


# (file, key, page, figure or phrase the value must contain — case-insensitive)
EXPECTED = [
    ("Godrej_SORA.jsonl", "rera_number", 1, "976/708/2025/79"),
    ("Godrej_SORA.jsonl", "sector", 1, "Sector 53"),
    ("Godrej_SORA.jsonl", "city", 1, "Gurugram"),
    ("Godrej_SORA.jsonl", "carpet_area:4BHK TYPE 1", 4, "180.39 sq m"),
    ("Godrej_SORA.jsonl", "carpet_area:4BHK TYPE 2", 5, "208.99"),
    ("Godrej_SORA.jsonl", "carpet_area:3BHK TYPE 1", 7, "144.14 sq m"),
    ("Godrej_SORA.jsonl", "land_area", 9, "14569.20"),
    ("Godrej_SORA.jsonl", "developer", 9, "Godrej Properties"),
    ("TARC_Ishva.jsonl", "sector", 22, "Sector 63A"),
    ("TARC_Ishva.jsonl", "payment:on booking", 30, "10% of TSV"),
    ("TARC_Ishva.jsonl", "payment:on receipt of oc", 30, "10%"),
    ("TARC_Ishva.jsonl", "payment:on offer of possession", 30, "IFMS"),
    ("TARC_Ishva.jsonl", "carpet_area:3BHK+STUDY TYPE 03", 32, "154.02 sq m"),
    ("TARC_Ishva.jsonl", "carpet_area:4BHK+HR TYPE 03", 33, "2,156.50 sq ft"),
    ("TARC_Ishva.jsonl", "carpet_area:4BHK+HR TYPE 03", 33, "200.34"),
    ("TARC_Ishva.jsonl", "balcony_area:4BHK+HR TYPE 03", 33, "50.18"),
    ("The_Sanctuaries.jsonl", "city", 14, "Manesar"),
    ("The_Sanctuaries.jsonl", "payment:eoi", 31, "5%"),
    ("The_Sanctuaries.jsonl", "distance:DLF Phase 5", 8, "45 min"),
    ("The_Sanctuaries.jsonl", "distance:Karma Lakelands", 8, "15 min"),
    ("Trevoc_56.jsonl", "sector", 1, "Sector 63A"),
    ("Trevoc_56.jsonl", "developer", 1, "Anant Raj"),
    ("Trevoc_56.jsonl", "towers", 6, "4"),
    ("Trevoc_56.jsonl", "units", 6, "248"),
    ("Trevoc_56.jsonl", "club_size", 16, "40,000"),
    ("Trevoc_56.jsonl", "carpet_area:4BHK+SERVANT ROOM", 22, "2042 sq ft"),
    ("Trevoc_56.jsonl", "saleable_area:4BHK+LOUNGE+SERVANT ROOM", 21, "4781"),
    ("Trevoc_56.jsonl", "distance:IGI Airport", 25, "23 KMS"),
    ("Trevoc_56.jsonl", "distance:IGI Airport", 25, "30 MINS"),
    ("Trevoc_56.jsonl", "distance:Hotel Grand Hyatt", 25, "2.4 KMS"),
    ("Trevoc_56.jsonl", "rera_number", 29, "785/517/2024/12"),
    ("Trevoc_56.jsonl", "land_area", 29, "5.43263 acres"),
    ("Trevoc_56.jsonl", "rera_number", 32, "863/595/2024/90"),
    ("Trevoc_56.jsonl", "sector", 43, "Sector 56"),
    ("Trevoc_56.jsonl", "location", 43, "Golf Course Road"),
    ("Trevoc_56.jsonl", "units", 76, "172"),
    ("Trevoc_56.jsonl", "carpet_area:3BHK TYPE B", 87, "128.68 sq m"),
    ("Trevoc_56.jsonl", "carpet_area:3BHK TYPE B", 87, "1385 sq ft"),
    ("Trevoc_56.jsonl", "saleable_area:4BHK TYPE C", 89, "3380"),
    ("Trevoc_56.jsonl", "land_area", 101, "2.059 acres"),
    ("Trevoc_56.jsonl", "price_psf", 102, "22,000"),
    ("Trevoc_56.jsonl", "price_psf", 102, "LINKED PLAN"),
    ("Trevoc_56.jsonl", "payment:on booking", 102, "21 Lakhs"),
    ("Trevoc_56.jsonl", "payment:on application of occupation certificate", 102, "60%"),
    ("Project_1.jsonl", "location", 16, "Dwarka Expressway"),
    ("Project_1.jsonl", "sector", 16, "Sector 104"),
]


@pytest.mark.parametrize(("name", "key", "page", "needle"), EXPECTED)
def test_expected_fact_is_extracted_with_its_page(name, key, page, needle):
    found = [f for f in facts_of(name) if f.key == key and needle.lower() in f.value.lower()]
    assert found, f"no {key} containing {needle!r}; got {[f for f in facts_of(name) if f.key == key]}"
    assert found[0].page == page
    figure = re.search(r"[\d][\d,./]*", needle)
    assert figure is None or figure.group() in found[0].evidence


def test_project_1_unit_types_come_from_the_master_plan():
    [fact] = [f for f in facts_of("Project_1.jsonl") if f.key == "unit_types"]
    assert fact.page == 4
    assert {"4BHK", "3BHK", "STUDIO"} <= set(fact.value.split(", "))


def test_sanctuaries_payment_plan_has_every_milestone():
    payments = [f for f in facts_of("The_Sanctuaries.jsonl") if f.key.startswith("payment:")]
    assert sorted(f.value for f in payments) == sorted(["5%", "25%", "50%", "20%"])  # no Total
    assert {f.page for f in payments} == {31}


def test_trevoc_holds_two_projects_with_their_own_values():
    facts = facts_of("Trevoc_56.jsonl")
    assert {f.value for f in facts if f.key == "sector"} == {"Sector 63A", "Sector 56"}
    assert len({f.value for f in facts if f.key == "rera_number"}) == 2  # OCR variants merged
    assert {f.value.split()[0] for f in facts if f.key == "units"} == {"248", "172"}
    assert [f.value for f in facts if f.key == "towers"] == ["4 TOWERS"]  # not "TOWER - A" labels


# --------------------------------------------------------------------------- negatives


def test_failed_ocr_brochure_yields_nothing():
    assert facts_of("Estate_360.jsonl") == ()


@pytest.mark.parametrize(
    ("name", "absent"),
    [
        ("Godrej_SORA.jsonl", {"price_psf", "possession", "payment", "distance", "towers"}),
        ("TARC_Ishva.jsonl", {"price_psf", "possession", "developer", "unit_types"}),
        ("The_Sanctuaries.jsonl", {"sector", "land_area", "units", "unit_types", "price_psf"}),
        ("Project_1.jsonl", {"price_psf", "rera_number", "carpet_area", "payment"}),
        ("Trevoc_56.jsonl", {"possession", "balcony_area:4BHK+SERVANT ROOM"}),
    ],
)
def test_facts_the_brochure_does_not_state_are_not_invented(name, absent):
    families = {f.key.split(":")[0] for f in facts_of(name)} | {f.key for f in facts_of(name)}
    assert not families & absent


def test_portfolio_pages_about_other_projects_are_ignored():
    # TARC p.25-26 and The Sanctuaries p.32-39 describe the developers' other projects
    assert not [f for f in facts_of("TARC_Ishva.jsonl") if f.page in (25, 26)]
    assert not [f for f in facts_of("The_Sanctuaries.jsonl") if 32 <= f.page <= 39]


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_fact_is_backed_by_verbatim_evidence(name):
    require(CORPUS_DIR / name)
    pages = {page.number: page.text for page in read_jsonl(CORPUS_DIR / name).pages}
    seen = set()
    for fact in facts_of(name):
        assert fact.key.split(":")[0] in KEY_FAMILIES and fact.key == fact.key.strip()
        assert fact.evidence and len(fact.evidence) <= EVIDENCE_MAX
        assert fact.evidence in pages[fact.page]
        for figure in re.findall(r"\d[\d,.]*\d|\d", fact.value):  # figures never altered
            assert figure in fact.evidence, (fact, figure)
        assert (fact.key, fact.value.casefold()) not in seen
        seen.add((fact.key, fact.value.casefold()))


# --------------------------------------------------------------------------- synthetic pages


def brochure(tmp_path, *pages: str):
    path = tmp_path / "Sample.jsonl"
    records = [{"source": "Sample.pdf", "page": n, "text": t} for n, t in enumerate(pages, 1)]
    path.write_text("\n".join(map(json.dumps, records)), encoding="utf-8")
    return {(f.key, f.value): f.page for f in extract_facts(read_jsonl(path))}


def test_synthetic_phrasings(tmp_path):
    facts = brochure(
        tmp_path,
        "AURUM HEIGHTS\nSECTOR 79, GURUGRAM\nExpected possession: December 2028",
        "Clubhouse spread over 45,000 sq ft\n3 levels of basement and 2 floors of parking\n"
        "PLC Rs. 500 per sq ft extra\nConstruction Linked Plan\nBSP @ Rs. 14,250 per sq ft",
        "2, 3 & 4 BHK residences\nCarpet Area: 1,245.50 sq.ft.\n12 mins from Rajiv Chowk",
    )
    assert facts[("sector", "Sector 79")] == 1 and facts[("city", "Gurugram")] == 1
    assert facts[("possession", "December 2028")] == 1
    assert facts[("club_size", "45,000 sq ft")] == 2
    assert facts[("price_psf", "14,250 per sq ft, Construction Linked Plan")] == 2
    assert facts[("unit_types", "2BHK, 3BHK, 4BHK")] == 3
    assert facts[("distance:Rajiv Chowk", "12 mins")] == 3
    assert not [key for key, _ in facts if key in ("floors", "land_area")]
    assert not [value for key, value in facts if key == "price_psf" and "500" in value]
    assert not [key for key, _ in facts if key.startswith("carpet_area")]  # no unit named


def test_area_lines_need_a_unit_heading_to_be_kept(tmp_path):
    facts = brochure(tmp_path, "3 BHK + STUDY\nTYPE 2\n\nCarpet Area\n150.10 sq.m.\n1,615.68 sq.ft.")
    assert facts[("carpet_area:3BHK+STUDY TYPE 2", "150.10 sq m")] == 1
    assert facts[("carpet_area:3BHK+STUDY TYPE 2", "1,615.68 sq ft")] == 1


def test_a_highlight_opening_with_the_acreage_is_the_land_area(tmp_path):
    facts = brochure(
        tmp_path,
        "PROJECT HIGHLIGHTS\n• 6.2 acres (25,090 sq m) on Sohna Road\n• 1 acre plots in a gated estate\n"
        "800+ Acres in Goa",
    )
    assert [value for key, value in facts if key == "land_area"] == ["6.2 acres"]


def test_an_amenity_measured_in_acres_is_not_the_land_area(tmp_path):
    facts = brochure(tmp_path, "HIGHLIGHTS\n• 3 acres central greens\n• 2 acre lake\n• 5.2 acres, Sector 90")
    assert [value for key, value in facts if key == "land_area"] == ["5.2 acres"]
