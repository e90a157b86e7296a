"""Sending the brochure: the PDF kept at ingest, a signed link that expires, the investor's "send
me the brochure" on WhatsApp (Meta fetches the link, Wati gets an upload) and in the website
chat, and the broker's "Send the brochure" from the lead's page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fpdf import FPDF
from sqlalchemy import func, select

from app import brochures
from app.cli import main
from app.extensions import db
from app.models import Document, DocumentFile, Message, Project
from tests.fakes.wati_server import FakeWati
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, make_lead, text
from tests.test_widget import start, token_of
from tests.test_widget import widget as widget  # noqa: F401  (the fixture)
from tests.whatsapp_helpers import body_of, graph_for, meta_envelope, post_signed, text_message
from workers.tasks import process_message, send_lead_message

PORTAL = "https://portal.example.test"


def write_pdf(path: Path, title: str) -> Path:
    """A two-page brochure drawn by fpdf2, with ``title`` on its first page."""
    pdf = FPDF()
    for line in (f"{title}\nA residential project of 3 and 4 BHK homes.", "Payment plan: 10% on booking."):
        pdf.add_page()
        pdf.set_font("Helvetica", size=14)
        pdf.multi_cell(0, 8, line)
    pdf.output(str(path))
    return path


def ingest(runner, project: str, *paths: Path) -> None:
    result = runner.invoke(main, ["ingest", *map(str, paths), "--project", project])
    assert result.exit_code == 0, result.output


def project_named(name: str) -> Project:
    return db.session.scalar(select(Project).where(Project.name == name))


@pytest.fixture
def graph(app_ctx):
    with graph_for(app_ctx, PORTAL_URL=PORTAL, WHATSAPP_TEMPLATE_NAME="") as fake:
        yield fake


def held_demo_lead(runner, **fields):
    """The demo project (its brochure PDF kept) and a lead on it that Ravi Anand, a broker, holds,
    the investor having written just now unless ``fields`` say otherwise."""
    runner.invoke(main, ["demo", "load"])
    broker = make_user("ravi@agency.example", name="Ravi Anand")
    project = project_named("Aravali Crest")
    values = {"last_inbound_at": datetime.now(UTC), **fields}
    lead = make_lead(stage="broker_requested", broker_id=broker.id, project_id=project.id, **values)
    return broker, project, lead


def send_brochure_form(portal, lead, project, caption: str):
    """The lead page's "Send the brochure" form, sent as HTMX does."""
    return portal.post(
        f"/broker/leads/{lead.id}/brochure", {"project_id": str(project.id), "text": caption}, htmx=True
    )


@pytest.fixture
def wati(app_ctx):
    """The app sending through a fake Wati tenant (settings put back afterwards)."""
    with FakeWati() as fake:
        saved = {key: app_ctx.config.get(key) for key in (*fake.config(), "WHATSAPP_PROVIDER")}
        app_ctx.config.update(fake.config(), WHATSAPP_PROVIDER="wati")
        yield fake
        app_ctx.config.update(saved)


def investor_writes(client, wa_id: str, body: str) -> Message:
    """A signed WhatsApp text through the webhook, processed by the worker's job."""
    message_id = f"wamid.{uuid.uuid4().hex}"
    assert (
        post_signed(client, body_of(meta_envelope(text_message(message_id, body, wa_id)))).status_code == 200
    )
    inbound = db.session.scalar(select(Message).where(Message.provider_message_id == message_id))
    process_message(inbound.id)
    db.session.expire_all()
    return inbound


# -- kept at ingest ------------------------------------------------------------------------------


