"""Settings from the environment (12-factor), with defaults that run on one laptop.

``load_settings()`` reads the environment at call time, so tests and the CLI can set variables
before building an app. Every variable is documented in docs/configuration.md and .env.example.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the application settings read from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("INVESTOCHAT_DATA_DIR") or BASE_DIR / "instance").resolve()
    environment = env.get("INVESTOCHAT_ENV") or env.get("FLASK_ENV") or "development"
    return {
        "ENV_NAME": environment_name(environment),
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": env.get("DATABASE_URL", ""),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "LOG_FORMAT": env.get("LOG_FORMAT", "text"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "OPENAI_API_KEY": env.get("OPENAI_API_KEY", ""),
        "OPENAI_BASE_URL": env.get("OPENAI_BASE_URL") or None,
        "OPENAI_CHAT_MODEL": env.get("OPENAI_CHAT_MODEL", "gpt-4o-mini"),
        "OPENAI_EMBED_MODEL": env.get("OPENAI_EMBED_MODEL", "text-embedding-3-small"),
        "OPENAI_TIMEOUT": float(env.get("OPENAI_TIMEOUT", "20")),
        "ANSWER_MAX_CHARS": int(env.get("ANSWER_MAX_CHARS", "700")),
        "BROKER_COMMISSION_RATE": Decimal(env.get("BROKER_COMMISSION_RATE", "0.02")),
        "PLATFORM_SHARE_RATE": Decimal(env.get("PLATFORM_SHARE_RATE", "0.25")),
        "RQ_QUEUE": env.get("RQ_QUEUE", "investochat"),
        # WhatsApp
        "WHATSAPP_PROVIDER": env.get("WHATSAPP_PROVIDER", "meta"),
        "WHATSAPP_VERIFY_TOKEN": env.get("WHATSAPP_VERIFY_TOKEN", ""),
        "WHATSAPP_APP_SECRET": env.get("WHATSAPP_APP_SECRET", ""),
        "WHATSAPP_API_BASE_URL": env.get("WHATSAPP_API_BASE_URL", "https://graph.facebook.com"),
        "WHATSAPP_API_VERSION": env.get("WHATSAPP_API_VERSION", "v21.0"),
        "WHATSAPP_PHONE_NUMBER_ID": env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
        "WHATSAPP_ACCESS_TOKEN": env.get("WHATSAPP_ACCESS_TOKEN", ""),
        "WHATSAPP_TEMPLATE_NAME": env.get("WHATSAPP_TEMPLATE_NAME", ""),
        "WHATSAPP_TEMPLATE_LANGUAGE": env.get("WHATSAPP_TEMPLATE_LANGUAGE", "en"),
        "WATI_API_URL": env.get("WATI_API_URL", ""),
        "WATI_API_TOKEN": env.get("WATI_API_TOKEN", ""),
        "WATI_WEBHOOK_TOKEN": env.get("WATI_WEBHOOK_TOKEN", ""),
        "WIDGET_ALLOWED_ORIGINS": env.get("WIDGET_ALLOWED_ORIGINS", ""),
        "WIDGET_START_LIMIT": env.get("WIDGET_START_LIMIT", "10/hour"),
        "WIDGET_MESSAGE_LIMIT": env.get("WIDGET_MESSAGE_LIMIT", "30/minute"),
        "WIDGET_PHONE_LIMIT": env.get("WIDGET_PHONE_LIMIT", "5/day"),
        "WHATSAPP_OTP_TEMPLATE": env.get("WHATSAPP_OTP_TEMPLATE", ""),
        "WHATSAPP_OTP_LANGUAGE": env.get("WHATSAPP_OTP_LANGUAGE", "en"),
        # HTTP API
        "ASK_RATE_LIMIT": env.get("ASK_RATE_LIMIT", "60/minute"),
        "API_TOKENS": [token.strip() for token in env.get("API_TOKENS", "").split(",") if token.strip()],
        # Conversation
        "SENDER_RATE_LIMIT": env.get("SENDER_RATE_LIMIT", "20/minute"),
        "QUALIFY_AFTER_QUESTIONS": int(env.get("QUALIFY_AFTER_QUESTIONS", "2")),
        "PORTAL_URL": env.get("PORTAL_URL", ""),
        # How long a brochure link sent to an investor works (app.brochures)
        "BROCHURE_LINK_HOURS": float(env.get("BROCHURE_LINK_HOURS", "72")),
        # Broker alerts (app.portal.notify): a WhatsApp utility template and email
        "WHATSAPP_BROKER_ALERT_TEMPLATE": env.get("WHATSAPP_BROKER_ALERT_TEMPLATE", ""),
        "WHATSAPP_BROKER_ALERT_LANGUAGE": env.get("WHATSAPP_BROKER_ALERT_LANGUAGE", "en"),
        "SMTP_URL": env.get("SMTP_URL", ""),
        "MAIL_FROM": env.get("MAIL_FROM", ""),
        "BROKER_CALL_WINDOW": env.get("BROKER_CALL_WINDOW", "within 2 hours (9 am – 9 pm IST)"),
        # Airtable (sync is off unless both the key and the base are set)
        "AIRTABLE_API_KEY": env.get("AIRTABLE_API_KEY", ""),
        "AIRTABLE_BASE_ID": env.get("AIRTABLE_BASE_ID", ""),
        "AIRTABLE_ENDPOINT_URL": env.get("AIRTABLE_ENDPOINT_URL", "https://api.airtable.com"),
        "AIRTABLE_PUSH_INTERVAL": int(env.get("AIRTABLE_PUSH_INTERVAL", "10")),
        "AIRTABLE_PULL_INTERVAL": int(env.get("AIRTABLE_PULL_INTERVAL", "60")),
        "AIRTABLE_RATE_LIMIT": int(env.get("AIRTABLE_RATE_LIMIT", "5")),
        "AIRTABLE_RATE_LIMIT_PAUSE": float(env.get("AIRTABLE_RATE_LIMIT_PAUSE", "30")),
        "AIRTABLE_MAX_ATTEMPTS": int(env.get("AIRTABLE_MAX_ATTEMPTS", "10")),
        "AIRTABLE_RETRY_BASE_SECONDS": float(env.get("AIRTABLE_RETRY_BASE_SECONDS", "30")),
        "AIRTABLE_TIMEOUT": float(env.get("AIRTABLE_TIMEOUT", "20")),
    }


ENVIRONMENTS = {
    "development": "development",
    "dev": "development",
    "test": "test",
    "testing": "test",
    "production": "production",
    "prod": "production",
}


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and what to do."""


def environment_name(text: str) -> str:
    """The deployment's environment, read strictly: " Production " is production, and a name we
    do not know is an error (a typo must not quietly run production as development)."""
    name = ENVIRONMENTS.get(text.strip().lower())
    if name is None:
        known = ", ".join(sorted({key for key in ENVIRONMENTS}))
        raise SettingsError(f"INVESTOCHAT_ENV={text!r} is not an environment this app knows ({known}).")
    return name


def is_production(settings: Mapping[str, Any]) -> bool:
    """True when the deployment says it is production (stricter checks apply)."""
    return settings.get("ENV_NAME") == "production"
