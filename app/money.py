"""Exact Indian-rupee amounts: parse what brokers and brochures write, format the Indian way.

Amounts are ``Decimal`` rupees end to end; a float never touches a price or a commission.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

LAKH = Decimal("100000")
CRORE = Decimal("10000000")
PAISA = Decimal("0.01")

# A number as written in India or the West: 5,00,00,000 / 50,000,000 / 75000000 / 2.5.
# Grouping must be well formed, so a list such as "1,2,3" reads as three numbers, not 123.
NUMBER_PATTERN = r"(?:\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d+)(?:\.\d+)?"
CURRENCY_PATTERN = r"(?:₹|(?<![a-z])rs\.?|(?<![a-z])inr)"
# Longest spellings first so "crores" is not read as "cr" + "ores".
UNIT_PATTERN = r"(?:crores|crore|crs|cr|lakhs|lakh|lacs|lac|l|thousand|k|millions|million|mn)(?![a-z])"

_UNIT_MULTIPLIERS = {
    "cr": CRORE,
    "lakh": LAKH,
    "thousand": Decimal("1000"),
    "million": Decimal("1000000"),
}
_UNIT_ALIASES = {
    "crores": "cr",
    "crore": "cr",
    "crs": "cr",
    "cr": "cr",
    "lakhs": "lakh",
    "lakh": "lakh",
    "lacs": "lakh",
    "lac": "lakh",
    "l": "lakh",
    "thousand": "thousand",
    "k": "thousand",
    "millions": "million",
    "million": "million",
    "mn": "million",
}

_AMOUNT_RE = re.compile(
    rf"^(?:{CURRENCY_PATTERN}\s*)?(?P<number>{NUMBER_PATTERN})\s*(?P<unit>{UNIT_PATTERN})?\.?"
    r"\s*(?:/-)?$",
    re.IGNORECASE,
)


def canonical_unit(unit: str) -> str:
    """Return the canonical name ("cr", "lakh", "thousand", "million") of a written unit."""
    try:
        return _UNIT_ALIASES[unit.lower()]
    except KeyError:
        raise ValueError(f"{unit!r} is not an Indian-rupee unit; use Cr, lakh, L or K.") from None


def unit_multiplier(unit: str) -> Decimal:
    """Return how many rupees one ``unit`` is worth: ``unit_multiplier("Cr") == 10**7``."""
    return _UNIT_MULTIPLIERS[canonical_unit(unit)]


def number_value(number: str) -> Decimal:
    """Return the exact value of a number written with Indian or Western thousands separators."""
    return Decimal(number.replace(",", ""))


def parse_inr(text: str) -> Decimal:
    """Parse a rupee amount such as "₹5 Cr", "50,00,000", "50L" or "Rs. 1.2 Cr" into rupees.

    Returns whole rupees as an integral ``Decimal`` (``Decimal("50000000")``) and amounts with
    paise to two places. Raises ``ValueError`` for empty, negative or unreadable input and for
    fractions of a paisa; ``TypeError`` for floats, which cannot hold money exactly.
    """
    if isinstance(text, float):
        raise TypeError("parse_inr takes a string or Decimal, not a float; floats lose paise.")
    if isinstance(text, int | Decimal):
        return _checked(Decimal(text), str(text))
    if not isinstance(text, str):
        raise TypeError(f"parse_inr takes a string, not {type(text).__name__}.")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValueError("Amount is empty; write it like '₹5 Cr', '50 lakh' or '75,00,000'.")
    if cleaned[0] in "-−–":
        raise ValueError(f"Amount {text!r} is negative; amounts must be zero or more.")
    match = _AMOUNT_RE.match(cleaned)
    if match is None:
        raise ValueError(
            f"Cannot read {text!r} as a rupee amount; write it like '₹5 Cr', '50 lakh' or '75,00,000'."
        )
    amount = number_value(match["number"])
    if match["unit"]:
        amount *= unit_multiplier(match["unit"])
    return _checked(amount, text)


def _checked(amount: Decimal, text: str) -> Decimal:
    """Reject amounts that are not money and return the amount in rupees (paise if any)."""
    if not amount.is_finite():
        raise ValueError(f"Amount {text!r} is not a finite number.")
    if amount < 0:
        raise ValueError(f"Amount {text!r} is negative; amounts must be zero or more.")
    try:
        in_paise = amount.quantize(PAISA)
    except InvalidOperation:
        raise ValueError(f"Amount {text!r} is too large to be a rupee amount.") from None
    if in_paise != amount:
        raise ValueError(f"Amount {text!r} has fractions of a paisa; round it to paise.")
    return in_paise if in_paise != in_paise.to_integral_value() else amount.quantize(Decimal(1))


def _to_decimal(amount: Decimal | int) -> Decimal:
    """Accept a Decimal or int and refuse floats, whose binary fractions cannot hold paise."""
    if isinstance(amount, float) or not isinstance(amount, int | Decimal):
        raise TypeError(f"Money must be a Decimal or int, not {type(amount).__name__}.")
    return Decimal(amount)


def format_inr(amount: Decimal) -> str:
    """Format rupees with Indian grouping: ``Decimal("50000000")`` -> "₹5,00,00,000".

    Paise are shown only when non-zero ("₹1,234.50"); amounts are rounded half-up to paise.
    """
    value = _to_decimal(amount).quantize(PAISA, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    value = abs(value)
    pattern = "#,##,##0" if value == value.to_integral_value() else "#,##,##0.00"
    return f"{sign}₹{format_decimal(value, format=pattern, locale='en_IN')}"


def _short_number(value: Decimal) -> str:
    """Write ``value`` with Indian grouping and up to two decimals, trailing zeros dropped."""
    return format_decimal(value, format="#,##,##0.##", locale="en_IN")


def format_inr_short(amount: Decimal) -> str:
    """Format rupees the way brokers say them: "₹5 Cr", "₹2.5 L", "₹1.25 Cr", "₹75,000".

    Crores and lakhs keep up to two decimals (rounded half-up, trailing zeros dropped);
    amounts below one lakh are written in full with ``format_inr``.
    """
    value = _to_decimal(amount).quantize(PAISA, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    value = abs(value)
    lakhs = (value / LAKH).quantize(PAISA, rounding=ROUND_HALF_UP)
    # 99.999 lakh rounds to 100 L, which brokers say as "₹1 Cr".
    if value >= CRORE or lakhs >= 100:
        crores = (value / CRORE).quantize(PAISA, rounding=ROUND_HALF_UP)
        return f"{sign}₹{_short_number(crores)} Cr"
    if value >= LAKH:
        return f"{sign}₹{_short_number(lakhs)} L"
    return sign + format_inr(value)


def format_inr_range(low: Decimal | None, high: Decimal | None, empty: str = "—") -> str:
    """A budget as an advisor says it: "₹3 Cr – ₹5 Cr", "₹4 Cr", "₹5 Cr+", "up to ₹3 Cr"."""
    if low is not None and high is not None:
        return format_inr_short(low) if low == high else f"{format_inr_short(low)} – {format_inr_short(high)}"
    if low is not None:
        return f"{format_inr_short(low)}+"
    if high is not None:
        return f"up to {format_inr_short(high)}"
    return empty
