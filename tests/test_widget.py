"""The chat widget through the Flask test client: starting a conversation, asking, the replies
the worker writes, options, resuming, and everything a visitor or another site could get wrong.

Processing runs the worker's own job (``process_message``) in the test's app context; a fake
Graph API stands by to prove that no widget reply ever goes to WhatsApp.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.conversation.service import lead_for
from app.extensions import db, limiter
from app.models import (
    Activity,
    Document,
    DocumentTable,
    Fact,
    InboundEvent,
    Lead,
    Message,
    OutboxEvent,
    Project,
)
from app.widget.conversations import CONSENT, issue_token, read_token
from app.widget.suggestions import SHOWN, SUGGESTIONS, suggested_questions
from tests.fakes.graph_server import FakeGraph
from workers.tasks import process_message

PROJECT = "Aravali Crest"
SECRET = "test-secret"  # the test app's SECRET_KEY (tests/conftest.py)
PHONE = "+919811155501"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def widget(app_ctx, runner):
    """The demo project loaded, generous rate limits, and WhatsApp pointed at a fake Graph."""
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    config = app_ctx.config
    keys = ("WIDGET_START_LIMIT", "WIDGET_MESSAGE_LIMIT", "WIDGET_PHONE_LIMIT", "WIDGET_ALLOWED_ORIGINS")
    saved = {key: config.get(key) for key in keys}
    with FakeGraph() as graph:
        saved |= {key: config.get(key) for key in graph.config()}
        config.update(
            graph.config(),
            WIDGET_START_LIMIT="1000/minute",
            WIDGET_MESSAGE_LIMIT="1000/minute",
            WIDGET_PHONE_LIMIT="1000/minute",
        )
        yield graph
    config.update(saved)


def start(client, name="Meera Kapoor", phone="98111 55501", consent="yes", project=PROJECT):
    data = {"name": name, "phone": phone, "project": project}
    if consent:
        data["consent"] = consent
    return client.post("/widget/start", data=data, headers=HTMX)


def token_of(response) -> str:
    match = re.search(r'data-token="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def say(client, token, text, mid=None, reply_id=None, address="127.0.0.1"):
    data = {"text": text, "mid": mid or uuid.uuid4().hex}
    if reply_id:
        data["reply_id"] = reply_id
    headers = {**HTMX, "X-Widget-Token": token}
    return client.post("/widget/messages", data=data, headers=headers, environ_base={"REMOTE_ADDR": address})


def poll(client, token, message_id):
    return client.get(f"/widget/replies/{message_id}", headers={**HTMX, "X-Widget-Token": token})


def resume(client, token, project=None) -> str:
    query = {"project": project} if project else {}
    response = client.get("/widget/thread", query_string=query, headers={**HTMX, "X-Widget-Token": token})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def inbound(text: str) -> Message:
    return db.session.scalars(
        select(Message).where(Message.direction == "in", Message.body == text).order_by(Message.id.desc())
    ).first()


def ask(client, token, text, reply_id=None) -> str:
    """Send ``text``, run the worker's job for it, and return the replies the widget shows."""
    sent = say(client, token, text, reply_id=reply_id)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    message = inbound(text)
    assert poll(client, token, message.id).status_code == 204  # not answered yet: keep polling
    process_message(message.id)
    answered = poll(client, token, message.id)
    assert answered.status_code == 200
    return answered.get_data(as_text=True)


def widget_lead(token: str) -> Lead:
    """The lead of the conversation ``token`` names."""
    conversation_id = read_token(SECRET, token)
    return db.session.scalars(select(Lead).where(Lead.web_conversation == conversation_id)).one()


