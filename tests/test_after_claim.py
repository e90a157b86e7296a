"""Once a broker owns a lead: no more qualification or "Reply CONNECT"; brochure questions are
still answered with citations unless the broker pauses the bot; what the bot cannot answer, and
everything while it is paused, reaches the broker as a notification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.conversation.engine import Engine, EngineSettings
from app.conversation.state import AnswerResult, Incoming, LeadState
from app.extensions import db
from app.models import Activity, Notification
from app.models.leads import BROKER_REQUESTED, QUALIFYING
from app.rag.answer import ADVISOR_OFFER, PART_ADVISOR_OFFER
from tests.portal_helpers import investor_wrote, make_user
from tests.test_broker_portal import Portal, make_lead, text

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
PROJECT = "Saffron Ridge"


def brochures(question: str, project: str | None) -> AnswerResult:
    """Knows the payment plan; half-knows "price and possession"; knows nothing else."""
    if "payment plan" in question:
        return AnswerResult("10% on booking.\nSource: saffron.pdf p.4", True, PROJECT, "tables", 5.0)
    if "possession" in question:
        missing = f"Possession: not in the brochures I have; {PART_ADVISOR_OFFER}"
        body = f"Price: ₹2.4 Cr.\n{missing}\nSource: saffron.pdf p.2"
        return AnswerResult(body, True, PROJECT, "multi", 5.0)
    return AnswerResult(
        f"That is not in the brochures I have, so I won't guess. {ADVISOR_OFFER}", False, PROJECT, "none"
    )


@pytest.fixture
def engine():
    return Engine(brochures, EngineSettings(qualify_after=1, projects=(PROJECT,)))


def owned(**fields) -> LeadState:
    return LeadState(
        lead_id=5, name="Meera Kapoor", stage=BROKER_REQUESTED, project=PROJECT, broker_owned=True, **fields
    )


def test_brochure_questions_are_still_answered_with_their_citation(engine):
    out = engine.handle(owned(), Incoming(text="What is the payment plan?"), NOW)
    [reply] = out.replies
    assert "Source: saffron.pdf p.4" in reply.body and reply.answered
    assert out.broker_notes == []


def test_no_more_qualification_even_with_a_question_pending(engine):
    out = engine.handle(owned(pending_question="budget"), Incoming(text="What is the payment plan?"), NOW)
    assert out.state.pending_question is None and out.state.stage == BROKER_REQUESTED
    assert all("budget" not in r.body.lower() for r in out.replies)
    unowned = engine.handle(
        LeadState(lead_id=6, stage="engaged", questions_answered=1), Incoming(text="payment plan"), NOW
    )
    assert unowned.state.stage == QUALIFYING  # the same question starts qualifying a lead nobody owns


def test_what_the_bot_cannot_answer_goes_to_the_broker_instead_of_a_connect_offer(engine):
    question = "can the broker call me after 6 pm?"
    out = engine.handle(owned(), Incoming(text=question), NOW)
    [reply] = out.replies
    assert "CONNECT" not in reply.body and "passed your question to your advisor" in reply.body
    assert out.broker_notes == [question]


def test_a_partial_answer_keeps_its_figures_and_sends_the_missing_part_to_the_broker(engine):
    out = engine.handle(owned(), Incoming(text="price and possession?"), NOW)
    [reply] = out.replies
    assert (
        "₹2.4 Cr" in reply.body
        and "CONNECT" not in reply.body
        and "your advisor will confirm it" in reply.body
    )
    assert out.broker_notes == ["price and possession?"]


def test_connect_says_the_advisor_has_it(engine):
    out = engine.handle(owned(), Incoming(text="connect"), NOW)
    [reply] = out.replies
    assert "already has your request" in reply.body and out.state.stage == BROKER_REQUESTED


def test_the_hinglish_investor_is_told_in_hinglish(engine):
    out = engine.handle(
        owned(language="hinglish"), Incoming(text="kya broker 6 baje ke baad call karega?"), NOW
    )
    assert "advisor ko bhej diya hai" in out.replies[0].body


def test_a_paused_bot_answers_nothing_and_the_broker_gets_every_message(engine):
    out = engine.handle(owned(assistant_paused=True), Incoming(text="What is the payment plan?"), NOW)
    assert out.replies == [] and out.broker_notes == ["What is the payment plan?"]


# -- through the worker's service and the broker's page --------------------------------------------


def test_the_broker_pauses_and_resumes_the_bot_and_gets_the_investors_messages(app_ctx):
    from app.conversation.service import persist_outcome, state_of

    broker = make_user("ravi@agency.example", name="Ravi Anand")
    lead = make_lead(stage="broker_requested", broker_id=broker.id, reference="IC-515151")
    db.session.commit()
    portal = Portal(app_ctx, "ravi@agency.example")

    page = text(portal.get(f"/broker/leads/{lead.id}"))
    assert "Pause the assistant" in page
    paused = portal.post(f"/broker/leads/{lead.id}/assistant", {"paused": "1"}, htmx=True)
    assert "The assistant is paused" in text(paused) and "Turn the assistant back on" in text(paused)
    db.session.expire_all()
    assert lead.assistant_paused
    assert (
        "assistant_paused"
        in db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    )

    engine = Engine(brochures, EngineSettings(projects=(PROJECT,)))
    inbound = investor_wrote(lead.id, lead.phone, "payment plan?", status="received")
    outcome = engine.handle(state_of(lead), Incoming(text="payment plan?"), NOW)
    assert persist_outcome(db.session, lead, inbound, outcome) == []
    db.session.commit()
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == broker.id)).all()
    assert note.lead_id == lead.id and "IC-515151" in note.body and "payment plan?" in note.body

    resumed = portal.post(f"/broker/leads/{lead.id}/assistant", {"paused": "0"}, htmx=True)
    assert "The assistant is on" in text(resumed)
    db.session.expire_all()
    assert not lead.assistant_paused


def test_only_the_owner_can_switch_the_bot(app_ctx):
    owner = make_user("ravi@agency.example")
    make_user("sunil@agency.example")
    lead = make_lead(stage="broker_requested", broker_id=owner.id)
    db.session.commit()
    other = Portal(app_ctx, "sunil@agency.example")
    response = other.post(f"/broker/leads/{lead.id}/assistant", {"paused": "1"}, htmx=True)
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert not lead.assistant_paused
