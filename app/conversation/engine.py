"""The conversation engine: a pure function of (lead state, message, clock).

It decides the replies, the new lead state, the activities and the outbox events; callers
(the WhatsApp worker, the terminal chat, tests) load the state and persist the outcome in one
transaction. Answers to property questions come from an injected ``answer`` function, so the
engine itself touches neither the database nor the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from app.channels.limits import MAX_TEXT_BODY
from app.conversation import intents, site_visits
from app.conversation.names import first_name
from app.conversation.questions import QUESTIONS, ask, parse_answer, summary
from app.conversation.state import WEB, AnswerResult, Incoming, LeadState, Outcome, Reply
from app.conversation.texts import for_the_web, language_of
from app.conversation.texts import text as say
from app.models.leads import (
    BROKER_REQUESTED,
    ENGAGED,
    HANDOFF_STAGES,
    NEW,
    PROFILED,
    QUALIFIED,
    QUALIFYING,
)
from app.rag.answer import ADVISOR_OFFER, PART_ADVISOR_OFFER
from app.rag.language import ENGLISH, to_english
from app.rag.query import FIGURE_SHAPES, detect_intents

RATE_NOTICE_EVERY = timedelta(minutes=10)
# A question about the catalogue as a whole ("which projects…", "any project with…"), which no
# single project answers.
ACROSS_RE = re.compile(r"\b(projects|any project|all|every|compare|which project|kaunse project)\b", re.I)


@dataclass(frozen=True)
class EngineSettings:
    """Tunable behaviour (from config)."""

    qualify_after: int = 2
    call_window: str = "within 2 hours (9 am – 9 pm IST)"
    projects: tuple[str, ...] = ()
    brochures: tuple[str, ...] = ()  # the projects whose brochure PDF can be sent
    brochures_on_whatsapp: bool = True  # WhatsApp can fetch them (Wati, or Meta with PORTAL_URL)


class Engine:
    """The six-stage flow of ARCHITECTURE.md, shared by every channel."""

    def __init__(self, answer: Callable[[str, str | None], AnswerResult], settings: EngineSettings):
        self.answer = answer
        self.settings = settings

    def handle(self, state: LeadState, message: Incoming, now: datetime) -> Outcome:
        """Decide what to do with ``message`` from a lead in ``state`` at time ``now``."""
        out = self._decide(state, message, now)
        if message.channel == WEB:
            self._on_the_web(out)
        _fold_greeting(out)
        return out

    def _decide(self, state: LeadState, message: Incoming, now: datetime) -> Outcome:
        out = Outcome(
            state=replace(
                state, areas=list(state.areas), unit_kinds=list(state.unit_kinds), skipped=list(state.skipped)
            )
        )
        text = (message.text or "").strip()
        if text:
            out.state.language = language_of(text, out.state.language)
        lang = out.state.language
        intent = intents.classify_reply(text) if text else None
        if message.reply_id in ("connect", "not_now"):
            intent = "connect" if message.reply_id == "connect" else "no"

        # 1. Guards: opt-out, rate limit, PII, non-text.
        if intent == "stop":
            return self._opt_out(out, now)
        if out.state.opted_out:
            if intent == "start":
                out.state.opted_out = False
                out.activities.append(("opted_in", {}))
                out.events.append(("lead.opted_in", {}))
                out.replies.append(Reply(say("welcome_back", lang)))
            return out
        if message.rate_limited:
            if out.state.rate_notice_at is None or now - out.state.rate_notice_at >= RATE_NOTICE_EVERY:
                out.state.rate_notice_at = now
                out.replies.append(Reply(say("rate_limited", lang)))
            return out
        if message.pii_removed:
            kinds = "/".join(sorted({k.upper() if k == "pan" else k.title() for k in message.pii_removed}))
            out.replies.append(Reply(say("pii_warning", lang, kinds=kinds)))
            out.activities.append(("pii_redacted", {"kinds": sorted(message.pii_removed)}))
        if message.kind == "media" and not text:  # a caption is read like any text
            out.replies.append(Reply(say("media", lang)))
            return out
        if not text and not message.reply_id:
            return out

        # 2. First contact.
        first = out.state.stage == NEW
        if first:
            out.state.stage = ENGAGED
            out.activities.append(("lead_created", {}))
            out.events.append(("lead.created", {}))
            out.greeting = Reply(self._greeting(out.state.name, lang))
            out.replies.append(out.greeting)
            if intent == "greeting" or not text:
                return out

        # The investor picked a site-visit time a broker offered, or asked for the brochure file.
        if message.reply_id == site_visits.UNAVAILABLE:  # a time that cannot be booked (bookings)
            out.replies.append(Reply(say("visit_unavailable", lang)))
            return out
        visit = site_visits.parse_slot(message.reply_id)
        if visit is not None:
            return self._visit_booked(out, visit)
        if text and intents.is_complaint(text) and not out.state.assistant_paused:
            # "That's wrong": not a question to look up; the partner sees it on the unanswered page.
            out.replies.append(Reply(say("answer_disputed", lang)))
            out.activities.append(("answer_disputed", {}))
            if out.state.broker_owned:
                out.broker_notes.append(text)
            return out
        if text and intents.asks_for_brochure(text) and not out.state.assistant_paused:
            return self._send_brochure(out, text, on_the_web=message.channel == WEB)

        # A broker owns the lead: qualification is over; the bot answers brochure questions
        # (unless the broker paused it) and passes the rest to the broker.
        if out.state.broker_owned:
            return self._with_broker(out, text, intent)

        # 3. A qualification question is pending.
        if out.state.pending_question:
            return self._qualifying(out, text, message.reply_id, intent, now)

        # 4. Hand-off.
        if intent == "connect" and out.state.stage in HANDOFF_STAGES:
            return self._handoff(out, now)
        if intent == "connect" and out.state.stage in (ENGAGED,):
            out.replies.append(Reply(say("connect_first", lang)))
            return self._start_qualifying(out, now)
        if intent == "greeting" and not first:
            out.replies.append(Reply(self._greeting(out.state.name, lang, short=True)))
            return out
        if intent == "no":
            out.replies.append(Reply(say("no_problem", lang)))
            return out

        # 5 and 6. Answer from the brochures, then start qualifying when it is time.
        self._answer(out, text)
        ready = out.state.questions_answered >= self.settings.qualify_after
        if ready and out.state.stage == ENGAGED:
            self._start_qualifying(out, now)
        return out

    # -- steps ---------------------------------------------------------------------------

    def _greeting(
        self, name: str | None, language: str, short: bool = False, projects: tuple[str, ...] = ()
    ) -> str:
        first = first_name(name)
        hello = say("hello_name", language, name=first) if first else say("hello", language)
        if short:
            return say("greeting_short", language, hello=hello)
        listed = ", ".join((projects or self.settings.projects)[:6]) or say("our_projects", language)
        return say("greeting", language, hello=hello, projects=listed)

    def _opt_out(self, out: Outcome, now: datetime) -> Outcome:
        if not out.state.opted_out:
            out.state.opted_out = True
            out.activities.append(("opted_out", {}))
            out.events.append(("lead.opted_out", {"at": now.isoformat()}))
            out.replies.append(Reply(say("opted_out", out.state.language)))
        return out

    def _with_broker(self, out: Outcome, text: str, intent: str | None) -> Outcome:
        state, lang = out.state, out.state.language
        state.pending_question = None
        if not text:
            return out
        if state.assistant_paused:
            out.broker_notes.append(text)
            return out
        if intent == "connect":
            out.broker_notes.append(text)
            out.replies.append(Reply(say("with_advisor", lang)))
            return out
        if intent == "greeting":
            out.replies.append(Reply(self._greeting(state.name, lang, short=True)))
            return out
        if intent == "no":
            out.replies.append(Reply(say("no_problem", lang)))
            return out
        result = self._answer(out, text)
        if not result.answered or PART_ADVISOR_OFFER in result.text:
            out.broker_notes.append(text)
            out.activities.append(("passed_to_broker", {"answered_in_part": result.answered}))
        return out

    def _visit_booked(self, out: Outcome, at: datetime) -> Outcome:
        state = out.state
        out.site_visit = at
        label = site_visits.slot_label(at)
        out.activities.append(("site_visit_booked", {"at": at.isoformat(), "label": label}))
        out.broker_notes.append(f"Picked the site visit on {label}.")
        project = f"{state.project} " if state.project else ""
        out.replies.append(Reply(say("visit_booked", state.language, project=project, when=label)))
        return out

    def _send_brochure(self, out: Outcome, text: str, on_the_web: bool) -> Outcome:
        """The brochure PDF of the project named, else the one in focus (or the only one). The
        website chat sits on one project's site: it sends that project's brochure only."""
        state, lang, projects = out.state, out.state.language, self.settings.projects
        folded = " ".join(text.lower().split())
        named = [name for name in projects if name.lower() in folded]
        project = named[0] if named and not (on_the_web and state.project) else state.project
        if project is None and len(projects) == 1:
            project = projects[0]
        # Meta fetches the file from a public link; without one (PORTAL_URL) only the web can have it.
        sendable = self.settings.brochures if on_the_web or self.settings.brochures_on_whatsapp else ()
        if project is None:
            choices = ", ".join(self.settings.brochures or projects)
            out.replies.append(Reply(say("which_brochure", lang, projects=choices)))
        elif project in sendable:
            state.project = project
            out.replies.append(Reply(say("brochure_sent", lang, project=project), brochure=project))
            out.activities.append(("brochure_sent", {"project": project}))
        else:
            out.replies.append(Reply(say("brochure_missing", lang, project=project)))
        if state.pending_question and not state.broker_owned:
            out.replies.append(ask(state.pending_question, lang, again=True))
        return out

    def _answer(self, out: Outcome, text: str) -> AnswerResult:
        projects = self.settings.projects
        # With one project in the catalogue, every question is about it.
        result = self.answer(text, out.state.project or (projects[0] if len(projects) == 1 else None))
        if result.project:
            out.state.project = result.project
        if result.answered:
            out.state.questions_answered += 1
        body = result.text
        unplaced = result.project is None and len(projects) > 1 and not ACROSS_RE.search(text)
        if not result.answered and unplaced:
            # "What is the RERA number?" with no project named yet: ask which, rather than refuse.
            example = f"{text.rstrip(' ?')} — {projects[0]}"
            body = say("which_project", out.state.language, projects=", ".join(projects[:6]), example=example)
        elif not result.answered and out.state.broker_owned:
            project = result.project or out.state.project
            named = say("for_project", out.state.language, project=project) if project else ""
            body = say("passed_to_advisor", out.state.language, for_project=named)
        elif out.state.broker_owned:  # an offer to connect, to someone who has an advisor
            confirm = say("advisor_will_confirm", out.state.language)
            body = body.replace(ADVISOR_OFFER, confirm)
            body = body.replace(PART_ADVISOR_OFFER, "your advisor will confirm it.")
        elif not result.answered and out.state.language != ENGLISH:
            # The brochure's lines stay as printed; the bot's own refusal speaks the investor's language.
            project = result.project or out.state.project
            named = say("for_project", out.state.language, project=project) if project else ""
            body = say("refusal", out.state.language, for_project=named)
        out.replies.append(
            Reply(body, route=result.route, answered=result.answered, latency_ms=result.latency_ms)
        )
        return result

    def _start_qualifying(self, out: Outcome, now: datetime) -> Outcome:
        out.state.stage = QUALIFYING
        out.activities.append(("qualification_started", {}))
        return self._ask_next(out, now)

    def _ask_next(self, out: Outcome, now: datetime) -> Outcome:
        done = set(out.state.skipped) | {q for q in QUESTIONS if _answered(out.state, q)}
        remaining = [q for q in QUESTIONS if q not in done]
        if remaining:
            out.state.pending_question = remaining[0]
            out.replies.append(ask(remaining[0], out.state.language))
            return out
        out.state.pending_question = None
        return self._finish_profile(out, now)

    def _qualifying(
        self, out: Outcome, text: str, reply_id: str | None, intent: str | None, now: datetime
    ) -> Outcome:
        question = out.state.pending_question
        assert question is not None
        if reply_id == "skip" or intents.is_skip(text):
            out.state.skipped.append(question)
            out.activities.append(("question_skipped", {"question": question}))
            return self._ask_next(out, now)
        parsed = parse_answer(question, text, reply_id)
        # "What is the price of a 3BHK?" mentions a unit but asks a question; "3bhk?" answers;
        # "4 bhk carpet area" asks about the brochure whatever the pending question.
        long_question = intents.looks_like_question(text) and len(text.split()) > 4
        asking = not reply_id and (long_question or asks_about_brochure(question, text))
        if parsed is not None and not asking:
            parsed.apply(out.state, text)
            out.activities.append(("question_answered", {"question": question, "answer": parsed.label}))
            return self._ask_next(out, now)
        if intent == "connect":
            out.replies.append(Reply(say("connect_pending", out.state.language)))
            out.replies.append(ask(question, out.state.language))
            return out
        if asking or intents.looks_like_question(text):
            self._answer(out, text)
            out.replies.append(ask(question, out.state.language, again=True))
            return out
        out.replies.append(ask(question, out.state.language, help_text=True))
        return out

    def _finish_profile(self, out: Outcome, now: datetime) -> Outcome:
        state = out.state
        if state.score == len(QUESTIONS):
            state.stage = QUALIFIED
            state.qualified_at = now
            out.activities.append(("qualified", {"score": state.score}))
            out.events.append(("lead.qualified", {"score": state.score}))
        else:
            state.stage = PROFILED
            out.activities.append(
                ("profile_completed", {"score": state.score, "skipped": list(state.skipped)})
            )
        out.replies.append(summary(state))
        return out

    def _handoff(self, out: Outcome, now: datetime) -> Outcome:
        state = out.state
        if state.stage != BROKER_REQUESTED:
            state.stage = BROKER_REQUESTED
            state.broker_requested_at = now
            state.reference = state.reference or reference_for(state.lead_id, now)
            out.activities.append(("broker_requested", {"reference": state.reference}))
            out.events.append(("lead.broker_requested", {"reference": state.reference}))
        window = self.settings.call_window
        done = say("handoff", state.language, reference=state.reference, call_window=window)
        out.replies.append(Reply(done))
        return out

    def _on_the_web(self, out: Outcome) -> None:
        """The website chat's words (``for_the_web``). The chat is embedded on one project's site,
        so its greeting names that project only, never other developers' projects."""
        state = out.state
        for at, reply in enumerate(out.replies):
            greeting = reply is out.greeting
            if greeting and state.project:
                reply = Reply(self._greeting(state.name, state.language, projects=(state.project,)))
            out.replies[at] = for_the_web(reply, state.language)
            if greeting:
                out.greeting = out.replies[at]


