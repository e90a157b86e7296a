"""Partner responses: a fragment for HTMX or the full page from one view; CSV downloads."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, make_response, render_template, request, stream_with_context

from app.portal.times import ist_today


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


def csv_download(lines: Iterable[str], name: str) -> Response:
    """Stream CSV ``lines`` as an attachment dated in India; a byte-order mark lets Excel read
    UTF-8 (₹)."""
    filename = f"investochat-{name}-{ist_today():%Y-%m-%d}.csv"
    body = stream_with_context(("\ufeff" if i == 0 else "") + line for i, line in enumerate(lines))
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
