"""Exact INR parsing and Indian-notation formatting."""

from decimal import Decimal

import pytest

from app.money import format_inr, format_inr_short, parse_inr


@pytest.mark.parametrize(
    ("text", "rupees"),
    [
        ("5 Cr", "50000000"),
        ("5 crore", "50000000"),
        ("5 Crores", "50000000"),
        ("₹5,00,00,000", "50000000"),
        ("50,000,000", "50000000"),
        ("50,00,000", "5000000"),
        ("50 lakh", "5000000"),
        ("50 Lakhs", "5000000"),
        ("50 lacs", "5000000"),
        ("50L", "5000000"),
        ("2.5cr", "25000000"),
        ("Rs. 1.2 Cr", "12000000"),
        ("Rs 1.25 crore", "12500000"),
        ("INR 75,000", "75000"),
        ("75K", "75000"),
        ("75000000", "75000000"),
        ("  ₹ 10   L  ", "1000000"),
        ("Rs.50,000/-", "50000"),
        ("₹1,234.50", "1234.50"),
        ("0", "0"),
    ],
)
def test_parse_inr_reads_what_brokers_write(text: str, rupees: str) -> None:
    assert parse_inr(text) == Decimal(rupees)


def test_parse_inr_returns_exact_whole_rupees() -> None:
    amount = parse_inr("2.5 Cr")
    assert isinstance(amount, Decimal)
    assert str(amount) == "25000000"
    assert str(parse_inr("₹1,234.5")) == "1234.50"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-5 Cr",
        "−50 lakh",
        "abc",
        "five crore",
        "5 Cr extra",
        "1,2,3",
        "5..5",
        "₹",
        "Cr",
        "1.234",
        "5 acres",
    ],
)
def test_parse_inr_rejects_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError):
        parse_inr(text)


def test_parse_inr_error_says_what_to_write() -> None:
    with pytest.raises(ValueError, match="'₹5 Cr'"):
        parse_inr("lots of money")


def test_parse_inr_refuses_floats() -> None:
    with pytest.raises(TypeError):
        parse_inr(2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("50000000", "₹5,00,00,000"),
        ("5000000", "₹50,00,000"),
        ("75000", "₹75,000"),
        ("1234.50", "₹1,234.50"),
        ("1234.5", "₹1,234.50"),
        ("1234.00", "₹1,234"),
        ("999", "₹999"),
        ("0", "₹0"),
        ("12345678901", "₹12,34,56,78,901"),
    ],
)
def test_format_inr_uses_indian_grouping(amount: str, text: str) -> None:
    assert format_inr(Decimal(amount)) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("50000000", "₹5 Cr"),
        ("12500000", "₹1.25 Cr"),
        ("25000000", "₹2.5 Cr"),
        ("12345678", "₹1.23 Cr"),
        ("1000000", "₹10 L"),
        ("250000", "₹2.5 L"),
        ("5000000", "₹50 L"),
        ("9999999", "₹1 Cr"),
        ("75000", "₹75,000"),
        ("99500", "₹99,500"),
        ("100000", "₹1 L"),
        ("10000000000", "₹1,000 Cr"),
        ("0", "₹0"),
    ],
)
def test_format_inr_short_speaks_lakh_and_crore(amount: str, text: str) -> None:
    assert format_inr_short(Decimal(amount)) == text


def test_commission_chain_is_exact() -> None:
    deal = parse_inr("₹5 Cr")
    broker = deal * Decimal("0.02")
    platform = broker * Decimal("0.25")
    assert broker == parse_inr("10 L") == Decimal("1000000")
    assert platform == parse_inr("2.5 L") == Decimal("250000")
    assert format_inr_short(broker) == "₹10 L"
    assert format_inr_short(platform) == "₹2.5 L"
    assert format_inr(platform) == "₹2,50,000"


@pytest.mark.parametrize("text", ["₹5 Cr", "₹1.25 Cr", "₹2.5 L", "₹75,000", "₹1,234.50"])
def test_formatted_amounts_parse_back(text: str) -> None:
    assert format_inr_short(parse_inr(text)) == text


def test_formatters_refuse_floats() -> None:
    with pytest.raises(TypeError):
        format_inr(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_inr_short(0.1)  # type: ignore[arg-type]
