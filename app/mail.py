"""Email through the SMTP server in ``SMTP_URL``, from ``MAIL_FROM``.

``smtp://user:password@host:587`` connects in the clear and upgrades with STARTTLS whenever the
server offers it (a server that offers it and then fails the handshake is an error, never a
silent fall-back to plain text); ``smtps://`` speaks TLS from the first byte (port 465 by
default). A URL without a user sends without logging in. User and password are URL-decoded, so a
password with ``@`` or ``/`` is written ``%40`` / ``%2F``. Certificates are checked against the
system's CA store (``SSL_CERT_FILE`` points elsewhere).

``send_mail`` raises ``MailError``; its ``transient`` says whether trying again later can help
(the server was unreachable, timed out or answered 4xx) or not (5xx, a refused login, a bad
address). Neither the password nor the message text is ever in an error or a log line.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
TIMEOUT_SECONDS = 20


class MailError(Exception):
    """A message that did not go; ``transient`` when a later try may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class MailSettings:
    scheme: str
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings | None:
        """The settings in SMTP_URL and MAIL_FROM; None when SMTP_URL is unset (no email)."""
        url = (config.get("SMTP_URL") or "").strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465.")
        sender = (config.get("MAIL_FROM") or "").strip()
        if "@" not in parseaddr(sender)[1]:
            raise ValueError("MAIL_FROM must be an address, e.g. InvestoChat <alerts@example.com>.")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            sender=sender,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def build_message(
    settings: MailSettings, to: str, subject: str, body: str, to_name: str = ""
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = formataddr((to_name, to)) if to_name else to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send_mail(settings: MailSettings, message: EmailMessage) -> None:
    """Deliver one message to the SMTP server; raises MailError."""
    context = ssl.create_default_context()
    try:
        if settings.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if settings.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(f"The mail server refused the login ({error.smtp_code}).", transient=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        raise MailError(
            f"The mail server refused the address ({', '.join(map(str, codes))}).",
            transient=all(400 <= code < 500 for code in codes),
        ) from None
    except smtplib.SMTPResponseException as error:
        raise MailError(
            f"The mail server answered {error.smtp_code}: {_text(error.smtp_error)}",
            transient=400 <= error.smtp_code < 500,
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        raise MailError(f"The mail server does not support this: {error}", transient=False) from None
    except ssl.SSLError as error:
        raise MailError(f"TLS with the mail server failed ({error.reason}).", transient=False) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as error:  # unreachable, dropped, timed out
        raise MailError(
            f"The mail server could not be reached ({type(error).__name__}).", transient=True
        ) from None


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:200]
