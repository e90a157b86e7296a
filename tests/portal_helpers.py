"""Shared helpers for portal tests: accounts and logging in through the real form (with CSRF)."""

from __future__ import annotations

import re
import uuid

from app.extensions import db
from app.models import Message
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


def investor_wrote(lead_id: int, phone: str | None, body: str, status: str = "processed") -> Message:
    """A WhatsApp message from the investor, stored as the webhook and the worker leave it
    (flushed; the caller commits)."""
    message = Message(
        lead_id=lead_id,
        phone=phone,
        direction="in",
        provider="meta",
        body=body,
        status=status,
        provider_message_id=f"wamid.{uuid.uuid4().hex}",
    )
    db.session.add(message)
    db.session.flush()
    return message
