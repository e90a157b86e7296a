"""Read free-text answers to the qualification questions: budget, area, timeline and unit.

Each function is pure: WhatsApp text in (English, Hinglish, some Hindi), a canonical value out,
or ``None`` when the answer cannot be read and the bot should ask again. Money is ``Decimal``
rupees throughout, parsed and formatted with ``app.money``.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from app.conversation.localities import ANY_AREA, LOCALITIES, Locality, parse_areas
from app.conversation.text import normalize_text
from app.money import (
    CRORE,
    CURRENCY_PATTERN,
    LAKH,
    NUMBER_PATTERN,
    UNIT_PATTERN,
    canonical_unit,
    format_inr_range,
    number_value,
    parse_inr,
)

__all__ = [
    "ANY_AREA", "LOCALITIES", "TIMELINES", "UNIT_KINDS", "Budget", "Locality", "UnitPreference",
    "parse_areas", "parse_budget", "parse_timeline", "parse_unit",
]  # fmt: skip

# A budget outside this band is a typo or a joke, not a luxury-home budget.
MIN_BUDGET = 10 * LAKH
MAX_BUDGET = 500 * CRORE

# -- Budget -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """A budget in exact rupees; ``None`` on one side means open-ended (``5 Cr+``, ``up to 3 Cr``)."""

    min_inr: Decimal | None
    max_inr: Decimal | None

    def label(self) -> str:
        """How an advisor says it: "₹3 Cr – ₹5 Cr", "₹4 Cr", "₹5 Cr+" or "up to ₹3 Cr"."""
        return format_inr_range(self.min_inr, self.max_inr, empty="Open budget")


_DEV = r"\u0900-\u097f"  # Devanagari letters and signs; \b does not see vowel signs as word parts
_BUDGET_WORDS = (  # Hindi and Hinglish spellings, rewritten to what the patterns below read
    (rf"करोड[{_DEV}]*|\bkaro[rd]\w*|\bcrores?\b", " crore "),
    (rf"लाख[{_DEV}]*|\blaakh\w*", " lakh "),
    (rf"(?<![{_DEV}])से(?![{_DEV}])", " se "),
    (rf"(?<![{_DEV}])तक(?![{_DEV}])", " tak "),
    (rf"(?<![{_DEV}])कम(?![{_DEV}])", " kam "),
    (rf"ज[{_DEV}]*यादा|अधिक|ऊपर", " zyada "),
    (r"लगभग|\bkareeb\b|\bkarib\b", " around "),
    (r"(\d)\s*\+\s*(" + UNIT_PATTERN + r")", r"\1 \2 +"),  # "5+ crore" means 5 crore or more
)
_NUMBER_WORDS = {
    "half": "0.5", "aadha": "0.5", "dedh": "1.5", "dhai": "2.5", "dhaai": "2.5", "one": "1", "ek": "1",
    "एक": "1", "two": "2", "do": "2", "दो": "2", "three": "3", "teen": "3", "तीन": "3", "four": "4",
    "char": "4", "chaar": "4", "चार": "4", "five": "5", "paanch": "5", "panch": "5", "पांच": "5",
    "पाँच": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10", "das": "10",
    "dus": "10", "दस": "10", "twenty": "20", "fifty": "50", "pachas": "50", "पचास": "50",
}  # fmt: skip
# Number words count only before a unit or a range connector, so "do" in "can do" stays a verb.
_NUMBER_WORD_RE = re.compile(
    r"(?<![\w\u0900-\u097f])(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"(?![\w\u0900-\u097f])(?=\s*(?:-|–|to\b|se\b|or\b|crore|lakh|cr\b|l\b|million))"
)
_AMOUNT_RE = re.compile(
    rf"(?<![\w.])(?:(?P<cur>{CURRENCY_PATTERN})\s*)?(?P<number>{NUMBER_PATTERN})(?:\s*(?P<unit>{UNIT_PATTERN}))?"
)
# A bare number that counts something other than rupees: a sector, bedrooms, area, months.
_NOT_MONEY_BEFORE = re.compile(r"(?:sector|sec|phase|ph|s-|no\.?|number|#)\s*-?\s*$")
_NOT_MONEY_AFTER = re.compile(
    r"(?:\s*(?:-|to|or|/)\s*\d+)?\s*(?:bhk|bed|br\b|rk\b|sq|sft|square|%|yrs?\b|years?|months?|mo\b|weeks?|"
    r"days?|floors?|acres?|gaj|marla|am\b|pm\b|st\b|nd\b|rd\b|th\b|bath)"
)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?91[\s-]?)?[6-9]\d{4}\s?\d{5}(?!\d)")
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|~|to|se|till|and|&|or|/)\s*")
# Words that make a lone amount a ceiling ("max") or a floor ("min"): (written before it, after it).
# Ceilings are tried first so "not more than" never reads as "more than".
_BOUND_WORDS = {
    "max": (r"(?:under|below|upto|up\s*to|max(?:imum)?|within|less\s+than|at\s*most|till|"
            r"(?:not|no)\s+more\s+than|not\s+(?:above|over)|<=?|≤|cap(?:ped)?\s+at)\s*(?:of\s*)?",
            r"max(?:imum)?\b|or\s+(?:less|below|under|lower)|and\s+below|tak\b|se\s+kam|ke\s+andar|"
            r"at\s+most|tops?\b"),
    "min": (r"above|over|more\s+than|greater\s+than|at\s*least|min(?:imum)?|from|>=?|≥|"
            r"starting(?:\s+(?:from|at))?|north\s+of|upwards\s+of|beyond",
            r"\+|plus\b|and\s+(?:above|more)|or\s+(?:above|more|higher)|onwards?\b|min(?:imum)?\b|"
            r"se\s+(?:zyada|jyada|upar|uper)|ke\s+upar"),
}  # fmt: skip
_BOUND_BEFORE = tuple(
    (bound, re.compile(rf"(?:{before})\s*$")) for bound, (before, _) in _BOUND_WORDS.items()
)
_BOUND_AFTER = tuple((bound, re.compile(rf"\s*(?:{after})")) for bound, (_, after) in _BOUND_WORDS.items())


@dataclass(frozen=True)
class _Amount:
    """A number found in a budget answer, before its unit is settled."""

    start: int
    end: int
    number: Decimal
    unit: str | None  # canonical app.money unit, when one was written
    money: bool  # written with a unit or a currency sign, so surely rupees


def _guess_unit(number: Decimal) -> str | None:
    """Unit for a bare number: crores below 100, lakhs below 10,000, otherwise plain rupees."""
    if number < 100:
        return "cr"  # luxury context: "1.5-2" means crores
    return "lakh" if number < 10000 else None


def _rupees(amount: _Amount, unit: str | None) -> Decimal:
    """The amount in rupees, reading a bare number in ``unit`` unless it is already rupee-sized.

    Raises ``ValueError`` (from ``parse_inr``) for amounts with fractions of a paisa.
    """
    unit = amount.unit or (unit if amount.number < 10000 else None)
    return parse_inr(f"{amount.number} {unit}" if unit else str(amount.number))


def _amounts(text: str) -> list[_Amount]:
    """Every rupee-like number in ``text``, with "1 cr 20 lakh" merged into one amount."""
    found: list[_Amount] = []
    for match in _AMOUNT_RE.finditer(text):
        unit = canonical_unit(match["unit"]) if match["unit"] else None
        number = number_value(match["number"])
        money = bool(unit or match["cur"])
        year = not money and "," not in match["number"] and 1990 <= number <= 2099 and number % 1 == 0
        counts_something_else = _NOT_MONEY_BEFORE.search(text[: match.start()]) or _NOT_MONEY_AFTER.match(
            text, match.end()
        )
        if not money and (year or counts_something_else):
            continue
        last = found[-1] if found else None
        if last and last.unit == "cr" and unit == "lakh" and not text[last.end : match.start()].strip():
            merged = last.number + number * LAKH / CRORE
            found[-1] = _Amount(last.start, match.end(), merged, "cr", True)
            continue
        found.append(_Amount(match.start(), match.end(), number, unit, money))
    return found


def _range(first: _Amount, second: _Amount) -> tuple[Decimal, Decimal]:
    """Rupee values of "3-5 Cr", "80 lakh to 1.2 cr" or a unitless "1.5-2"."""
    if first.unit is None and second.unit is None:
        unit = _guess_unit(max(first.number, second.number))
        return _rupees(first, unit), _rupees(second, unit)
    low, high = _rupees(first, second.unit), _rupees(second, first.unit)
    if first.unit is None and second.unit == "cr" and low > 10 * high:
        low = _rupees(first, "lakh")  # "80 - 1.2 cr" is 80 lakh to 1.2 crore; "5-3 cr" is just reversed
    return low, high


def _bound(text: str, amount: _Amount, prev_end: int, next_start: int) -> str:
    """Whether a lone amount is a ceiling ("max"), a floor ("min") or the figure itself ("exact")."""
    before = text[max(prev_end, amount.start - 30) : amount.start]
    for bound, pattern in _BOUND_BEFORE:
        if pattern.search(before):
            return bound
    for bound, pattern in _BOUND_AFTER:
        if pattern.match(text, amount.end, next_start):
            return bound
    return "exact"  # "around 4 cr" and "~4cr" included: the figure is both floor and ceiling


def parse_budget(text: str) -> Budget | None:
    """Read a budget answer into exact rupees, or ``None`` when there is no believable amount.

    "₹3-5 Cr" -> 3 Cr..5 Cr; "5+ crore" -> 5 Cr..open; "under 3 cr" -> open..3 Cr; "around 4 cr"
    -> 4 Cr..4 Cr; "between 80 lakh and 1.2 cr", "3 से 5 करोड़" and "1 cr 20 lakh" work too. A
    number without a unit is crores below 100 ("1.5-2"), lakhs below 10,000 and rupees above
    ("5000000"); within a range one unit serves both ends. Bare numbers are ignored when another
    amount carries a unit. Reversed ranges are swapped; anything below ₹10 L or above ₹500 Cr is
    rejected.
    """
    clean = _PHONE_RE.sub(" ", normalize_text(text))
    for pattern, replacement in _BUDGET_WORDS:
        clean = re.sub(pattern, replacement, clean)
    clean = _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], " ".join(clean.split()))
    try:
        return _budget_from(clean, _amounts(clean))
    except ValueError:  # fractions of a paisa: not a budget anyone meant
        return None


def _budget_from(clean: str, amounts: list[_Amount]) -> Budget | None:
    """Combine the amounts of a normalised answer into floor and ceiling, then sanity-check them."""
    explicit = any(amount.money for amount in amounts)
    lows: list[Decimal] = []
    highs: list[Decimal] = []
    i = 0
    while i < len(amounts):
        current, following = amounts[i], amounts[i + 1] if i + 1 < len(amounts) else None
        if following and _RANGE_GAP.fullmatch(clean, current.end, following.start):
            if current.money or following.money or not explicit:
                low, high = _range(current, following)
                lows.append(low)
                highs.append(high)
            i += 2
            continue
        i += 1
        if explicit and not current.money:
            continue
        value = _rupees(current, _guess_unit(current.number))
        prev_end = amounts[i - 2].end if i >= 2 else 0
        bound = _bound(clean, current, prev_end, following.start if following else len(clean))
        if bound != "max":
            lows.append(value)
        if bound != "min":
            highs.append(value)
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        low, high = high, low
    if any(value is not None and not MIN_BUDGET <= value <= MAX_BUDGET for value in (low, high)):
        return None
    return Budget(low, high)


# -- Timeline ---------------------------------------------------------------------------------

TIMELINES = ("immediate", "1-3 months", "3-6 months", "6-12 months", "12+ months", "exploring")

_DURATION_WORDS = {
    "a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "nine": "9", "twelve": "12", "eighteen": "18", "couple of": "2", "a couple of": "2", "few": "4",
    "a few": "4", "ek": "1", "do": "2", "teen": "3",
}  # fmt: skip
_DURATION_UNIT = r"(?P<unit>days?|weeks?|wks?|months?|mths?|mnths?|mos?|years?|yrs?|saal|mahin[ae])\b"
_DURATION_WORD_RE = re.compile(
    r"\b(" + "|".join(sorted(_DURATION_WORDS, key=len, reverse=True)) + rf")\s+(?={_DURATION_UNIT})"
)
_DURATION_RE = re.compile(
    r"(?P<after>\b(?:after|beyond|more than|over)\s+)?(?:\d+(?:\.\d+)?\s*(?:-|–|to|or)\s*)?"
    rf"(?P<n>\d+(?:\.\d+)?)\s*{_DURATION_UNIT}"
)
# Months in one day, week, month, year or saal (Hindi: year), keyed by the unit's first letter.
_MONTHS_IN = {"d": Decimal(1) / 30, "w": Decimal(1) / 4, "m": Decimal(1), "y": Decimal(12), "s": Decimal(12)}
# "Just browsing" outranks everything. "No rush" is weaker: any timeframe said beside it wins.
_BROWSING_RE = re.compile(
    r"\b(?:just|only|abhi bas|bas)\s+(?:exploring|looking|browsing|checking)|window shopping"
)
_NOT_URGENT_RE = re.compile(
    r"\b(?:no (?:hurry|rush|urgency)|not (?:urgent|immediate(?:ly)?|in a hurry|now|right now)|abhi nahi)\b"
    r"|अभी नहीं"
)
# Without a calendar date, "mid/early next year" and "by end of year" mean 6-12 months away and a
# bare "next year" means more than a year; "this month" counts as immediate.
_TIMELINE_PHRASES = (
    (r"\b(?:(?:early|mid|middle of|first half of) next year|within the year|this year|"
     r"(?:by )?(?:the )?end of (?:the |this )?year|year[ -]end|saal bhar)\b", "6-12 months"),
    (r"\b(?:next year|agle saal|coming year|couple of years|few years|long term|end of next year)\b|अगले साल",
     "12+ months"),
    (r"\b(?:next month|coming month|agle mahine|soon|shortly|next few weeks)\b|अगले महीने", "1-3 months"),
    (r"\b(?:next quarter|coming months|next few months)\b", "3-6 months"),
    (r"\b(?:immediate(?:ly)?|a\.?s\.?a\.?p|right away|right now|urgent(?:ly)?|this week|next week|today|"
     r"tomorrow|now|ready to move|turant|abhi|jaldi|this month)\b|अभी|तुरंत", "immediate"),
    (r"\b(?:exploring|looking around|browsing|researching|research|not sure|unsure|no idea|dont know|"
     r"do not know|not decided|undecided|depends|dekh rah[ea])\b", "exploring"),
)  # fmt: skip


def _months_bucket(months: Decimal, after: bool = False) -> str:
    """The bucket for a horizon in months; each bucket includes its upper end unless "after N"."""
    if months < 1:
        return "immediate"
    for limit, bucket in ((3, "1-3 months"), (6, "3-6 months"), (12, "6-12 months")):
        if months < limit or (months == limit and not after):
            return bucket
    return "12+ months"


def parse_timeline(text: str) -> str | None:
    """Map a "when are you planning to buy?" answer to one of ``TIMELINES``, or ``None``.

    Durations read by their far end: "in 2 months" / "1-3 months" -> "1-3 months", "in 4 months"
    -> "3-6 months", "within a year" -> "6-12 months", "1-2 years" / "after 1 year" ->
    "12+ months"; under a month ("2 weeks") is "immediate". Phrases: "asap" / "this week" ->
    "immediate", "next month" -> "1-3 months", "by mid next year" / "by end of year" ->
    "6-12 months", "next year" -> "12+ months", "just exploring" / "not sure" -> "exploring".
    """
    clean = normalize_text(text).replace("'", "")
    if _BROWSING_RE.search(clean):
        return "exploring"
    clean, not_urgent = _NOT_URGENT_RE.subn(" ", clean)
    clean = _DURATION_WORD_RE.sub(lambda m: _DURATION_WORDS[m.group(1)] + " ", clean)
    clean = re.sub(r"\bhalf (?:a )?year\b", "6 months", clean)
    found: list[tuple[int, str]] = []
    for match in _DURATION_RE.finditer(clean):
        months = Decimal(match["n"]) * _MONTHS_IN[match["unit"][0]]
        found.append((match.start(), _months_bucket(months, after=bool(match["after"]))))
    for pattern, bucket in _TIMELINE_PHRASES:
        if match := re.search(pattern, clean):
            found.append((match.start(), bucket))
    if found:
        return min(found)[1]
    return "exploring" if not_urgent else None


# -- Unit -------------------------------------------------------------------------------------

UNIT_KINDS = ("studio", "2BHK", "3BHK", "3BHK+servant", "4BHK", "4BHK+servant", "5BHK", "penthouse", "villa",
              "plot", "any")  # fmt: skip
_UNIT_LABELS = {"3BHK+servant": "3BHK + servant", "4BHK+servant": "4BHK + servant", "penthouse": "Penthouse",
                "villa": "Villa", "plot": "Plot", "studio": "Studio", "any": "Any"}  # fmt: skip


@dataclass(frozen=True)
class UnitPreference:
    """The configurations a buyer would consider, as canonical ``UNIT_KINDS`` in that order."""

    kinds: tuple[str, ...]

    def label(self) -> str:
        """Readable list for an advisor: "3BHK / 4BHK + servant", "Penthouse", "Any"."""
        return " / ".join(_UNIT_LABELS.get(kind, kind) for kind in self.kinds)


_BEDROOM_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "do": "2",
                  "teen": "3", "char": "4", "chaar": "4", "paanch": "5"}  # fmt: skip
_BEDROOM_WORD_RE = re.compile(
    r"\b(" + "|".join(_BEDROOM_WORDS) + r")\b(?=(?:\s*(?:or|/|,|-|to|and|&)\s*\w+)*\s*(?:bhk|bed|br\b|rk\b))"
)
_BEDROOMS_RE = re.compile(
    r"(?<![\d.])(?P<nums>\d(?:\.5)?(?:\s*(?:,|/|or|and|&|-|to)\s*\d(?:\.5)?)*)\s*"
    r"(?P<what>bhk|b\.h\.k|bed(?:room)?s?|br\b|rk\b)"
)
# "+S" / "+SQ" is listing shorthand for a servant quarter; "sq" before "ft" is square feet.
_SERVANT_RE = re.compile(r"servant|staff room|maid|\bhelpers? room|\bsq\b(?!\s*\.?\s*f)|\+\s*s(?:q|r)?\b")
_KIND_PATTERNS = (
    (r"\bpent\s?house", "penthouse"),
    (r"\bvillas?\b|independent (?:house|home)|bungalow|kothi|row ?house", "villa"),
    (r"\bplots?\b", "plot"),
    (r"\bstudio", "studio"),
)
_ANY_UNIT_RE = re.compile(r"\b(?:any|anything|open|flexible|no preference|doesnt matter|whatever|koi bhi)\b")


def _bedroom_kind(bedrooms: int, servant: bool) -> str:
    """Canonical kind for a bedroom count: 1 is a studio, 5 means five or more."""
    if bedrooms <= 1:
        return "studio"
    kind = f"{min(bedrooms, 5)}BHK"
    return f"{kind}+servant" if servant and kind in ("3BHK", "4BHK") else kind


def parse_unit(text: str) -> UnitPreference | None:
    """Read the configurations asked for, or ``None`` when none is named.

    "3bhk" / "three bedroom" -> 3BHK; "4 BHK + servant" / "4bhk with servant room" ->
    4BHK+servant; "3 or 4 bhk" -> both; "3-5 bhk" -> 3, 4 and 5; "2.5 BHK" rounds down;
    "penthouse", "villa" (also kothi, bungalow), "plot", "studio" / "1 RK"; "open" / "any" /
    "flexible" -> any, when nothing specific is named.
    """
    clean = _BEDROOM_WORD_RE.sub(lambda m: _BEDROOM_WORDS[m.group(1)], normalize_text(text).replace("'", ""))
    servant = bool(_SERVANT_RE.search(clean))
    kinds: set[str] = set()
    for match in _BEDROOMS_RE.finditer(clean):
        numbers = [int(Decimal(n)) for n in re.findall(r"\d(?:\.5)?", match["nums"])]
        if match["what"] == "rk":
            numbers = [1]
        elif len(numbers) == 2 and re.search(r"-|to", match["nums"]):
            numbers = list(range(min(numbers), max(numbers) + 1))
        kinds.update(_bedroom_kind(n, servant) for n in numbers)
    kinds.update(kind for pattern, kind in _KIND_PATTERNS if re.search(pattern, clean))
    if not kinds and _ANY_UNIT_RE.search(clean):
        kinds.add("any")
    return UnitPreference(tuple(k for k in UNIT_KINDS if k in kinds)) if kinds else None
