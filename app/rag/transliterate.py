"""Names written in Hindi: "केसर वाटिका", "एस्टेट रेसिडेंसेज़" read as the English the brochures use.

A Hindi question spells a project's or a place's name in Devanagari. The name is matched on its
consonants, the part of a word both scripts keep: vowels, silent letters and doubled letters
differ between "रेसिडेंसेज़" and "Residences" while r-s-d-n-s does not. A run of Hindi words
matching a known phrase word for word is read as that phrase; a single word is read as a known
word only when its consonants are telling (four or more) and no other known word has them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

NUKTA = "\u093c"
# Devanagari consonants by the sound class English spelling gives them.
CONSONANTS = {
    **dict.fromkeys("कख", "k"),
    **dict.fromkeys("गघ", "g"),
    **dict.fromkeys("चछ", "c"),
    **dict.fromkeys("जझ", "j"),
    **dict.fromkeys("टठतथ", "t"),
    **dict.fromkeys("डढदध", "d"),
    **dict.fromkeys("ङञणनंँ", "n"),
    "प": "p",
    **dict.fromkeys("फ", "f"),
    **dict.fromkeys("बभ", "b"),
    "म": "m",
    **dict.fromkeys("रऋृ", "r"),
    "ल": "l",
    "व": "v",
    **dict.fromkeys("शषस", "s"),
    **dict.fromkeys("हः", "h"),
}
WITH_NUKTA = {"ज": "s", "फ": "f", "क": "k", "ख": "k", "ग": "g", "ड": "r", "ढ": "r"}  # ज़ is a z

# English spellings of one sound, longest first.
LATIN_SOUNDS = (
    ("ph", "f"),
    ("sh", "s"),
    ("th", "t"),
    ("ck", "k"),
    ("gh", "g"),
    ("kh", "k"),
    ("dh", "d"),
    ("bh", "b"),
    ("jh", "j"),
    ("qu", "k"),
    ("x", "ks"),
    ("q", "k"),
    ("w", "v"),
    ("z", "s"),
)
MIN_WORD_SKELETON = 4


def devanagari_skeleton(word: str) -> str:
    """The consonant classes of a Devanagari word ("रेसिडेंसेज़" → "rsdns")."""
    word = unicodedata.normalize("NFD", word)
    out = []
    for i, char in enumerate(word):
        if char in CONSONANTS:
            nukta = i + 1 < len(word) and word[i + 1] == NUKTA
            out.append(WITH_NUKTA.get(char, CONSONANTS[char]) if nukta else CONSONANTS[char])
    return _squeeze("".join(out))


def latin_skeleton(word: str) -> str:
    """The consonant classes of an English word ("Residences" → "rsdns")."""
    word = re.sub(r"[^a-z]", "", word.lower())
    word = re.sub(r"c(?=[eiy])", "s", word)  # a soft c ("Residences")
    word = re.sub(r"(?<=[a-z])g(?=e|y)", "j", word)  # a soft g ("Regency", "Village"; not "Geeta")
    word = word.replace("ght", "t")  # a silent gh ("Heights")
    word = word.replace("chh", "\0").replace("ch", "\0")  # च/छ, kept apart from a hard c
    for spelling, sound in LATIN_SOUNDS:
        word = word.replace(spelling, sound)
    word = word.replace("c", "k").replace("\0", "c")
    return _squeeze(re.sub(r"[aeiouy]", "", word))


def _squeeze(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


class NameReader:
    """Reads Devanagari spellings of the ``phrases`` (names) and ``words`` a catalogue knows."""

    def __init__(self, phrases: Iterable[str] = (), words: Iterable[str] = ()):
        self.phrases: dict[tuple[str, ...], str] = {}
        for phrase in phrases:
            parts = phrase.split()
            skeletons = [latin_skeleton(p) for p in parts]
            for start in range(len(parts)):  # "Aspen Residences" of "The Aspen Residences" too
                for end in range(start + 2, len(parts) + 1):
                    key = tuple(skeletons[start:end])
                    if all(key) and max(map(len, key)) >= 3:
                        self.phrases.setdefault(key, " ".join(parts[start:end]))
        by_skeleton: dict[str, set[str]] = {}
        for word in [*words, *(p for phrase in phrases for p in phrase.split())]:
            skeleton = latin_skeleton(word)
            if len(skeleton) >= MIN_WORD_SKELETON:
                by_skeleton.setdefault(skeleton, set()).add(word.lower())
        # A skeleton several words share tells nothing.
        self.words = {skeleton: found.pop() for skeleton, found in by_skeleton.items() if len(found) == 1}
        self.longest = max((len(key) for key in self.phrases), default=1)

    def read(self, hindi: list[str]) -> list[str]:
        """English for a run of Devanagari words the dictionary lacks; "" for one not known."""
        skeletons = [devanagari_skeleton(word) for word in hindi]
        out: list[str] = []
        i = 0
        while i < len(hindi):
            for size in range(min(self.longest, len(hindi) - i), 1, -1):
                phrase = self.phrases.get(tuple(skeletons[i : i + size]))
                if phrase is not None:
                    out.append(phrase)
                    i += size
                    break
            else:
                out.append(self.words.get(skeletons[i], ""))
                i += 1
        return out
