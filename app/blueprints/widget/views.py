"""``/widget``: the chat an investor opens on a developer's website.

Every request after the start carries the conversation's signed token in ``X-Widget-Token``
(``app.widget.conversations``); the views parse, call the domain functions and render.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, current_app, render_template, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from app.blueprints.fragments import page_or_fragment
from app.blueprints.widget import bp
from app.channels.phones import normalize_phone
from app.conversation.unanswered import FAILED
from app.extensions import db, limiter
from app.models import Lead, Message, Project
from app.models.columns import parse_id
from app.widget import verification
from app.widget.conversations import (
    CONSENT,
    WidgetConversation,
    WidgetError,
    advisor_messages,
    answered_offer,
    chosen_options,
    conversation_for,
    issue_token,
    known_project,
    note_site,
    post_message,
    read_token,
    replies_to,
    start_conversation,
    thread,
)
from app.widget.suggestions import SHOWN, suggested_questions

TOKEN_HEADER = "X-Widget-Token"
# How long the widget shows "typing" before it says the answer is late (and checks less often),
# and when it stops checking (a reload checks again).
PATIENCE = timedelta(seconds=45)
GIVE_UP = timedelta(minutes=10)
# New codes one conversation may ask for (the first is sent at the start).
RESEND_LIMIT = "3 per 10 minutes"
CODE_ERRORS = {
    verification.EXPIRED: "That code has expired. Ask for a new one below.",
    verification.TOO_MANY: "Too many wrong tries. Ask for a new code below.",
}
# Scripts and styles from this origin only (htmx adds its one inline style); framed only where
# WIDGET_ALLOWED_ORIGINS says.
POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


def _conversation_id() -> str | None:
    return read_token(current_app.config["SECRET_KEY"], request.headers.get(TOKEN_HEADER))


def _conversation() -> WidgetConversation:
    conversation = conversation_for(db.session, _conversation_id())
    if conversation is None:
        abort(403, description="This chat has expired; reload the page to start again.")
    return conversation


def _per_conversation() -> str:
    """The rate-limit key of a widget message: its conversation (a token works from any address)."""
    return f"widget:{_conversation_id() or get_remote_address()}"


def _needs_code(conversation: WidgetConversation) -> bool:
    """Whether the chat waits for the code sent to the visitor's WhatsApp (WHATSAPP_OTP_TEMPLATE)."""
    return verification.enabled(current_app.config) and not conversation.verified


def _send_code(conversation: WidgetConversation) -> str | None:
    """Send a new code and commit; None when it went, else why not (in the visitor's words)."""
    try:
        verification.send_code(current_app.config, db.session, conversation)
    except verification.CodeNotSent as error:
        db.session.rollback()
        current_app.logger.warning(
            "widget code for lead %s not sent: %s", conversation.lead_id, error.__cause__
        )
        return str(error)
    db.session.commit()
    return None


def _project_name(project: Project | None) -> str | None:
    return project.name if project else None


def _per_phone() -> str:
    """The rate-limit key of a start: the number typed, however it is spaced, so a page cannot
    have many visitors (or one script from many addresses) start chats for one number."""
    typed = request.form.get("phone", "")
    try:
        number = normalize_phone(typed)
    except ValueError:
        number = "".join(ch for ch in typed if ch.isdigit())[-15:] or "none"
    return f"widget-phone:{number}"


@bp.before_request
def _same_origin_posts():
    """Only our own pages (the widget's iframe) and the sites in WIDGET_ALLOWED_ORIGINS may post
    to the widget: a hostile page must not make its visitors' browsers create leads. A browser
    always sends Origin with a cross-site POST; a client without one is no browser driven by
    another site, and the rate limits still apply to it."""
    if request.method != "POST":
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    allowed = {request.host_url.rstrip("/"), *current_app.config.get("WIDGET_ALLOWED_ORIGINS", "").split()}
    if origin.rstrip("/") not in allowed:
        current_app.logger.warning("widget POST from another site refused (Origin %s)", origin[:100])
        abort(403, description="This chat can only be used from the website it belongs to.")
    return None


@bp.get("/")
def page():
    """The widget: the start form (or, through widget.js, a conversation resumed). The page that
    opened it (its Referer) tells which site shows this project's chat."""
    known = known_project(db.session, request.args.get("project"))
    if known is not None:
        allowed = current_app.config.get("WIDGET_ALLOWED_ORIGINS", "")
        note_site(db.session, known, request.referrer, allowed, request.host_url.rstrip("/"))
        db.session.commit()
    project = _project_name(known)
    return render_template(
        "widget/page.html", body="widget/_start.html", project=project, form={}, error=None, consent=CONSENT
    )


@bp.post("/start")
@limiter.limit(lambda: current_app.config["WIDGET_START_LIMIT"])
@limiter.limit(lambda: current_app.config["WIDGET_PHONE_LIMIT"], key_func=_per_phone)
def start():
    """Name, phone and consent in; the chat, holding its conversation token, out."""
    form = request.form
    project = known_project(db.session, form.get("project"))
    context = {"project": _project_name(project), "consent": CONSENT}
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
        return page_or_fragment(
            "widget/page.html",
            "widget/_start.html",
            status=422,
            body="widget/_start.html",
            form=form,
            error=str(error),
            **context,
        )
    db.session.commit()
    token = issue_token(current_app.config["SECRET_KEY"], conversation.id)
    needs_code = _needs_code(conversation)
    code_error = _send_code(conversation) if needs_code else None
    return page_or_fragment(
        "widget/page.html",
        "widget/_chat.html",
        body="widget/_chat.html",
        conversation=conversation,
        token=token,
        messages=[],
        suggestions=suggested_questions(db.session, project),
        needs_code=needs_code,
        code_error=code_error,
        **context,
    )