def test_the_widget_page_asks_who_is_asking_and_may_be_framed_only_where_allowed(client, widget):
    response = client.get(f"/widget/?project={PROJECT}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{PROJECT}</h1>" in body and 'name="phone"' in body and CONSENT in body
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'self'") and "script-src 'self'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # the widget keeps no cookie
    assert "https://" not in body  # nothing from a CDN

    client.application.config["WIDGET_ALLOWED_ORIGINS"] = "https://www.developer.example  https://b.example"
    policy = client.get("/widget/").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'self' https://www.developer.example https://b.example")


def test_starting_makes_a_web_lead_of_its_own_with_the_project_in_focus_and_the_consent(client, widget):
    response = start(client)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Chatting as Meera Kapoor" in body
    assert 'hx-headers=\'{"X-Widget-Token": ' in body
    assert PHONE not in body and "98111" not in body  # the page's storage never holds the number
    lead = widget_lead(token_of(response))
    assert (lead.phone, lead.name, lead.channel, lead.stage) == (PHONE, "Meera Kapoor", "web", "new")
    assert lead.project.name == PROJECT
    [consent] = db.session.scalars(select(Activity).where(Activity.lead_id == lead.id)).all()
    assert (consent.kind, consent.actor) == ("contact_consent", "investor")
    assert consent.detail == {"source": "widget", "consent": CONSENT, "project": PROJECT}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "  "}, "Please tell us your name."),
        ({"name": "x" * 101}, "under 100 characters"),
        ({"phone": "12345"}, "does not look like a mobile number"),
        ({"phone": "call me maybe"}, "does not look like a mobile number"),
        ({"consent": None}, "Please agree to be contacted"),
    ],
)
def test_a_start_form_with_a_mistake_says_what_to_fix_and_creates_nothing(client, widget, fields, error):
    before = db.session.scalar(select(func.count()).select_from(Lead))
    response = start(client, **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and error in body and "data-token" not in body
    assert db.session.scalar(select(func.count()).select_from(Lead)) == before


def test_a_start_form_with_a_mistake_is_a_422_page_without_htmx(client, widget):
    page = client.post("/widget/start", data={"name": "Meera", "phone": "12"})
    assert page.status_code == 422 and "<!doctype html>" in page.get_data(as_text=True)


def test_a_question_is_answered_with_its_citation_and_nothing_goes_to_whatsapp(client, widget):
    token = token_of(start(client))

    replies = ask(client, token, "What is the payment plan?")

    assert "Hello Meera!" in replies and "On booking: 10% of BSP" in replies
    assert "Source: Aravali_Crest_Brochure.pdf p.6" in replies
    message = inbound("What is the payment plan?")
    assert (message.provider, message.status, message.lead.channel) == ("web", "processed", "web")
    [reply] = db.session.scalars(select(Message).where(Message.in_reply_to_id == message.id)).all()
    assert (reply.status, reply.provider, reply.route) == ("sent", "web", "tables")
    assert reply.sent_at is not None and reply.provider_message_id is None
    assert reply.conversation == message.conversation is not None
    assert widget.sent == []  # the fake Graph API received nothing
    events = select(func.count()).select_from(InboundEvent).where(InboundEvent.provider == "web")
    assert db.session.scalar(events) == 1


def test_a_number_that_already_has_a_whatsapp_lead_gets_a_lead_of_its_own(client, widget):
    owner = lead_for(db.session, PHONE, "Rohan Mehta", "whatsapp")
    owner.stage, owner.budget_text, owner.budget_min_inr = "qualifying", "5 crore", 50_000_000
    db.session.flush()
    token = token_of(start(client, name="Someone Typing"))

    greeting = ask(client, token, "hi")
    stopped = ask(client, token, "STOP")

    assert "Hello Someone!" in greeting and "Rohan" not in greeting and "5 crore" not in greeting
    assert "unsubscribed" in stopped
    db.session.refresh(owner)
    assert (owner.stage, owner.opted_out, owner.name) == ("qualifying", False, "Rohan Mehta")
    assert widget_lead(token).opted_out is True
    assert lead_for(db.session, PHONE, None, "whatsapp").id == owner.id  # WhatsApp still finds its own


def test_the_same_form_sent_twice_is_one_message_and_shows_once(client, widget):
    token = token_of(start(client))
    mid = uuid.uuid4().hex

    first, second = say(client, token, "Where is it?", mid), say(client, token, "Where is it?", mid)

    assert first.status_code == 200 and second.status_code == 204
    [message_id] = db.session.scalars(select(Message.id).where(Message.body == "Where is it?")).all()
    assert f'data-message-id="{message_id}"' in first.get_data(as_text=True)


def test_requests_without_a_valid_token_are_refused_and_store_nothing(client, widget):
    token = token_of(start(client))
    forged = issue_token("not-our-secret", str(uuid.uuid4()))
    unknown = issue_token(SECRET, str(uuid.uuid4()))  # signed by us, but no such chat
    for bad in (None, "garbage", forged, unknown):
        headers = {"X-Widget-Token": bad} if bad else {}
        data = {"text": "hi", "mid": uuid.uuid4().hex}
        assert client.post("/widget/messages", data=data, headers=headers).status_code == 403
        assert client.get("/widget/thread", headers=headers).status_code == 403
        assert client.get("/widget/replies/1", headers=headers).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.body == "hi")) == 0
    assert say(client, token, "hi").status_code == 200


