"""Free-text answers to the qualification questions, as investors actually type them."""

from decimal import Decimal

import pytest

from app.conversation.intents import classify_reply, is_skip, looks_like_question
from app.conversation.parsers import (
    LOCALITIES,
    TIMELINES,
    UNIT_KINDS,
    Budget,
    UnitPreference,
    parse_areas,
    parse_budget,
    parse_timeline,
    parse_unit,
)
from app.money import parse_inr


def rupees(amount: str | None) -> Decimal | None:
    """Expected amounts are written the way brokers say them: "3 Cr", "80 L"."""
    return None if amount is None else parse_inr(amount)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("₹3-5 Cr", "3 Cr", "5 Cr"),
        ("3 - 5 crore", "3 Cr", "5 Cr"),
        ("5+ crore", "5 Cr", None),
        ("2.5cr", "2.5 Cr", "2.5 Cr"),
        ("50 lakh", "50 L", "50 L"),
        ("50L", "50 L", "50 L"),
        ("50 lacs", "50 L", "50 L"),
        ("under 3 crore", None, "3 Cr"),
        ("below 3cr", None, "3 Cr"),
        ("upto 3 cr", None, "3 Cr"),
        ("max 3cr", None, "3 Cr"),
        ("not more than 3 cr", None, "3 Cr"),
        ("within 4cr", None, "4 Cr"),
        ("5 cr max", None, "5 Cr"),
        ("above 10 cr", "10 Cr", None),
        ("10cr+", "10 Cr", None),
        ("more than 10 crore", "10 Cr", None),
        ("7.5 Cr onwards", "7.5 Cr", None),
        ("3 to 5 करोड़", "3 Cr", "5 Cr"),
        ("३ से ५ करोड़", "3 Cr", "5 Cr"),
        ("3 करोड़ तक", None, "3 Cr"),
        ("3 se 5 cr", "3 Cr", "5 Cr"),
        ("5 cr se upar", "5 Cr", None),
        ("3 crore se kam", None, "3 Cr"),
        ("between 80 lakh and 1.2 cr", "80 L", "1.2 Cr"),
        ("50L-1Cr", "50 L", "1 Cr"),
        ("80 - 1.2 cr", "80 L", "1.2 Cr"),
        ("1.5-2", "1.5 Cr", "2 Cr"),
        ("80-120", "80 L", "1.2 Cr"),
        ("3", "3 Cr", "3 Cr"),
        ("₹50,00,000", "50 L", "50 L"),
        ("₹1,20,00,000 – ₹1,50,00,000", "1.2 Cr", "1.5 Cr"),
        ("upto ₹75,00,000", None, "75 L"),
        ("5000000", "50 L", "50 L"),
        ("around 4 cr", "4 Cr", "4 Cr"),
        ("~4cr", "4 Cr", "4 Cr"),
        ("4 crore ish", "4 Cr", "4 Cr"),
        ("budget is 3.5 cr approx", "3.5 Cr", "3.5 Cr"),
        ("5-3 cr", "3 Cr", "5 Cr"),
        ("10 cr to 6 cr", "6 Cr", "10 Cr"),
        ("minimum 2 cr maximum 3 cr", "2 Cr", "3 Cr"),
        ("1 cr 20 lakh", "1.2 Cr", "1.2 Cr"),
        ("Rs. 2 crore", "2 Cr", "2 Cr"),
        ("two to three crore", "2 Cr", "3 Cr"),
        ("dedh crore", "1.5 Cr", "1.5 Cr"),
        ("5 million", "50 L", "50 L"),
        ("Looking for a 3 BHK under 4 Cr", None, "4 Cr"),
        ("3cr, call me on 9876543210", "3 Cr", "3 Cr"),
        ("by 2026, 3 cr", "3 Cr", "3 Cr"),
        ("Budget: 12 cr or more", "12 Cr", None),
    ],
)
def test_parse_budget_reads_real_answers(text: str, low: str | None, high: str | None) -> None:
    assert parse_budget(text) == Budget(rupees(low), rupees(high))


