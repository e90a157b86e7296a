"""Phone numbers: E.164 normalisation (strict and lenient), WhatsApp ids and masking."""

import pytest

from app.channels.phones import from_wa_id, is_recognized, mask_phone, normalize_phone, phone_or_id, to_wa_id
from app.channels.user_ids import is_user_id, user_id_or_none


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+919812345678", "IN", "+919812345678"),
        ("919812345678", "IN", "+919812345678"),  # a WhatsApp wa_id: international digits, no "+"
        ("09812345678", "IN", "+919812345678"),  # national, with the trunk 0
        ("9812345678", "IN", "+919812345678"),  # national, no trunk prefix
        ("+91 98123 45678", "IN", "+919812345678"),
        ("+91-98123-45678", "IN", "+919812345678"),
        ("(+91) 98123.45678", "IN", "+919812345678"),
        ("0091 98123 45678", "IN", "+919812345678"),
        ("  +919812345678  ", "IN", "+919812345678"),
        ("011 2345 6789", "IN", "+911123456789"),  # a Delhi landline
        ("+14155552671", "IN", "+14155552671"),  # another country, region ignored
        ("14155552671", "IN", "+14155552671"),  # bare international digits of another country
        ("(415) 555-2671", "US", "+14155552671"),
        ("07911 123456", "GB", "+447911123456"),
        ("+971 50 123 4567", "IN", "+971501234567"),
    ],
)
def test_normalize_phone_valid(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "12345",  # too short
        "+91 12345",
        "+91 1234567890123456",  # too long
        "1-800-FLOWERS",  # letters are refused, not converted
        "<WHATSAPP_USER_PHONE_NUMBER>",
        "+972987654321",  # possible length, but not in an issued range
        "98123 45678 ext",
        None,
    ],
)
def test_normalize_phone_invalid(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+972987654321", "+972987654321"),  # possible, not valid: accepted when lenient
        ("972987654321", "+972987654321"),  # bare digits: the international reading wins
        ("+919812345678", "+919812345678"),
    ],
)
def test_normalize_phone_lenient(raw: str, expected: str) -> None:
    assert normalize_phone(raw, strict=False) == expected


def test_lenient_still_refuses_impossible_numbers() -> None:
    with pytest.raises(ValueError):
        normalize_phone("+91 12345", strict=False)


@pytest.mark.parametrize(
    ("wa_id", "expected"),
    [
        ("919812345678", "+919812345678"),
        ("972987654321", "+972987654321"),
        ("16505551234", "+16505551234"),
        ("+919812345678", "+919812345678"),
    ],
)
def test_from_wa_id(wa_id: str, expected: str) -> None:
    assert from_wa_id(wa_id) == expected


def test_a_whatsapp_id_libphonenumber_cannot_place_is_kept_and_sent_back_as_given() -> None:
    # Mexico's mobile ids still carry the "1" after 52, which libphonenumber no longer accepts.
    assert not is_recognized("+5215512345678") and is_recognized("+919812345678")
    assert from_wa_id("5215512345678") == "+5215512345678"
    assert to_wa_id("+5215512345678") == "5215512345678"
    with pytest.raises(ValueError):
        from_wa_id("52155")  # too short to be anyone's number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IN.1648738043044942", True),
        ("US.ENT.11815799212886844830", True),
        ("BR.abcDEF123", True),
        ("in.1648738043044942", False),
        ("IN1648738043044942", False),
        ("919812345678", False),
        ("IN." + "7" * 129, False),
        ("", False),
        (None, False),
    ],
)
def test_business_scoped_user_ids(value: object, expected: bool) -> None:
    assert is_user_id(value) is expected
    assert user_id_or_none(value) == (value if expected else None)


@pytest.mark.parametrize(
    "wa_id", ["", "<USER_PHONE_NUMBER>", "91 98123 45678", "US.13491208655302741918", "123"]
)
def test_from_wa_id_invalid(wa_id: str) -> None:
    with pytest.raises(ValueError):
        from_wa_id(wa_id)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("919812345678", "+919812345678"), ("fowefinoewcnw", "fowefinoewcnw"), ("", None), (None, None)],
)
def test_phone_or_id(value: object, expected: str | None) -> None:
    assert phone_or_id(value) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("+919812345678", "919812345678"), ("09812345678", "919812345678"), ("+1 415 555 2671", "14155552671")],
)
def test_to_wa_id(phone: str, expected: str) -> None:
    assert to_wa_id(phone) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+919812345678", "+91 98•••••678"),
        ("+14155552671", "+1 41•••••671"),
        ("+972987654321", "+972 98••••321"),
        ("+447911123456", "+44 79•••••456"),
        ("+911123456789", "+91 11•••••789"),
        ("not a number", "•••"),
        ("12345", "•••45"),
        ("", "•••"),
    ],
)
def test_mask_phone(e164: str, expected: str) -> None:
    assert mask_phone(e164) == expected


def test_mask_phone_never_shows_the_middle_digits() -> None:
    masked = mask_phone("+919812345678")
    assert "12345" not in masked and masked.endswith("678")
