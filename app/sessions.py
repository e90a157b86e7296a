"""Cookie sessions for people, none for machines.

Webhooks are called by WhatsApp providers, never by a browser: they carry no session cookie and
must not be answered with one. Skipping the session there spares every webhook the cookie
signer Flask would otherwise build for it.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

# Path prefixes served to machines only (see app/blueprints/webhooks).
MACHINE_PATHS = ("/webhooks/",)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except on machine-only paths (there: a null session)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(MACHINE_PATHS):
            return None  # Flask substitutes its null session, which is never saved
        return super().open_session(app, request)
