"""``/webhooks/whatsapp`` (Meta) and ``/webhooks/wati``: verify, record, answer 200 fast.

Recording a delivery is one SQL statement, which also notifies the dispatcher
(``workers.dispatch``) of the new messages once it commits; the dispatcher enqueues their
processing. The request itself never waits for Redis.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, current_app, jsonify, request
from sqlalchemy import Connection

from app.blueprints.webhooks import bp
from app.channels.messages import PayloadError
from app.channels.meta import parse_webhook, verify_signature
from app.channels.wati import parse_wati_webhook, verify_wati_token
from app.conversation.inbox import record_delivery
from app.dbpool import AUTOCOMMIT_BIND
from app.extensions import db


@bp.get("/whatsapp")
def verify_subscription():
    """Meta's verification handshake: echo ``hub.challenge`` when the verify token matches."""
    expected = current_app.config.get("WHATSAPP_VERIFY_TOKEN") or ""
    token = request.args.get("hub.verify_token", "")
    if (
        request.args.get("hub.mode") != "subscribe"
        or not expected
        or not hmac.compare_digest(token, expected)
    ):
        abort(403, description="Verification failed: hub.mode or hub.verify_token is wrong.")
    return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain; charset=utf-8"}


# A WhatsApp webhook nests a handful of levels; far deeper is an attack on the parser or the
# database, refused before either sees it.
MAX_DEPTH = 32
NUL = "\x00"


def _load_json(raw: bytes):
    """The body as JSON, with NUL characters taken out of every string (PostgreSQL cannot store
    them, and one must not make the provider re-deliver a whole batch); 400 for a body that is
    not JSON or nests too deeply."""
    try:
        payload = json.loads(raw)
    except RecursionError:
        abort(400, description=f"The body nests more than {MAX_DEPTH} levels deep.")
    except ValueError:
        abort(400, description="The body is not valid JSON.")
    return _cleaned(payload, strip_nul=b"\\u0000" in raw)


def _cleaned(payload, *, strip_nul: bool):
    """``payload`` checked for depth (iteratively: no recursion to exhaust) and, when asked, with
    NUL characters removed from its strings, keys included."""
    root = [payload]
    stack = [(root, 0, 0)]
    while stack:
        container, key, depth = stack.pop()
        value = container[key]
        if depth > MAX_DEPTH:
            abort(400, description=f"The body nests more than {MAX_DEPTH} levels deep.")
        if isinstance(value, str):
            if strip_nul and NUL in value:
                container[key] = value.replace(NUL, "")
        elif isinstance(value, list):
            stack.extend((value, index, depth + 1) for index in range(len(value)))
        elif isinstance(value, dict):
            if strip_nul and any(NUL in name for name in value):
                value = container[key] = {name.replace(NUL, ""): item for name, item in value.items()}
            stack.extend((value, name, depth + 1) for name in value)
    return root[0]


def _record(provider: str, payload, parse) -> tuple:
    try:
        messages, statuses = parse(payload)
    except PayloadError as error:
        abort(400, description=str(error))
    with _connection() as connection:
        recorded = record_delivery(connection, provider, payload, messages, statuses, notify=True)
    return jsonify(
        received=len(messages),
        new=len(recorded.new_message_ids),
        duplicates=recorded.duplicates,
        statuses=len(statuses),
    ), 200


@contextmanager
def _connection() -> Iterator[Connection]:
    """A database connection in autocommit mode, straight from the pool.

    ``record_delivery`` is one statement, so autocommit spares the BEGIN and COMMIT round trips
    without giving up atomicity, and skipping the ORM session spares its bookkeeping: this runs
    on every webhook. When the session is bound to a caller's open connection (one transaction
    around the request), the statement joins that transaction instead and the caller commits.
    """
    bind = db.session.session_factory.kw.get("bind")  # read without opening a session
    if isinstance(bind, Connection):
        yield bind
        return
    with db.engines[AUTOCOMMIT_BIND].connect() as connection:
        yield connection


@bp.post("/whatsapp")
def receive_meta():
    """A signed delivery from Meta: messages and statuses, up to 1000 updates."""
    raw = request.get_data(cache=False)
    secret = current_app.config.get("WHATSAPP_APP_SECRET") or ""
    if not secret:
        current_app.logger.warning("WhatsApp webhook refused: WHATSAPP_APP_SECRET is not set")
        abort(403, description="Webhook signatures cannot be checked: WHATSAPP_APP_SECRET is not set.")
    if not verify_signature(secret, raw, request.headers.get("X-Hub-Signature-256")):
        abort(403, description="Invalid or missing X-Hub-Signature-256.")
    return _record("meta", _load_json(raw), parse_webhook)


@bp.post("/wati")
def receive_wati():
    """A delivery from Wati, authenticated with the shared token."""
    expected = current_app.config.get("WATI_WEBHOOK_TOKEN") or ""
    provided = request.headers.get("X-Wati-Token") or request.args.get("token")
    if not expected or not verify_wati_token(expected, provided):
        abort(403, description="Invalid or missing Wati webhook token.")
    return _record("wati", _load_json(request.get_data(cache=False)), parse_wati_webhook)