@bp.get("/thread")
def resume():
    """The chat of the conversation in the token, with its messages so far (the options already
    picked spent, and a poller for any message still waiting for its answer)."""
    conversation = _conversation()
    project = known_project(db.session, request.args.get("project"))
    messages = thread(db.session, conversation.id)
    return render_template(
        "widget/_chat.html",
        conversation=conversation,
        token=request.headers[TOKEN_HEADER],
        project=_project_name(project),
        messages=messages,
        chosen=chosen_options(messages),
        suggestions=suggested_questions(db.session, project),
        needs_code=_needs_code(conversation),
    )


@bp.get("/advisor")
def advisor():
    """The broker's messages written after ``?after=`` (the chat polls it while open), and the
    poller again with the newest id seen."""
    conversation = _conversation()
    after = parse_id(request.args.get("after")) or 0
    found = advisor_messages(db.session, conversation.id, after)
    cursor = found[-1].id if found else after
    return render_template("widget/_advisor.html", messages=found, cursor=cursor)


@bp.post("/verify")
@limiter.limit(lambda: current_app.config["WIDGET_MESSAGE_LIMIT"], key_func=_per_conversation)
def verify():
    """The code the visitor typed in; the box to ask questions out once it is right, else the
    code form again saying what was wrong."""
    conversation = _conversation()
    result = verification.check_code(
        current_app.config, db.session, conversation, request.form.get("code", "")
    )
    db.session.commit()  # a wrong guess counts
    if result == verification.VERIFIED:
        return render_template(
            "widget/_composer.html", notice="Thank you, your number is confirmed. Ask away."
        )
    if result == verification.WRONG:
        left = verification.tries_left(db.session, conversation)
        error = f"That code is not right. {left} {'try' if left == 1 else 'tries'} left."
    else:
        error = CODE_ERRORS[result]
    return render_template("widget/_verify.html", conversation=conversation, code_error=error)


@bp.post("/verify/resend")
@limiter.limit(RESEND_LIMIT, key_func=_per_conversation)
def resend_code():
    """A new code to the visitor's WhatsApp (the old one stops working)."""
    conversation = _conversation()
    if not _needs_code(conversation):
        return render_template("widget/_composer.html")
    error = _send_code(conversation)
    note = None if error else "A new code is on its way to your WhatsApp."
    return render_template("widget/_verify.html", conversation=conversation, code_error=error, code_note=note)


@bp.post("/messages")
@limiter.limit(lambda: current_app.config["WIDGET_MESSAGE_LIMIT"])
@limiter.limit(lambda: current_app.config["WIDGET_MESSAGE_LIMIT"], key_func=_per_conversation)
def send():
    """A message (typed, an option picked, or a suggested question) in; its bubble and a poller
    for the replies out, with the options it picked from, or the suggestion, shown spent. A form
    sent again answers 204: the first answer already showed it."""
    conversation = _conversation()
    if _needs_code(conversation):
        error = "Please type the code we sent to your WhatsApp first."
        return render_template("widget/_sent.html", error=error, message=None)
    form = request.form
    try:
        message_id, new = post_message(
            db.session, conversation, form.get("text", ""), form.get("mid", ""), form.get("reply_id") or None
        )
    except WidgetError as error:
        db.session.rollback()
        return render_template("widget/_sent.html", error=str(error), message=None)
    db.session.commit()  # the dispatcher hears of the message when this commits
    if not new:
        return "", 204
    message = db.session.get(Message, message_id)
    suggestion = parse_id(form.get("suggestion"))  # which of the chat's suggested questions
    return render_template(
        "widget/_sent.html",
        error=None,
        message=message,
        offer=answered_offer(db.session, conversation.id, message),
        suggestion=suggestion if suggestion and suggestion <= SHOWN else None,
    )


@bp.get("/replies/<int:message_id>")
def replies(message_id: int):
    """The replies to one of the visitor's messages once they are written; 204 until then."""
    conversation = _conversation()
    found = replies_to(db.session, conversation.id, message_id)
    if found is None:
        abort(404, description="No such message in this chat.")
    inbound, answers = found
    # A message the bot gave up on is done too: its holding reply is the answer.
    if inbound.processed_at is None and inbound.status != FAILED:
        waited = datetime.now(UTC) - inbound.created_at
        if waited < PATIENCE:
            return "", 204
        return render_template("widget/_waiting.html", message=inbound, late=True, gave_up=waited > GIVE_UP)
    if not answers:  # the engine stays silent for an opted-out lead, or after a slow-down notice
        opted_out = db.session.scalar(select(Lead.opted_out).where(Lead.id == conversation.lead_id))
        return render_template("widget/_silence.html", opted_out=opted_out)
    return render_template("widget/_replies.html", replies=answers)


@bp.get("/demo")
def demo():
    """A sample developer page with the widget embedded, as a website would embed it."""
    project = (
        known_project(db.session, request.args.get("project"))
        or db.session.scalars(select(Project).order_by(Project.name).limit(1)).first()
    )
    return render_template("widget/demo.html", project=_project_name(project))


@bp.after_request
def _frame_and_cache(response):
    # The widget runs in iframes on the developers' sites named in WIDGET_ALLOWED_ORIGINS (and on
    # our own pages); nothing it shows is worth keeping in a cache.
    origins = " ".join(current_app.config.get("WIDGET_ALLOWED_ORIGINS", "").split())
    response.headers["Content-Security-Policy"] = f"{POLICY}; frame-ancestors 'self' {origins}".strip()
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("HX-Request")
    return response
