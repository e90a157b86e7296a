"""Delhi NCR luxury localities, and reading the answer to "Which area are you looking in?".

Answers arrive as WhatsApp shorthand ("sec 63a ggn", "gcer", "dwarka e-way") or with typos
("golf corse road"); ``parse_areas`` turns them into canonical locality names.
"""

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

ANY_AREA = "Any"
# fuzz.ratio of a misspelt word group against an alias: 85 accepts one wrong letter in a
# seven-letter name ("gurgaun", 85.7) while "course road" (81 against "golf course road") fails.
FUZZY_CUTOFF = 85


@dataclass(frozen=True)
class Locality:
    """A canonical locality and the ways people write it; ``generic`` marks a whole city."""

    name: str
    aliases: tuple[str, ...]
    city: str
    generic: bool = False


_ROMAN = ("i", "ii", "iii", "iv", "v")

LOCALITIES: tuple[Locality, ...] = (
    Locality(
        "Gurugram",
        ("gurugram", "gurgaon", "ggn", "gurgoan", "gurugaon", "गुड़गांव", "गुरुग्राम"),
        "Gurugram",
        generic=True,
    ),
    Locality("Golf Course Road", ("golf course road", "golf course rd", "gcr", "golf course"), "Gurugram"),
    Locality(
        "Golf Course Extension Road",
        (
            "golf course extension road",
            "golf course extension",
            "golf course ext road",
            "golf course ext",
            "golf course extn road",
            "golf course extn",
            "gc extension",
            "gcer",
            "gcx",
            "gce road",
        ),
        "Gurugram",
    ),
    Locality(
        "Dwarka Expressway",
        (
            "dwarka expressway",
            "dwarka e way",
            "dwarka eway",
            "dwarka expy",
            "dwarka exp",
            "dwarka exp way",
            "dwarka xway",
            "dxp",
            "northern peripheral road",
            "npr",
        ),
        "Gurugram",
    ),
    Locality("Sohna Road", ("sohna road", "sohna rd"), "Gurugram"),
    Locality("Sohna", ("sohna",), "Gurugram"),
    Locality(
        "Southern Peripheral Road", ("southern peripheral road", "southern periphery road", "spr"), "Gurugram"
    ),
    Locality("New Gurugram", ("new gurugram", "new gurgaon", "new ggn"), "Gurugram"),
    Locality("MG Road", ("mg road", "m g road", "mg rd", "mehrauli gurgaon road"), "Gurugram"),
    Locality(
        "Cyber City", ("cyber city", "cybercity", "cyber hub", "cyberhub", "dlf cyber city"), "Gurugram"
    ),
    *(
        Locality(
            f"DLF Phase {n}",
            (f"dlf phase {n}", f"dlf ph {n}", f"dlf {n}", f"dlf phase {_ROMAN[n - 1]}", f"phase {n} dlf"),
            "Gurugram",
        )
        for n in range(1, 6)
    ),
    Locality("NH-48", ("nh 48", "nh48", "nh 8", "nh8", "delhi jaipur highway"), "Gurugram"),
    Locality("Manesar", ("manesar", "imt manesar"), "Gurugram"),
    Locality("Noida", ("noida", "नोएडा"), "Noida", generic=True),
    Locality(
        "Noida Expressway",
        ("noida expressway", "noida greater noida expressway", "noida e way", "noida exp", "noida expy"),
        "Noida",
    ),
    Locality(
        "Greater Noida West",
        ("greater noida west", "gr noida west", "noida extension", "noida extn", "gnw"),
        "Noida",
    ),
    Locality("Greater Noida", ("greater noida", "gr noida"), "Noida"),
    Locality("Delhi", ("delhi", "new delhi", "दिल्ली"), "Delhi", generic=True),
    Locality(
        "South Delhi",
        (
            "south delhi",
            "vasant vihar",
            "greater kailash",
            "gk 1",
            "gk 2",
            "gk i",
            "gk ii",
            "defence colony",
            "def col",
            "hauz khas",
            "panchsheel park",
            "anand lok",
            "westend greens",
            "shanti niketan",
            "saket",
        ),
        "Delhi",
    ),
    Locality(
        "Central Delhi",
        (
            "central delhi",
            "lutyens delhi",
            "lutyens",
            "lbz",
            "golf links",
            "jor bagh",
            "sundar nagar",
            "chanakyapuri",
            "prithviraj road",
        ),
        "Delhi",
    ),
    Locality("Aerocity", ("aerocity", "aero city", "delhi aerocity"), "Delhi"),
    Locality("Faridabad", ("faridabad", "greater faridabad", "fbd"), "Faridabad", generic=True),
)

_ANY_RE = re.compile(
    r"\b(?:any|anywhere|anything|open|flexible|no preference|doesnt matter|does not matter|koi bhi|"
    r"kahin bhi|any area|any location|all|either)\b"
)
_SECTOR_RE = re.compile(
    r"(?<![a-z0-9])(?:sectors?|secs?|sect|secter|sectr|s)\s?(?P<num>\d{1,3}[a-d]?)"
    r"(?P<more>(?:\s?(?:,|/|&|and|or)\s?\d{1,3}[a-d]?(?![a-z0-9])(?!\s?(?:bhk|bed|cr|crores?|lakhs?|l)\b))*)"
    r"(?![a-z0-9])"
)
_NOIDA_NUMBER_RE = re.compile(r"(?<![a-z0-9])noida\s(?P<num>\d{2,3})(?![a-z0-9])")
_STOPWORDS = frozenset(
    "i want looking look for prefer preferably something somewhere area areas location locality side "
    "the a an at on near around in is or and also maybe like good best ok okay only please pls flat "
    "apartment property home house project projects sector".split()
)


