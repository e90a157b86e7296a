"""Message text in the one form every reader of it parses, whatever the investor typed it on."""

from app.rag.language import normalise_text


def normalize_text(text: str) -> str:
    """NFC, ASCII digits, lower case and single spaces: the form every parser reads."""
    return " ".join(normalise_text(text).lower().replace("’", "'").split())
