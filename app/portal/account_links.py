"""Links that let someone set their password without the partner ever typing or seeing it: an
invitation for a new broker, a reset for anyone who forgot theirs.

A link is signed with the app's secret and names the account and its session version. Setting
the password bumps that version (``User.set_password``), so a link works once; it also stops
working after ``HOURS`` (72 for an invitation, 1 for a reset). It is emailed through SMTP_URL /
MAIL_FROM; without them the partner gets the invitation link to send another way (WhatsApp).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app.mail import MailError, MailSettings, build_message, send_mail
from app.models import User

INVITE, RESET = "invite", "reset"
HOURS = {INVITE: 72, RESET: 1}
SUBJECTS = {INVITE: "Your InvestoChat broker account", RESET: "Reset your InvestoChat password"}
BODIES = {
    INVITE: "Hello {name},\n\n{inviter} has added you as a broker on InvestoChat. Choose your password "
    "here (the link works once, for {hours} hours):\n\n{link}\n\nThen log in with {email}.\n",
    RESET: "Hello {name},\n\nSomeone (we hope you) asked to reset the password of {email} on "
    "InvestoChat. Choose a new one here (the link works once, for {hours} hour):\n\n{link}\n\n"
    "If it was not you, ignore this email: your password stays as it is.\n",
}


class LinkRefused(Exception):
    """A link that cannot be used, with the sentence to show."""


def unusable_password() -> str:
    """A password nobody knows, for an account waiting for its invitation to be used."""
    return secrets.token_urlsafe(48)


def _signer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"account-{purpose}")


def token_for(secret: str, user: User, purpose: str) -> str:
    """A token for ``user``'s ``purpose`` link, good until their password next changes."""
    return _signer(secret, purpose).dumps([user.id, user.session_version or 0])


def user_for(session: Session, secret: str, token: str, purpose: str) -> User:
    """The account a link is for; LinkRefused says why not (expired, used, or not ours)."""
    try:
        user_id, version = _signer(secret, purpose).loads(token, max_age=HOURS[purpose] * 3600)
    except SignatureExpired:
        raise LinkRefused(
            f"This link has expired (it works for {HOURS[purpose]} hours). "
            + ("Ask the partner for a new invitation." if purpose == INVITE else "Ask for a new one below.")
        ) from None
    except (BadSignature, ValueError, TypeError):
        raise LinkRefused("This link is not valid. Check that it was copied whole.") from None
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise LinkRefused("This account is not active. Ask the partner.")
    if (user.session_version or 0) != version:
        raise LinkRefused(
            "This link has been used already: the password was set. Log in, or ask for a new link."
        )
    return user


def email_link(
    config: Mapping[str, Any], user: User, purpose: str, link: str, inviter: str = ""
) -> str | None:
    """Email ``link`` to ``user``; None when it went, else why not (no SMTP settings, or the mail
    server's refusal) so the caller can offer the link another way."""
    try:
        settings = MailSettings.from_config(config)
    except ValueError as error:
        return str(error)
    if settings is None:
        return "Email is not set up (SMTP_URL)."
    body = BODIES[purpose].format(
        name=user.name, inviter=inviter or "The partner", hours=HOURS[purpose], link=link, email=user.email
    )
    try:
        send_mail(settings, build_message(settings, user.email, SUBJECTS[purpose], body, user.name))
    except MailError as error:
        return str(error)
    return None
