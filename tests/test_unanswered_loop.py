"""The unanswered-questions loop: a question the brochures did not answer is listed for the
partner, most asked first; the partner answers it with the page it is on; the next investor who
asks it (in other words too) gets that answer, cited, and it leaves the list."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Lead, Message, Project
from app.rag.answer import answer_question
from app.rag.team_answers import same_question
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, make_lead, text
from tests.test_retrieval import brochure

QUESTION = "Is there a helipad on the roof?"


def refused(lead: Lead, question: str) -> None:
    """The investor asked and the bot said it was not in the brochures (as the worker stores it)."""
    asked = Message(
        lead_id=lead.id, phone=lead.phone, direction="in", provider="meta", body=question, status="processed"
    )
    db.session.add(asked)
    db.session.flush()
    db.session.add(
        Message(lead_id=lead.id, phone=lead.phone, direction="out", provider="meta", in_reply_to_id=asked.id,
                body="That is not in the brochures I have.", route="none", answered=False, status="sent")
    )  # fmt: skip
    db.session.commit()


def test_a_refused_question_is_listed_answered_by_the_partner_and_then_answered_cited(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Lotus Heights",
        {1: "LOTUS HEIGHTS\nSector 988, Gurugram", 2: "ROOFTOP\nSky deck with a landing pad for helicopters"},
    )
    project = db.session.scalar(select(Project).where(Project.name == name))
    assert answer_question(QUESTION, project=name).answered is False
    for n in range(3):
        refused(
            make_lead(name=f"Investor {n}", project_id=project.id), QUESTION if n else "helipad on the roof?"
        )
    refused(make_lead(name="Other", project_id=project.id), "Is there a spa?")
    make_user("priya@partner.example", role="partner")
    db.session.commit()
    partner = Portal(app_ctx, "priya@partner.example")

    listing = text(partner.get(f"/partner/unanswered?project={project.id}"))
    assert listing.index("asked 3 times") < listing.index("asked 1 time")  # most asked first
    assert "“Is there a spa?”" in listing

    missing_page = partner.post(
        "/partner/unanswered",
        {"project_id": str(project.id), "question": QUESTION, "answer": "Yes.", "page": ""},
    )
    assert missing_page.status_code == 422 and "Give the brochure page" in text(missing_page)
    saved = partner.post(
        "/partner/unanswered",
        {
            "project_id": str(project.id),
            "question": QUESTION,
            "answer": "Yes: the sky deck has a helipad.",
            "page": "2",
        },
    )
    assert saved.status_code == 303

    for asked in (QUESTION, "helipad on roof available?", "Is there a helipad on the roof"):
        answer = answer_question(asked, project=name)
        assert answer.answered and "the sky deck has a helipad" in answer.answer, asked
        assert answer.route == "team" and "p.2" in answer.answer
    assert (
        answer_question("Is there a spa on the roof?", project=name).answered is False
    )  # not the same question
    after = text(partner.get(f"/partner/unanswered?project={project.id}"))
    assert "asked 3 times" not in after and "gets it, cited" in after and "“Is there a spa?”" in after


def test_questions_match_on_what_they_ask_not_on_the_question_words():
    assert same_question("Is there a helipad on the roof?", "helipad on the roof available?")
    assert same_question("Is there a helipad on the roof?", "is there a helipadd on the roof")  # a typo
    assert not same_question("Is there a helipad on the roof?", "Is there a pool on the roof?")
    assert not same_question("What is the price?", "What is the possession date?")


def test_an_answer_the_investor_called_wrong_is_listed_and_the_weeks_share_shown(app_ctx):
    project = Project(name="Lotus Heights", slug="lotus-heights")
    db.session.add(project)
    db.session.flush()
    lead = make_lead(name="Kavya Rao", project_id=project.id)
    asked = Message(
        lead_id=lead.id,
        phone=lead.phone,
        direction="in",
        provider="meta",
        body="Maintenance charge?",
        status="processed",
    )
    db.session.add(asked)
    db.session.flush()
    db.session.add(
        Message(lead_id=lead.id, phone=lead.phone, direction="out", provider="meta", in_reply_to_id=asked.id,
                body="Club membership: Rs 5 lakh.", route="documents", answered=True, status="sent")
    )  # fmt: skip
    complaint = "That's not what I asked"
    db.session.add(
        Message(
            lead_id=lead.id,
            phone=lead.phone,
            direction="in",
            provider="meta",
            body=complaint,
            status="processed",
        )
    )
    refused(make_lead(name="Other", project_id=project.id), "Is there a spa?")
    make_user("priya@partner.example", role="partner")
    db.session.commit()

    page = text(Portal(app_ctx, "priya@partner.example").get("/partner/unanswered"))
    assert "“Maintenance charge?”" in page and "the investor said it was wrong 1×" in page
    assert "“That's not what I asked”" not in page  # the complaint is not a question
    assert "week by week" in page and "1 (50%)" in page  # one refusal among two answers


def test_the_bot_answers_a_complaint_by_asking_again_not_by_looking_it_up():
    from datetime import UTC, datetime

    from app.conversation.engine import Engine, EngineSettings
    from app.conversation.state import AnswerResult, Incoming, LeadState

    looked_up = []

    def brochures(question: str, project: str | None) -> AnswerResult:
        looked_up.append(question)
        return AnswerResult("not in the brochures", False)

    engine = Engine(brochures, EngineSettings(projects=("Lotus Heights",)))
    state = LeadState(lead_id=1, stage="engaged", project="Lotus Heights")
    for complaint, words in (("That's wrong", "ask it again"), ("galat hai", "doosre shabdon")):
        out = engine.handle(state, Incoming(text=complaint), datetime.now(UTC))
        assert [r.body for r in out.replies if words in r.body], out.replies
        assert ("answer_disputed", {}) in out.activities
    assert looked_up == []
