"""What a whole short message means beyond answering a question: stop, start, connect, a greeting,
no, skipping the question, or a property question instead of an answer.

Pure functions over WhatsApp text (English, Hinglish, some Hindi). The engine reads a message
with them, beside the parsers of the qualification answers (``parsers``), to decide what to do.
"""

import re
import unicodedata

from app.conversation.text import normalize_text

_POLITE = r"(?:please|pls|plz|ji|sir|maam|thanks|thank you|bhai|now)"
_INTENTS = (  # (intent, phrases); the whole message must be one phrase, politeness aside
    ("stop", r"stop(?: (?:it|all|messages|messaging(?: me)?|sending(?: messages| me messages)?|this))?|"
             r"unsubscribe|opt ?out|dont (?:message|text|contact) me|do not (?:message|text|contact) me|"
             r"band karo|mat bhejo"),
    ("start", r"start(?: again)?|resume|restart|unstop|subscribe|opt ?in"),
    ("no", r"no|nope|nah|na|not now|later|maybe later|not interested|no thanks|nahi|nahin|abhi nahi|नहीं"),
    # A bare "ok" is usually an acknowledgement, so it connects only with more: "ok connect".
    ("connect", r"(?:(?:ok|okay) )?(?:yes|yeah|yep|yup|y|sure|haan|han|haa|ha|ji|haan ji|ji haan|theek hai|"
                r"thik hai|interested|go ahead|हाँ|हां)(?: (?:connect(?: me)?|call me|go ahead|sure))?|"
                r"(?:ok|okay) (?:connect(?: me)?|call me|go ahead)|"
                r"connect(?: me)?(?: (?:with|to) (?:an? )?(?:advisor|agent|expert|someone|sales))?|"
                r"call(?: me)?|call back|(?:i want to |can i )?(?:talk|speak) to (?:an? )?"
                r"(?:advisor|agent|expert|someone|human|person)"),
    ("greeting", r"h+i+|h+e+y+|hel+o+|hi there|hello there|hey there|namaste|namaskar|नमस्ते|"
                 r"good (?:morning|afternoon|evening)"),
)  # fmt: skip
_INTENT_RES = tuple(
    (intent, re.compile(rf"(?:(?:hi|hello|hey) )?(?:{_POLITE} )*(?:{phrases})(?: {_POLITE})*"))
    for intent, phrases in _INTENTS
)
_SKIP_RE = re.compile(
    rf"(?:{_POLITE} )*(?:skip(?: (?:this|it|this one|this question|for now))?|pass|next(?: question)?|"
    r"prefer not to (?:say|share|answer|tell)|(?:id |i would )?rather not(?: say| share| tell)?|"
    r"no comment|not telling|(?:i )?(?:dont|do not) want to (?:say|share|tell)|chhodo|rehne do|skip karo)"
    rf"(?: {_POLITE})*"
)
_QUESTION_START_RE = re.compile(
    r"(?:what|whats|which|when|where|why|how|who|whose|wht|tell me|please tell|pls tell|explain|"
    r"(?:i )?want to know|can you (?:share|send|tell)|share|send|show)\b|"
    r"(?:is|are|does|do|did|can|could|will|would|should|has|have|was)\s+"
    r"(?:i|you|we|it|there|the|this|that|they|my|your|a|an|any|these|those|its|project|builder|society)\b"
)
_QUESTION_WORDS_RE = re.compile(
    r"\b(?:kya|kitna|kitni|kitne|kab|kahan|kaha|kaun|kaunsa|kaise|kyun|price of|cost of|rate of|payment plan|"
    r"floor plans?|brochure|amenities|possession date|rera (?:number|no)|maintenance charges?)\b|क्या|कितन"
)


def _intent_text(text: str) -> str:
    """Lower case with punctuation, symbols and emoji dropped (a thumbs-up reads as "yes")."""
    text = unicodedata.normalize("NFC", text).lower().replace("'", "").replace("’", "").replace("👍", " yes ")
    kept = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in text)
    return " ".join(kept.split())


