"""The four qualification questions: how each is asked, parsed and summarised.

Each question is a WhatsApp list message (tap an option) that also accepts free text
("₹3-5 Cr", "sec 63a ggn", "in 2 months", "4 BHK + servant").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.conversation import parsers
from app.conversation.state import LeadState, Reply
from app.conversation.texts import text
from app.money import format_inr_range

QUESTIONS = ("budget", "area", "timeline", "unit")
CRORE = Decimal("10000000")

OPTIONS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "budget": (
        ("budget:0-3", "Up to ₹3 Cr", None),
        ("budget:3-5", "₹3 – 5 Cr", None),
        ("budget:5-10", "₹5 – 10 Cr", None),
        ("budget:10-", "₹10 Cr and above", None),
        ("skip", "Skip", "Prefer not to say"),
    ),
    "area": (
        ("area:Golf Course Road", "Golf Course Road", "Gurugram"),
        ("area:Golf Course Extension Road", "Golf Course Ext. Road", "Gurugram"),
        ("area:Dwarka Expressway", "Dwarka Expressway", "Gurugram"),
        ("area:Gurugram Sector 63A", "Sector 63A", "Gurugram"),
        ("area:Manesar", "Manesar", None),
        ("area:Any", "Open to anywhere in NCR", None),
        ("skip", "Skip", "Prefer not to say"),
    ),
    "timeline": (
        ("timeline:immediate", "Immediately", None),
        ("timeline:1-3 months", "In 1–3 months", None),
        ("timeline:3-6 months", "In 3–6 months", None),
        ("timeline:6-12 months", "In 6–12 months", None),
        ("timeline:12+ months", "After a year", None),
        ("timeline:exploring", "Just exploring", None),
    ),
    "unit": (
        ("unit:3BHK", "3 BHK", None),
        ("unit:4BHK", "4 BHK", None),
        ("unit:4BHK+servant", "4 BHK + servant", None),
        ("unit:penthouse", "Penthouse", None),
        ("unit:villa", "Villa", None),
        ("unit:plot", "Plot", None),
        ("unit:any", "Open to options", None),
        ("skip", "Skip", "Prefer not to say"),
    ),
}


def ask(question: str, language: str | None = None, *, again: bool = False, help_text: bool = False) -> Reply:
    """The list message asking ``question`` (again after an interruption, or with an example), in
    the conversation's ``language``."""
    prompt, example = text(question, language), text(f"{question}_example", language)
    key = "ask_help" if help_text else "ask_again" if again else "ask"
    body = text(key, language, prompt=prompt, example=example)
    return Reply(body, list_button=text("choose", language), rows=OPTIONS[question])


@dataclass(frozen=True)
class ParsedAnswer:
    """A valid answer to one question, ready to be stored on the lead."""

    question: str
    label: str
    value: object

    def apply(self, state: LeadState, text: str) -> None:
        """Store the structured value and the text the investor gave."""
        if self.question == "budget":
            state.budget_min, state.budget_max = self.value
            state.budget_text = text or self.label
        elif self.question == "area":
            state.areas = list(self.value)
            state.area_text = text or self.label
        elif self.question == "timeline":
            state.timeline = self.value
            state.timeline_text = text or self.label
        else:
            state.unit_kinds = list(self.value)
            state.unit_text = text or self.label
        if self.question in state.skipped:
            state.skipped.remove(self.question)


def _from_option(question: str, reply_id: str) -> ParsedAnswer | None:
    prefix, _, value = reply_id.partition(":")
    if prefix != question or not value:
        return None
    label = next((title for rid, title, _ in OPTIONS[question] if rid == reply_id), value)
    if question == "budget":
        low, _, high = value.partition("-")
        bounds = (
            Decimal(low) * CRORE if low and low != "0" else None,
            Decimal(high) * CRORE if high else None,
        )
        return ParsedAnswer(question, label, bounds)
    if question in ("area", "unit"):
        return ParsedAnswer(question, label, [value])
    return ParsedAnswer(question, label, value)


def parse_answer(question: str, text: str, reply_id: str | None) -> ParsedAnswer | None:
    """Parse a tapped option or a typed answer; None when it is not an answer."""
    if reply_id:
        parsed = _from_option(question, reply_id)
        if parsed is not None:
            return parsed
    if not text:
        return None
    if question == "budget":
        budget = parsers.parse_budget(text)
        return ParsedAnswer(question, budget.label(), (budget.min_inr, budget.max_inr)) if budget else None
    if question == "area":
        areas = parsers.parse_areas(text)
        return ParsedAnswer(question, ", ".join(areas), areas) if areas else None
    if question == "timeline":
        timeline = parsers.parse_timeline(text)
        return ParsedAnswer(question, timeline, timeline) if timeline else None
    unit = parsers.parse_unit(text)
    return ParsedAnswer(question, unit.label(), list(unit.kinds)) if unit else None


def _budget_label(state: LeadState) -> str:
    return format_inr_range(state.budget_min, state.budget_max)


def summary(state: LeadState) -> Reply:
    """The profile read back to the investor, with the invitation to connect."""
    body = text(
        "summary",
        state.language,
        budget=_budget_label(state),
        areas=", ".join(state.areas) or "—",
        timeline=state.timeline or "—",
        home=", ".join(state.unit_kinds) or "—",
    )
    buttons = (
        ("connect", text("connect_button", state.language)),
        ("not_now", text("not_now_button", state.language)),
    )
    return Reply(body, buttons=buttons)
