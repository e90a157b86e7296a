"""Partner responses: CSV downloads (fragments or pages: ``app.blueprints.fragments``)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, stream_with_context

from app.portal.times import ist_today


def csv_download(lines: Iterable[str], name: str) -> Response:
    """Stream CSV ``lines`` as an attachment dated in India; a byte-order mark lets Excel read
    UTF-8 (₹)."""
    filename = f"investochat-{name}-{ist_today():%Y-%m-%d}.csv"
    body = stream_with_context(("\ufeff" if i == 0 else "") + line for i, line in enumerate(lines))
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
