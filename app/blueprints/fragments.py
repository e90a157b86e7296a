"""One view, two answers: the fragment an HTMX swap asks for, or the whole page around it."""

from __future__ import annotations

from flask import Response, make_response, render_template, request

from app.extensions import db


def wants_fragment() -> bool:
    """An HTMX swap asks for a fragment; a history restore after a cache miss needs the page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def page_or_fragment(page: str, fragment: str, /, *, status: int = 200, **context) -> Response:
    """Render ``fragment`` for HTMX and ``page`` otherwise, marked ``Vary: HX-Request`` (and the
    history-restore header) so caches keep the two apart.

    A form with errors answers 422 as a page but 200 as a fragment: HTMX does not swap 4xx
    responses by default, and the errors are in the fragment.
    """
    fragment_wanted = wants_fragment()
    template = fragment if fragment_wanted else page
    response = make_response(render_template(template, **context), 200 if fragment_wanted else status)
    response.vary.update(("HX-Request", "HX-History-Restore-Request"))
    return response


# Far beyond any list's last page, and small enough that page × page size stays a valid SQL
# OFFSET: "?page=99999999999999999999" shows an empty page, not a database error.
MAX_PAGE = 100_000


def page_number(text: str | None) -> int:
    """The page asked for: 1 for anything that is not a positive whole number, at most MAX_PAGE."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(int(text[:12]), 1), MAX_PAGE)


def paginate(query, per_page: int, asked: str | None):
    """The page of ``query`` asked for (as typed in ``?page=``); a page past the end is the last
    page (an empty list stays page 1), so no list ever says "Page 100000 of 1"."""
    page = db.paginate(query, page=page_number(asked), per_page=per_page, error_out=False)
    last = max(page.pages, 1)
    if page.page > last:
        page = db.paginate(query, page=last, per_page=per_page, error_out=False)
    return page
