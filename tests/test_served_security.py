"""Sessions, login throttling, security headers and poison input through a real `investochat
serve` tree (gunicorn): cookies and client addresses as a browser and a proxy send them."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.portal.accounts import create_user
from tests.portal_helpers import CSRF_RE, PASSWORD
from tests.served import ServedTree, demo_databases, served_env, serving
from tests.whatsapp_helpers import APP_SECRET, body_of, meta_envelope, sign, text_message

PARTNER = "partner@guarded.example"
OTHER = "second@guarded.example"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 comes back as the response, so the test sees where it points


class Visitor:
    """A browser at a client address of its own (sent as X-Forwarded-For through the one trusted
    proxy hop the tree is configured with); redirects are not followed."""

    def __init__(self, tree: ServedTree, address: str = "198.51.100.10"):
        self.tree, self.address = tree, address
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.tree.url(path), data=body, headers={"X-Forwarded-For": self.address}
        )
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return response.status, dict(response.headers), response.read().decode()

    def token(self, path: str = "/login") -> str:
        return CSRF_RE.search(self.request(path)[2]).group(1)

    def log_in(self, email: str, password: str = PASSWORD, remember: bool = False) -> int:
        form = {"email": email, "password": password, "csrf_token": self.token()}
        if remember:
            form["remember"] = "on"
        return self.request("/login", form)[0]

    def cookie(self, name: str) -> http.cookiejar.Cookie:
        return next(c for c in self.jar if c.name == name)

    def copy_cookies_to(self, other: Visitor, *names: str) -> None:
        for cookie in self.jar:
            if not names or cookie.name in names:
                other.jar.set_cookie(cookie)


@pytest.fixture(scope="module")
def tree(database_url, redis_url, tmp_path_factory) -> Iterator[ServedTree]:
    data_dir = tmp_path_factory.mktemp("served-security")
    with demo_databases(database_url, redis_url, data_dir) as databases:
        database = databases()
        engine = create_engine(database, poolclass=NullPool)
        with Session(engine) as session:
            create_user(session, PARTNER, "partner", "Gauri Partner", PASSWORD)
            create_user(session, OTHER, "partner", "Second Partner", PASSWORD)
            session.commit()
        engine.dispose()
        env = served_env(database, redis_url, data_dir, TRUSTED_PROXIES="1", WHATSAPP_APP_SECRET=APP_SECRET)
        with serving(env, data_dir / "serve.log") as served:
            served.database = database
            yield served


def test_logout_ends_every_copy_of_the_session_and_the_remember_me_cookie(tree):
    owner = Visitor(tree, "198.51.100.21")
    assert owner.log_in(PARTNER, remember=True) == 302
    remembered = owner.cookie("remember_token")
    assert remembered.expires is not None
    lifetime = datetime.fromtimestamp(remembered.expires, UTC) - datetime.now(UTC)
    assert timedelta(days=13) < lifetime <= timedelta(days=14), lifetime

    thief, remember_only = Visitor(tree), Visitor(tree)
    owner.copy_cookies_to(thief)
    owner.copy_cookies_to(remember_only, "remember_token")
    assert thief.request("/partner/")[0] == 200  # a copied cookie works while the session lives
    assert remember_only.request("/partner/")[0] == 200

    assert owner.request("/logout", {"csrf_token": owner.token("/partner/")})[0] == 302
    for copy in (thief, remember_only):
        status, headers, _ = copy.request("/partner/")
        assert status == 302 and "/login" in headers["Location"], (status, headers)


def test_failed_logins_lock_one_address_out_of_one_account_not_the_owner(tree):
    guesser = Visitor(tree, "203.0.113.50")
    codes = [guesser.log_in(OTHER, f"guess number {n}") for n in range(6)]
    assert codes == [401] * 5 + [429]
    assert guesser.log_in(OTHER) == 429  # from this address even the right password waits

    owner = Visitor(tree, "198.51.100.77")
    assert owner.log_in(OTHER) == 302  # the owner, elsewhere, is not locked out

    # The 429s are not failed passwords: retrying them does not lock the address itself.
    for _ in range(30):
        assert guesser.log_in(OTHER, "still guessing") == 429
    assert Visitor(tree, "203.0.113.50").log_in(PARTNER) == 302


def test_portal_pages_carry_the_security_headers_and_the_widget_keeps_its_own_framing(tree):
    status, headers, _ = Visitor(tree).request("/login")
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # development: served over plain HTTP

    partner = Visitor(tree, "198.51.100.91")
    assert partner.log_in(PARTNER) == 302
    status, headers, _ = partner.request("/partner/leads")
    assert status == 200 and headers["Cache-Control"] == "no-store"  # investors' numbers stay off disk

    widget = Visitor(tree).request("/widget/")[1]
    assert "frame-ancestors 'self'" in widget["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in widget["Content-Security-Policy"]
    assert widget["X-Content-Type-Options"] == "nosniff"


def test_poison_query_strings_get_a_clear_answer_never_a_server_error(tree):
    partner = Visitor(tree, "198.51.100.90")
    assert partner.log_in(PARTNER) == 302
    for path in ("/partner/leads", "/partner/deals"):
        status, _, body = partner.request(f"{path}?page=99999999999999999999")
        assert status == 200 and "<h1" in body, (path, status)  # the last page
        assert "Page 100000" not in body
    huge = "99999999999999999999"
    for path in (
        f"/partner/leads?broker={huge}",
        f"/partner/leads?project={huge}",
        f"/partner/deals?broker={huge}",
        f"/partner/leads/{huge}",
        f"/partner/brokers/{huge}/edit",
        f"/broker/leads/{huge}",
        "/partner/leads/2147483648",
    ):
        status, _, body = partner.request(path)
        # A filter naming no row matches nothing; a page for no row is not found.
        assert (status, "<h1" in body) in ((200, True), (404, True)), (path, status)
    status, _, body = partner.request("/partner/leads?q=%00")
    assert status == 400 and "NUL character" in body
    assert "Traceback" not in tree.log_tail()


def test_a_token_in_the_query_string_never_reaches_the_access_log(tree):
    secret = "wati-shared-token-4c1d9e"
    status, _, _ = Visitor(tree).request(f"/webhooks/wati?token={secret}&page=2")
    assert status in (403, 405)
    tree.wait(lambda: "/webhooks/wati?" in tree.log_tail(), "the access log line")
    log = tree.log_tail()
    assert secret not in log
    assert "/webhooks/wati?token=[redacted]&page=2" in log


def _post_webhook(tree: ServedTree, raw: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        tree.url("/webhooks/whatsapp"),
        data=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)},
    )
    try:
        response = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return response.status, json.loads(response.read())


def test_a_nul_in_one_message_does_not_cost_the_batch_and_deep_nesting_is_a_clear_400(tree):
    batch = meta_envelope(
        text_message("wamid.NUL.1", "price\x00 of a 4 BHK?", "919811177701"),
        text_message("wamid.NUL.2", "payment plan?", "919811177702"),
    )
    status, body = _post_webhook(tree, body_of(batch))
    assert status == 200 and body["received"] == 2 and body["new"] == 2, body
    engine = create_engine(tree.database, poolclass=NullPool)
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                text(
                    "SELECT provider_message_id, body FROM messages"
                    " WHERE provider_message_id LIKE 'wamid.NUL.%'"
                )
            ).all()
        )
    engine.dispose()
    assert stored == {"wamid.NUL.1": "price of a 4 BHK?", "wamid.NUL.2": "payment plan?"}

    for depth in (40, 5000):  # past the limit, and past what a recursive parser survives
        nested = '{"a": ' * depth + "1" + "}" * depth
        raw = ('{"object": "whatsapp_business_account", "entry": [' + nested + "]}").encode()
        status, body = _post_webhook(tree, raw)
        assert status == 400 and "levels deep" in body["message"], (depth, body)
    assert "Traceback" not in tree.log_tail()


def test_a_hostile_page_cannot_start_widget_chats_through_its_visitors_browsers(tree):
    form = urllib.parse.urlencode({"name": "Meera Kapoor", "phone": "98111 55571", "consent": "yes"}).encode()

    def start(origin: str) -> int:
        request = urllib.request.Request(tree.url("/widget/start"), data=form, headers={"Origin": origin})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert start("https://evil.example") == 403
    assert start(tree.url("").rstrip("/")) == 200  # the widget's own iframe
    engine = create_engine(tree.database, poolclass=NullPool)
    with engine.connect() as connection:
        leads = connection.execute(text("SELECT count(*) FROM leads WHERE phone = '+919811155571'")).scalar()
    engine.dispose()
    assert leads == 1