def test_ingest_keeps_the_pdf_and_a_jsonl_keeps_the_pdf_beside_it(runner, tmp_path):
    pdf = write_pdf(tmp_path / "Saffron_Ridge.pdf", "SAFFRON RIDGE")
    ingest(runner, "Saffron Ridge", pdf)
    [stored] = db.session.scalars(select(DocumentFile)).all()
    assert stored.content == pdf.read_bytes() and stored.filename == "Saffron_Ridge.pdf"

    folder = tmp_path / "teak"
    folder.mkdir()
    (folder / "Teak_Court.jsonl").write_text(
        '{"source": "Teak_Court.pdf", "page": 1, "text": "TEAK COURT 3 BHK homes"}\n', encoding="utf-8"
    )
    beside = write_pdf(folder / "Teak_Court.pdf", "TEAK COURT")
    ingest(runner, "Teak Court", folder)
    teak = project_named("Teak Court")
    [document] = db.session.scalars(select(Document).where(Document.project_id == teak.id)).all()
    assert document.source == "Teak_Court.pdf" and document.page_count == 1  # the JSONL, read once
    assert brochures.brochure_for(db.session, teak.id).filename == "Teak_Court.pdf"
    assert db.session.get(DocumentFile, document.id).content == beside.read_bytes()

    ingest(runner, "Teak Court", folder)  # again: nothing new
    assert db.session.scalar(select(func.count()).select_from(DocumentFile)) == 2


def test_the_signed_link_serves_the_pdf_and_nothing_else(app_ctx, client, runner, tmp_path):
    pdf = write_pdf(tmp_path / "Saffron_Ridge.pdf", "SAFFRON RIDGE")
    ingest(runner, "Saffron Ridge", pdf)
    brochure = brochures.brochure_for(db.session, project_named("Saffron Ridge").id)
    path = brochures.link_path(app_ctx.config["SECRET_KEY"], brochure)

    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == pdf.read_bytes()
    forged = brochures.link_path("another-secret", brochure)
    assert client.get(forged).status_code == 404
    assert client.get(path.replace("/brochures/", "/brochures/x")).status_code == 404

    app_ctx.config["BROCHURE_LINK_HOURS"] = -1  # every link is already too old
    try:
        expired = client.get(path)
    finally:
        app_ctx.config["BROCHURE_LINK_HOURS"] = 72
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)


# -- the investor asks -----------------------------------------------------------------------------


def test_an_investor_who_asks_on_whatsapp_gets_the_pdf_meta_can_fetch(app_ctx, client, runner, graph):
    runner.invoke(main, ["demo", "load"])
    investor_writes(client, "919810000301", "Hi")
    investor_writes(client, "919810000301", "brochure bhej do please")

    [document] = [sent.payload for sent in graph.sent if sent.payload["type"] == "document"]
    link = document["document"]["link"]
    assert link.startswith(f"{PORTAL}/brochures/") and document["document"]["filename"].endswith(".pdf")
    assert "brochure" in document["document"]["caption"] and "Yeh raha" in document["document"]["caption"]
    fetched = client.get(urlsplit(link).path)  # what Meta does with the link
    assert fetched.status_code == 200 and fetched.data.startswith(b"%PDF")
    reply = db.session.scalar(select(Message).where(Message.kind == "document"))
    assert reply.status == "sent" and reply.in_reply_to_id is not None


def test_without_a_public_address_a_broker_is_told_before_anything_is_stored(app_ctx, runner, graph):
    app_ctx.config["PORTAL_URL"] = ""
    broker, project, lead = held_demo_lead(runner)
    response = send_brochure_form(Portal(app_ctx, broker.email), lead, project, "The brochure")
    assert response.status_code == 422 and "PORTAL_URL" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_asking_what_the_brochure_says_is_a_question_not_a_request(app_ctx, client, runner, graph):
    runner.invoke(main, ["demo", "load"])
    investor_writes(client, "919810000303", "Hello")
    investor_writes(client, "919810000303", "What does the brochure say about the clubhouse?")
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.kind == "document")) == 0


