"""Logging in and out: hashed passwords, CSRF, throttling, roles, inactive accounts."""

import pytest
from sqlalchemy import delete, select

from app.cli import main
from app.extensions import db, limiter
from app.models import User
from tests.portal_helpers import PASSWORD, csrf_token, login, make_user


@pytest.fixture(autouse=True)
def fresh_limits(app_ctx):
    limiter.reset()
    yield
    limiter.reset()


FIRST_ACCOUNT = "investochat users create you@example.com --role partner"


def test_a_fresh_install_says_how_to_create_the_first_partner_account(client):
    db.session.execute(delete(User))  # no account at all yet
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<code>.venv/bin/{FIRST_ACCOUNT}</code>" in page  # under make dev
    assert f"<code>{FIRST_ACCOUNT}</code>" in page and "<code>make dev</code>" in page


def test_the_first_account_hint_is_gone_once_any_account_exists(client):
    db.session.execute(delete(User))
    make_user("only.broker@example.com")  # any account, even an inactive broker's
    db.session.execute(select(User)).scalar_one().active = False
    for response in (client.get("/login"), login(client, "only.broker@example.com", "not the password")):
        page = response.get_data(as_text=True)
        assert "users create" not in page and "No portal account" not in page


def test_passwords_are_stored_hashed(app_ctx):
    user = make_user("hash@example.com")
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
    assert user.check_password(PASSWORD) and not user.check_password("wrong password!")


def test_login_sends_each_role_home_and_logout_ends_the_session(client):
    make_user("partner@example.com", "partner")
    response = login(client, "partner@example.com")
    assert response.status_code == 302 and response.headers["Location"].endswith("/partner/")
    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/partner/")})
    assert out.status_code == 302
    assert client.get("/partner/").status_code == 302  # back to the login page


def test_wrong_password_is_refused_with_one_clear_message(client):
    make_user("broker1@example.com")
    response = login(client, "broker1@example.com", "not the password")
    assert response.status_code == 401
    assert "Email or password is not right." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_a_400(client):
    make_user("nocsrf@example.com")
    client.get("/login")
    response = client.post("/login", data={"email": "nocsrf@example.com", "password": PASSWORD})
    assert response.status_code == 400


def test_brute_force_on_one_account_is_throttled(client):
    make_user("target@example.com")
    codes = [login(client, "target@example.com", f"guess number {n}").status_code for n in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    # even the right password waits until the window passes
    refused = login(client, "target@example.com")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)  # the login form again, saying why
    assert 'name="password"' in page and "Too many failed logins for this account" in page
    assert 'value="target@example.com"' in page


def test_successful_logins_do_not_count_towards_the_limit(client):
    make_user("often@example.com")
    for _ in range(7):
        assert login(client, "often@example.com").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/broker/")})


def test_inactive_accounts_cannot_log_in(client):
    user = make_user("gone@example.com")
    user.active = False
    db.session.flush()
    assert login(client, "gone@example.com").status_code == 401


def test_session_cookie_is_httponly_and_samesite(client):
    make_user("cookie@example.com")
    response = login(client, "cookie@example.com")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "next_url", ["//evil.example.com/", "/logout"], ids=["open-redirect", "post-only-url"]
)
def test_login_never_goes_to_an_unsafe_next_url(client, next_url):
    """Another site (an open redirect) or a URL that takes only POST: login lands on the home."""
    make_user("next@example.com")
    token = csrf_token(client)
    response = client.post(
        f"/login?next={next_url}",
        data={"email": "next@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/broker/")


def test_users_create_command_makes_a_partner(runner):
    result = runner.invoke(
        main,
        ["users", "create", "boss@example.com", "--role", "partner"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "boss@example.com")).one()
    assert user.role == "partner" and user.check_password("a long enough password")
    again = runner.invoke(
        main, ["users", "create", "boss@example.com", "--role", "partner", "--password-stdin"], input="y" * 30
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        main, ["users", "create", "new@example.com", "--role", "broker", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output


def test_users_create_takes_no_password_on_the_command_line(runner):
    typed = runner.invoke(
        main,
        ["users", "create", "argv@example.com", "--role", "broker", "--password", "a long enough password"],
    )
    assert typed.exit_code == 2 and "No such option" in typed.output
    assert db.session.scalar(select(User).where(User.email == "argv@example.com")) is None


@pytest.mark.parametrize(
    "password",
    ["password1234", "iloveyou2024!", "qwertyuiop123", "xxxxxxxxxxxxxxxx", "investochat2026!"],
)
def test_common_passwords_are_refused_whatever_their_length(runner, password):
    result = runner.invoke(
        main,
        ["users", "create", "mehta@example.com", "--role", "broker", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code != 0 and "less common password" in result.output, result.output
    assert db.session.scalar(select(User).where(User.email == "mehta@example.com")) is None


def test_htmx_requests_without_a_session_redirect_the_whole_page(client):
    response = client.get("/broker/badge", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_development_signing_key_is_shared_by_every_process(tmp_path):
    from app.embedded import development_secret

    first = development_secret(tmp_path)
    assert len(first) == 64 and development_secret(tmp_path) == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
