"""Aadhaar, PAN, card, CVV and OTP redaction, in the forms people type them, and the numbers it
must leave alone."""

import pytest

from app.conversation.names import display_name, first_name
from app.conversation.pii import Redaction, redact_pii, strip_pii

# An independent Verhoeff, to make Aadhaar-valid numbers: arithmetic in the dihedral group D5
# instead of the lookup tables a library uses.
_SIGMA = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)  # the position permutation, applied once per digit


def _d5(j: int, k: int) -> int:
    """Product of two D5 elements numbered 0-4 (rotations) and 5-9 (reflections)."""
    if j < 5:
        return (j + k) % 5 + (0 if k < 5 else 5)
    return (j - k) % 5 + (5 if k < 5 else 0)


def _permute(position: int, digit: int) -> int:
    for _ in range(position % 8):
        digit = _SIGMA[digit]
    return digit


def with_check_digit(payload: str) -> str:
    """``payload`` followed by its Verhoeff check digit."""
    check = 0
    for position, digit in enumerate(reversed(payload), start=1):
        check = _d5(check, _permute(position, int(digit)))
    inverse = (5 - check) % 5 if check < 5 else check
    return payload + str(inverse)


AADHAAR = with_check_digit("23456789012")
AADHAAR_2 = with_check_digit("87654321098")
PHONE_LIKE = with_check_digit("91987654321")  # a Verhoeff-valid "91" + mobile number
CARD = "4111111111111111"
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def broken(number: str) -> str:
    """``number`` with its last digit changed, so its checksum fails."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def grouped(number: str, separator: str = " ") -> str:
    """``number`` in fours, joined by ``separator``."""
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


spaced = grouped


def test_the_numbers_made_here_are_what_they_claim():
    assert AADHAAR != broken(AADHAAR) and len(AADHAAR) == 12 and AADHAAR[0] in "23456789"
    assert redact_pii(AADHAAR).kinds == {"aadhaar"} and redact_pii(broken(AADHAAR)).kinds == set()


@pytest.mark.parametrize(
    ("text", "redacted", "kinds"),
    [
        (f"my aadhaar is {spaced(AADHAAR)}", "my aadhaar is [aadhaar removed]", {"aadhaar"}),
        (f"aadhar {AADHAAR}", "aadhar [aadhaar removed]", {"aadhaar"}),
        (grouped(AADHAAR_2, "-"), "[aadhaar removed]", {"aadhaar"}),
        (f"aadhaar {PHONE_LIKE}", "aadhaar [aadhaar removed]", {"aadhaar"}),
        ("my PAN is ABCPE1234F", "my PAN is [PAN removed]", {"pan"}),
        ("pan: abcpe1234f.", "pan: [PAN removed].", {"pan"}),
        ("PAN AAACR5055K (company)", "PAN [PAN removed] (company)", {"pan"}),
        ("card 4111 1111 1111 1111", "card [card removed]", {"card"}),
        ("5555-5555-5555-4444 exp 12/27", "[card removed] exp 12/27", {"card"}),
        ("amex 3782 822463 10005", "amex [card removed]", {"card"}),
        (CARD, "[card removed]", {"card"}),
        ("OTP is 482913", "OTP is [OTP removed]", {"otp"}),
        ("your otp: 4829", "your otp: [OTP removed]", {"otp"}),
        ("482913 is your OTP", "[OTP removed] is your OTP", {"otp"}),
        ("verification code 123-456", "verification code [OTP removed]", {"otp"}),
        ("the code is 99021", "the code is [OTP removed]", {"otp"}),
        ("One Time Password 55120812 for login", "One Time Password [OTP removed] for login", {"otp"}),
        (
            f"PAN ABCPE1234F, card 4111 1111 1111 1111, aadhaar {AADHAAR}, OTP 9911",
            "PAN [PAN removed], card [card removed], aadhaar [aadhaar removed], OTP [OTP removed]",
            {"pan", "card", "aadhaar", "otp"},
        ),
    ],
)
def test_redact_pii_removes_identifiers(text: str, redacted: str, kinds: set[str]) -> None:
    assert redact_pii(text) == Redaction(redacted, frozenset(kinds))


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(grouped(AADHAAR, "."), id="dots"),
        pytest.param(grouped(AADHAAR, "  "), id="double spaces"),
        pytest.param(grouped(AADHAAR, "/"), id="slashes"),
        pytest.param(grouped(AADHAAR, "_"), id="underscores"),
        pytest.param(grouped(AADHAAR, " - "), id="spaced hyphens"),
        pytest.param(grouped(AADHAAR, "–"), id="en dashes"),
        pytest.param(grouped(AADHAAR, "\n"), id="line breaks"),
        pytest.param(grouped(AADHAAR, "\r\n"), id="windows line breaks"),
        pytest.param(grouped(AADHAAR, "\u00a0"), id="no-break spaces"),
        pytest.param(grouped(AADHAAR, "\u200b"), id="zero-width spaces"),
        pytest.param(spaced(AADHAAR).translate(DEVANAGARI), id="devanagari digits"),
        pytest.param(AADHAAR.translate(FULL_WIDTH), id="full-width digits"),
        pytest.param(grouped(AADHAAR, ".").translate(DEVANAGARI), id="devanagari digits with dots"),
        pytest.param(AADHAAR.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")), id="arabic-indic digits"),
    ],
)
def test_an_aadhaar_number_is_redacted_however_it_is_separated_or_written(typed: str) -> None:
    assert redact_pii(f"my aadhaar is {typed}, price?") == Redaction(
        "my aadhaar is [aadhaar removed], price?", frozenset({"aadhaar"})
    )
    assert redact_pii(typed) == Redaction("[aadhaar removed]", frozenset({"aadhaar"}))


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"UID{AADHAAR}", "UID[aadhaar removed]"),
        (f"uid{spaced(AADHAAR)}", "uid[aadhaar removed]"),
        (f"Aadhaar{AADHAAR}", "Aadhaar[aadhaar removed]"),
        (f"aadhar no{AADHAAR}", "aadhar no[aadhaar removed]"),
        (f"UID:{grouped(AADHAAR, '.')}", "UID:[aadhaar removed]"),
        (f"uid{PHONE_LIKE}", "uid[aadhaar removed]"),  # looks like a phone number, but says UID
        (f"आधार {PHONE_LIKE}", "आधार [aadhaar removed]"),
    ],
)
def test_an_aadhaar_number_glued_to_its_label_is_redacted(text: str, redacted: str) -> None:
    assert redact_pii(text) == Redaction(redacted, frozenset({"aadhaar"}))


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"card{CARD}", "card[card removed]"),
        (f"Card{grouped(CARD)}", "Card[card removed]"),
        (f"card no{CARD}", "card no[card removed]"),
        (grouped(CARD, "."), "[card removed]"),
        (grouped(CARD, "/"), "[card removed]"),
        (grouped(CARD, "_"), "[card removed]"),
        (grouped(CARD, "  "), "[card removed]"),
        (grouped(CARD, "\n"), "[card removed]"),
        (CARD.translate(FULL_WIDTH), "[card removed]"),
        (grouped(CARD).translate(DEVANAGARI), "[card removed]"),
        (f"{grouped(CARD)} 12/27", "[card removed] 12/27"),
        (f"{grouped(CARD)} 123", "[card removed] 123"),  # a 19-digit grouping that fails Luhn
    ],
)
def test_a_card_number_is_redacted_however_it_is_separated_glued_or_written(text: str, redacted: str) -> None:
    assert redact_pii(text) == Redaction(redacted, frozenset({"card"}))


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("my pan ABCPE 1234F", "my pan [PAN removed]"),
        ("ABCPE 1234F", "[PAN removed]"),
        ("ABCPE  1234 F", "[PAN removed]"),
        ("ABCPE-1234-F", "[PAN removed]"),
        ("pan no abcpe 1234f", "pan no [PAN removed]"),
        ("company PAN AAACR 5055K", "company PAN [PAN removed]"),
        ("ＡＢＣＰＥ１２３４Ｆ", "[PAN removed]"),  # full-width, as some keyboards type it
        ("PAN:\nABCPE1234F", "PAN:\n[PAN removed]"),
        ("AAACK1234F", "[PAN removed]"),  # K: a trust (krish)
    ],
)
def test_a_pan_is_redacted_with_a_space_or_in_full_width_letters(text: str, redacted: str) -> None:
    assert redact_pii(text) == Redaction(redacted, frozenset({"pan"}))


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("cvv 123", "cvv [CVV removed]"),
        ("CVV: 1234", "CVV: [CVV removed]"),
        ("CVV no. 987", "CVV no. [CVV removed]"),
        ("cvv123", "cvv[CVV removed]"),
        ("CVC2 456 thanks", "CVC2 [CVV removed] thanks"),
        ("cvv is ४५६", "cvv is [CVV removed]"),
        ("123 is my cvv", "[CVV removed] is my cvv"),
        ("security code 321", "security code [CVV removed]"),
        (f"{grouped(CARD)} exp 12/27 cvv 123", "[card removed] exp 12/27 cvv [CVV removed]"),
    ],
)
def test_a_cvv_is_redacted_as_card_data(text: str, redacted: str) -> None:
    assert redact_pii(text) == Redaction(redacted, frozenset({"card"}))


def test_text_around_what_is_redacted_is_kept_as_typed() -> None:
    # Devanagari digits and full-width letters elsewhere in the message are not rewritten.
    text = f"३ BHK चाहिए, ｐｌｅａｓｅ; आधार {spaced(AADHAAR).translate(DEVANAGARI)} है"
    assert redact_pii(text).text == "३ BHK चाहिए, ｐｌｅａｓｅ; आधार [aadhaar removed] है"


@pytest.mark.parametrize(
    "text",
    [
        "call me on +91 98765 43210",
        "+919876543210",
        "9876543210",
        "my number 98765-43210, call after 6",
        "+91 ९८७६५ ४३२१०",
        PHONE_LIKE,
        "two phones 9876543210 9876543211",
        "price ₹5,00,00,000",
        "budget 5 crore",
        "budget 5 Cr",
        "3 to 5 Cr, 4 BHK",
        "50,00,000 all inclusive",
        "₹12,50,00,000",
        "₹ 1,25,00,000",
        "₹ १,२५,००,००० तक",
        "Rs. 2.75 Cr for 2,150 sq ft",
        "2,150 sq ft super area, 1,650 carpet",
        "₹ 12,500 per sq ft",
        "RERA GGM/512/244/2021/48",
        "RC/REP/HARERA/GGM/655/387/2022/131",
        "UPRERAPRJ443211",
        "RERA No. P51800012345",
        "sector 63a, 3500 sq ft, possession 2027",
        "possession 31.12.2027",
        "visit on 12/05/2026 at 10.30",
        "2026-05-12",
        "between 2026 and 2027",
        "tower 4, flat 1204, floor 12",
        "Is suite 1204A sea-facing?",
        "Block C, unit 1204B",
        "IS SUITE 1204A OR BLOCK 1204B FREE?",  # in capitals, but T and C are no person's PAN
        broken(AADHAAR),
        spaced(broken(AADHAAR)),
        grouped(broken(AADHAAR), "."),
        grouped(broken(AADHAAR), "/"),
        broken(AADHAAR).translate(DEVANAGARI),
        "4111 1111 1111 1112",
        grouped("4111111111111112", "."),
        "ABCDE1234F",  # D is no PAN holder type
        "ABCPE0000F",  # serial 0000 is never issued
        "OTP sent, price ₹5000000",
        "the code is 12",
        "is the plot 2400 sq ft?",
        "what does cvv mean?",
        "card payment of ₹ 5,00,000 accepted?",
    ],
)
def test_redact_pii_leaves_ordinary_numbers_alone(text: str) -> None:
    assert redact_pii(text) == Redaction(text, frozenset())


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        (f"Rohan Mehta {spaced(AADHAAR)}", "Rohan Mehta "),
        ("ABCPE1234F Meera", " Meera"),
        (f"Zubin card{CARD}", "Zubin card"),
        ("Priya Sharma", "Priya Sharma"),
    ],
)
def test_strip_pii_removes_identifiers_without_a_placeholder(text: str, stripped: str) -> None:
    assert strip_pii(text) == stripped


@pytest.mark.parametrize(
    ("typed", "stored", "greeted"),
    [
        (f"Rohan Mehta {grouped(AADHAAR, '.')}", "Rohan Mehta", "Rohan"),
        (f"Rohan UID{AADHAAR}", "Rohan UID", "Rohan"),
        (AADHAAR, None, None),
        (grouped(AADHAAR).translate(DEVANAGARI), None, None),
        ("ABCPE 1234F Meera Kapoor", "Meera Kapoor", "Meera"),
        (f"Meera {grouped(CARD, '-')}", "Meera", "Meera"),
    ],
)
def test_a_name_keeps_no_identifier_typed_into_it(
    typed: str, stored: str | None, greeted: str | None
) -> None:
    assert display_name(typed) == stored
    assert first_name(typed) == greeted