@pytest.mark.parametrize(
    "text",
    [
        "not sure",
        "hello",
        "",
        "depends on the project",
        "3bhk",
        "sector 65",
        "by 2026",
        "5 lakh",
        "600 cr",
        "0",
    ],
)
def test_parse_budget_rejects_answers_without_a_believable_amount(text: str) -> None:
    assert parse_budget(text) is None


def test_parse_budget_keeps_exact_whole_rupees() -> None:
    budget = parse_budget("between 1.25 and 2.5 cr")
    assert budget is not None
    assert (budget.min_inr, budget.max_inr) == (Decimal("12500000"), Decimal("25000000"))
    assert all(
        isinstance(v, Decimal) and v.as_tuple().exponent == 0 for v in (budget.min_inr, budget.max_inr)
    )


@pytest.mark.parametrize(
    ("low", "high", "label"),
    [
        ("3 Cr", "5 Cr", "₹3 Cr – ₹5 Cr"),
        ("4 Cr", "4 Cr", "₹4 Cr"),
        ("5 Cr", None, "₹5 Cr+"),
        (None, "3 Cr", "up to ₹3 Cr"),
        ("80 L", "1.25 Cr", "₹80 L – ₹1.25 Cr"),
    ],
)
def test_budget_label_reads_like_a_broker(low: str | None, high: str | None, label: str) -> None:
    assert Budget(rupees(low), rupees(high)).label() == label


@pytest.mark.parametrize(
    ("text", "areas"),
    [
        ("sec 63a ggn", ["Gurugram Sector 63A"]),
        ("Sector 63-A, Gurgaon", ["Gurugram Sector 63A"]),
        ("s-65", ["Gurugram Sector 65"]),
        ("sector 65, 66 or 67", ["Gurugram Sector 65", "Gurugram Sector 66", "Gurugram Sector 67"]),
        ("golf course rd or dwarka expressway", ["Golf Course Road", "Dwarka Expressway"]),
        ("gcr/gcer", ["Golf Course Road", "Golf Course Extension Road"]),
        ("Dwarka e-way", ["Dwarka Expressway"]),
        ("dwarka expy sector 106", ["Dwarka Expressway", "Gurugram Sector 106"]),
        ("gurgaon", ["Gurugram"]),
        ("Gurugram, preferably sec 65 or Sohna Rd", ["Gurugram Sector 65", "Sohna Road"]),
        ("SPR", ["Southern Peripheral Road"]),
        ("new gurgaon", ["New Gurugram"]),
        ("M.G. Road", ["MG Road"]),
        ("near cyber hub", ["Cyber City"]),
        ("DLF phase 5", ["DLF Phase 5"]),
        ("dlf-2", ["DLF Phase 2"]),
        ("nh8", ["NH-48"]),
        ("imt manesar", ["Manesar"]),
        ("noida sector 150", ["Noida Sector 150"]),
        ("sec 128 noida", ["Noida Sector 128"]),
        ("sector 150", ["Noida Sector 150"]),
        ("sector 62 noida or sector 65 gurgaon", ["Noida Sector 62", "Gurugram Sector 65"]),
        ("noida expressway", ["Noida Expressway"]),
        ("noida extension", ["Greater Noida West"]),
        ("South Delhi", ["South Delhi"]),
        ("golf links", ["Central Delhi"]),
        ("aerocity", ["Aerocity"]),
        ("faridabad", ["Faridabad"]),
        ("गुड़गांव", ["Gurugram"]),
        ("golf corse road", ["Golf Course Road"]),
        ("golf cource extention road", ["Golf Course Extension Road"]),
        ("gurgaun", ["Gurugram"]),
        ("golf corse road or dwarka expressway", ["Golf Course Road", "Dwarka Expressway"]),
        ("anywhere", ["Any"]),
        ("open to anything", ["Any"]),
        ("I am flexible", ["Any"]),
        ("anywhere in gurgaon", ["Gurugram"]),
    ],
)
def test_parse_areas_reads_ncr_shorthand(text: str, areas: list[str]) -> None:
    assert parse_areas(text) == areas


