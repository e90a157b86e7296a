"""``POST /api/ask``: a brochure question in, a cited answer out.

Each call may cost an LLM call, so callers are limited per address (``ASK_RATE_LIMIT``) and, when
``API_TOKENS`` is set, must send one of those tokens as ``Authorization: Bearer <token>``.
"""

import hmac

from flask import current_app, jsonify, request

from app.blueprints.api import bp
from app.extensions import limiter
from app.rag.answer import UnknownProject, answer_question


def _bad_request(message: str):
    return jsonify(error="Bad Request", message=message), 400


@bp.before_request
def _require_token():
    tokens = current_app.config.get("API_TOKENS") or []
    if not tokens:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Compared against every token in constant time, so timing says nothing about which is close.
    matches = [hmac.compare_digest(given.strip().encode(), token.encode()) for token in tokens]
    if scheme.lower() == "bearer" and any(matches):
        return None
    response = jsonify(error="Unauthorized", message="Send an API token as `Authorization: Bearer <token>`.")
    return response, 401, {"WWW-Authenticate": 'Bearer realm="investochat"'}


@bp.post("/ask")
@limiter.limit(lambda: current_app.config["ASK_RATE_LIMIT"])
def ask():
    """Answer ``{"question": str, "project": str?}`` with the answer object (see README)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _bad_request('Send a JSON object like {"question": "What is the payment plan?"}.')
    question, project = payload.get("question"), payload.get("project")
    if not isinstance(question, str) or not question.strip():
        return _bad_request('"question" must be a non-empty string.')
    if len(question) > 1000:
        return _bad_request('"question" must be at most 1000 characters.')
    if project is not None and (not isinstance(project, str) or not project.strip()):
        return _bad_request('"project" must be a non-empty string when given.')
    try:
        answer = answer_question(question.strip(), project=project)
    except UnknownProject as exc:
        return _bad_request(str(exc))
    return jsonify(answer.to_dict())