def test_a_conversation_shows_only_its_own_messages(client, widget):
    mine = token_of(start(client))
    theirs = token_of(start(client))  # the same number, typed again: another conversation
    lead_for(db.session, PHONE, "Meera", "whatsapp")
    db.session.add(
        Message(phone=PHONE, direction="in", provider="meta", body="a WhatsApp message", status="received")
    )
    say(client, mine, "What is the RERA number?")
    message = inbound("What is the RERA number?")
    process_message(message.id)

    assert poll(client, theirs, message.id).status_code == 404
    assert poll(client, mine, message.id).status_code == 200
    assert "RERA" not in resume(client, theirs)
    mine_shown = resume(client, mine)
    assert "What is the RERA number?" in mine_shown and "DEMO-GGM-2026-0001" in mine_shown
    assert "a WhatsApp message" not in mine_shown


def test_what_the_visitor_types_is_shown_as_text_never_as_markup(client, widget):
    token = token_of(start(client))
    sent = say(client, token, '<img src=x onerror="alert(1)"> hello').get_data(as_text=True)
    assert "<img" not in sent and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; hello" in sent


@pytest.mark.parametrize(
    ("text", "mid", "reply_id", "error"),
    [
        ("   ", None, None, "Type a question first."),
        ("x" * 1001, None, None, "under 1000 characters"),
        ("hello", "not-a-uuid", None, "reload the chat"),
        ("₹3 – 5 Cr", None, "budget:" + "9" * 300, "not one I offered"),
    ],
)
def test_a_message_that_cannot_be_sent_says_why_and_stores_nothing(
    client, widget, text, mid, reply_id, error
):
    token = token_of(start(client))
    before = db.session.scalar(select(func.count()).select_from(Message))
    response = say(client, token, text, mid=mid, reply_id=reply_id)
    assert response.status_code == 200 and error in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Message)) == before


def test_a_late_answer_is_announced_then_no_longer_polled_and_a_reload_polls_again(client, widget):
    token = token_of(start(client))
    say(client, token, "When is possession?")
    message = inbound("When is possession?")

    message.created_at = datetime.now(UTC) - timedelta(minutes=2)
    late = poll(client, token, message.id).get_data(as_text=True)
    message.created_at = datetime.now(UTC) - timedelta(minutes=11)
    given_up = poll(client, token, message.id).get_data(as_text=True)

    assert "taking longer than usual" in late and 'hx-trigger="every 5s"' in late
    assert "reload the chat later" in given_up and "hx-get" not in given_up
    resumed = resume(client, token)
    assert f'hx-get="/widget/replies/{message.id}"' in resumed  # the reload asks again
    process_message(message.id)
    assert "hx-get" not in poll(client, token, message.id).get_data(as_text=True)


def test_an_opted_out_conversation_says_why_it_is_silent(client, widget):
    token = token_of(start(client))
    ask(client, token, "STOP")

    silent = ask(client, token, "What is the price?")

    assert "You have unsubscribed" in silent and "Type START" in silent
    assert "Welcome back" in ask(client, token, "START")


def test_a_full_conversation_in_the_widget_qualifies_the_lead_and_hands_it_to_a_broker(client, widget):
    token = token_of(start(client))
    ask(client, token, "What is the payment plan?")
    budget_question = ask(client, token, "How far is the airport?")
    assert "What budget do you have in mind?" in budget_question
    assert 'name="reply_id" value="budget:' in budget_question  # the options are buttons

    option = re.search(r'value="(budget:[^"]*3[^"]*5[^"]*)"', budget_question)[1]
    ask(client, token, "₹3 – 5 Cr", reply_id=option)
    ask(client, token, "sec 65 ggn")
    ask(client, token, "in 2 months")
    summary = ask(client, token, "4 BHK")
    assert "Shall I connect you with an advisor" in summary
    done = ask(client, token, "YES")

    assert re.search(r"Your reference is IC-\d{6}", done)
    lead = widget_lead(token)
    assert lead.qualified and lead.stage == "broker_requested" and lead.channel == "web"
    assert lead.budget_min_inr == 30_000_000 and lead.budget_max_inr == 50_000_000
    kinds = set(db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)))
    assert {"lead_created", "qualified", "broker_requested"} <= kinds
    topics = set(db.session.scalars(select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == lead.id)))
    assert {"lead.qualified", "lead.broker_requested"} <= topics
    resumed = resume(client, token)
    assert resumed.count('class="bubble me"') == 7 and "Your reference is IC-" in resumed
    assert widget.sent == []


