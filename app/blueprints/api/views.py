"""``POST /api/ask``: a brochure question in, a cited answer out."""

from flask import jsonify, request

from app.blueprints.api import bp
from app.rag.answer import UnknownProject, answer_question


def _bad_request(message: str):
    return jsonify(error="Bad Request", message=message), 400


@bp.post("/ask")
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
