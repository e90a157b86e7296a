"""LLM-written answers from retrieved brochure passages.

``LLMComposer`` asks the model to answer only from the numbered passages; the caller then runs
``app.rag.grounding.grounding_violations`` and falls back to the extractive answer when the
model wrote a figure that no passage contains.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import openai

from app.rag.citations import strip_source_lines
from app.rag.grounding import ContextPassage

NOT_IN_DOCUMENTS = "NOT_IN_DOCUMENTS"
ANSWER_MAX_CHARS = 600
PASSAGE_MAX_CHARS = 2500
DEFAULT_CHAT_MODEL = "gpt-4o-mini"

SYSTEM_PROMPT = f"""\
You answer questions from prospective buyers of luxury homes in Delhi NCR on WhatsApp.
Answer ONLY from the numbered brochure passages in the user's message.

Rules:
- Use only facts stated in the passages: no outside knowledge, no guesses.
- If the passages do not contain the answer (or are about a different project), reply with \
exactly {NOT_IN_DOCUMENTS} and nothing else.
- Never invent, compute or round a figure. Keep every number (prices, areas, dates, RERA \
numbers, percentages) as the passages give it; you may only rewrite a rupee amount in \
Indian notation, e.g. 2,50,00,000 -> ₹2.5 Cr, 50,00,000 -> ₹50 lakh.
- Use ₹ and lakh/crore, never millions.
- At most {ANSWER_MAX_CHARS} characters, WhatsApp style: short, warm, plain text; *bold* \
sparingly; "• " bullets for lists.
- Do not add a source line, page numbers or file names: they are appended for you."""

_NOT_IN_DOCUMENTS_RE = re.compile(r"NOT[_ ]IN[_ ]DOCUMENTS", re.IGNORECASE)


class LLMUnavailable(RuntimeError):
    """The LLM could not be reached or gave no usable reply; answer without it."""


def _trim(text: str, limit: int = ANSWER_MAX_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters, at a sentence or line end where one is near."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    sentence_end = max(head.rfind(mark) for mark in (". ", "! ", "? ", "\n"))
    if sentence_end >= limit // 2:
        return head[: sentence_end + 1].rstrip()
    word_end = head.rfind(" ")
    return (head[:word_end] if word_end > 0 else head).rstrip() + "…"


def _user_message(question: str, passages: Sequence[ContextPassage], project: str | None) -> str:
    blocks = [
        f"[{number}] {passage.document}, page {passage.page}\n{passage.text[:PASSAGE_MAX_CHARS]}"
        for number, passage in enumerate(passages, start=1)
    ]
    return (
        "Context passages:\n\n"
        + "\n\n".join(blocks)
        + f"\n\nProject in focus: {project or 'not specified'}\nQuestion: {question}"
    )


class LLMComposer:
    """Writes a short WhatsApp answer from retrieved passages with an OpenAI chat model."""

    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self.client = client
        self.model = model

    def compose(self, question: str, passages: Sequence[ContextPassage], project: str | None) -> str | None:
        """Return the model's answer (≤ 600 chars, no source line), or None if not in the passages.

        Makes no API call when there are no passages. Raises ``LLMUnavailable`` when the API
        fails (after the client's retries), times out or returns no text. The caller must still
        run ``grounding_violations`` on the answer.
        """
        if not passages:
            return None
        try:
            completion = self.client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": _user_message(question, passages, project)},
                ],
                temperature=0,
                max_completion_tokens=400,
            )
        except openai.OpenAIError as exc:
            raise LLMUnavailable(
                f"OpenAI chat model {self.model!r} failed ({type(exc).__name__}): {exc}"
            ) from exc
        content = completion.choices[0].message.content if completion.choices else None
        text = strip_source_lines(content or "").strip()
        if _NOT_IN_DOCUMENTS_RE.search(text):
            return None
        if not text:
            raise LLMUnavailable(f"OpenAI chat model {self.model!r} returned an empty answer.")
        return _trim(text)


def composer_from_config(config: Mapping[str, Any]) -> LLMComposer | None:
    """Return an ``LLMComposer`` when ``OPENAI_API_KEY`` is set, else None (offline mode)."""
    api_key = config.get("OPENAI_API_KEY")
    if not api_key:
        return None
    client = openai.OpenAI(
        api_key=api_key,
        base_url=config.get("OPENAI_BASE_URL") or None,
        max_retries=2,
        timeout=float(config.get("OPENAI_TIMEOUT") or 20.0),
    )
    return LLMComposer(client, config.get("OPENAI_CHAT_MODEL") or DEFAULT_CHAT_MODEL)