@pytest.mark.parametrize(
    "text", ["hello", "3 cr", "not sure", "course road", "sector 200", "near DLF camellias", "3bhk", "road"]
)
def test_parse_areas_returns_none_for_nothing_recognisable(text: str) -> None:
    assert parse_areas(text) is None


def test_localities_have_unique_names_and_aliases() -> None:
    names = [loc.name for loc in LOCALITIES]
    aliases = [alias for loc in LOCALITIES for alias in loc.aliases]
    assert len(names) == len(set(names))
    assert len(aliases) == len(set(aliases))
    assert all(parse_areas(loc.name) == [loc.name] for loc in LOCALITIES)


@pytest.mark.parametrize(
    ("text", "timeline"),
    [
        ("immediately", "immediate"),
        ("ASAP", "immediate"),
        ("right away", "immediate"),
        ("this week", "immediate"),
        ("ready to move, asap", "immediate"),
        ("in 2 weeks", "immediate"),
        ("abhi", "immediate"),
        ("1-3 months", "1-3 months"),
        ("within 3 months", "1-3 months"),
        ("next month", "1-3 months"),
        ("in 2 months", "1-3 months"),
        ("in a couple of months", "1-3 months"),
        ("3-6 months", "3-6 months"),
        ("in 4 months", "3-6 months"),
        ("within six months", "3-6 months"),
        ("Looking to buy in the next 3-4 months", "3-6 months"),
        ("6 mahine mein", "3-6 months"),
        ("not urgent, within 6 months", "3-6 months"),
        ("after 6 months", "6-12 months"),
        ("6-12 months", "6-12 months"),
        ("within a year", "6-12 months"),
        ("by end of year", "6-12 months"),
        ("by mid next year", "6-12 months"),
        ("next year", "12+ months"),
        ("agle saal", "12+ months"),
        ("1-2 years", "12+ months"),
        ("after 1 year", "12+ months"),
        ("12-18 months", "12+ months"),
        ("no rush, maybe next year", "12+ months"),
        ("just exploring", "exploring"),
        ("just looking", "exploring"),
        ("right now just exploring", "exploring"),
        ("not sure", "exploring"),
        ("researching", "exploring"),
        ("not immediately", "exploring"),
        ("no hurry", "exploring"),
    ],
)
def test_parse_timeline_buckets_answers(text: str, timeline: str) -> None:
    assert parse_timeline(text) == timeline
    assert timeline in TIMELINES


@pytest.mark.parametrize("text", ["hello", "3 cr", "golf course road", "2025", "3bhk"])
def test_parse_timeline_returns_none_without_a_timeframe(text: str) -> None:
    assert parse_timeline(text) is None


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("3bhk", ("3BHK",)),
        ("3 BHK", ("3BHK",)),
        ("three bedroom", ("3BHK",)),
        ("four bed", ("4BHK",)),
        ("teen bhk", ("3BHK",)),
        ("2bhk", ("2BHK",)),
        ("4 BHK + servant", ("4BHK+servant",)),
        ("4bhk with servant room", ("4BHK+servant",)),
        ("3BHK+S", ("3BHK+servant",)),
        ("4 bhk+sq", ("4BHK+servant",)),
        ("3 bhk 2000 sq ft", ("3BHK",)),
        ("3 or 4 bhk", ("3BHK", "4BHK")),
        ("3/4 BHK", ("3BHK", "4BHK")),
        ("2 or 3 bedrooms", ("2BHK", "3BHK")),
        ("3-5 bhk", ("3BHK", "4BHK", "5BHK")),
        ("6 bhk", ("5BHK",)),
        ("3.5 bhk", ("3BHK",)),
        ("1 rk", ("studio",)),
        ("studio apartment", ("studio",)),
        ("penthouse", ("penthouse",)),
        ("penthouse or 4bhk", ("4BHK", "penthouse")),
        ("villa", ("villa",)),
        ("independent kothi", ("villa",)),
        ("plot", ("plot",)),
        ("open", ("any",)),
        ("any", ("any",)),
        ("flexible", ("any",)),
        ("no preference", ("any",)),
    ],
)
def test_parse_unit_reads_configurations(text: str, kinds: tuple[str, ...]) -> None:
    assert parse_unit(text) == UnitPreference(kinds)
    assert set(kinds) <= set(UNIT_KINDS)


