"""The HTTP layer: one blueprint per feature in ``app/blueprints/<feature>/``.

A feature's package only creates its ``bp``; its view modules import ``bp`` and add their routes
to it. ``init_app`` imports those view modules and registers each blueprint, so no feature
package imports its own views back.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every feature's blueprint, with all its routes, under its URL prefix."""
    from app.blueprints import api, auth, brochures, broker, health, partner, webhooks, widget
    from app.extensions import csrf

    _import_views()
    app.register_blueprint(health.bp)
    app.register_blueprint(brochures.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(webhooks.bp, url_prefix="/webhooks")
    app.register_blueprint(auth.bp)
    app.register_blueprint(broker.bp, url_prefix="/broker")
    app.register_blueprint(partner.bp, url_prefix="/partner")
    app.register_blueprint(widget.bp, url_prefix="/widget")
    # Machine-to-machine endpoints: no cookie session to protect; webhooks are signed instead.
    csrf.exempt(api.bp)
    csrf.exempt(webhooks.bp)
    # The widget uses no cookie either: a signed conversation token in a header authorises each
    # request (app/widget/conversations.py), which another site cannot forge or make a browser send.
    csrf.exempt(widget.bp)


def _import_views() -> None:
    """Import every view module: importing one adds its routes to its feature's ``bp``."""
    from app.blueprints.api import views as api_views  # noqa: F401
    from app.blueprints.auth import accounts as auth_accounts  # noqa: F401
    from app.blueprints.auth import views as auth_views  # noqa: F401
    from app.blueprints.brochures import views as brochure_views  # noqa: F401
    from app.blueprints.broker import compose_views as broker_compose_views  # noqa: F401
    from app.blueprints.broker import lead_views as broker_lead_views  # noqa: F401
    from app.blueprints.broker import views as broker_views  # noqa: F401
    from app.blueprints.health import views as health_views  # noqa: F401
    from app.blueprints.partner import (  # noqa: F401
        audit,
        brokers,
        dashboard,
        deals,
        leads,
        projects,
        replies,
        sync,
        unanswered,
    )
    from app.blueprints.webhooks import views as webhook_views  # noqa: F401
    from app.blueprints.widget import views as widget_views  # noqa: F401
