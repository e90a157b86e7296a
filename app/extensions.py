"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from app.sessions import MACHINE_PATHS


class Base(DeclarativeBase):
    """Declarative base for every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
# Limits are declared on the views that need them (login); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _provider_webhooks() -> bool:
    """Webhooks carry their provider's signature and are limited per sender by the conversation
    engine; an IP limit would only throttle WhatsApp's own servers."""
    return request.path.startswith(MACHINE_PATHS)
