"""The conversation engine, stage by stage, as a pure function (no database, no network)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.conversation.engine import Engine, EngineSettings
from app.conversation.state import WEB, AnswerResult, Incoming, LeadState
from app.models.leads import BROKER_REQUESTED, ENGAGED, PROFILED, QUALIFIED, QUALIFYING
from app.rag.answer import refusal_text
from app.rag.language import ENGLISH, HINDI, HINGLISH

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class FakeBrochures:
    """Answers property questions; records what was asked and with which project in focus."""

    def __init__(self):
        self.asked: list[tuple[str, str | None]] = []

    def __call__(self, text: str, project: str | None) -> AnswerResult:
        self.asked.append((text, project))
        if "helipad" in text.lower():
            return AnswerResult("That is not in the brochures I have.", False, project, "none")
        focus = "Aravali Crest" if "aravali" in text.lower() else project
        return AnswerResult(
            f"Answer to: {text}\nSource: Aravali_Crest_Brochure.pdf p.6", True, focus, "tables", 12.0
        )


@pytest.fixture
def brochures():
    return FakeBrochures()


@pytest.fixture
def engine(brochures):
    return Engine(brochures, EngineSettings(qualify_after=2, projects=("Aravali Crest", "TARC Ishva")))


def say(engine, state, text=None, **kwargs):
    return engine.handle(state, Incoming(text=text, **kwargs), NOW)


def test_first_contact_greets_and_lists_projects(engine):
    out = say(engine, LeadState(lead_id=7, name="Rohan Mehta"), "hi")
    assert out.state.stage == ENGAGED
    assert len(out.replies) == 1
    assert "Hello Rohan" in out.replies[0].body and "Aravali Crest" in out.replies[0].body
    assert ("lead_created", {}) in out.activities
    assert [topic for topic, _ in out.events] == ["lead.created"]


def test_first_message_that_is_a_question_is_greeted_and_answered_in_one_reply(engine, brochures):
    question = "What is the payment plan of Aravali Crest?"
    out = say(engine, LeadState(lead_id=7, name="Rohan Mehta"), question)
    [reply] = out.replies
    greeting, _, answer = reply.body.partition("\n\n")
    assert greeting.startswith("Hello Rohan!") and "cite the page" in greeting
    assert answer == f"Answer to: {question}\nSource: Aravali_Crest_Brochure.pdf p.6"
    assert (reply.route, reply.answered) == ("tables", True)
    assert out.state.project == "Aravali Crest"
    assert out.state.questions_answered == 1
    assert ("lead_created", {}) in out.activities


def test_a_first_message_asking_for_an_advisor_keeps_the_budget_list_as_its_own_message(engine):
    out = say(engine, LeadState(lead_id=7), "please call me")
    text, question = out.replies
    assert text.body.startswith("Hello!") and "four quick questions first" in text.body
    assert question.rows and not question.body.startswith("Hello")
    assert out.state.pending_question == "budget"


def test_project_in_focus_carries_to_the_next_question(engine, brochures):
    state = say(engine, LeadState(lead_id=7), "What is the payment plan of Aravali Crest?").state
    say(engine, state, "and the carpet area of the 4 BHK?")
    assert brochures.asked[-1] == ("and the carpet area of the 4 BHK?", "Aravali Crest")


def test_second_answer_starts_qualification_with_the_budget_question(engine):
    state = LeadState(lead_id=7, stage=ENGAGED, questions_answered=1)
    out = say(engine, state, "How far is the airport?")
    assert out.state.stage == QUALIFYING
    assert out.state.pending_question == "budget"
    assert out.replies[0].route == "tables"
    assert out.replies[-1].rows and "budget" in out.replies[-1].body.lower()


def test_unanswered_questions_do_not_count_towards_qualification(engine):
    state = LeadState(lead_id=7, stage=ENGAGED, questions_answered=1)
    out = say(engine, state, "Is there a helipad?")
    assert out.state.questions_answered == 1
    assert out.state.stage == ENGAGED and out.state.pending_question is None


def qualifying(**kwargs):
    return LeadState(lead_id=7, stage=QUALIFYING, questions_answered=2, **kwargs)


def test_budget_answer_is_parsed_and_area_is_asked_next(engine):
    out = say(engine, qualifying(pending_question="budget"), "₹3-5 Cr")
    assert (out.state.budget_min, out.state.budget_max) == (Decimal("30000000"), Decimal("50000000"))
    assert out.state.budget_text == "₹3-5 Cr"
    assert out.state.pending_question == "area"
    assert out.activities[0][0] == "question_answered"


def test_tapped_list_option_is_an_answer(engine):
    state = qualifying(pending_question="timeline", budget_max=Decimal("30000000"), areas=["Manesar"])
    out = say(engine, state, "In 1–3 months", reply_id="timeline:1-3 months")
    assert out.state.timeline == "1-3 months"
    assert out.state.pending_question == "unit"


def test_unparseable_answer_is_asked_again_with_an_example(engine):
    out = say(engine, qualifying(pending_question="budget"), "hmm let me think")
    assert out.state.pending_question == "budget"
    assert out.state.budget_min is None and out.state.budget_max is None
    assert "didn't catch" in out.replies[0].body and "Cr" in out.replies[0].body


def test_property_question_during_qualification_is_answered_then_question_repeated(engine, brochures):
    out = say(engine, qualifying(pending_question="area"), "What is the payment plan?")
    assert brochures.asked[-1][0] == "What is the payment plan?"
    assert out.replies[0].route == "tables"
    assert out.replies[1].body.startswith("Back to my question")
    assert out.state.pending_question == "area"


def test_skip_moves_on_and_the_lead_stays_unqualified_for_that_field(engine):
    out = say(engine, qualifying(pending_question="budget"), "skip")
    assert out.state.skipped == ["budget"]
    assert out.state.pending_question == "area"


def test_all_four_answers_qualify_the_lead_with_a_summary_and_an_event(engine):
    state = qualifying(
        pending_question="unit",
        budget_min=Decimal("30000000"),
        budget_max=Decimal("50000000"),
        areas=["Gurugram Sector 63A"],
        timeline="1-3 months",
    )
    out = say(engine, state, "4 BHK + servant")
    assert out.state.stage == QUALIFIED
    assert out.state.score == 4
    assert out.state.qualified_at == NOW
    assert ("lead.qualified", {"score": 4}) in out.events
    summary = out.replies[-1]
    assert "₹3 Cr" in summary.body and "Sector 63A" in summary.body
    assert ("connect", "Yes, connect me") in summary.buttons


def test_finishing_with_a_skip_profiles_but_does_not_qualify(engine):
    state = qualifying(pending_question="unit", skipped=["budget"], areas=["Any"], timeline="exploring")
    out = say(engine, state, "3bhk")
    assert out.state.stage == PROFILED
    assert out.state.score == 3
    assert not [e for e in out.events if e[0] == "lead.qualified"]


@pytest.mark.parametrize(
    "text,reply_id,channel",
    [
        ("YES", None, None),
        ("connect", None, None),
        ("please call me", None, None),
        ("Yes, connect me", "connect", None),
        ("Talk to an advisor", "connect", WEB),  # the website chat's button
    ],
)
def test_handoff_on_yes_connect_or_the_button(engine, text, reply_id, channel):
    state = LeadState(
        lead_id=42,
        stage=QUALIFIED,
        questions_answered=2,
        budget_min=Decimal(1),
        areas=["Any"],
        timeline="immediate",
        unit_kinds=["3BHK"],
    )
    out = say(engine, state, text, reply_id=reply_id, channel=channel)
    assert out.state.stage == BROKER_REQUESTED
    assert out.state.reference == "IC-000042"
    assert out.state.broker_requested_at == NOW
    assert [topic for topic, _ in out.events] == ["lead.broker_requested"]
    assert "IC-000042" in out.replies[0].body and "within 2 hours" in out.replies[0].body


def test_connect_before_qualifying_starts_the_questions(engine):
    out = say(engine, LeadState(lead_id=7, stage=ENGAGED), "connect me to an advisor")
    assert out.state.pending_question == "budget"
    assert out.state.stage == QUALIFYING


def test_stop_opts_out_once_and_silences_until_start(engine):
    out = say(engine, LeadState(lead_id=7, stage=ENGAGED), "STOP")
    assert out.state.opted_out and len(out.replies) == 1 and "START" in out.replies[0].body
    assert [topic for topic, _ in out.events] == ["lead.opted_out"]
    assert say(engine, out.state, "What is the price?").replies == []
    back = say(engine, out.state, "START")
    assert not back.state.opted_out and back.replies


def test_rate_limited_sender_is_told_once(engine):
    first = say(engine, LeadState(lead_id=7, stage=ENGAGED), "price?", rate_limited=True)
    assert len(first.replies) == 1 and "faster" in first.replies[0].body
    again = engine.handle(first.state, Incoming("price?", rate_limited=True), NOW + timedelta(seconds=5))
    assert again.replies == []


def test_pii_warning_is_sent_and_recorded(engine):
    out = say(
        engine, LeadState(lead_id=7, stage=ENGAGED), "my pan is [PAN removed], price?", pii_removed=("pan",)
    )
    assert "PAN" in out.replies[0].body and "don't share" in out.replies[0].body
    assert ("pii_redacted", {"kinds": ["pan"]}) in out.activities


def test_media_gets_a_polite_text_only_reply(engine):
    out = say(engine, LeadState(lead_id=7, stage=ENGAGED), None, kind="media")
    assert len(out.replies) == 1 and "only read text" in out.replies[0].body


def test_media_with_a_question_in_its_caption_gets_the_question_answered(engine, brochures):
    caption = "What is the payment plan of Aravali Crest?"

    out = say(engine, LeadState(lead_id=7, stage=ENGAGED), caption, kind="media")

    [reply] = out.replies
    assert "only read text" not in reply.body and reply.body.startswith(f"Answer to: {caption}")
    assert brochures.asked[-1][0] == caption and out.state.questions_answered == 1


def test_engine_does_not_mutate_the_state_it_was_given(engine):
    state = qualifying(pending_question="budget")
    say(engine, state, "skip")
    assert state.skipped == [] and state.pending_question == "budget"


def test_a_question_mentioning_a_unit_is_answered_not_taken_as_the_unit_answer(engine, brochures):
    out = say(engine, qualifying(pending_question="unit"), "What is the price of a 3BHK in Aravali Crest?")
    assert out.state.unit_kinds == []
    assert out.state.pending_question == "unit"
    assert brochures.asked[-1][0].startswith("What is the price")


def test_not_now_button_is_a_polite_no(engine):
    state = LeadState(
        lead_id=7,
        stage=QUALIFIED,
        budget_min=Decimal(1),
        areas=["Any"],
        timeline="immediate",
        unit_kinds=["3BHK"],
    )
    out = say(engine, state, "Not now", reply_id="not_now")
    assert out.state.stage == QUALIFIED and "No problem" in out.replies[0].body


@pytest.mark.parametrize(
    ("name", "hello"),
    [
        (" ", "Hello!"),
        ("\u00a0", "Hello!"),
        ("\u3000", "Hello!"),
        ("Dr.", "Hello!"),
        ("~", "Hello!"),
        ("🙏", "Hello!"),
        ("Dr. Rohan Mehta", "Hello Rohan!"),
        ("PRIYA SHARMA", "Hello Priya!"),
        ("राहुल शर्मा", "Hello राहुल!"),
    ],
)
def test_the_greeting_uses_a_real_first_name_or_none(engine, name, hello):
    first = say(engine, LeadState(lead_id=7, name=name), "hi")
    again = say(engine, first.state, "hello")

    assert first.replies[0].body.startswith(f"{hello} I'm the InvestoChat assistant")
    assert again.replies[0].body.startswith(f"{hello} Ask me about")


@pytest.mark.parametrize("pending", ["budget", "unit"])
def test_a_terse_brochure_question_during_qualification_is_answered_not_taken_as_the_answer(
    engine, brochures, pending
):
    text = "4 bhk carpet area"
    out = say(engine, qualifying(pending_question=pending), text)
    assert brochures.asked[-1][0] == text
    assert out.replies[0].body.startswith("Answer to: 4 bhk carpet area")
    assert out.replies[1].body.startswith("Back to my question")
    assert out.state.pending_question == pending
    assert out.state.unit_kinds == [] and out.state.budget_min is None


def test_a_wish_with_its_figure_is_an_answer_not_a_question(engine, brochures):
    out = say(engine, qualifying(pending_question="unit"), "3 BHK, 2000 sq ft")
    assert brochures.asked == []
    assert out.state.unit_kinds == ["3BHK"]


def test_a_question_no_project_answers_asks_which_project_is_meant(brochures):
    def refuse(text, project):
        brochures.asked.append((text, project))
        return AnswerResult("That is not in the brochures I have.", False, project, "none")

    engine = Engine(refuse, EngineSettings(projects=("Aravali Crest", "TARC Ishva")))
    out = say(engine, LeadState(lead_id=7, stage=ENGAGED), "What is the RERA number?")
    assert out.replies[-1].body.startswith("Which project do you mean?")
    assert "Aravali Crest, TARC Ishva" in out.replies[-1].body
    assert "“What is the RERA number — Aravali Crest”" in out.replies[-1].body

    across = say(engine, LeadState(lead_id=7, stage=ENGAGED), "Which projects have a helipad?")
    assert across.replies[-1].body == "That is not in the brochures I have."


def test_with_one_project_in_the_catalogue_every_question_is_about_it(brochures):
    engine = Engine(brochures, EngineSettings(projects=("Aravali Crest",)))
    say(engine, LeadState(lead_id=7, stage=ENGAGED), "What is the RERA number?")
    assert brochures.asked[-1] == ("What is the RERA number?", "Aravali Crest")


# --- the website chat's words: its buttons where WhatsApp asks for a keyword ---


def refusing(text: str, project: str | None) -> AnswerResult:
    """The brochures' refusal, with the advisor offer answers end with (``app.rag.answer``)."""
    return AnswerResult(refusal_text(None), False, project or "Velora Heights", "none")


