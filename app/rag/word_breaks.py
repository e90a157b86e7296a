"""Put back the spaces an OCR recogniser left out between words ("BasicSalePrice",
"Rs.18,500per sq.ft.ofsaleablearea" → "Basic Sale Price", "Rs.18,500 per sq.ft. of saleable area").

Two kinds of evidence, neither keyed on any brochure's words:

- **gaps** — the recogniser places every character it read; a step from one character to the
  next much wider than the line's usual step is a space it did not print;
- **words** — a run of letters that is not an English word is cut into English words (a unigram
  segmentation over pyspellchecker's word frequencies) when the cut reads better than the run,
  a capital after a small letter ("SalePrice") or a wide gap making a cut likelier.

Figures are never cut or changed (a letter O read between two digits is mended to 0), nor are
e-mail addresses, web addresses or codes with slashes. Pure Python: no database, no Flask.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from app.rag.cleanup import word_count

# A step this many times the line's usual character step is a space the recogniser left out.
WIDE_GAP = 1.9
# Between a figure and a word, or after punctuation, a somewhat smaller step is already a space
# (characters there are narrow, so a word gap shows as a smaller multiple).
WIDE_GAP_AT_FIGURE = 1.7
TIGHT_GAP = 1.2  # a step this small is inside a word

_TOTAL_WORDS = 1.6e9  # scale of pyspellchecker's English frequency list
_UNKNOWN_RUN = 10.0  # cost of leaving a run of letters that is no word as it is …
_UNKNOWN_PER_LETTER = 2.5  # … growing with its length: long glued runs are cut more readily
_CUT = 4.0  # cost of one cut
_CUT_IN_NAME = 11.0  # … inside a capitalised run, which may be a name the word list lacks
_CUT_AT_WIDE_GAP = -6.0
_CUT_AT_TIGHT_GAP = 8.0
_MAX_WORD = 20

_TOKEN_SKIP_RE = re.compile(r"@|://|^www\.|[a-z0-9]\.(?:com|in|org|net|co|io)\b", re.IGNORECASE)
_LETTERS_RE = re.compile(r"[A-Za-z]+")
# A letter O inside a figure: between digits, or beside the grouping comma or decimal point of
# one ("5,0o,000", "18,5O0", "2.o5"), never at the edge of a word ("Co.", "No. 5").
_O_IN_FIGURE_RE = re.compile(r"(?<=\d)[oO](?=[\d,.]\d)|(?<=\d)[oO](?=\d)|(?<=\d[,.])[oO](?=\d)")
_PUNCT_BEFORE_WORD = ",;:)"


def restore_spaces(text: str, steps: list[float] | None = None) -> str:
    """``text`` (one recognised line) with the spaces between its words put back.

    ``steps[i]`` is the distance from character ``i`` to character ``i + 1`` of ``text`` as
    placed by the recogniser (None or a list of the wrong length: no gap evidence, only words).
    """
    if steps is None or len(steps) != len(text) - 1:
        steps = []
    ratios = _step_ratios(text, steps)
    text = _O_IN_FIGURE_RE.sub("0", text)
    out: list[str] = []
    start = 0
    for match in re.finditer(r"\S+", text):
        out.append(text[start : match.start()])
        token = match.group()
        if _TOKEN_SKIP_RE.search(token):
            out.append(token)
        else:
            out.append(_restore_token(token, ratios[match.start() : match.end()]))
        start = match.end()
    out.append(text[start:])
    return "".join(out)


def _step_ratios(text: str, steps: list[float]) -> list[float | None]:
    """For each character, its step from the one before over the line's median step between
    letters (None: first character, a space on either side, or no evidence)."""
    ratios: list[float | None] = [None] * len(text)
    letter_steps = sorted(step for i, step in enumerate(steps) if text[i].isalnum() and text[i + 1].isalnum())
    if not letter_steps:
        return ratios
    usual = letter_steps[len(letter_steps) // 2]
    if usual <= 0:
        return ratios
    for i, step in enumerate(steps, start=1):
        if not text[i - 1].isspace() and not text[i].isspace():
            ratios[i] = step / usual
    return ratios


def _restore_token(token: str, ratios: list[float | None]) -> str:
    """One space-free token with spaces put back inside it."""
    cuts: set[int] = set()
    words_at: dict[int, list[str]] = {}  # each run of letters, by where it starts: its words
    for run in _LETTERS_RE.finditer(token):
        words = segment(run.group(), ratios[run.start() : run.end()])
        words_at[run.start()] = words
        offset = run.start()
        for word in words[:-1]:
            offset += len(word)
            cuts.add(offset)
    for i in range(1, len(token)):
        if _word_starts_or_ends(token, i, ratios[i] or 0.0, words_at):
            cuts.add(i)
    if not cuts:
        return token
    bounds = [0, *sorted(cuts), len(token)]
    return " ".join(token[a:b] for a, b in zip(bounds, bounds[1:], strict=False))


def _word_starts_or_ends(token: str, i: int, ratio: float, words_at: dict[int, list[str]]) -> bool:
    """Whether a word begins or ends between ``token[i - 1]`` and ``token[i]``: a figure and a
    word ("500per", "December2027"), or punctuation and what follows it ("Plan:10%",
    "ft.of"), with a wide gap or a common word on the letters' side."""
    before, here = token[i - 1], token[i]
    wide = ratio >= WIDE_GAP_AT_FIGURE
    if before.isdigit() and here.isalpha():
        return wide or _common_word(words_at[i][0])
    if before.isalpha() and here.isdigit():
        run_start = max(start for start in words_at if start < i)
        return wide or _common_word(words_at[run_start][-1])
    if before in _PUNCT_BEFORE_WORD and here.isalnum() and not _between_digits(token, i):
        return wide or here.isalpha() or token[: i - 1].isalpha()
    if before == "." and here.isalpha():
        # "sq.ft.of" / "ft.ofsaleablearea": running text after an abbreviation; "No.RC" stays
        return wide or len(words_at[i]) > 1 or _common_word(words_at[i][0], shortest=2)
    return False


