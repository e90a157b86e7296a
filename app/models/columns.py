"""Column types with a meaning, shared by the models so each kind of value is stored one way."""

from sqlalchemy import DateTime, Numeric

# Every moment is stored with its time zone (UTC); pages show it in India time.
Timestamp = DateTime(timezone=True)
# Rupee amounts (budgets, deal values, commissions, targets): exact to the paisa, 14 digits of rupees.
Rupees = Numeric(16, 2)
# A commission rate as a fraction, e.g. 0.0200 for 2 %.
Rate = Numeric(6, 4)
