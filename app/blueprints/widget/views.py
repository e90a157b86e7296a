"""``/widget``: the chat an investor opens on a developer's website.

Every request after the start carries the conversation's signed token in ``X-Widget-Token``
(``app.widget.conversations``); the views parse, call the domain functions and render.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, render_template, request
from sqlalchemy import select

from app.blueprints.widget import bp
from app.extensions import db, limiter
from app.models import Project
from app.widget.conversations import (
    WidgetConversation,
    WidgetError,
    issue_token,
    post_message,
    read_token,
    replies_to,
    start_conversation,
    thread,
)

TOKEN_HEADER = "X-Widget-Token"
# How long the widget shows "typing" before saying the answer is late (it keeps checking, slower).
PATIENCE = timedelta(seconds=45)


def _fragment_or_page(fragment: str, status: int = 200, **context):
    """The fragment for HTMX; the whole widget page otherwise. A form with errors is 422 as a
    page but 200 as a fragment, because HTMX does not swap 4xx answers."""
    if request.headers.get("HX-Request") == "true":
        return render_template(fragment, **context), 200
    return render_template("widget/page.html", body=fragment, **context), status


def _conversation() -> WidgetConversation:
    conversation = read_token(current_app.config["SECRET_KEY"], request.headers.get(TOKEN_HEADER))
    if conversation is None:
        abort(403, description="This chat has expired; reload the page to start again.")
    return conversation


def _project(name: str | None) -> str | None:
    """The project the website is about, when InvestoChat knows it."""
    if not name:
        return None
    return db.session.scalar(select(Project.name).where(Project.name == name.strip()))


@bp.get("/")
def page():
    """The widget: the start form (or, through widget.js, a conversation resumed)."""
    project = _project(request.args.get("project"))
    return _fragment_or_page("widget/_start.html", project=project, form={}, error=None)


@bp.post("/start")
@limiter.limit(lambda: current_app.config["WIDGET_START_LIMIT"])
def start():
    """Name, phone and consent in; the chat, holding its conversation token, out."""
    form = request.form
    project = _project(form.get("project"))
    try:
        conversation = start_conversation(
            db.session,
            form.get("name", ""),
            form.get("phone", ""),
            project,
            consent=bool(form.get("consent")),
        )
    except WidgetError as error:
        db.session.rollback()
        return _fragment_or_page("widget/_start.html", 422, project=project, form=form, error=str(error))
    db.session.commit()
    token = issue_token(current_app.config["SECRET_KEY"], conversation)
    return _fragment_or_page(
        "widget/_chat.html", conversation=conversation, token=token, project=project, messages=[]
    )


@bp.get("/thread")
def resume():
    """The chat of the conversation in the token, with its messages so far."""
    conversation = _conversation()
    messages = thread(db.session, conversation.id)
    token = request.headers[TOKEN_HEADER]
    project = _project(request.args.get("project"))
    return render_template(
        "widget/_chat.html", conversation=conversation, token=token, project=project, messages=messages
    )


@bp.post("/messages")
@limiter.limit(lambda: current_app.config["WIDGET_MESSAGE_LIMIT"])
def send():
    """A message (typed, or an option picked) in; its bubble and a poller for the replies out."""
    conversation = _conversation()
    form = request.form
    try:
        message_id = post_message(
            db.session, conversation, form.get("text", ""), form.get("mid", ""), form.get("reply_id") or None
        )
    except WidgetError as error:
        db.session.rollback()
        return render_template("widget/_sent.html", error=str(error), message=None)
    db.session.commit()  # the dispatcher hears of the message when this commits
    message = replies_to(db.session, conversation.id, message_id)[0]
    return render_template("widget/_sent.html", error=None, message=message)


@bp.get("/replies/<int:message_id>")
def replies(message_id: int):
    """The replies to one of the visitor's messages once they are written; 204 until then."""
    conversation = _conversation()
    found = replies_to(db.session, conversation.id, message_id)
    if found is None:
        abort(404, description="No such message in this chat.")
    inbound, answers = found
    if inbound.processed_at is None:
        if datetime.now(UTC) - inbound.created_at < PATIENCE:
            return "", 204
        return render_template("widget/_waiting.html", message=inbound, late=True)
    return render_template("widget/_replies.html", replies=answers)


@bp.get("/demo")
def demo():
    """A sample developer page with the widget embedded, as a website would embed it."""
    project = _project(request.args.get("project")) or db.session.scalar(
        select(Project.name).order_by(Project.name).limit(1)
    )
    return render_template("widget/demo.html", project=project)


@bp.app_template_global("new_client_id")
def new_client_id() -> str:
    """A fresh id for a message form: the same form sent twice is recorded once."""
    return uuid.uuid4().hex


@bp.after_request
def _frame_and_cache(response):
    # The widget runs in iframes on the developers' sites named in WIDGET_ALLOWED_ORIGINS (and on
    # our own pages); nothing it shows is worth keeping in a cache.
    origins = " ".join(current_app.config.get("WIDGET_ALLOWED_ORIGINS", "").split())
    response.headers["Content-Security-Policy"] = f"frame-ancestors 'self' {origins}".strip()
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("HX-Request")
    return response