@pytest.mark.parametrize(
    ("language", "web_offer", "label"),
    [
        (ENGLISH, "Tap “Talk to an advisor”.", "Talk to an advisor"),
        (HINGLISH, "“Advisor se baat karein” dabaiye.", "Advisor se baat karein"),
        (HINDI, "“सलाहकार से बात करें” दबाइए।", "सलाहकार से बात करें"),
    ],
)
def test_on_the_web_an_offer_to_connect_is_a_button_and_whatsapp_keeps_reply_connect(
    language, web_offer, label
):
    engine = Engine(refusing, EngineSettings(projects=("Velora Heights", "Kestrel Bay")))
    state = LeadState(lead_id=7, stage=ENGAGED, project="Velora Heights", language=language)
    question = {
        ENGLISH: "Is there a helipad on the roof?",
        HINGLISH: "Helipad hai kya?",
        HINDI: "हेलीपैड है क्या?",
    }

    whatsapp = say(engine, state, question[language], channel="meta").replies[-1]
    web = say(engine, state, question[language], channel=WEB).replies[-1]

    assert "CONNECT" in whatsapp.body and whatsapp.buttons == ()
    assert "CONNECT" not in web.body and web.body.endswith(web_offer)
    assert web.buttons == (("connect", label),)  # what typing CONNECT does


