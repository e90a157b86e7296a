"""Reading a provider's webhook body: its timestamps, its lists of items and its error objects.

Shared by the webhook parsers of every provider (``meta.parse_webhook``, ``wati.parse_wati_webhook``):
one malformed item is skipped with a warning rather than failing the whole delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# WhatsApp message types that carry media; the bot reads only their caption.
MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "voice", "sticker"})
# Message types with nothing for the bot to read, kept under their own kind; any other type
# (order, edit, revoke, request_welcome, types added later) is stored as "other".
SIMPLE_KINDS = {"location": "location", "contacts": "contacts", "unsupported": "unsupported"}
# What a click-to-WhatsApp referral says about the ad or post the message came from (Meta's
# ``referral`` object): the ad id, its kind, its link, headline and text, and the click id.
REFERRAL_KEYS = ("source_id", "source_type", "source_url", "headline", "body", "media_type", "ctwa_clid")
MAX_REFERRAL_VALUE = 2000


def parse_unix_time(value: Any) -> datetime:
    """A provider's Unix timestamp (seconds, int or numeric string) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"timestamp {value!r} is not a Unix time")
    try:
        return datetime.fromtimestamp(int(float(value)), UTC)
    except (OverflowError, OSError) as exc:  # "inf", or years past 9999
        raise ValueError(f"timestamp {value!r} is out of range") from exc


def parse_each(items: Iterable[Any], parse: Callable[[Any], T], what: str) -> list[T]:
    """``parse`` applied to every item; an item it rejects is logged as a warning and skipped.

    ``parse`` signals a malformed item with KeyError, TypeError or ValueError.
    """
    parsed: list[T] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except (KeyError, TypeError, ValueError) as exc:
            item_id = item.get("id") if isinstance(item, Mapping) else None
            log.warning("Skipped a malformed %s (id %r): %s", what, item_id, exc)
    return parsed


def clean_errors(value: Any) -> list[dict]:
    """The provider's ``errors`` list, keeping only the objects in it."""
    return [dict(item) for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def clean_referral(value: Any) -> dict[str, str] | None:
    """The ``REFERRAL_KEYS`` of a referral object that hold text (each cut to 2000 characters);
    None when there is no referral or nothing in it."""
    if not isinstance(value, Mapping):
        return None
    kept = {key: value[key][:MAX_REFERRAL_VALUE] for key in REFERRAL_KEYS if isinstance(value.get(key), str)}
    return {key: text for key, text in kept.items() if text.strip()} or None
