"""Questions that ask for several things at once, split into one question per thing.

"What are the carpet, balcony and super areas of the 4 BHK?" asks three questions that share
their frame: each coordinated item takes the words around the list ("What are the … of the 4
BHK?"), and a head noun the items share ("areas") goes to each item that lacks one. Two full
questions joined by "and" ("What is the IFMS, and at which stage is it payable?") are split at
the "and"; a pronoun in the second ("it") takes the topic of the first.

Plain English word patterns only; a question without a coordination is returned unchanged, and
the answerer answers each part on its own, citing each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN_RE = re.compile(r"[\w'’]+(?:[-./][\w'’]+)*|[^\w\s]")

DETERMINERS = frozenset("the a an its their both all each every".split())
WH_WORDS = frozenset("what whats what's which who whom whose when where why how many much".split())
AUXILIARIES = frozenset(
    "is are was were be does do did has have had will would can could should shall may might".split()
)
PREPOSITIONS = frozenset("of at in on for from to with by near versus vs between under over within".split())
BE_WORDS = frozenset("be been being is are was were get got gets".split())
PRONOUNS = frozenset("it its they them their this that".split())
# Where the first item of a list starts (just after one of these) and where the last one ends.
ITEM_START_AFTER = DETERMINERS | WH_WORDS | AUXILIARIES | PREPOSITIONS | frozenset(["me", "give", "tell"])
ITEM_END_AT = AUXILIARIES | PREPOSITIONS | frozenset([",", "?", ".", "!", ";", ":", "(", ")"])
MAX_ITEM_WORDS = 6


@dataclass(frozen=True)
class Part:
    """One question of a multi-part question, and the item it asks about ("balcony areas")."""

    question: str
    item: str


def split_question(question: str) -> list[Part]:
    """The questions ``question`` asks, one per coordinated item or clause; one part when it asks
    for one thing."""
    tokens = TOKEN_RE.findall(question)
    parts = _split_clauses(tokens)
    result: list[Part] = []
    for clause in parts:
        result.extend(_split_items(clause))
    return result if len(result) > 1 else [Part(question, "")]


def _lower(tokens: list[str]) -> list[str]:
    return [t.lower() for t in tokens]


def _split_clauses(tokens: list[str]) -> list[list[str]]:
    """Split at an "and" that starts a question of its own ("…, and which office registered it")."""
    lowered = _lower(tokens)
    for at, word in enumerate(lowered):
        if word != "and" or at == 0:
            continue
        following = lowered[at + 1 : at + 3]
        if not following:
            continue
        starts_question = following[0] in WH_WORDS - {"many", "much"} or (
            following[0] in PREPOSITIONS and len(following) > 1 and following[1] in WH_WORDS
        )
        # "Which hospital and which university are…" lists items; "What is X and at which stage
        # is it…" joins two questions: the first has its verb before the "and".
        has_verb = any(word in AUXILIARIES for word in lowered[:at])
        if starts_question and has_verb:
            first = tokens[:at]
            while first and first[-1] == ",":
                first = first[:-1]
            first = [*first, "?"]
            second = tokens[at + 1 :]
            if {w.lower() for w in second} & PRONOUNS:
                second = second + _topic(first)
            return [first, *_split_clauses(second)]
    return [tokens]


def _topic(clause: list[str]) -> list[str]:
    """A clause's words past its question word and verb ("the IFMS for a 4 BHK")."""
    lowered = _lower(clause)
    start = 0
    while start < len(clause) and (lowered[start] in WH_WORDS or lowered[start] in AUXILIARIES):
        start += 1
    return [t for t in clause[start:] if t not in ",?.!"]


def _split_items(tokens: list[str]) -> list[Part]:
    lowered = _lower(tokens)
    if "and" not in lowered:
        return [Part(_join(tokens), "")]
    at = lowered.index("and")
    # The last item: after "and", without a repeated question word or preposition, up to the
    # next verb, preposition or punctuation.
    start = at + 1
    first_start = _first_item_start(lowered, at)
    following = lowered[start] if start < len(tokens) else ""
    if following in PREPOSITIONS:
        # "from the metro and from the highway": the items follow the repeated preposition.
        earlier = [n for n in range(max(0, at - MAX_ITEM_WORDS), at) if lowered[n] == following]
        if not earlier:
            return [Part(_join(tokens), "")]
        first_start = earlier[-1] + 1
        start += 1
    while start < len(tokens) and lowered[start] in WH_WORDS:
        start += 1
    end = start
    while end < len(tokens) and lowered[end] not in ITEM_END_AT and end - start < MAX_ITEM_WORDS:
        end += 1
    last = tokens[start:end]
    items = [item for item in _comma_items(tokens[first_start:at]) if item]
    if not last or not items or any(len(item) > MAX_ITEM_WORDS for item in items):
        return [Part(_join(tokens), "")]
    items.append(last)
    if (
        lowered[first_start - 1 : first_start]
        and lowered[first_start - 1] in BE_WORDS
        and all(len(item) == 1 and item[0].lower().endswith("ed") for item in items)
    ):
        # "When will the plot be registered and handed over?": two things done to one subject at
        # one time, asked once ("Registry and Possession (within 90 days)" answers both).
        return [Part(_join(tokens), "")]
    # A head noun the items share: "carpet, balcony and super AREAS", "club membership and
    # car parking CHARGES" (not when the last item is a phrase of its own: "the golf-view PLC").
    head = last[-1]
    if len(last) >= 2 and last[0].lower() not in DETERMINERS and not head[0].isdigit():
        items = [item if head.lower() in _lower(item) else [*item, head] for item in items[:-1]] + [last]
    left, right = tokens[:first_start], tokens[end:]
    if left and left[-1].lower() in DETERMINERS:
        items = [item[1:] if len(item) > 1 and item[0].lower() in DETERMINERS else item for item in items]
    return [Part(_join([*left, *item, *right]), _label(item)) for item in items]


def _label(item: list[str]) -> str:
    return _join(item[1:] if len(item) > 1 and item[0].lower() in DETERMINERS else item)


def _first_item_start(lowered: list[str], at: int) -> int:
    """Where the list before the "and" at ``at`` starts: just after the last determiner,
    question word, verb or preposition before it."""
    start = at
    while start > 0 and lowered[start - 1] not in ITEM_START_AFTER and at - start <= 3 * MAX_ITEM_WORDS:
        start -= 1
    return start


def _comma_items(tokens: list[str]) -> list[list[str]]:
    items: list[list[str]] = [[]]
    for token in tokens:
        if token == ",":
            items.append([])
        else:
            items[-1].append(token)
    return items


def _join(tokens: list[str]) -> str:
    text = " ".join(tokens)
    text = re.sub(r"\s+([?.!,;:)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    return text.strip()
