"""gunicorn's access log without secrets.

A provider that cannot send headers authenticates its webhook with the URL
(``/webhooks/wati?token=…``), and Meta's subscription check sends ``hub.verify_token`` in the
query string. The access log writes each request line, so those values are replaced with
``[redacted]`` before the line is formatted; everything else in the line stays.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from gunicorn.glogging import Logger

SECRET_PARAMETER_RE = re.compile(r"token|secret|password|signature|key", re.I)
REDACTED = "[redacted]"


def scrub_query(query: str) -> str:
    """``query`` with the values of parameters that carry secrets replaced."""
    if not query or not SECRET_PARAMETER_RE.search(query):
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, REDACTED if SECRET_PARAMETER_RE.search(name) else value) for name, value in pairs],
        safe="[]",
    )


class AccessLogger(Logger):
    """gunicorn's logger, its request line and query string scrubbed of secrets."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path, _, query = environ.get("RAW_URI", "").partition("?")
        if query:
            clean = scrub_query(query)
            atoms["r"] = f"{environ['REQUEST_METHOD']} {path}?{clean} {environ['SERVER_PROTOCOL']}"
            atoms["q"] = clean
        return atoms
