"""Security headers on every response, and requests no field may carry.

A NUL character is never part of text a person types, and PostgreSQL cannot store one in a text
column: a query string or form holding one is refused with a 400 before any view reads it.

Pages load scripts and styles from this origin only; htmx runs without ``eval`` (its
``allowEval`` is off in each page's ``htmx-config``, so the policy needs no ``'unsafe-eval'``).
The portal is never framed; the widget's blueprint sets its own policy, framed by the sites in
``WIDGET_ALLOWED_ORIGINS``, and this leaves it alone. HSTS only in production, where the site is
served over HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, abort, request

from config import is_production

PORTAL_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE_PREFIXES = ("/partner", "/broker")


def init_app(app: Flask) -> None:
    production = is_production(app.config)

    @app.before_request
    def _refuse_nul_characters() -> None:
        fields = [*request.args.items(multi=True)]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields += request.form.items(multi=True)
        if any("\x00" in key or "\x00" in value for key, value in fields):
            abort(400, description="The request holds a NUL character, which no field may contain.")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", PORTAL_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")  # for browsers without CSP level 2
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith(PRIVATE_PREFIXES):
            # Lead pages and exports hold investors' numbers: no browser or proxy keeps a copy
            # (the back button after logging out shows nothing).
            headers.setdefault("Cache-Control", "no-store")
        return response
