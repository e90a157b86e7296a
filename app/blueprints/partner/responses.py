"""Partner responses: CSV downloads (fragments or pages: ``app.blueprints.fragments``)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from flask import Response

from app.portal.times import ist_today


def csv_download(lines: Iterable[str], name: str) -> Response:
    """Stream CSV ``lines`` as an attachment dated in India; a byte-order mark lets Excel read
    UTF-8 (₹). ``lines`` must not need the request's context or session: the server reads them
    after the request has ended (``app.portal.exports`` reads through its own connection)."""
    filename = f"investochat-{name}-{ist_today():%Y-%m-%d}.csv"
    body = chain(["\ufeff"], lines)
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
