"""Accounts without a terminal: a broker invited by email chooses their own password from a link
that works once; anyone can reset a forgotten password by email; a user changes their own; and
the partner reads it all in the audit log."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User
from app.portal import account_links
from tests.fakes.smtp_server import FakeSMTP
from tests.portal_helpers import PASSWORD, csrf_token, login, make_user
from tests.test_broker_portal import Portal, text

NEW_PASSWORD = "a password of my own 2026"


@pytest.fixture
def mail(app_ctx):
    with FakeSMTP(starttls=True, login=("portal", "mail-pass")) as fake:
        saved = {key: app_ctx.config.get(key) for key in fake.config()}
        app_ctx.config.update(fake.config())
        yield fake
        app_ctx.config.update(saved)


@pytest.fixture
def partner(app_ctx):
    make_user("priya@partner.example", role="partner", name="Priya Partner")
    db.session.commit()
    return Portal(app_ctx, "priya@partner.example")


def link_in(mail: FakeSMTP, index: int = -1) -> str:
    """The path of the password link in a received email."""
    body = mail.received[index].message.get_content()
    return urlsplit(re.search(r"https?://\S+", body).group(0)).path


def choose(client, path: str, password: str = NEW_PASSWORD, again: str | None = None):
    token = csrf_token(client, path)
    form = {"password": password, "password_again": again or password, "csrf_token": token}
    return client.post(path, data=form)


def kinds() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


def test_an_invited_broker_chooses_a_password_from_the_email_and_the_link_works_once(app_ctx, mail, partner):
    form = {"name": "Kabir Sethi", "email": "kabir@brokers.example", "max_active_leads": "10"}
    response = partner.post("/partner/brokers/new", form)
    assert response.status_code == 302
    [sent] = mail.wait_for(1)
    assert sent.recipients == ["kabir@brokers.example"] and sent.secure
    assert sent.message["Subject"] == "Your InvestoChat broker account"
    assert "Priya Partner has added you" in sent.message.get_content()
    kabir = db.session.scalar(select(User).where(User.email == "kabir@brokers.example"))
    assert not kabir.check_password(NEW_PASSWORD)

    browser = app_ctx.test_client()
    path = link_in(mail)
    assert "Welcome, Kabir Sethi" in browser.get(path).get_data(as_text=True)
    weak = choose(browser, path, "password1234")
    assert weak.status_code == 422 and "less common password" in weak.get_data(as_text=True)
    differ = choose(browser, path, NEW_PASSWORD, "something else entirely 9")
    assert differ.status_code == 422 and "The two passwords differ" in differ.get_data(as_text=True)
    assert choose(browser, path).status_code == 302
    assert login(browser, "kabir@brokers.example", NEW_PASSWORD).status_code == 302

    again = app_ctx.test_client().get(path)
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    assert kinds() == ["login", "broker_added", "invitation_sent", "password_set", "login"]


def test_an_expired_or_forged_link_is_refused(app_ctx, mail, partner, monkeypatch):
    kabir = make_user("kabir@brokers.example", name="Kabir Sethi")
    db.session.commit()
    token = account_links.token_for(app_ctx.config["SECRET_KEY"], kabir, account_links.INVITE)
    client = app_ctx.test_client()
    forged = client.get(f"/account/password/invite/{token[:-3]}xyz")
    assert forged.status_code == 410 and "not valid" in forged.get_data(as_text=True)
    reset_token = client.get(f"/account/password/reset/{token}")  # an invitation is not a reset
    assert reset_token.status_code == 410
    monkeypatch.setitem(account_links.HOURS, account_links.INVITE, -1)  # every link is too old
    expired = client.get(f"/account/password/invite/{token}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)


def test_a_forgotten_password_is_reset_by_email_and_the_answer_never_says_who_exists(app_ctx, mail):
    asha = make_user("asha@brokers.example", name="Asha Rao")
    db.session.commit()
    client = app_ctx.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/forgot"' in login_page

    answers = []
    for email in ("nobody@brokers.example", "ASHA@brokers.example"):
        response = client.post(
            "/login/forgot", data={"email": email, "csrf_token": csrf_token(client, "/login/forgot")}
        )
        assert response.status_code == 302
        answers.append(client.get("/login").get_data(as_text=True).count("a link to choose a new password"))
    assert answers == [1, 1]  # the same words whether or not the account exists
    [sent] = mail.wait_for(1)
    assert sent.recipients == ["asha@brokers.example"] and "reset the password" in sent.message.get_content()

    assert choose(client, link_in(mail)).status_code == 302
    assert login(client, "asha@brokers.example", NEW_PASSWORD).status_code == 302
    db.session.refresh(asha)
    assert not asha.check_password(PASSWORD)


def test_a_user_changes_their_password_and_their_other_sessions_end(app_ctx):
    make_user("asha@brokers.example", name="Asha Rao")
    db.session.commit()
    here, elsewhere = Portal(app_ctx, "asha@brokers.example"), Portal(app_ctx, "asha@brokers.example")
    wrong = here.post(
        "/account/password",
        {"current": "not it at all", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "not your current password" in text(wrong)
    changed = here.post(
        "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert here.get("/broker/").status_code == 200  # this session goes on
    assert elsewhere.get("/broker/").status_code == 302  # the other is logged out


def test_the_partner_reads_logins_failed_logins_and_account_changes(app_ctx, partner):
    stranger = app_ctx.test_client()
    assert login(stranger, "priya@partner.example", "a wrong password entirely").status_code == 401
    page = text(partner.get("/partner/audit"))
    assert "Failed login" in page and "Logged in" in page and "priya@partner.example" in page
    only_failed = text(partner.get("/partner/audit?kind=login_failed"))
    assert only_failed.count("<tr>") == 2  # the header and the one failed login