def test_messages_are_limited_per_address_and_per_conversation(client, widget):
    client.application.config["WIDGET_MESSAGE_LIMIT"] = "2 per 7 minutes"
    token = token_of(start(client))
    from_one_address = [say(client, token, f"question {n}").status_code for n in range(3)]
    other = token_of(start(client, name="Other Visitor", phone="98111 55509"))
    from_many_addresses = [say(client, other, f"q {n}", address=f"10.0.0.{n}").status_code for n in range(3)]
    assert from_one_address == [200, 200, 429]
    assert from_many_addresses == [200, 200, 429]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(database_url, redis_url):
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET,
            "TRUSTED_PROXIES": 1,
            "WIDGET_START_LIMIT": "1 per 11 minutes",
        }
    )
    client = app.test_client()
    form = {"name": "", "phone": ""}  # refused as invalid, but still counted against the address

    def start_from(address: str) -> int:
        headers = {"X-Forwarded-For": address, **HTMX}
        return client.post("/widget/start", data=form, headers=headers).status_code

    visitor, neighbour = (f"2001:db8::{uuid.uuid4().hex[:4]}:{n}" for n in (1, 2))  # new every run
    assert start_from(visitor) == 200
    assert start_from(visitor) == 429
    assert start_from(neighbour) == 200  # another visitor behind the same proxy


def test_another_site_cannot_start_chats_or_send_messages(client, widget, app_ctx):
    app_ctx.config["WIDGET_ALLOWED_ORIGINS"] = "https://www.developer.example"
    data = {"name": "Meera Kapoor", "phone": "98111 55507", "consent": "yes", "project": PROJECT}
    hostile = client.post("/widget/start", data=data, headers={**HTMX, "Origin": "https://evil.example"})
    assert hostile.status_code == 403
    assert "website it belongs to" in hostile.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0

    own = client.post("/widget/start", data=data, headers={**HTMX, "Origin": "http://localhost"})
    token = token_of(own)
    sent = client.post(
        "/widget/messages",
        data={"text": "price?", "mid": uuid.uuid4().hex},
        headers={**HTMX, "X-Widget-Token": token, "Origin": "https://evil.example"},
    )
    assert sent.status_code == 403
    listed = client.post(
        "/widget/start", data=data, headers={**HTMX, "Origin": "https://www.developer.example"}
    )
    assert listed.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 2


def test_one_number_can_start_only_so_many_chats_from_any_address(client, widget, app_ctx):
    app_ctx.config["WIDGET_PHONE_LIMIT"] = "2/day"
    limiter.reset()
    codes = [
        client.post(
            "/widget/start",
            data={"name": "Meera Kapoor", "phone": phone, "consent": "yes"},
            headers=HTMX,
            environ_base={"REMOTE_ADDR": address},
        ).status_code
        for phone, address in (
            ("98111 55508", "198.51.100.1"),
            ("+91 9811155508", "198.51.100.2"),
            ("0091-98111-55508", "198.51.100.3"),
        )
    ]
    assert codes == [200, 200, 429]
    other_number = client.post(
        "/widget/start", data={"name": "Ravi", "phone": "98111 55509", "consent": "yes"}, headers=HTMX
    )
    assert other_number.status_code == 200


# --- a one-time code on WhatsApp proves the number (WHATSAPP_OTP_TEMPLATE) ---


@pytest.fixture
def otp(widget, app_ctx):
    """Codes sent as the approved authentication template "login_code" through the fake Graph."""
    widget.authentication_templates.add("login_code")
    app_ctx.config["WHATSAPP_OTP_TEMPLATE"] = "login_code"
    yield widget
    app_ctx.config["WHATSAPP_OTP_TEMPLATE"] = ""


def code_sent(graph, index=-1) -> str:
    """The code in a sent authentication template (the fake checks body and button agree)."""
    [body] = [c for c in graph.sent[index].payload["template"]["components"] if c["type"] == "body"]
    return body["parameters"][0]["text"]


