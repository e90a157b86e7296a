"""Questions in Hinglish (Roman Hindi mixed with English) and Hindi (Devanagari), read as English.

Brochures in Delhi NCR are written in English, and every answer route (facts, tables, passages,
the cross-project listing) reads the question's English words. Investors type "4 BHK ka carpet
area kitna hai?" or "कब्ज़ा कब मिलेगा?". ``to_english`` rewrites such a question word by word
into the English an investor would have typed ("how much carpet area of 4 BHK"), keeping
figures, names and English words as they are; ``detect_language`` says which of the three a
text is written in, so the bot can answer in kind.

Hindi puts the question word at the end ("... kitna hai?") and English at the front, where the
analyser looks for what is asked ("how much CARPET AREA"), so the question word moves to the
front together with the words it asks about.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

from app.rag.transliterate import NameReader

ENGLISH, HINGLISH, HINDI = "en", "hinglish", "hi"

DEVANAGARI_RE = re.compile(r"[\u0900-\u097F]")
TOKEN_RE = re.compile(r"[\u0900-\u097F\u200c\u200d]+|[A-Za-z0-9]+(?:[.:/,&+'-][A-Za-z0-9]+)*|\S")

# Question words: (Hinglish or Hindi, English). The English goes to the front of the question.
QUESTION_WORDS: dict[str, str] = {
    "कितना बड़ा": "how big",
    "कितनी बड़ी": "how big",
    "कितने बड़े": "how big",
    "kitna": "how much",
    "kitni": "how much",
    "kitne": "how many",
    "kitna door": "how far",
    "kitni door": "how far",
    "kitna dur": "how far",
    "kitni dur": "how far",
    "kitni doori": "how far",
    "kab": "when",
    "kab tak": "when",
    "kaun": "who",
    "kon": "who",
    "kaunsa": "which",
    "kaunse": "which",
    "kaunsi": "which",
    "kaun sa": "which",
    "kaun se": "which",
    "kaun si": "which",
    "konsa": "which",
    "konse": "which",
    "konsi": "which",
    "kahan": "where",
    "kahaan": "where",
    "kaha": "where",
    "kyun": "why",
    "kyon": "why",
    "kaise": "how",
    "kaisa": "how",
    "kaisi": "how",
    "kya hai": "what is",
    "kya hain": "what are",
    "kya h": "what is",
    "कितना": "how much",
    "कितनी": "how much",
    "कितने": "how many",
    "कितनी दूर": "how far",
    "कितना दूर": "how far",
    "कब": "when",
    "कब तक": "when",
    "कौन": "who",
    "कौनसा": "which",
    "कौनसे": "which",
    "कौनसी": "which",
    "कौन सा": "which",
    "कौन से": "which",
    "कौन सी": "which",
    "कहाँ": "where",
    "कहां": "where",
    "क्यों": "why",
    "कैसे": "how",
    "कैसा": "how",
    "कैसी": "how",
    "क्या है": "what is",
    "क्या हैं": "what are",
}

# Words that join a noun to what follows ("4 BHK KA carpet area"): they end the phrase a question
# word asks about. Rendered as the English preposition, or dropped.
POSTPOSITIONS: dict[str, str] = {
    "ka": "of",
    "ki": "of",
    "ke": "of",
    "mein": "in",
    "me": "in",
    "mai": "in",
    "main": "in",
    "se": "from",
    "pe": "on",
    "par": "on",
    "tak": "",
    "liye": "for",
    "ke liye": "for",
    "ke paas": "near",
    "ke pass": "near",
    "ke andar": "within",
    "ke baad": "after",
    "ke saath": "with",
    "ke sath": "with",
    "ke time": "at",
    "ke baare mein": "about",
    "ke bare mein": "about",
    "ke baare me": "about",
    "ke bare me": "about",
    "के": "of",
    "का": "of",
    "की": "of",
    "में": "in",
    "मे": "in",
    "से": "from",
    "पर": "on",
    "पे": "on",
    "तक": "",
    "लिए": "for",
    "के लिए": "for",
    "के पास": "near",
    "के अंदर": "within",
    "के भीतर": "within",
    "के बाद": "after",
    "के साथ": "with",
    "के समय": "at",
    "के बारे में": "about",
}

# Everything else: Roman Hindi and Devanagari words with their English. An empty string drops the
# word (auxiliaries and particles that carry no meaning for retrieval).
WORDS: dict[str, str] = {
    # auxiliaries, particles, pronouns
    "hai": "",
    "hain": "",
    "h": "",
    "hota": "",
    "hoti": "",
    "hote": "",
    "hoga": "",
    "hogi": "",
    "honge": "",
    "tha": "",
    "thi": "",
    "the": "the",
    "kya": "",
    "bhi": "also",
    "hi": "",
    "to": "to",
    "toh": "",
    "na": "",
    "ji": "",
    "yeh": "this",
    "ye": "this",
    "is": "is",
    "iska": "its",
    "iski": "its",
    "iske": "its",
    "woh": "that",
    "wo": "that",
    "uska": "its",
    "uski": "its",
    "uske": "its",
    "aur": "and",
    "ya": "or",
    "wala": "",
    "wali": "",
    "wale": "",
    "karna": "",
    "karni": "",
    "karne": "",
    "karo": "",
    "kare": "",
    "karein": "",
    "karen": "",
    "karega": "",
    "karegi": "",
    "kar": "",
    "hone": "",
    "hona": "",
    "ho": "",
    "raha": "",
    "rahi": "",
    "rahe": "",
    "sakta": "",
    "sakti": "",
    "sakte": "",
    "chahiye": "",
    "padega": "",
    "padegi": "",
    "batao": "",
    "bataiye": "",
    "bataye": "",
    "bata": "",
    "do": "",
    "dijiye": "",
    "please": "",
    "nahi": "not",
    "nahin": "not",
    "sab": "all",
    "sabhi": "all",
    "koi": "any",
    "kuch": "any",
    "sirf": "only",
    "total": "total",
    "kul": "total",
    # verbs of getting and paying
    "milega": "available",
    "milegi": "available",
    "milenge": "available",
    "milta": "available",
    "milti": "available",
    "milte": "available",
    "mil": "available",
    "dena": "payable",
    "deni": "payable",
    "dene": "payable",
    "denge": "payable",
    "bharna": "payable",
    "lagega": "cost",
    "lagegi": "cost",
    "lagenge": "cost",
    "lagta": "cost",
    "banta": "total",
    "banti": "total",
    "bante": "total",
    "aayega": "",
    "aayegi": "",
    "ayega": "",
    "chalega": "",
    # real-estate words
    "keemat": "price",
    "kimat": "price",
    "kimmat": "price",
    "daam": "price",
    "dam": "price",
    "rate": "rate",
    "kiraya": "rent",
    "bhugtan": "payment",
    "kabza": "possession",
    "kabja": "possession",
    "qabza": "possession",
    "ghar": "home",
    "makaan": "home",
    "makan": "home",
    "kamra": "room",
    "kamre": "rooms",
    "manzil": "floor",
    "manjil": "floor",
    "mazil": "floor",
    "jagah": "space",
    "zameen": "land",
    "jameen": "land",
    "paas": "near",
    "pass": "near",
    "nazdeek": "near",
    "nazdik": "near",
    "najdik": "near",
    "door": "far",
    "dur": "far",
    "doori": "distance",
    "andar": "within",
    "bahar": "outside",
    "upar": "above",
    "neeche": "below",
    "saal": "years",
    "sal": "years",
    "mahine": "months",
    "mahina": "month",
    "din": "days",
    "samay": "time",
    "waqt": "time",
    "baad": "after",
    "pehle": "before",
    "naya": "new",
    "nayi": "new",
    "bada": "large",
    "badi": "large",
    "bade": "large",
    "chhota": "small",
    "sasta": "cheap",
    "mehenga": "expensive",
    "suvidha": "amenities",
    "suvidhayen": "amenities",
    "suvidhaen": "amenities",
    "dekh-rekh": "maintenance",
    "dekhrekh": "maintenance",
    "dekhbhal": "maintenance",
    "dekh-bhal": "maintenance",
    "banaya": "built",
    "banayega": "developing",
    "bana": "built",
    "bechna": "sell",
    "kharidna": "buy",
    "kharid": "buy",
    "kiska": "whose",
    "kiski": "whose",
    # Devanagari: particles and auxiliaries
    "है": "",
    "हैं": "",
    "था": "",
    "थी": "",
    "होगा": "",
    "होगी": "",
    "होंगे": "",
    "होता": "",
    "होती": "",
    "होते": "",
    "क्या": "",
    "भी": "also",
    "और": "and",
    "या": "or",
    "यह": "this",
    "ये": "this",
    "इस": "this",
    "इसका": "its",
    "इसकी": "its",
    "इसके": "its",
    "वह": "that",
    "उसका": "its",
    "उसकी": "its",
    "उसके": "its",
    "को": "",
    "ने": "",
    "करना": "",
    "करनी": "",
    "करने": "",
    "करें": "",
    "करेगा": "",
    "करेगी": "",
    "कर": "",
    "हो": "",
    "सकता": "",
    "सकती": "",
    "सकते": "",
    "चाहिए": "",
    "पड़ेगा": "",
    "पड़ेगी": "",
    "बताइए": "",
    "बताएं": "",
    "बताओ": "",
    "नहीं": "not",
    "सभी": "all",
    "सब": "all",
    "कुल": "total",
    "केवल": "only",
    "सिर्फ": "only",
    "वाला": "",
    "वाली": "",
    "वाले": "",
    "मिलेगा": "available",
    "मिलेगी": "available",
    "मिलेंगे": "available",
    "मिलता": "available",
    "मिलती": "available",
    "देना": "payable",
    "देनी": "payable",
    "लगेगा": "cost",
    "लगेगी": "cost",
    "बनता": "total",
    # Devanagari: real-estate words and the English loanwords investors write in Devanagari
    "कीमत": "price",
    "क़ीमत": "price",
    "दाम": "price",
    "मूल्य": "price",
    "दर": "rate",
    "रेट": "rate",
    "प्राइस": "price",
    "किराया": "rent",
    "भुगतान": "payment",
    "पेमेंट": "payment",
    "प्लान": "plan",
    "योजना": "plan",
    "कब्ज़ा": "possession",
    "कब्जा": "possession",
    "क़ब्ज़ा": "possession",
    "पज़ेशन": "possession",
    "पजेशन": "possession",
    "पोज़ेशन": "possession",
    "पोजेशन": "possession",
    "रेरा": "rera",
    "हरेरा": "hrera",
    "रजिस्ट्रेशन": "registration",
    "पंजीकरण": "registration",
    "नंबर": "number",
    "संख्या": "number",
    "बुकिंग": "booking",
    "राशि": "amount",
    "रकम": "amount",
    "प्रतिशत": "percent",
    "फीसदी": "percent",
    "दिन": "days",
    "साल": "years",
    "वर्ष": "years",
    "महीने": "months",
    "समय": "time",
    "बाद": "after",
    "पहले": "before",
    "अंदर": "within",
    "भीतर": "within",
    "कारपेट": "carpet",
    "कार्पेट": "carpet",
    "एरिया": "area",
    "क्षेत्रफल": "area",
    "क्षेत्र": "area",
    "सुपर": "super",
    "बिल्ट": "built",
    "अप": "up",
    "वर्ग": "sq",
    "फुट": "ft",
    "फीट": "ft",
    "मीटर": "m",
    "एकड़": "acres",
    "बीएचके": "bhk",
    "टाइप": "type",
    "यूनिट": "unit",
    "यूनिट्स": "units",
    "फ्लैट": "apartment",
    "फ्लैट्स": "apartments",
    "अपार्टमेंट": "apartment",
    "अपार्टमेंट्स": "apartments",
    "घर": "home",
    "मकान": "home",
    "कमरा": "room",
    "कमरे": "rooms",
    "बेडरूम": "bedroom",
    "बाथरूम": "bathroom",
    "किचन": "kitchen",
    "रसोई": "kitchen",
    "बालकनी": "balcony",
    "फ्लोरिंग": "flooring",
    "फर्श": "flooring",
    "टावर": "tower",
    "टॉवर": "tower",
    "टावरों": "towers",
    "मंजिल": "floor",
    "मंज़िल": "floor",
    "मंजिलें": "floors",
    "फ्लोर": "floor",
    "लिफ्ट": "lift",
    "पार्किंग": "parking",
    "कार": "car",
    "क्लब": "club",
    "क्लबहाउस": "clubhouse",
    "क्लब हाउस": "clubhouse",
    "बड़ा": "big",
    "बड़ी": "big",
    "बड़े": "big",
    "हाउस": "house",
    "स्विमिंग": "swimming",
    "पूल": "pool",
    "जिम": "gym",
    "सुविधा": "amenities",
    "सुविधाएं": "amenities",
    "सुविधाएँ": "amenities",
    "डेवलपर": "developer",
    "बिल्डर": "builder",
    "आर्किटेक्ट": "architect",
    "वास्तुकार": "architect",
    "दूर": "far",
    "दूरी": "distance",
    "पास": "near",
    "नज़दीक": "near",
    "नजदीक": "near",
    "मेट्रो": "metro",
    "स्टेशन": "station",
    "एयरपोर्ट": "airport",
    "हवाई": "air",
    "अड्डा": "port",
    "अड्डे": "port",
    "हॉस्पिटल": "hospital",
    "अस्पताल": "hospital",
    "स्कूल": "school",
    "मॉल": "mall",
    "एक्सप्रेसवे": "expressway",
    "हाईवे": "highway",
    "सड़क": "road",
    "रोड": "road",
    "सेक्टर": "sector",
    "लोकेशन": "location",
    "स्थान": "location",
    "जगह": "location",
    "प्रोजेक्ट": "project",
    "परियोजना": "project",
    "प्रोजेक्ट्स": "projects",
    "लॉन्च": "launch",
    "निर्माण": "construction",
    "ज़मीन": "land",
    "जमीन": "land",
    "प्लॉट": "plot",
    "प्लॉट्स": "plots",
    "एसी": "ac",
    "चार्ज": "charge",
    "चार्जेस": "charges",
    "शुल्क": "charges",
    "मेंटेनेंस": "maintenance",
    "रखरखाव": "maintenance",
    "जीएसटी": "gst",
    "स्टांप": "stamp",
    "ड्यूटी": "duty",
    "लाख": "lakh",
    "करोड़": "crore",
    "करोड": "crore",
    "रुपये": "rs",
    "रुपए": "rs",
}

# Words that are Hindi and never English: one of them in a Roman question makes it Hinglish.
HINGLISH_MARKERS = frozenset(
    """hai hain kya kitna kitni kitne kab kaun kaunsa kaunse kaunsi konsa konse konsi kahan kahaan
    kyun kyon kaise kaisa kaisi mein milega milegi milenge hoga hogi chahiye batao bataiye karna
    dena keemat kimat kimmat daam kiraya kabza nahi nahin aur wala wali wale sakta sakte padega
    lagega banta aayega ayega namaste namaskar haan accha acha theek thik shukriya dhanyavad
    bhej bhejo bhejiye bhejna bhejdo dijiye dijie""".split()
)
# Words that are Hindi but short or shared with English: two different ones make a question Hinglish.
WEAK_MARKERS = frozenset("ka ki ke se pe par tak ye yeh bhi kar paas saal din".split())

# What Hindi verbs of getting and paying become: too general to be what a question asks about.
GENERIC_VERBS = frozenset({"", "available", "payable", "cost", "total", "also", "not"})

NUKTA = "\u093c"


def _without_nukta(text: str) -> str:
    """ "मंज़िलें" and "मंजिलें" are one word: investors type the nukta (ज़, ड़) or leave it out."""
    return unicodedata.normalize("NFC", text).replace(NUKTA, "")


QUESTION_WORDS, POSTPOSITIONS, WORDS = (
    {_without_nukta(key): english for key, english in table.items()}
    for table in (QUESTION_WORDS, POSTPOSITIONS, WORDS)
)
_PHRASE_TABLES = (QUESTION_WORDS, POSTPOSITIONS, WORDS)
_LONGEST_PHRASE = max(len(key.split()) for table in _PHRASE_TABLES for key in table)


def normalise_text(text: str) -> str:
    """NFC (so a nukta letter is one form) and every Unicode decimal digit as an ASCII digit."""
    text = unicodedata.normalize("NFC", text)
    return "".join(str(unicodedata.digit(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def detect_language(text: str) -> str:
    """``hi`` for Devanagari, ``hinglish`` for Roman Hindi (mixed with English or not), else ``en``."""
    if len(DEVANAGARI_RE.findall(text)) >= 2:  # a Hindi word, even among English ones
        return HINDI
    words = set(re.findall(r"[a-z]+", text.lower()))
    return HINGLISH if words & HINGLISH_MARKERS or len(words & WEAK_MARKERS) >= 2 else ENGLISH


def to_english(question: str, names: NameReader | None = None) -> str:
    """``question`` as English words when it is written in Hinglish or Hindi, else unchanged.

    ``names`` reads the Devanagari spellings of names the catalogue knows ("केसर वाटिका"); other
    Devanagari words the tables do not know are left out rather than guessed."""
    text = normalise_text(question)
    if detect_language(text) == ENGLISH:
        return question
    items = _translate(TOKEN_RE.findall(text))
    read: list[Item] = []
    for kind, group in groupby(items, key=lambda item: item[0]):
        run = [english for _, english in group]
        if kind == "name":
            read.extend(("keep", english) for english in (names.read(run) if names else ["" for _ in run]))
        else:
            read.extend((kind, english) for english in run)
    return _front_question_word(read)


# An item: (kind, english) where kind is "q" (question word), "post", "word" or "keep".
Item = tuple[str, str]


def _translate(tokens: list[str]) -> list[Item]:
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_LONGEST_PHRASE, len(tokens) - i), 0, -1):
            phrase = _without_nukta(" ".join(tokens[i : i + size]).lower())
            if phrase in QUESTION_WORDS:
                items.append(("q", QUESTION_WORDS[phrase]))
            elif phrase in POSTPOSITIONS:
                items.append(("post", POSTPOSITIONS[phrase]))
            elif phrase in WORDS:
                items.append(("word", WORDS[phrase]))
            elif size == 1:
                token = tokens[i]
                # A Devanagari word the tables do not know is most often a name spelt in Hindi.
                items.append(("name" if DEVANAGARI_RE.match(token) else "keep", token))
            else:
                continue
            i += size
            break
    return items


def _front_question_word(items: list[Item]) -> str:
    """In each sentence, move the first question word, with the words it asks about, to the front.

    Those words are the ones right after it ("kitna PAY karna hai") or, when only a verb like
    "milega" follows, the ones right before it back to the last postposition ("4 BHK ka CARPET
    AREA kitna hai").
    """
    sentences: list[list[Item]] = [[]]
    for item in items:
        sentences[-1].append(item)
        if item[1] in ("?", ".", "!"):
            sentences.append([])
    return " ".join(_join(_front(sentence)) for sentence in sentences if sentence)


def _front(items: list[Item]) -> list[Item]:
    asked_at = next((n for n, (kind, _) in enumerate(items) if kind == "q"), None)
    if asked_at is None:
        return items
    after = _content_run(items[asked_at + 1 :])
    if any(english not in GENERIC_VERBS for _, english in items[asked_at + 1 : asked_at + 1 + after]):
        head = list(range(asked_at + 1, asked_at + 1 + after))
    else:
        start = asked_at
        while start > 0 and _is_word(items[start - 1]):
            start -= 1
        head = list(range(start, asked_at))
    front = [items[asked_at], *(items[n] for n in head)]
    return front + [item for n, item in enumerate(items) if n != asked_at and n not in head]


def _content_run(items: list[Item]) -> int:
    """How many items at the start of ``items`` are words (up to a postposition or the end)."""
    count = 0
    for item in items:
        if not _is_word(item):
            break
        count += 1
    return count


def _is_word(item: Item) -> bool:
    kind, english = item
    return kind in ("word", "keep") and not _is_punctuation(english)


def _is_punctuation(text: str) -> bool:
    return len(text) == 1 and not text.isalnum()


def _join(items: list[Item]) -> str:
    words = [english for _, english in items if english]
    text = " ".join(words)
    text = re.sub(r"\s+([?.!,;:])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


YES_NO_RE = re.compile(r"^\s*(is|are|does|do|did|can|could|will|would|has|have|was|were|should)\b", re.I)
# Hindi asks yes or no with "kya" / "क्या" at either end of the question and no other question word.
HINDI_YES_NO_RE = re.compile(r"^\s*(kya|क्या)(?=[\s?!.।]|$)|(?:^|\s)(kya|क्या)\s*[?।.!]*\s*$", re.I)


def is_yes_no(question: str) -> bool:
    """Whether ``question`` asks yes or no ("Is there a gym?", "Gym milega kya?", "क्या जिम है?")."""
    text = normalise_text(question)
    if YES_NO_RE.match(text):
        return True
    if not HINDI_YES_NO_RE.search(text):
        return False
    words = {w.lower() for w in TOKEN_RE.findall(text)}
    return not words & ({k for k in QUESTION_WORDS if " " not in k} - {"kya", "क्या"})
