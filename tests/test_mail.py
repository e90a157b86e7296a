"""The mail client against a real SMTP server on loopback: STARTTLS, implicit TLS, login, no
login, and each kind of failure told apart (try again later or not)."""

from __future__ import annotations

import os

import pytest
import trustme

from app.mail import MailError, MailSettings, build_message, send_mail
from tests.fakes.smtp_server import FakeSMTP, _free_port


def settings_for(smtp: FakeSMTP, **overrides) -> MailSettings:
    return MailSettings.from_config({**smtp.config(), **overrides})


def mail(settings: MailSettings, to: str = "broker@agency.example"):
    return build_message(settings, to, "New lead IC-100001", "Budget: ₹3 Cr – ₹5 Cr", to_name="Ravi Anand")


def test_starttls_and_login_when_the_url_has_a_user():
    with FakeSMTP(starttls=True, login=("alerts", "p@ss/w:rd")) as smtp:
        settings = settings_for(smtp)
        assert "p%40ss%2Fw%3Ard" in smtp.config()["SMTP_URL"]
        send_mail(settings, mail(settings))
        [received] = smtp.wait_for(1)
    assert received.secure and received.login == "alerts"
    assert received.recipients == ["broker@agency.example"]
    assert received.message["To"] == "Ravi Anand <broker@agency.example>"
    assert received.message["Subject"] == "New lead IC-100001"
    assert "₹3 Cr – ₹5 Cr" in received.message.get_content()


def test_smtps_speaks_tls_from_the_start():
    with FakeSMTP(implicit_tls=True, login=("alerts", "secret")) as smtp:
        settings = settings_for(smtp)
        assert settings.scheme == "smtps"
        send_mail(settings, mail(settings))
        assert smtp.wait_for(1)[0].secure


def test_no_login_and_no_tls_when_the_server_offers_none():
    with FakeSMTP() as smtp:
        settings = settings_for(smtp)
        assert settings.user is None
        send_mail(settings, mail(settings))
        [received] = smtp.wait_for(1)
    assert not received.secure and received.login is None


def test_a_certificate_the_system_does_not_trust_stops_the_send_instead_of_falling_back():
    with FakeSMTP(starttls=True) as smtp:
        settings = settings_for(smtp)
        other = trustme.CA()
        with other.cert_pem.tempfile() as path:
            saved, os.environ["SSL_CERT_FILE"] = os.environ["SSL_CERT_FILE"], path
            try:
                with pytest.raises(MailError) as failed:
                    send_mail(settings, mail(settings))
            finally:
                os.environ["SSL_CERT_FILE"] = saved
        assert smtp.received == []
    assert "TLS" in str(failed.value) and not failed.value.transient


def test_a_wrong_password_is_a_permanent_failure_without_the_password_in_it():
    with FakeSMTP(starttls=True, login=("alerts", "right-one")) as smtp:
        settings = settings_for(smtp, SMTP_URL=smtp.config()["SMTP_URL"].replace("right-one", "wrong-one"))
        with pytest.raises(MailError) as failed:
            send_mail(settings, mail(settings))
    assert "refused the login" in str(failed.value) and not failed.value.transient
    assert "wrong-one" not in str(failed.value)


@pytest.mark.parametrize(("code", "transient"), [(451, True), (550, False)])
def test_a_refusal_says_whether_to_try_again(code, transient):
    with FakeSMTP() as smtp:
        smtp.fail_next(code)
        settings = settings_for(smtp)
        with pytest.raises(MailError) as failed:
            send_mail(settings, mail(settings))
        assert failed.value.transient is transient and str(code) in str(failed.value)
        send_mail(settings, mail(settings))  # the next one goes
        assert len(smtp.wait_for(1)) == 1


def test_an_unreachable_server_is_a_temporary_failure():
    settings = MailSettings.from_config(
        {"SMTP_URL": f"smtp://127.0.0.1:{_free_port()}", "MAIL_FROM": "alerts@investochat.example"}
    )
    with pytest.raises(MailError) as failed:
        send_mail(settings, mail(settings))
    assert failed.value.transient and "could not be reached" in str(failed.value)


@pytest.mark.parametrize(
    ("url", "sender", "problem"),
    [
        ("http://mail.example", "alerts@investochat.example", "SMTP_URL must look like"),
        ("smtp://", "alerts@investochat.example", "SMTP_URL must look like"),
        ("smtp://mail.example", "", "MAIL_FROM must be an address"),
        ("smtp://mail.example", "InvestoChat", "MAIL_FROM must be an address"),
    ],
)
def test_settings_that_cannot_work_are_refused(url, sender, problem):
    with pytest.raises(ValueError, match=problem):
        MailSettings.from_config({"SMTP_URL": url, "MAIL_FROM": sender})


def test_default_ports_and_no_email_without_a_url():
    assert MailSettings.from_config({"SMTP_URL": "", "MAIL_FROM": "a@b.example"}) is None
    sender = {"MAIL_FROM": "a@b.example"}
    assert MailSettings.from_config({"SMTP_URL": "smtp://mail.example", **sender}).port == 587
    assert MailSettings.from_config({"SMTP_URL": "smtps://mail.example", **sender}).port == 465