def _common_word(word: str, shortest: int = 3) -> bool:
    return len(word) >= shortest and _known_count(word) > 0


def _between_digits(token: str, i: int) -> bool:
    """Whether the punctuation before ``token[i]`` sits inside a figure ("18,500", "10:30")."""
    return i >= 2 and token[i - 2].isdigit() and token[i].isdigit()


def segment(run: str, ratios: list[float | None] | None = None) -> list[str]:
    """A run of letters cut into words; the run itself (one item) when it is a word, or when no
    cut reads better. ``ratios`` are the gap ratios of its characters (see ``restore_spaces``).

    A capital after a small letter ("SalePrice") or a capitalised word after capitals
    ("RERARegistration") always cuts; each part between such cuts that is not a word is cut into
    common words when that costs less than leaving it (a name the word list lacks, "Gurugram",
    stays whole rather than becoming two rarer words), a wide gap making a cut cheaper and a
    tight one dearer.
    """
    ratios = ratios if ratios is not None and len(ratios) == len(run) else [None] * len(run)
    if _is_word(run):
        return [run]
    bounds = [0, *(at for at in range(1, len(run)) if _case_break(run, at)), len(run)]
    words: list[str] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        words += [run[a + x : a + y] for x, y in _best_cut(run[a:b], ratios[a:b])]
    return words


def _best_cut(part: str, ratios: list[float | None]) -> list[tuple[int, int]]:
    """Spans of ``part`` read as words (one span: left as it is)."""
    n = len(part)
    whole = [(0, n)]
    if n < 4 or part.isupper() or _is_word(part):  # capitals: an acronym or a code
        return whole
    cut_cost = _CUT_IN_NAME if part[0].isupper() else _CUT
    # best[i]: (cost, spans) of the best reading of part[:i] as common words
    best: list[tuple[float, list[tuple[int, int]]]] = [(0.0, [])] + [(math.inf, [])] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_WORD), end):
            cost_before, spans = best[start]
            count = _known_count(part[start:end])
            if cost_before == math.inf or not count:
                continue
            cost = cost_before + math.log(_TOTAL_WORDS / count)
            if start:
                cost += cut_cost + _gap_cost(ratios[start])
            if cost < best[end][0]:
                best[end] = (cost, [*spans, (start, end)])
    cost, spans = best[n]
    return spans if cost < _unknown_cost(n) else whole


def _case_break(run: str, at: int) -> bool:
    """A capital after a small letter ("SalePrice"), or a capitalised word after capitals
    ("RERARegistration")."""
    before, here = run[at - 1], run[at]
    if before.islower() and here.isupper():
        return True
    return at >= 2 and at + 1 < len(run) and before.isupper() and here.isupper() and run[at + 1].islower()


def _gap_cost(ratio: float | None) -> float:
    if ratio is None:
        return 0.0
    if ratio >= WIDE_GAP:
        return _CUT_AT_WIDE_GAP
    return _CUT_AT_TIGHT_GAP if ratio < TIGHT_GAP else 0.0


def _unknown_cost(length: int) -> float:
    return _UNKNOWN_RUN + _UNKNOWN_PER_LETTER * length


def _is_word(run: str) -> bool:
    lower = run.lower()
    return word_count(lower) > 0 or (lower.endswith("s") and word_count(lower[:-1]) > 0)


@lru_cache(maxsize=65536)
def _known_count(piece: str) -> int:
    """How common ``piece`` is as a word; 0 when it is too rare to stand for a word at its length
    (short pieces must be common: "of" yes, "ar" no)."""
    lower = piece.lower()
    if piece[1:].isupper() and not piece.isupper():  # "sALE": not a word's shape
        return 0
    count = word_count(lower)
    if len(lower) == 1:
        return count if lower == "a" else 0
    if len(lower) == 2:
        return count if count >= 1_000_000 else 0
    if len(lower) == 3:
        return count if count >= 50_000 else 0
    return count