def test_a_project_without_a_pdf_is_answered_from_not_sent(app_ctx, client, runner, graph, tmp_path):
    jsonl = tmp_path / "Teak_Court.jsonl"
    jsonl.write_text('{"source": "Teak_Court.pdf", "page": 1, "text": "TEAK COURT"}\n', encoding="utf-8")
    ingest(runner, "Teak Court", jsonl)
    investor_writes(client, "919810000304", "Hello")
    investor_writes(client, "919810000304", "send the brochure")
    last = db.session.scalars(
        select(Message).where(Message.direction == "out").order_by(Message.id.desc())
    ).first()
    assert last.kind == "text" and "don't have the Teak Court brochure as a file" in last.body


def test_the_website_chat_shows_a_link_that_opens_the_pdf(app_ctx, client, widget):  # noqa: F811
    token = token_of(start(client))
    headers = {"HX-Request": "true", "X-Widget-Token": token}
    sent = client.post(
        "/widget/messages", data={"text": "Send me the brochure", "mid": uuid.uuid4().hex}, headers=headers
    )
    assert sent.status_code == 200
    inbound = db.session.scalar(select(Message).where(Message.body == "Send me the brochure"))
    process_message(inbound.id)
    replies = client.get(f"/widget/replies/{inbound.id}", headers=headers).get_data(as_text=True)
    assert "Open the brochure (PDF)" in replies
    href = replies.split('class="attachment"><a href="', 1)[1].split('"', 1)[0]
    opened = client.get(href)
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF")
    assert not widget.sent  # nothing went to WhatsApp


# -- the broker sends it ---------------------------------------------------------------------------


def test_the_broker_sends_the_brochure_through_wati_as_an_upload(app_ctx, runner, wati):
    broker, project, lead = held_demo_lead(runner)
    portal = Portal(app_ctx, broker.email)
    form = text(portal.get(f"/broker/leads/{lead.id}/compose?reply=", htmx=True))
    assert 'id="message-form"' in form
    response = send_brochure_form(portal, lead, project, "Here is the brochure, as promised.")
    assert response.status_code == 200, text(response)
    assert "aravali_crest.pdf sent as a WhatsApp message" in text(response)
    message = db.session.scalar(select(Message).where(Message.kind == "document"))
    send_lead_message(message.id)
    caption, upload = wati.sent
    # Wati shows a file's caption as its name: the broker's text goes first, as a message.
    assert caption.payload == {"messageText": "Here is the brochure, as promised."}
    assert upload.path.endswith(f"/sendSessionFile/{lead.phone.lstrip('+')}")
    assert (
        upload.payload["filename"] == "aravali_crest.pdf" and upload.payload["mime_type"] == "application/pdf"
    )
    assert upload.payload["content"] == (Path("app/demo/aravali_crest.pdf")).read_bytes()
    assert upload.payload["caption"] == "aravali_crest.pdf"


def test_outside_the_window_a_file_is_refused_before_anything_is_stored(app_ctx, runner, graph):
    broker, project, lead = held_demo_lead(runner, last_inbound_at=datetime(2026, 1, 1, tzinfo=UTC))
    portal = Portal(app_ctx, broker.email)
    response = send_brochure_form(portal, lead, project, "The brochure")
    assert response.status_code == 422 and "within 24 hours" in text(response)
    assert "The brochure" in text(response)  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_failed_wati_upload_after_its_text_is_final_and_says_so(app_ctx, runner, wati):
    broker, project, lead = held_demo_lead(runner)
    send_brochure_form(Portal(app_ctx, broker.email), lead, project, "The brochure")
    message = db.session.scalar(select(Message).where(Message.kind == "document"))
    # The text is accepted; the upload after it meets a server error.
    wati.on_accept = lambda accepted: wati.fail_next(500) if "messageText" in accepted.payload else None
    send_lead_message(message.id)
    db.session.refresh(message)
    assert message.status == "failed" and "The text went but the file did not" in message.error


