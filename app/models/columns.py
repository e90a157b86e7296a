"""Column types with a meaning, shared by the models so each kind of value is stored one way."""

from sqlalchemy import DateTime, Numeric

# Every moment is stored with its time zone (UTC); pages show it in India time.
Timestamp = DateTime(timezone=True)
# Rupee amounts (budgets, deal values, commissions, targets): exact to the paisa, 14 digits of rupees.
Rupees = Numeric(16, 2)
# A commission rate as a fraction, e.g. 0.0200 for 2 %.
Rate = Numeric(6, 4)

# Row ids are PostgreSQL ``integer``s: a larger number typed in a URL or a form names no row.
MAX_ID = 2**31 - 1


def parse_id(text: str | None) -> int | None:
    """The row id in ``text``, or None when it is not one (not digits, or too large to be one)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