def test_on_the_web_the_greeting_names_the_sites_project_only_and_has_no_stop():
    engine = Engine(refusing, EngineSettings(projects=("Velora Heights", "Kestrel Bay")))
    state = LeadState(lead_id=7, name="Meera Kapoor", project="Velora Heights")

    [whatsapp] = say(engine, state, "hi", channel="meta").replies
    [web] = say(engine, state, "hi", channel=WEB).replies

    assert "Velora Heights, Kestrel Bay" in whatsapp.body and "Reply STOP" in whatsapp.body
    assert "Velora Heights" in web.body and "Kestrel Bay" not in web.body
    assert "STOP" not in web.body and web.body.startswith("Hello Meera!")


def test_on_the_web_the_questions_and_the_summary_point_at_the_buttons(engine):
    asked = say(engine, LeadState(lead_id=7, stage=ENGAGED), "connect me", channel=WEB).replies[-1]
    assert "Type “skip” to pass." in asked.body and "Reply SKIP" not in asked.body
    assert asked.rows == say(engine, LeadState(lead_id=7, stage=ENGAGED), "connect me").replies[-1].rows

    state = qualifying(pending_question="unit", budget_min=Decimal(1), areas=["Any"], timeline="immediate")
    summary = say(engine, state, "4 BHK", channel=WEB).replies[-1]
    assert summary.body.endswith("Tap below.") and "YES" not in summary.body
    assert [b[0] for b in summary.buttons] == ["connect", "not_now"]  # its own buttons, no advisor button
    assert "Reply YES" in say(engine, state, "4 BHK", channel="meta").replies[-1].body