def test_without_a_public_address_the_investor_is_told_the_file_cannot_come(app_ctx, client, runner, graph):
    runner.invoke(main, ["demo", "load"])
    app_ctx.config["PORTAL_URL"] = ""
    investor_writes(client, "919810000305", "Hello")
    investor_writes(client, "919810000305", "Please send me the brochure")
    last = db.session.scalars(
        select(Message).where(Message.direction == "out").order_by(Message.id.desc())
    ).first()
    assert last.kind == "text" and "as a file to send" in last.body and last.status == "sent"


def test_a_file_name_with_spaces_makes_a_working_link(app_ctx, client, runner, tmp_path):
    pdf = write_pdf(tmp_path / "Saffron Ridge #2.pdf", "SAFFRON RIDGE")
    ingest(runner, "Saffron Ridge", pdf)
    brochure = brochures.brochure_for(db.session, project_named("Saffron Ridge").id)
    path = brochures.link_path(app_ctx.config["SECRET_KEY"], brochure)
    assert path.endswith("/Saffron%20Ridge%20%232.pdf")
    assert client.get(path).data == pdf.read_bytes()


def test_a_file_queued_before_the_window_closed_fails_instead_of_looking_sent(app_ctx, runner, graph):
    broker, project, lead = held_demo_lead(runner)
    send_brochure_form(Portal(app_ctx, broker.email), lead, project, "The brochure")
    lead.last_inbound_at = datetime(2026, 1, 1, tzinfo=UTC)  # the worker was down for a day
    db.session.commit()
    message = db.session.scalar(select(Message).where(Message.kind == "document"))
    send_lead_message(message.id)
    db.session.refresh(message)
    assert message.status == "failed" and "window closed before this could go" in message.error
    assert graph.sent == []  # not the re-open template either


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("send me the brochure", True),
        ("Brochure?", True),
        ("pdf bhejo", True),
        ("Do you have a brochure for this project?", True),
        ("ब्रोशर भेजिए", True),
        ("What does the brochure say about the clubhouse?", False),
        ("Does the brochure have a floor plan?", False),
        ("I have the brochure already, when is possession?", False),
        ("I dont need the brochure", False),
        ("no brochure please", False),
        ("brochure nahi chahiye", False),
    ],
)
def test_asking_for_the_brochure_is_told_from_asking_about_it_or_declining_it(message, asks):
    from app.conversation.intents import asks_for_brochure

    assert asks_for_brochure(message) is asks


def test_the_website_chat_sends_only_its_own_projects_brochure():
    from app.conversation.engine import Engine, EngineSettings
    from app.conversation.state import WEB, AnswerResult, Incoming, LeadState

    settings = EngineSettings(
        projects=("Saffron Ridge", "Teak Court"), brochures=("Saffron Ridge", "Teak Court")
    )
    engine = Engine(lambda question, project: AnswerResult("", False), settings)
    state = LeadState(lead_id=1, stage="engaged", project="Teak Court")
    now = datetime.now(UTC)
    web = engine.handle(state, Incoming(text="send the Saffron Ridge brochure", channel=WEB), now)
    assert [reply.brochure for reply in web.replies] == ["Teak Court"]  # the site's project
    whatsapp = engine.handle(state, Incoming(text="send the Saffron Ridge brochure"), now)
    assert [reply.brochure for reply in whatsapp.replies] == ["Saffron Ridge"]


def test_the_website_chat_offers_an_advisor_for_the_keyword_not_for_a_brochures_capitals():
    from app.conversation.state import Reply
    from app.conversation.texts import for_the_web

    plain = for_the_web(Reply("SEAMLESS CONNECTIVITY: 5 min to the metro.\nSource: x.pdf p.2"), "en")
    assert plain.buttons == ()
    offer = for_the_web(Reply("Not in the brochures. Would you like an advisor? Reply CONNECT."), "en")
    assert [title for _, title in offer.buttons] == ["Talk to an advisor"]