def normalize_place(text: str) -> str:
    """Lower-case ``text`` and reduce punctuation to spaces so aliases compare word for word."""
    text = unicodedata.normalize("NFC", text).lower().replace("'", "").replace("’", "")
    text = re.sub(r"(\d)-([a-d])(?![a-z])", r"\1\2", text)  # "63-a" is sector 63A
    text = re.sub(r"[^a-z0-9,/&\s\u0900-\u097f]", " ", text)
    return " ".join(text.split())


_ALIAS_TO_NAME = {normalize_place(alias): loc.name for loc in LOCALITIES for alias in loc.aliases}
_BY_NAME = {loc.name: loc for loc in LOCALITIES}
_ALIAS_RE = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(re.escape(alias) for alias in sorted(_ALIAS_TO_NAME, key=len, reverse=True))
    + r")(?![a-z0-9])"
)
# Short aliases ("gcr", "spr") are too close to ordinary words to be guessed at.
_FUZZY_CHOICES = [alias for alias in _ALIAS_TO_NAME if len(alias) >= 5 and alias.isascii()]


# The word naming a sector's city, and the sectors that city has on the ground.
_CITY_WORD_RE = re.compile(r"noida|gurgaon|gurugram|ggn|faridabad|dwarka(?!\s?e)")
_SECTOR_CITIES = {
    "Gurugram": range(1, 116),
    "Noida": range(1, 169),
    "Faridabad": range(1, 90),
    "Dwarka": range(1, 30),  # Delhi's Dwarka, not the expressway's Gurugram sectors
}


def _sector_city(text: str, start: int, end: int, number: int) -> str:
    """Which city a sector mention belongs to: the city named nearest after it, else before it."""
    after = _CITY_WORD_RE.findall(text[end : end + 20])
    before = _CITY_WORD_RE.findall(text[max(0, start - 20) : start])
    named = after[0] if after else before[-1] if before else None
    if named:
        return "Gurugram" if named in ("gurgaon", "gurugram", "ggn") else named.title()
    if number not in _SECTOR_CITIES["Gurugram"]:
        return "Noida"  # Gurugram stops at 115; Sector 150 is Noida's luxury belt
    return "Noida" if "noida" in text and not re.search(r"gurgaon|gurugram|ggn", text) else "Gurugram"


def _sectors(text: str) -> list[tuple[int, int, str]]:
    """Sector mentions as (start, end, canonical name), e.g. "Gurugram Sector 63A"."""
    found = []
    for match in _SECTOR_RE.finditer(text):
        numbers = [match["num"], *re.findall(r"\d{1,3}[a-d]?", match["more"])]
        for number in numbers:
            value = int(number.rstrip("abcd"))
            city = _sector_city(text, match.start(), match.end(), value)
            if value in _SECTOR_CITIES[city]:
                found.append((match.start(), match.end(), f"{city} Sector {number.upper()}"))
    for match in _NOIDA_NUMBER_RE.finditer(text):
        if int(match["num"]) in _SECTOR_CITIES["Noida"]:
            found.append((match.start(), match.end(), f"Noida Sector {match['num']}"))
    return found


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Blank out already-read spans so later passes do not read them twice."""
    for start, end, _ in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _fuzzy(text: str) -> list[tuple[int, int, str]]:
    """Misspelt localities: runs of non-stopwords scored against every alias, best first."""
    runs: list[list[re.Match[str]]] = [[]]
    for token in re.finditer(r"[a-z0-9]+|[,/&]", text):
        if token.group() in _STOPWORDS or not token.group()[0].isalnum():
            runs.append([])
        else:
            runs[-1].append(token)
    candidates = []
    for run in runs:
        for i in range(len(run)):
            for j in range(i + 1, min(i + 5, len(run)) + 1):
                phrase = " ".join(token.group() for token in run[i:j])
                if len(phrase) < 5:
                    continue
                best = process.extractOne(
                    phrase, _FUZZY_CHOICES, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
                )
                if best is not None:
                    candidates.append((best[1], j - i, run[i].start(), run[j - 1].end(), best[0]))
    taken: list[tuple[int, int, str]] = []
    for _, _, start, end, alias in sorted(candidates, key=lambda c: (-c[0], -c[1])):
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, _ALIAS_TO_NAME[alias]))
    return taken


def parse_areas(text: str) -> list[str] | None:
    """Canonical localities named in an answer, in the order written, or ``None`` if none.

    "sec 63a ggn" -> ["Gurugram Sector 63A"]; "gcr or dwarka e-way" -> ["Golf Course Road",
    "Dwarka Expressway"]; "gurgaon" -> ["Gurugram"] (a city is dropped when a locality inside it
    is also named); "anywhere" / "open" / "flexible" -> ["Any"]. Sectors default to Gurugram
    unless Noida is named beside them or the number is beyond Gurugram's 115.
    """
    clean = normalize_place(text)
    found = _sectors(clean)
    masked = _mask(clean, found)
    aliases = [(m.start(), m.end(), _ALIAS_TO_NAME[m.group()]) for m in _ALIAS_RE.finditer(masked)]
    found += aliases
    found += _fuzzy(_mask(masked, aliases))
    names: list[str] = []
    for _, _, name in sorted(found):
        if name not in names:
            names.append(name)
    # A whole city ("Gurugram") adds nothing once a place inside it is named.
    specific = [n for n in names if not (n in _BY_NAME and _BY_NAME[n].generic)]
    cities = {_BY_NAME[n].city if n in _BY_NAME else n.split(" Sector")[0] for n in specific}
    names = [n for n in names if n in specific or _BY_NAME[n].city not in cities]
    if names:
        return names
    return [ANY_AREA] if _ANY_RE.search(clean) else None
