"""The bot writes in the investor's language: whole WhatsApp conversations in Hinglish and Hindi
through the real webhook, queue and worker, and the switching rules on the engine alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.commands.catalog import DEMO_DIR, DEMO_PROJECT, ingest_files
from app.conversation.engine import Engine, EngineSettings
from app.conversation.state import AnswerResult, Incoming, LeadState
from app.conversation.texts import TEXTS, WEB_WORDING, language_of, web_wording
from app.conversation.texts import text as say
from app.extensions import db
from app.models.leads import BROKER_REQUESTED
from app.rag.answer import ON_REQUEST_TEXT, PART_ADVISOR_OFFER, refusal_text
from app.rag.language import ENGLISH, HINDI, HINGLISH, detect_language
from tests.test_unanswered import deliver, graph, work  # noqa: F401  (graph is a fixture)

ENGLISH_TEXTS = {variants[ENGLISH] for variants in TEXTS.values()}


def bot_texts(fake) -> list[str]:
    """Every text the bot sent, in order: plain texts and the bodies of lists and buttons."""
    texts = []
    for message in fake.sent:
        payload = message.payload
        if payload.get("type") == "text":
            texts.append(payload["text"]["body"])
        elif payload.get("type") == "interactive":
            texts.append(payload["interactive"]["body"]["text"])
    return texts


def is_brochure_answer(text: str) -> bool:
    return "\nSource: " in text


@pytest.fixture
def demo(app_ctx):
    ingest_files(DEMO_PROJECT, [str(p) for p in sorted(DEMO_DIR.glob("*.jsonl"))], progress=False)


CONVERSATIONS = {
    HINGLISH: [
        "Namaste",
        "Aravali Crest ka RERA number kya hai?",
        "Helipad milega kya?",
        "Possession kab tak milega?",
        "3 se 5 crore",
        "Golf Course Road",
        "abhi",
        "4 BHK",
        "haan",
    ],
    HINDI: [
        "नमस्ते",
        "Aravali Crest का रेरा नंबर क्या है?",
        "हेलीपैड है क्या?",
        "कब्ज़ा कब मिलेगा?",
        "3 से 5 करोड़",
        "Golf Course Road",
        "अभी",
        "4 BHK",
        "हाँ",
    ],
}


@pytest.mark.parametrize("language", [HINGLISH, HINDI])
def test_a_whatsapp_conversation_from_greeting_to_hand_off_stays_in_the_investors_language(
    client,
    graph,  # noqa: F811
    demo,
    language,
):
    wa_id = "91981000" + ("7101" if language == HINGLISH else "7102")
    for message in CONVERSATIONS[language]:
        inbound = deliver(client, wa_id, message)
        work(client.application)

    texts = bot_texts(graph)
    answers = [t for t in texts if is_brochure_answer(t)]
    own = [t for t in texts if not is_brochure_answer(t)]
    # Two brochure answers, cited; the rest is the bot's own voice: greeting, a refusal, four
    # questions, the summary and the hand-off.
    assert len(answers) == 2 and "DEMO-GGM-2026-0001" in answers[0], texts
    assert len(own) == 8, texts
    for text in own:
        assert text not in ENGLISH_TEXTS
        assert detect_language(text) == language, text
    assert "CONNECT" in own[1]  # the refusal still offers an advisor
    db.session.refresh(inbound)
    assert inbound.lead.stage == BROKER_REQUESTED
    assert inbound.lead.language == language
    assert inbound.lead.reference in own[-1]
    assert inbound.lead.budget_min_inr == 30_000_000 and inbound.lead.timeline == "immediate"


NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def engine() -> Engine:
    def answer(question: str, project: str | None) -> AnswerResult:
        return AnswerResult("The brochure does not say.", False, project)

    return Engine(answer, EngineSettings(qualify_after=2, projects=("Aravali Crest",)))


def test_the_language_changes_when_the_investor_changes_it():
    bot = engine()
    state = LeadState(lead_id=1)
    hinglish = bot.handle(state, Incoming("Payment plan kya hai?"), NOW)
    assert hinglish.state.language == HINGLISH
    assert "brochures mein nahi hai" in hinglish.replies[-1].body

    english = bot.handle(hinglish.state, Incoming("What is the payment plan please?"), NOW)
    assert english.state.language == ENGLISH
    assert english.replies[-1].body == "The brochure does not say."  # the answerer's own English refusal


@pytest.mark.parametrize(
    ("message", "current", "expected"),
    [
        ("Golf Course Road", HINDI, HINDI),  # a place name is not a change of language
        ("3 BHK", HINGLISH, HINGLISH),
        ("yes", HINDI, HINDI),
        ("Is there a clubhouse?", HINGLISH, ENGLISH),
        ("clubhouse kitna bada hai", ENGLISH, HINGLISH),
        ("क्लब हाउस कितना बड़ा है", HINGLISH, HINDI),
        ("ok", None, ENGLISH),
    ],
)
def test_only_a_message_that_shows_its_language_changes_the_conversations(message, current, expected):
    assert language_of(message, current) == expected


def test_every_bot_text_exists_in_every_language_with_the_same_placeholders():
    import string

    for key, variants in TEXTS.items():
        assert set(variants) == {ENGLISH, HINGLISH, HINDI}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(v) if f} for v in variants.values()]
        assert all(f == fields[0] for f in fields), key


# What only a WhatsApp chat can do or say: type a keyword back, opt out with STOP.
WHATSAPP_ONLY = ("CONNECT", "STOP", "Reply ", "WhatsApp", "reply with the number", "bhejiye", "भेजिए")


def every_text() -> list[str]:
    """Every text the bot writes in its own voice, in every language, placeholders filled, and the
    advisor offers brochure answers end with."""
    import string

    texts = [
        refusal_text(None),
        ON_REQUEST_TEXT,
        f"Another part: not in the brochures I have; {PART_ADVISOR_OFFER}",
    ]
    for key, variants in TEXTS.items():
        for language, template in variants.items():
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
            texts.append(say(key, language, **dict.fromkeys(fields, "Velora Heights")))
    return texts


def test_no_text_on_the_web_says_what_only_whatsapp_does():
    worded = {original: web_wording(original) for original in every_text()}
    said = {original: [w for w in WHATSAPP_ONLY if w in web] for original, web in worded.items()}
    assert {original: found for original, found in said.items() if found} == {}
    assert any("CONNECT" in original for original in worded)  # WhatsApp's own texts keep it


def test_every_web_rewording_still_finds_its_whatsapp_words():
    texts = every_text()
    stale = [whatsapp for whatsapp, _ in WEB_WORDING if not any(whatsapp in t for t in texts)]
    assert stale == []