def verify(client, token, code):
    return client.post("/widget/verify", data={"code": code}, headers={**HTMX, "X-Widget-Token": token})


def the_lead() -> Lead:
    db.session.expire_all()
    return db.session.scalars(select(Lead).where(Lead.channel == "web")).one()


def test_with_a_code_template_the_chat_takes_questions_only_after_the_code(client, otp):
    started = start(client)
    token = token_of(started)
    page = started.get_data(as_text=True)
    assert 'action="/widget/verify"' in page or 'hx-post="/widget/verify"' in page
    assert "ending 5501" in page and 'name="text"' not in page
    [sent] = otp.sent
    assert sent.to == "919811155501" and sent.payload["template"]["name"] == "login_code"
    code = code_sent(otp)
    assert re.fullmatch(r"\d{6}", code)
    assert code not in str(the_lead().phone_code_digest)  # only an HMAC is kept

    early = say(client, token, "price?")
    assert "code we sent" in early.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert "6-digit code to your WhatsApp" in resume(client, token)

    wrong = "000000" if code != "000000" else "111111"
    refused = verify(client, token, wrong).get_data(as_text=True)
    assert "not right. 4 tries left" in refused and the_lead().phone_verified_at is None

    accepted = verify(client, token, f" {code[:3]} {code[3:]} ").get_data(as_text=True)
    assert "your number is confirmed" in accepted and 'name="text"' in accepted
    lead = the_lead()
    assert lead.phone_verified_at is not None and lead.phone_code_digest is None
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    assert "phone_verified" in kinds
    assert say(client, token, "price?").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    assert 'name="text"' in resume(client, token)


def test_a_verified_number_is_recorded_on_the_investors_whatsapp_lead(client, otp):
    whatsapp = lead_for(db.session, PHONE, "Meera", "meta")
    db.session.commit()
    token = token_of(start(client))
    verify(client, token, code_sent(otp))
    web = the_lead()
    [activity] = db.session.scalars(
        select(Activity).where(Activity.lead_id == whatsapp.id, Activity.kind == "website_chat")
    ).all()
    assert activity.detail["web_lead_id"] == web.id
    assert activity.detail["conversation"] == web.web_conversation


def test_five_wrong_codes_use_the_code_up_and_a_new_one_replaces_it(client, otp):
    token = token_of(start(client))
    first = code_sent(otp)
    wrong = "000000" if first != "000000" else "111111"
    for _ in range(5):
        verify(client, token, wrong)
    exhausted = verify(client, token, first).get_data(as_text=True)
    assert "Too many wrong tries" in exhausted and the_lead().phone_verified_at is None

    renewed = client.post("/widget/verify/resend", headers={**HTMX, "X-Widget-Token": token})
    assert "new code is on its way" in renewed.get_data(as_text=True)
    second = code_sent(otp)
    assert len(otp.sent) == 2
    if second != first:  # the old code stops working
        assert "not right" in verify(client, token, first).get_data(as_text=True)
    assert "confirmed" in verify(client, token, second).get_data(as_text=True)


def test_an_expired_code_is_refused(client, otp):
    token = token_of(start(client))
    code = code_sent(otp)
    lead = the_lead()
    lead.phone_code_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert "has expired" in verify(client, token, code).get_data(as_text=True)
    assert the_lead().phone_verified_at is None


def test_a_code_whatsapp_refuses_says_so_and_can_be_sent_again(client, otp):
    otp.fail_next(400, code=131026, message="Message undeliverable")
    started = start(client)
    page = started.get_data(as_text=True)
    assert started.status_code == 200 and "could not send a code" in page
    token = token_of(started)
    assert the_lead().phone_code_digest is None  # nothing to guess
    assert "has expired" in verify(client, token, "123456").get_data(as_text=True)
    client.post("/widget/verify/resend", headers={**HTMX, "X-Widget-Token": token})
    assert "confirmed" in verify(client, token, code_sent(otp)).get_data(as_text=True)