def is_skip(text: str) -> bool:
    """Whether the whole message declines the question: "skip", "pass", "next", "rather not"."""
    return bool(_SKIP_RE.fullmatch(_intent_text(text)))


def classify_reply(text: str) -> str | None:
    """The intent of a whole short reply: "connect", "stop", "start", "greeting", "no" or ``None``.

    Only a message that is nothing but the intent counts (politeness aside), so "STOP" and
    "stop messages" stop but "is there a bus stop nearby?" does not; "yes" and "haan" connect.
    """
    clean = _intent_text(text)
    for intent, pattern in _INTENT_RES:
        if pattern.fullmatch(clean):
            return intent
    return None


def looks_like_question(text: str) -> bool:
    """Whether a message asks about the property rather than answering the bot's question.

    True for a trailing "?", a wh-word or "tell me" opening, an auxiliary verb opening a question
    ("does it have a pool", "is there parking"), Hinglish question words ("kya", "kitna") and
    brochure topics ("price of 3bhk", "payment plan").
    """
    clean = normalize_text(text)
    if clean.rstrip(" .!)").endswith(("?", "؟")):
        return True
    words = _intent_text(clean)
    return bool(_QUESTION_START_RE.match(words) or _QUESTION_WORDS_RE.search(words))


# Asking for the brochure file itself ("send me the brochure", "pdf bhejo", "ब्रोशर भेजिए",
# "do you have a brochure?"), not asking what it says ("does the brochure have a floor plan?",
# "what does the brochure say about parking?") and not declining it ("I already have the
# brochure", "no brochure please").
_BROCHURE_WORD_RE = re.compile(
    r"\b(?:e ?)?(?:brochures?|broucher|brouchers|brocher|pdfs?|catalogue)\b|ब्रोशर|ब्रॉशर"
)
_SEND_WORD_RE = re.compile(
    r"\b(?:send|share|mail|email|forward|get|want|need|give|provide|bhej\w*|bhijwa\w*|de do|dedo|"
    r"dijiye|dijie|do na|chahiye|chaiye|milega|mil sakta|mil sakti|do you have|can i have)\b|"
    r"भेज|चाहिए|दीजिए|दे दो|मिलेगा"
)
_ABOUT_BROCHURE_RE = re.compile(
    r"\b(?:says?|mentions?|mentioned|according|written|page|pages|in the|mein|me likha)\b|में लिखा|के अनुसार"
)
_DECLINE_RE = re.compile(r"\b(?:no|not|dont|do not|already|nahi|nahin|mat)\b|नहीं|मत")


def asks_for_brochure(text: str) -> bool:
    """Whether the message asks for the brochure itself: a brochure word with a verb of sending
    or wanting, or on its own ("brochure?", "pdf pls"); nothing about what it says, no "no"."""
    words = _intent_text(text)
    if not _BROCHURE_WORD_RE.search(words) or _ABOUT_BROCHURE_RE.search(words) or _DECLINE_RE.search(words):
        return False
    return bool(_SEND_WORD_RE.search(words)) or len(words.split()) <= 3


# "That's wrong", "not what I asked", "galat hai", "गलत": the investor saying the last answer
# was wrong or beside the point (the partner's unanswered-questions page lists what it answered).
_COMPLAINT_RE = re.compile(
    r"(?:(?:no|nope) )?(?:thats|that is|this is|its|it is|answer is|ye|yeh)? ?"
    r"(?:wrong|incorrect|not right|not correct|wrong answer|galat|galat hai|sahi nahi|sahi nahi hai)"
    r"|(?:thats |that is |this is )?not what i (?:asked|meant|am asking|was asking)(?: for| about)?"
    r"|(?:you )?(?:did not|didnt) answer(?: my question| the question)?|गलत(?: है)?|सही नहीं(?: है)?"
)


def is_complaint(text: str) -> bool:
    """Whether the whole message says the last answer was wrong or not what was asked."""
    words = _intent_text(text)
    return len(words.split()) <= 8 and bool(_COMPLAINT_RE.fullmatch(words))