@pytest.mark.parametrize("text", ["hello", "not sure", "3 cr", "golf course road", "next year"])
def test_parse_unit_returns_none_when_nothing_is_named(text: str) -> None:
    assert parse_unit(text) is None


def test_unit_label_lists_kinds() -> None:
    assert UnitPreference(("3BHK", "4BHK+servant")).label() == "3BHK / 4BHK + servant"
    assert UnitPreference(("penthouse",)).label() == "Penthouse"


@pytest.mark.parametrize(
    "text",
    ["skip", "Skip.", "pass", "next", "prefer not to say", "rather not", "I'd rather not say", "skip this"],
)
def test_is_skip_accepts_declines(text: str) -> None:
    assert is_skip(text)


@pytest.mark.parametrize(
    "text", ["next project?", "pass me the brochure", "no", "3 cr", "skip the intro, what price?"]
)
def test_is_skip_ignores_other_messages(text: str) -> None:
    assert not is_skip(text)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("yes", "connect"),
        ("Yes!", "connect"),
        ("YES please", "connect"),
        ("connect", "connect"),
        ("call me", "connect"),
        ("please call", "connect"),
        ("talk to an advisor", "connect"),
        ("connect me with an advisor please", "connect"),
        ("haan", "connect"),
        ("haan ji", "connect"),
        ("हाँ", "connect"),
        ("ok connect", "connect"),
        ("👍", "connect"),
        ("STOP", "stop"),
        ("Stop.", "stop"),
        ("stop messages", "stop"),
        ("UNSUBSCRIBE", "stop"),
        ("START", "start"),
        ("resume", "start"),
        ("hi", "greeting"),
        ("Hiii", "greeting"),
        ("Hello!", "greeting"),
        ("hey there", "greeting"),
        ("namaste", "greeting"),
        ("good morning", "greeting"),
        ("no", "no"),
        ("not now", "no"),
        ("later", "no"),
        ("no thanks", "no"),
        ("nahi", "no"),
        ("is there a bus stop nearby?", None),
        ("stop the car", None),
        ("yes, what's the price?", None),
        ("ok", None),
        ("okay thanks", None),
        ("hi, is the 4bhk available?", None),
        ("3 cr", None),
        ("", None),
    ],
)
def test_classify_reply_reads_whole_message_intent(text: str, intent: str | None) -> None:
    assert classify_reply(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "what is the payment plan?",
        "does it have a pool",
        "price of 3bhk",
        "is there a clubhouse",
        "tell me about amenities",
        "how far is the metro",
        "When is possession",
        "Do you have 5bhk",
        "are there any 4bhk units left",
        "kya possession date hai",
        "3 bhk ka price kitna hai",
        "send brochure",
        "golf course road?",
    ],
)
def test_looks_like_question_spots_property_questions(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize(
    "text",
    ["3bhk", "golf course road", "5 cr", "yes", "asap", "can go up to 5 cr", "whatever is fine", "any"],
)
def test_looks_like_question_leaves_answers_alone(text: str) -> None:
    assert not looks_like_question(text)
