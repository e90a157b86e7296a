"""A real SMTP server on loopback (aiosmtpd), so tests run the app's real mail client.

    with FakeSMTP(starttls=True, login=("alerts", "s3cret")) as smtp:
        app.config.update(smtp.config())        # SMTP_URL, MAIL_FROM (and SSL_CERT_FILE set)
        ...
        [mail] = smtp.wait_for(1)
        assert mail.message["Subject"].startswith("New lead")

``starttls=True`` offers STARTTLS and refuses to take mail or a login before it; ``implicit_tls``
speaks TLS from the first byte (``smtps://``). Certificates come from a throwaway CA (trustme)
whose file ``trust()`` puts in ``SSL_CERT_FILE`` for the duration, so the client verifies them
as it would a real server's. ``login`` requires that user and password. ``fail_next(code,
times)`` answers the next messages' DATA with that SMTP code (451 temporary, 550 permanent).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import quote

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd's own deprecation notice about its login bookkeeping, once per login: not ours to fix.
logging.getLogger("mail.log").setLevel(logging.ERROR)

HOST = "127.0.0.1"
SENDER = "InvestoChat <alerts@investochat.example>"


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    secure: bool  # the session was encrypted (STARTTLS or implicit TLS)
    login: str | None
    received_at: float  # time.monotonic() when the server accepted it


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class FakeSMTP:
    def __init__(
        self,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.starttls, self.implicit_tls, self.login = starttls, implicit_tls, login
        self.received: list[ReceivedMail] = []
        self.refused: list[int] = []  # SMTP codes answered to scripted failures
        self._failures: deque[int] = deque()
        self._changed = threading.Condition()
        self._ca = trustme.CA()
        self._cert_dir = None
        self.port = _free_port()
        self._controller: Controller | None = None
        self._saved_cert_file: str | None = None

    # -- what tests use ---------------------------------------------------------------------------

    def config(self) -> dict[str, str]:
        scheme = "smtps" if self.implicit_tls else "smtp"
        credentials = (
            f"{quote(self.login[0], safe='')}:{quote(self.login[1], safe='')}@" if self.login else ""
        )
        return {"SMTP_URL": f"{scheme}://{credentials}{HOST}:{self.port}", "MAIL_FROM": SENDER}

    def fail_next(self, code: int = 451, times: int = 1) -> None:
        with self._changed:
            self._failures.extend([code] * times)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(
                    f"FakeSMTP received {len(self.received)} of {count} messages in {timeout}s."
                )
            return list(self.received)

    # -- serving ----------------------------------------------------------------------------------

    def __enter__(self) -> FakeSMTP:
        server_context = None
        if self.starttls or self.implicit_tls:
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ca.issue_cert(HOST).configure_cert(server_context)
            self._trust()
        kwargs = {}
        if self.implicit_tls:
            kwargs["ssl_context"] = server_context
        elif self.starttls:
            kwargs |= {"tls_context": server_context, "require_starttls": True}
        if self.login:
            kwargs |= {"authenticator": self._authenticate, "auth_required": True}
            kwargs["auth_require_tls"] = self.starttls
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port, **kwargs)
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._saved_cert_file is not None:
            if self._saved_cert_file:
                os.environ["SSL_CERT_FILE"] = self._saved_cert_file
            else:
                os.environ.pop("SSL_CERT_FILE", None)
        if self._cert_dir is not None:
            self._cert_dir.cleanup()

    def _trust(self) -> None:
        """Make the client trust this server's CA, as it trusts a real server's from the system."""
        import tempfile

        self._cert_dir = tempfile.TemporaryDirectory()
        path = os.path.join(self._cert_dir.name, "ca.pem")
        self._ca.cert_pem.write_to_path(path)
        self._saved_cert_file = os.environ.get("SSL_CERT_FILE", "")
        os.environ["SSL_CERT_FILE"] = path

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.login is not None:
            ok = (auth_data.login.decode(), auth_data.password.decode()) == self.login
            return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)
        return AuthResult(success=False, handled=False)

    def _take(self, envelope, session, encrypted: bool) -> str:
        with self._changed:
            if self._failures:
                code = self._failures.popleft()
                self.refused.append(code)
                return f"{code} {'Try again later' if code < 500 else 'Mailbox unavailable'}"
            message = message_from_bytes(envelope.content, policy=policy.default)
            secure = encrypted
            login = session.auth_data if isinstance(session.auth_data, str) else None
            self.received.append(
                ReceivedMail(
                    envelope.mail_from, list(envelope.rcpt_tos), message, secure, login, time.monotonic()
                )
            )
            self._changed.notify_all()
        return "250 Message accepted"


class _Handler:
    def __init__(self, fake: FakeSMTP) -> None:
        self.fake = fake

    async def handle_DATA(self, server, session, envelope) -> str:
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        return self.fake._take(envelope, session, encrypted)
