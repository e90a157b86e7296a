"""Aadhaar, PAN, card and OTP redaction, and the numbers it must leave alone."""

import pytest

from app.conversation.pii import Redaction, luhn_valid, redact_pii, verhoeff_valid

# An independent Verhoeff: arithmetic in the dihedral group D5 instead of the lookup tables.
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


def broken(number: str) -> str:
    """``number`` with its last digit changed, so its checksum fails."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize("number", ["2363", "999999990019", AADHAAR, AADHAAR_2, spaced(AADHAAR), "1428570"])
def test_verhoeff_accepts_valid_numbers(number: str) -> None:
    assert verhoeff_valid(number)


@pytest.mark.parametrize("number", ["2364", broken(AADHAAR), "", "12a4", "٢٣٦٣"])
def test_verhoeff_rejects_invalid_numbers(number: str) -> None:
    assert not verhoeff_valid(number)


@pytest.mark.parametrize(
    "number",
    ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117", "79927398713"],
)
def test_luhn_accepts_valid_numbers(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111 1111 1111 1112", "79927398710", "", "0", "4111x1111"])
def test_luhn_rejects_invalid_numbers(number: str) -> None:
    assert not luhn_valid(number)


@pytest.mark.parametrize(
    ("text", "redacted", "kinds"),
    [
        (f"my aadhaar is {spaced(AADHAAR)}", "my aadhaar is [aadhaar removed]", {"aadhaar"}),
        (f"aadhar {AADHAAR}", "aadhar [aadhaar removed]", {"aadhaar"}),
        (f"{AADHAAR_2[:4]}-{AADHAAR_2[4:8]}-{AADHAAR_2[8:]}", "[aadhaar removed]", {"aadhaar"}),
        (f"aadhaar {PHONE_LIKE}", "aadhaar [aadhaar removed]", {"aadhaar"}),
        ("my PAN is ABCPE1234F", "my PAN is [PAN removed]", {"pan"}),
        ("pan: abcpe1234f.", "pan: [PAN removed].", {"pan"}),
        ("PAN AAACR5055K (company)", "PAN [PAN removed] (company)", {"pan"}),
        ("card 4111 1111 1111 1111", "card [card removed]", {"card"}),
        ("5555-5555-5555-4444 exp 12/27", "[card removed] exp 12/27", {"card"}),
        ("amex 3782 822463 10005", "amex [card removed]", {"card"}),
        ("4111111111111111", "[card removed]", {"card"}),
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
    "text",
    [
        "call me on +91 98765 43210",
        "+919876543210",
        "9876543210",
        "my number 98765-43210, call after 6",
        PHONE_LIKE,
        "two phones 9876543210 9876543211",
        "price ₹5,00,00,000",
        "budget 5 crore",
        "50,00,000 all inclusive",
        "₹12,50,00,000",
        "RERA GGM/512/244/2021/48",
        "RC/REP/HARERA/GGM/655/387/2022/131",
        "UPRERAPRJ443211",
        "sector 63a, 3500 sq ft, possession 2027",
        broken(AADHAAR),
        spaced(broken(AADHAAR)),
        "4111 1111 1111 1112",
        "ABCDE1234F",
        "OTP sent, price ₹5000000",
        "the code is 12",
        "is the plot 2400 sq ft?",
    ],
)
def test_redact_pii_leaves_ordinary_numbers_alone(text: str) -> None:
    assert redact_pii(text) == Redaction(text, frozenset())