def test_new_codes_are_limited_per_conversation(client, otp):
    limiter.reset()
    token = token_of(start(client))
    statuses = [
        client.post("/widget/verify/resend", headers={**HTMX, "X-Widget-Token": token}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert len(otp.sent) == 4  # the first code and three new ones


def test_without_a_code_template_no_code_is_asked(client, widget):
    page = start(client).get_data(as_text=True)
    assert 'name="text"' in page and "/widget/verify" not in page
    assert widget.sent == []


def test_the_brokers_messages_reach_the_open_chat_once(client, widget, app_ctx):
    from app.portal.accounts import create_user
    from app.portal.thread import write_to_investor

    token = token_of(start(client))
    lead = db.session.scalars(select(Lead).where(Lead.channel == "web")).one()
    broker = create_user(
        db.session, "ravi@agency.example", "broker", "Ravi Anand", "a long broker password 1"
    )
    write_to_investor(db.session, lead, broker, "I will call you at 5.", app_ctx.config)  # the portal's path
    db.session.commit()
    headers = {**HTMX, "X-Widget-Token": token}
    first = client.get("/widget/advisor?after=0", headers=headers).get_data(as_text=True)
    assert "I will call you at 5." in first and "Your advisor, Ravi Anand" in first
    cursor = re.search(r"advisor\?after=(\d+)", first).group(1)
    again = client.get(f"/widget/advisor?after={cursor}", headers=headers).get_data(as_text=True)
    assert "I will call you at 5." not in again and f"after={cursor}" in again
    other = token_of(start(client, phone="98111 55502"))
    leaked = client.get("/widget/advisor?after=0", headers={**HTMX, "X-Widget-Token": other})
    assert "I will call you at 5." not in leaked.get_data(as_text=True)


# --- opening: a welcome and questions the host project's brochure answers ---


def project_with(
    name: str, facts: dict[str, list[tuple[str, int | None]]], tables: tuple[str, ...] = ()
) -> None:
    """A project whose brochure (one document) gave these facts (key → [(value, page)]) and tables."""
    slug = name.lower().replace(" ", "-")
    project = Project(name=name, slug=slug)
    db.session.add(project)
    db.session.flush()
    document = Document(project_id=project.id, source=f"{slug}.pdf", sha256=slug.ljust(64, "0"), page_count=8)
    db.session.add(document)
    db.session.flush()
    for key, found in facts.items():
        for value, page in found:
            db.session.add(
                Fact(project_id=project.id, document_id=document.id, key=key, value=value, page=page,
                     evidence=f"{key}: {value}", origin="extracted")
            )  # fmt: skip
    for kind in tables:
        db.session.add(
            DocumentTable(
                document_id=document.id, project_id=project.id, page=5, kind=kind, rows=[["a", "b"]]
            )
        )
    db.session.commit()


def suggestions_in(page: str) -> list[str]:
    return re.findall(r'class="option suggestion"[^>]*>([^<]+)</button>', page)


@pytest.fixture
def two_developers(widget):
    """Two developers' projects beside the demo one, each with a brochure that answers different things."""
    project_with(
        "Velora Heights",
        {
            "possession": [("March 2031", 3)],
            "location": [("Sector 12, Gurugram", 1)],
            "rera_number": [("VH-RERA-0042", 1)],
            "towers": [("2 towers", 2)],
            "club_size": [("30,000 sq ft", 2), ("28,000 sq ft", 6)],  # two pages disagree
            "developer": [("Velora Estates", None)],  # no page to cite
        },
    )
    project_with("Kestrel Bay", {"unit_types": [("3 BHK, 4 BHK", 4)]}, tables=("price_list", "payment_plan"))
    return widget


def test_the_chat_opens_with_three_questions_only_its_host_projects_brochure_answers(client, two_developers):
    velora = start(client, project="Velora Heights").get_data(as_text=True)
    kestrel = start(client, project="Kestrel Bay", phone="98111 55502").get_data(as_text=True)
    nowhere = start(client, project="", phone="98111 55503").get_data(as_text=True)

    assert "Welcome, Meera! Ask me anything about Velora Heights" in velora
    assert suggestions_in(velora) == [
        "When is possession expected?",
        "Where is the project located?",
        "What is the RERA registration number?",
    ]  # towers is a fourth; the clubhouse's pages disagree
    assert suggestions_in(kestrel) == [
        "What is the price per sq ft?",
        "What is the payment plan?",
        "What unit types are available?",
    ]
    for other in ("Kestrel Bay", PROJECT):
        assert other not in velora  # never another developer's project
    assert "Welcome, Meera!" in nowhere and suggestions_in(nowhere) == []


def test_a_suggested_question_is_the_visitors_message_answered_with_its_page(client, two_developers):
    token = token_of(start(client, project="Velora Heights"))
    sent = client.post(
        "/widget/messages",
        data={"text": "When is possession expected?", "suggestion": "1", "mid": uuid.uuid4().hex},
        headers={**HTMX, "X-Widget-Token": token},
    ).get_data(as_text=True)
    assert re.search(r'class="bubble me"[^>]*>\s*<p>When is possession expected\?</p>', sent)
    assert re.search(r'id="suggestion-1" disabled hx-swap-oob="true">When is possession expected\?', sent)

    message = inbound("When is possession expected?")
    process_message(message.id)
    answer = poll(client, token, message.id).get_data(as_text=True)
    assert "Possession: March 2031." in answer and "Source: velora-heights.pdf p.3" in answer

    resumed = resume(client, token, project="Velora Heights")  # as the page on Velora's site asks
    assert 'id="suggestion-1" disabled' in resumed  # spent after a reload too
    assert '<form id="suggestion-2"' in resumed and '<form id="suggestion-3"' in resumed


def test_every_question_the_chat_may_suggest_is_answered_with_a_page(widget):
    from app.rag.answer import answer_question

    demo = db.session.scalars(select(Project).where(Project.name == PROJECT)).one()
    assert len(suggested_questions(db.session, demo)) == SHOWN
    for suggestion in SUGGESTIONS:  # the demo brochure has what answers each one
        answer = answer_question(suggestion.question, PROJECT)
        assert answer.answered and answer.citations, suggestion.question


# --- options, the advisor button and the web's own words ---


def option_groups(page: str) -> dict[int, bool]:
    """Each group of options shown (its message id) and whether it is spent."""
    return {
        int(i): bool(d)
        for i, d in re.findall(r'<fieldset class="options" id="options-(\d+)"( disabled)?', page)
    }


def test_an_options_group_is_spent_once_one_is_picked_and_stays_spent_after_a_reload(client, widget):
    token = token_of(start(client))
    asked = ask(client, token, "Talk to an advisor", reply_id="connect")  # the advisor button
    assert "Happy to connect you with an advisor" in asked and "What budget do you have in mind?" in asked
    [budget] = option_groups(asked)

    sent = say(client, token, "₹3 – 5 Cr", reply_id="budget:3-5").get_data(as_text=True)
    assert option_groups(sent) == {budget: True}  # swapped in, spent
    assert re.search(r'<fieldset class="options" id="options-\d+" disabled hx-swap-oob="true">', sent)
    assert re.search(r'class="option chosen" aria-pressed="true">₹3 – 5 Cr<', sent)
    process_message(inbound("₹3 – 5 Cr").id)

    groups = option_groups(resume(client, token))
    assert groups[budget] is True
    [area] = [group for group in groups if group != budget]
    assert groups[area] is False  # the next question's options are live
    typed = say(client, token, "sec 65 ggn").get_data(as_text=True)
    assert option_groups(typed) == {}  # a typed answer spends nothing


def test_the_web_says_talk_to_an_advisor_where_whatsapp_says_reply_connect(client, widget):
    token = token_of(start(client))
    refused = ask(client, token, "Is there a helipad on the roof?")
    assert "not in the brochures" in refused
    for whatsapp_only in ("CONNECT", "STOP", "Reply ", "WhatsApp"):
        assert whatsapp_only not in refused
    assert "Tap “Talk to an advisor”." in refused
    assert re.search(
        r'name="reply_id" value="connect">\s*<input type="hidden" name="text" value="Talk to an advisor">',
        refused,
    )
    stored = db.session.scalars(select(Message.body).where(Message.direction == "out")).all()
    assert not any("CONNECT" in body for body in stored)  # the lead's page shows what was said


def test_the_chat_has_a_talk_to_an_advisor_button_and_starting_over_asks_first(client, widget):
    chat = start(client).get_data(as_text=True)
    assert re.search(
        r'<form class="advisor-ask"[^>]*>\s*<input type="hidden" name="reply_id" value="connect">', chat
    )
    details = re.search(r'<details class="start-over">(.*?)</details>', chat, re.S)
    assert details and "<summary>Not you? Start over</summary>" in details[1]
    assert "Start a new chat?" in details[1] and "data-widget-keep" in details[1]
    assert chat.count("data-widget-reset") == 1 and "data-widget-reset" in details[1]  # only once confirmed
    assert "data-widget-close" in chat and "data-widget-close" in client.get("/widget/").get_data(
        as_text=True
    )