def _fold_greeting(out: Outcome) -> None:
    """A first message that asks something gets one reply: the greeting opens the message that
    answers it (keeping that message's route and citation) instead of arriving on its own. A
    question with buttons or a list keeps its own message."""
    if out.greeting is None:
        return
    at = next((i for i, reply in enumerate(out.replies) if reply is out.greeting), None)
    if at is None:
        return
    following = out.replies[at + 1] if at + 1 < len(out.replies) else None
    if following is None or following.buttons or following.rows:
        return
    body = f"{out.greeting.body}\n\n{following.body}"
    if len(body) <= MAX_TEXT_BODY:
        out.replies[at : at + 2] = [replace(following, body=body)]
        out.greeting = None


# Brochure topics an answer to each qualification question may name without asking anything:
# "3-5 Cr" is a budget, "Sector 63A" a location, "possession in 2027" a timeline.
ANSWER_TOPICS = {
    "budget": {"price", "charges", "count"},
    "area": {"location", "distance"},
    "timeline": {"possession"},
    "unit": {"count"},
}


def asks_about_brochure(question: str, text: str) -> bool:
    """Whether a reply to a qualification question asks about a brochure topic other than the one
    the question is about ("4 bhk carpet area" while the budget is asked). A topic given with its
    figure ("3 BHK, 2,000 sq ft") states a wish rather than asking."""
    english = to_english(text)
    topics = set(detect_intents(english)) - ANSWER_TOPICS[question]
    return any(not re.search(FIGURE_SHAPES.get(topic, r"$^"), english, re.I) for topic in topics)


def _answered(state: LeadState, question: str) -> bool:
    return {
        "budget": state.budget_min is not None or state.budget_max is not None,
        "area": bool(state.areas),
        "timeline": state.timeline is not None,
        "unit": bool(state.unit_kinds),
    }[question]


def reference_for(lead_id: int | None, now: datetime) -> str:
    """A short reference an investor can quote on the phone, e.g. ``IC-000123``."""
    return f"IC-{lead_id:06d}" if lead_id else f"IC-{now:%y%m%d%H%M%S}"
