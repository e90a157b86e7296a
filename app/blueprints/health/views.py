"""``/healthz``: the process is up. ``/readyz``: database, Redis and migrations are ready."""

from flask import jsonify

from app.blueprints.health import bp
from app.health import readiness


@bp.get("/healthz")
def healthz():
    """Answer 200 whenever the process can serve requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Answer 200 only when every dependency is reachable and the schema is current."""
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
