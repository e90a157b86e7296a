"""Portal accounts: creating users and brokers, checking passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from app.channels.phones import normalize_phone
from app.models import User
from app.portal.account_links import unusable_password
from app.portal.pipeline import PortalError

MAX_CHECKED = 100  # zxcvbn's time grows with length; a longer password is judged by its start
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
# zxcvbn's score (0–4): 3 and up resists an offline guessing attack on a slow hash; common and
# breached passwords ("password1234", "iloveyou2024!") score 0–2 whatever their length.
MIN_STRENGTH = 3
# Spent on unknown emails too, so a login takes as long whether or not the account exists.
_DUMMY_HASH = "scrypt:32768:8:1$nxpGyUypNHTekZMP$4a8b9f7c9c2d0d708c508210a523ea36867b0c10a941a5adc2332265b5ca8bbfb1e3114f55210687355ee01e920e265587e21fa37737dc3deaad36f57c676a55"  # noqa: E501


@dataclass
class BrokerForm:
    """Fields the partner edits for a broker."""

    name: str
    email: str
    phone: str = ""
    areas: list[str] = field(default_factory=list)
    max_active_leads: str = "10"


def find_user(session: Session, email: str) -> User | None:
    """The account with this email (case-insensitive)."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def any_account(session: Session) -> bool:
    """Whether any portal account exists yet (none does on a fresh install)."""
    return session.scalar(select(User.id).limit(1)) is not None


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost either way)."""
    user = find_user(session, email)
    if user is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) and user.active else None


def password_problem(password: str, *known: str) -> str | None:
    """Why ``password`` is not safe enough, or None. ``known``: the account's email and name,
    which a password must not lean on."""
    if len(password) < MIN_PASSWORD:
        return f"Use a password of at least {MIN_PASSWORD} characters."
    words = [part for text in (*known, "investochat") for part in re.split(r"[\W_]+", text.lower()) if part]
    strength = zxcvbn(password[:MAX_CHECKED], user_inputs=words)
    if strength["score"] < MIN_STRENGTH:
        hint = strength["feedback"]["warning"] or "It is too easy to guess."
        return f"Choose a less common password. {hint.rstrip('.')}."
    return None


def validate_password(password: str, *known: str) -> None:
    """Refuse passwords that are too short or too common to be safe."""
    problem = password_problem(password, *known)
    if problem:
        raise PortalError(problem)


def create_user(session: Session, email: str, role: str, name: str, password: str, **fields) -> User:
    """A new portal account (caller commits)."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise PortalError(f"{email!r} is not an email address.")
    if role not in ("broker", "partner"):
        raise PortalError("Role must be broker or partner.")
    if find_user(session, email) is not None:
        raise PortalError(f"An account for {email} already exists.")
    validate_password(password, email, name)
    user = User(email=email, role=role, name=name.strip() or email.split("@")[0], **fields)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


class BrokerFormInvalid(PortalError):
    """The broker form has problems; ``errors`` holds one sentence per field (name, email,
    phone, max_active_leads, password), so the form can show each next to its field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def broker_form_errors(session: Session, broker: User | None, form: BrokerForm) -> dict[str, str]:
    """Every problem with the partner's broker form, by field; empty when it can be saved.
    The email is only checked for a new broker (edits keep the email). There is no password:
    a broker chooses theirs from an invitation link (app.portal.account_links)."""
    errors = {}
    if not form.name.strip():
        errors["name"] = "Name is required."
    if broker is None:
        email = form.email.strip().lower()
        if not EMAIL_RE.match(email):
            errors["email"] = "Enter the broker’s email address, e.g. name@example.com."
        elif find_user(session, email) is not None:
            errors["email"] = f"An account for {email} already exists."
    if form.phone.strip():
        try:
            normalize_phone(form.phone)
        except ValueError:
            errors["phone"] = "Phone must be a valid mobile number, e.g. +91 98100 12345."
    if not _lead_limit(form.max_active_leads):
        errors["max_active_leads"] = "Max active leads must be a whole number from 1 to 500."
    return errors


def _lead_limit(text: str) -> int | None:
    try:
        limit = int(text)
    except ValueError:
        return None
    return limit if 1 <= limit <= 500 else None


def apply_broker_form(session: Session, broker: User | None, form: BrokerForm) -> User:
    """Create or update a broker from the partner's form (caller commits); raises
    :class:`BrokerFormInvalid` with every problem, by field, and changes nothing then."""
    errors = broker_form_errors(session, broker, form)
    if errors:
        raise BrokerFormInvalid(errors)
    phone = normalize_phone(form.phone) if form.phone.strip() else None
    limit = _lead_limit(form.max_active_leads)
    areas = [a.strip() for a in form.areas if a.strip()]
    if broker is None:
        return create_user(
            session,
            form.email,
            "broker",
            form.name,
            unusable_password(),
            phone=phone,
            areas=areas,
            max_active_leads=limit,
        )
    broker.name, broker.phone, broker.areas, broker.max_active_leads = form.name.strip(), phone, areas, limit
    return broker
