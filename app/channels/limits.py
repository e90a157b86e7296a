"""WhatsApp's limits on what one message may hold, and the checks a provider runs before sending.

The limits are those of the Cloud API's "text" and "interactive" message objects; Wati passes the
same messages on to WhatsApp, so both providers check against them. A check raises ``ValueError``
with a sentence saying what is too long or missing, before any HTTP call is made.
"""

from __future__ import annotations

from collections.abc import Sequence

# WhatsApp's documented limits (Cloud API "interactive" and "text" message objects).
MAX_TEXT_BODY = 4096
MAX_CAPTION = 1024  # a document's caption
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200


def _check_length(what: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"The {what} is empty; WhatsApp needs some text there.")
    if len(value) > limit:
        raise ValueError(f"The {what} has {len(value)} characters; WhatsApp allows at most {limit}.")


def check_text(body: str) -> None:
    """Raise ValueError unless ``body`` is a non-empty text message of ≤ 4096 characters."""
    _check_length("message text", body, MAX_TEXT_BODY)


def check_buttons(body: str, buttons: Sequence[tuple[str, str]]) -> None:
    """Raise ValueError unless this is a valid reply-buttons message (1–3 buttons, titles ≤ 20)."""
    _check_length("buttons message body", body, MAX_INTERACTIVE_BODY)
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ValueError(f"A reply-buttons message takes 1 to {MAX_BUTTONS} buttons, not {len(buttons)}.")
    for button_id, title in buttons:
        _check_length(f"id of button {title!r}", button_id, MAX_BUTTON_ID)
        _check_length(f"title of button {button_id!r}", title, MAX_BUTTON_TITLE)
    _check_unique("button id", [button_id for button_id, _ in buttons])


def check_list(body: str, button: str, rows: Sequence[tuple[str, str, str | None]]) -> None:
    """Raise ValueError unless this is a valid list message (≤ 10 rows, titles ≤ 24, ...)."""
    _check_length("list message body", body, MAX_INTERACTIVE_BODY)
    _check_length("list button label", button, MAX_LIST_BUTTON)
    if not 1 <= len(rows) <= MAX_LIST_ROWS:
        raise ValueError(f"A list message takes 1 to {MAX_LIST_ROWS} rows in total, not {len(rows)}.")
    for row_id, title, description in rows:
        _check_length(f"id of row {title!r}", row_id, MAX_ROW_ID)
        _check_length(f"title of row {row_id!r}", title, MAX_ROW_TITLE)
        if description is not None and len(description) > MAX_ROW_DESCRIPTION:
            raise ValueError(
                f"The description of row {row_id!r} has {len(description)} characters; "
                f"WhatsApp allows at most {MAX_ROW_DESCRIPTION}."
            )
    _check_unique("row id", [row_id for row_id, _, _ in rows])


def check_template(name: str, parameters: Sequence[str]) -> None:
    """Raise ValueError unless the template has a name and only non-empty text parameters."""
    _check_length("template name", name, 512)
    for index, value in enumerate(parameters, start=1):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"Template parameter {index} of {name!r} is empty; give every parameter text.")


def _check_unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"The {what} {value!r} is used twice; each must be unique.")
        seen.add(value)
