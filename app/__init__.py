"""InvestoChat: brochure Q&A and lead qualification for luxury real estate in Delhi NCR."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from app.dbpool import AUTOCOMMIT_BIND
from app.models.columns import MAX_ID
from config import is_production, load_settings


class RowIdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with ``config`` overriding any setting.

    Binds extensions and registers blueprints and CLI commands only; it starts no server and
    creates no schema (``investochat db upgrade`` does that).
    """
    app = Flask(__name__, instance_relative_config=False)
    # <int:...> in a route matches row ids only: /leads/99999999999999999999 is a 404, not a
    # database "integer out of range" error.
    app.url_map.converters["int"] = RowIdConverter
    app.config.update(load_settings())
    app.config.update(_cookie_settings(app.config))
    if config:
        app.config.update(config)
    _check_settings(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies, the client address (rate limits, login throttling) and the
        # scheme come from their X-Forwarded-* headers, not from the last proxy's connection.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app.config["DATABASE_URL"])
    # A failed statement's error (logged with its traceback) shows the SQL, never the values
    # bound to it: those are investors' messages and phone numbers.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"hide_parameters": True})
    # A second pool on the same database whose connections stay in autocommit mode, for the
    # one-statement writes on the webhook's hot path (app/blueprints/webhooks/views.py).
    app.config.setdefault(
        "SQLALCHEMY_BINDS",
        {
            AUTOCOMMIT_BIND: {
                "url": app.config["SQLALCHEMY_DATABASE_URI"],
                "isolation_level": "AUTOCOMMIT",
                "hide_parameters": True,
            }
        },
    )
    # Flask's defaults hold MAX_CONTENT_LENGTH = None, so a .get() default would never apply.
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or 4 * 1024 * 1024

    from app import blueprints, errors, logs, security, templating
    from app.dbpool import ping_idle_connections
    from app.extensions import csrf, db, limiter, login_manager, migrate
    from app.sessions import CookieSessions

    if not app.config.get("TESTING"):
        logs.configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    db.init_app(app)
    with app.app_context():  # pooled connections are checked before use, see app/dbpool.py
        for engine in db.engines.values():
            ping_idle_connections(engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    login_manager.init_app(app)
    _configure_limiter(app)
    limiter.init_app(app)
    errors.init_app(app)
    app.session_interface = CookieSessions()

    templating.init_app(app)
    blueprints.init_app(app)
    security.init_app(app)
    return app


def _configure_limiter(app: Flask) -> None:
    """Rate-limit state lives in Redis so every web process counts the same attempts."""
    from app.conversation.ratelimit import limits_uri

    app.config.setdefault(
        "RATELIMIT_STORAGE_URI",
        limits_uri(app.config["REDIS_URL"]) if app.config.get("REDIS_URL") else "memory://",
    )
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down must not take login and the widget with it: limits then count in this process
    # (Flask-Limiter logs "Rate limit storage unreachable - falling back to in-memory storage")
    # and go back to Redis once it answers again.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)


REMEMBER_FOR = timedelta(days=14)  # "remember me" lasts two weeks, not Flask-Login's year


def _cookie_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Session cookies: HttpOnly and SameSite always, Secure in production (served over HTTPS)."""
    production = is_production(settings)
    return {
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": REMEMBER_FOR,
    }


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


MIN_KEY_LENGTH = 32
MIN_KEY_SYMBOLS = 10  # a random key of 32 characters uses many; "aaaa…" or "1212…" does not
KEY_RECIPE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def _weak_key(key: str) -> str | None:
    """Why ``key`` cannot sign production sessions, or None."""
    if not key:
        return "must be set"
    if len(key) < MIN_KEY_LENGTH:
        return f"must be at least {MIN_KEY_LENGTH} characters"
    if len(set(key)) < MIN_KEY_SYMBOLS:
        return "must be random (it repeats a few characters)"
    return None


def _check_settings(app: Flask) -> None:
    if not app.config.get("DATABASE_URL") and not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError(
            "DATABASE_URL is not set; run through `investochat` (which starts the embedded "
            "database) or set DATABASE_URL to a PostgreSQL server with pgvector."
        )
    if is_production(app.config) and app.config.get("WHATSAPP_PROVIDER", "meta") == "meta":
        if not app.config.get("WHATSAPP_APP_SECRET"):
            raise RuntimeError(
                "WHATSAPP_APP_SECRET must be set in production: webhook signatures are verified with it."
            )
    if app.config.get("SMTP_URL"):
        from app.mail import MailSettings

        try:
            MailSettings.from_config(app.config)
        except ValueError as error:
            raise RuntimeError(str(error)) from None
    if is_production(app.config):
        problem = _weak_key(app.config.get("SECRET_KEY") or "")
        if problem:
            raise RuntimeError(f"SECRET_KEY {problem} in production; make one with `{KEY_RECIPE}`.")
    if not app.config.get("SECRET_KEY"):
        # Development default: sessions do not survive a restart, which is fine for a laptop.
        import secrets

        app.config["SECRET_KEY"] = secrets.token_hex(32)
