"""Message text in the one form every reader of it parses, whatever the investor typed it on."""

import unicodedata

_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


def normalize_text(text: str) -> str:
    """NFC, ASCII digits, lower case and single spaces: the form every parser reads."""
    text = unicodedata.normalize("NFC", text).translate(_DEVANAGARI_DIGITS).lower()
    return " ".join(text.replace("’", "'").split())
