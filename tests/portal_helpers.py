"""Shared helpers for portal tests: accounts and logging in through the real form (with CSRF)."""

from __future__ import annotations

import re

from app.extensions import db
from app.portal.accounts import create_user

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(email: str, role: str = "broker", **fields):
    """A portal account with the shared test password."""
    user = create_user(
        db.session, email, role, fields.pop("name", email.split("@")[0].title()), PASSWORD, **fields
    )
    db.session.flush()
    return user


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the form at ``path``."""
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    """Log in through the form; returns the response of the POST."""
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )
