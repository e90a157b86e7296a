"""The bot's own words in the investor's language: English, Hinglish or Hindi.

Brochure answers are the brochure's lines and stay as printed; everything the bot says in its own
voice (greeting, refusal, the qualification questions, the summary, the hand-off, notices) comes
from here. Each conversation keeps the language its investor last wrote in (``language_of``).

The texts are written in WhatsApp's words ("Reply CONNECT", "Reply STOP"); the website chat says
them through ``for_the_web``, which points at its buttons instead.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.conversation.state import Reply
from app.rag.language import ENGLISH, HINDI, HINGLISH, detect_language

LANGUAGES = (ENGLISH, HINGLISH, HINDI)

TEXTS: dict[str, dict[str, str]] = {
    "hello": {ENGLISH: "Hello!", HINGLISH: "Namaste!", HINDI: "नमस्ते!"},
    "hello_name": {ENGLISH: "Hello {name}!", HINGLISH: "Namaste {name}!", HINDI: "नमस्ते {name}!"},
    "greeting": {
        ENGLISH: "{hello} I'm the InvestoChat assistant. I answer from the official brochures of "
        "{projects} — prices, payment plans, unit sizes, locations — and cite the page. "
        "Reply STOP at any time to opt out.",
        HINGLISH: "{hello} Main InvestoChat assistant hoon. Main {projects} ke official brochures se "
        "jawab deta hoon — price, payment plan, unit size, location — page ke reference ke saath. "
        "Band karne ke liye kabhi bhi STOP bhejiye.",
        HINDI: "{hello} मैं InvestoChat सहायक हूँ। मैं {projects} के आधिकारिक ब्रोशर से जवाब देता हूँ — "
        "कीमत, भुगतान योजना, यूनिट का आकार, लोकेशन — पेज के हवाले के साथ। "
        "बंद करने के लिए कभी भी STOP भेजिए।",
    },
    "our_projects": {
        ENGLISH: "our luxury projects",
        HINGLISH: "hamare luxury projects",
        HINDI: "हमारे लग्ज़री प्रोजेक्ट्स",
    },
    "greeting_short": {
        ENGLISH: "{hello} Ask me about prices, payment plans, sizes or locations.",
        HINGLISH: "{hello} Price, payment plan, size ya location ke baare mein poochiye.",
        HINDI: "{hello} कीमत, भुगतान योजना, आकार या लोकेशन के बारे में पूछिए।",
    },
    "refusal": {
        ENGLISH: "That is not in the brochures I have{for_project}, so I won't guess. "
        "Would you like an advisor to confirm it for you? Reply CONNECT.",
        HINGLISH: "Yeh{for_project} brochures mein nahi hai, isliye main andaaza nahi lagaunga. "
        "Kya ek advisor aapke liye confirm kare? CONNECT bhejiye.",
        HINDI: "यह{for_project} ब्रोशर में नहीं है, इसलिए मैं अंदाज़ा नहीं लगाऊँगा। "
        "क्या कोई सलाहकार आपके लिए पुष्टि करे? CONNECT भेजिए।",
    },
    "which_project": {
        ENGLISH: "Which project do you mean? I have the brochures of {projects}. Ask again with its name, for example “{example}”.",
        HINGLISH: "Kaunse project ke baare mein? Mere paas {projects} ke brochures hain. Project ke naam ke saath dobara poochiye, jaise “{example}”.",
        HINDI: "आप किस प्रोजेक्ट के बारे में पूछ रहे हैं? मेरे पास {projects} के ब्रोशर हैं। प्रोजेक्ट के नाम के साथ फिर से पूछिए, जैसे “{example}”।",
    },
    "for_project": {ENGLISH: " for {project}", HINGLISH: " {project} ke", HINDI: " {project} के"},
    "welcome_back": {
        ENGLISH: "Welcome back! Ask me anything about our projects.",
        HINGLISH: "Welcome back! Hamare projects ke baare mein kuch bhi poochiye.",
        HINDI: "फिर से स्वागत है! हमारे प्रोजेक्ट्स के बारे में कुछ भी पूछिए।",
    },
    "rate_limited": {
        ENGLISH: "You're sending messages faster than I can answer. Give me a minute and try again.",
        HINGLISH: "Aap itni jaldi messages bhej rahe hain ki main jawab nahi de pa raha. Ek minute baad phir try kijiye.",
        HINDI: "आप इतनी जल्दी संदेश भेज रहे हैं कि मैं जवाब नहीं दे पा रहा। एक मिनट बाद फिर कोशिश कीजिए।",
    },
    "pii_warning": {
        ENGLISH: "For your safety I removed an {kinds} number from your message. Please don't share "
        "Aadhaar, PAN, card numbers or OTPs here — we never need them on chat.",
        HINGLISH: "Aapki safety ke liye maine aapke message se {kinds} number hata diya. Kripya yahan "
        "Aadhaar, PAN, card number ya OTP share na karein — chat par inki kabhi zaroorat nahi hoti.",
        HINDI: "आपकी सुरक्षा के लिए मैंने आपके संदेश से {kinds} नंबर हटा दिया। कृपया यहाँ आधार, पैन, "
        "कार्ड नंबर या OTP साझा न करें — चैट पर इनकी कभी ज़रूरत नहीं होती।",
    },
    "media": {
        ENGLISH: "Thanks! I can only read text messages for now. Please type your question — for example "
        "“What is the payment plan?”",
        HINGLISH: "Thanks! Abhi main sirf text messages padh sakta hoon. Apna sawaal type kijiye — jaise "
        "“Payment plan kya hai?”",
        HINDI: "धन्यवाद! अभी मैं सिर्फ़ टेक्स्ट संदेश पढ़ सकता हूँ। अपना सवाल लिखिए — जैसे “भुगतान योजना क्या है?”",
    },
    "connect_first": {
        ENGLISH: "Happy to connect you with an advisor — four quick questions first, so the right person calls you.",
        HINGLISH: "Advisor se zaroor connect karenge — pehle chaar chhote sawaal, taaki sahi vyakti aapko call kare.",
        HINDI: "सलाहकार से ज़रूर जोड़ेंगे — पहले चार छोटे सवाल, ताकि सही व्यक्ति आपको कॉल करे।",
    },
    "connect_pending": {
        ENGLISH: "Sure — just this quick question first, so the right advisor calls you.",
        HINGLISH: "Zaroor — bas pehle yeh chhota sawaal, taaki sahi advisor aapko call kare.",
        HINDI: "ज़रूर — बस पहले यह छोटा सवाल, ताकि सही सलाहकार आपको कॉल करे।",
    },
    "with_advisor": {
        ENGLISH: "Your advisor already has your request and will get back to you here. Meanwhile, ask me anything "
        "about the project.",
        HINGLISH: "Aapke advisor ke paas aapki request hai, woh yahin jawab denge. Tab tak project ke baare mein kuch "
        "bhi poochiye.",
        HINDI: "आपके सलाहकार के पास आपका अनुरोध है, वे यहीं जवाब देंगे। तब तक प्रोजेक्ट के बारे में कुछ भी पूछिए।",
    },
    "passed_to_advisor": {
        ENGLISH: "That is not in the brochures I have{for_project}, so I won't guess. I've passed your question to "
        "your advisor, who will reply here.",
        HINGLISH: "Yeh{for_project} brochures mein nahi hai, isliye main andaaza nahi lagaunga. Aapka sawaal aapke "
        "advisor ko bhej diya hai, woh yahin jawab denge.",
        HINDI: "यह{for_project} ब्रोशर में नहीं है, इसलिए मैं अंदाज़ा नहीं लगाऊँगा। आपका सवाल आपके सलाहकार को भेज "
        "दिया है, वे यहीं जवाब देंगे।",
    },
    "advisor_will_confirm": {
        ENGLISH: "I've asked your advisor to confirm it for you.",
        HINGLISH: "Maine aapke advisor se confirm karne ko kaha hai.",
        HINDI: "मैंने आपके सलाहकार से पुष्टि करने को कहा है।",
    },
    "no_problem": {
        ENGLISH: "No problem. Ask me anything about the projects whenever you like.",
        HINGLISH: "Koi baat nahi. Projects ke baare mein jab chahein kuch bhi poochiye.",
        HINDI: "कोई बात नहीं। प्रोजेक्ट्स के बारे में जब चाहें कुछ भी पूछिए।",
    },
    "opted_out": {
        ENGLISH: "You're unsubscribed and won't hear from us again. Reply START to resume.",
        HINGLISH: "Aap unsubscribe ho gaye hain, ab hum message nahi karenge. Dobara shuru karne ke liye START bhejiye.",
        HINDI: "आपकी सदस्यता बंद हो गई है, अब हम संदेश नहीं भेजेंगे। फिर से शुरू करने के लिए START भेजिए।",
    },
    "handoff": {
        ENGLISH: "Done! Your reference is {reference}. An InvestoChat advisor will call you {call_window}.",
        HINGLISH: "Ho gaya! Aapka reference {reference} hai. InvestoChat ka advisor aapko call karega "
        "({call_window}).",
        HINDI: "हो गया! आपका रेफ़रेंस {reference} है। InvestoChat के सलाहकार आपको कॉल करेंगे ({call_window})।",
    },
    # Qualification: the question, an example answer, and the ways of asking it.
    "ask": {
        ENGLISH: "{prompt} Pick below or type it ({example}). Reply SKIP to pass.",
        HINGLISH: "{prompt} Neeche se chuniye ya type kijiye ({example}). Chhodne ke liye SKIP bhejiye.",
        HINDI: "{prompt} नीचे से चुनिए या लिखिए ({example})। छोड़ने के लिए SKIP भेजिए।",
    },
    "ask_again": {
        ENGLISH: "Back to my question: {prompt}",
        HINGLISH: "Mera sawaal: {prompt}",
        HINDI: "मेरा सवाल: {prompt}",
    },
    "ask_help": {
        ENGLISH: "Sorry, I didn't catch that. {prompt} You can type it, {example}, or pick below.",
        HINGLISH: "Maaf kijiye, samajh nahi aaya. {prompt} Type kar sakte hain, {example}, ya neeche se chuniye.",
        HINDI: "माफ़ कीजिए, समझ नहीं आया। {prompt} आप लिख सकते हैं, {example}, या नीचे से चुनिए।",
    },
    "choose": {ENGLISH: "Choose", HINGLISH: "Chuniye", HINDI: "चुनिए"},
    "budget": {
        ENGLISH: "What budget do you have in mind?",
        HINGLISH: "Aapka budget kitna hai?",
        HINDI: "आपका बजट कितना है?",
    },
    "budget_example": {
        ENGLISH: "e.g. “₹3-5 Cr”, “2.5 cr” or “under 3 crore”",
        HINGLISH: "jaise “₹3-5 Cr”, “2.5 cr” ya “3 crore tak”",
        HINDI: "जैसे “₹3-5 करोड़”, “2.5 करोड़” या “3 करोड़ तक”",
    },
    "area": {
        ENGLISH: "Which locations interest you?",
        HINGLISH: "Kaunsi locations aapko pasand hain?",
        HINDI: "कौन सी लोकेशन आपको पसंद है?",
    },
    "area_example": {
        ENGLISH: "e.g. “Golf Course Road”, “Sector 63A” or “Dwarka Expressway”",
        HINGLISH: "jaise “Golf Course Road”, “Sector 63A” ya “Dwarka Expressway”",
        HINDI: "जैसे “Golf Course Road”, “Sector 63A” या “Dwarka Expressway”",
    },
    "timeline": {
        ENGLISH: "When are you planning to buy?",
        HINGLISH: "Aap kab tak khareedna chahte hain?",
        HINDI: "आप कब तक खरीदना चाहते हैं?",
    },
    "timeline_example": {
        ENGLISH: "e.g. “immediately”, “in 1-3 months” or “just exploring”",
        HINGLISH: "jaise “abhi”, “2 mahine mein” ya “just exploring”",
        HINDI: "जैसे “अभी”, “2 महीने में” या “बस देख रहे हैं”",
    },
    "unit": {
        ENGLISH: "What kind of home are you looking for?",
        HINGLISH: "Aapko kaisa ghar chahiye?",
        HINDI: "आपको कैसा घर चाहिए?",
    },
    "unit_example": {
        ENGLISH: "e.g. “3 BHK”, “4 BHK + servant” or “penthouse”",
        HINGLISH: "jaise “3 BHK”, “4 BHK + servant” ya “penthouse”",
        HINDI: "जैसे “3 BHK”, “4 BHK + servant” या “penthouse”",
    },
    "summary": {
        ENGLISH: "Here's what I have:\n• Budget: {budget}\n• Location: {areas}\n• Timeline: {timeline}\n"
        "• Home: {home}\nShall I connect you with an advisor who specialises in this? Reply YES or tap below.",
        HINGLISH: "Aapki details:\n• Budget: {budget}\n• Location: {areas}\n• Timeline: {timeline}\n"
        "• Ghar: {home}\nKya main aapko is area ke specialist advisor se connect karoon? YES bhejiye ya "
        "neeche tap kijiye.",
        HINDI: "आपकी जानकारी:\n• बजट: {budget}\n• लोकेशन: {areas}\n• समय: {timeline}\n• घर: {home}\n"
        "क्या मैं आपको इसके विशेषज्ञ सलाहकार से जोड़ूँ? YES भेजिए या नीचे टैप कीजिए।",
    },
    "connect_button": {ENGLISH: "Yes, connect me", HINGLISH: "Haan, connect karein", HINDI: "हाँ, जोड़िए"},
    "not_now_button": {ENGLISH: "Not now", HINGLISH: "Abhi nahi", HINDI: "अभी नहीं"},
    # The brochure file, asked for ("send me the brochure").
    "brochure_sent": {
        ENGLISH: "Here is the {project} brochure (PDF). Ask me anything about it.",
        HINGLISH: "Yeh raha {project} ka brochure (PDF). Iske baare mein kuch bhi poochiye.",
        HINDI: "यह रहा {project} का ब्रोशर (PDF)। इसके बारे में कुछ भी पूछिए।",
    },
    "brochure_missing": {
        ENGLISH: "I don't have the {project} brochure as a file to send, but I can answer from it: "
        "ask about prices, sizes, the payment plan or the location.",
        HINGLISH: "{project} ka brochure file ke roop mein mere paas nahi hai, par main usse jawab de sakta "
        "hoon: price, size, payment plan ya location poochiye.",
        HINDI: "{project} का ब्रोशर फ़ाइल के रूप में मेरे पास नहीं है, पर मैं उससे जवाब दे सकता हूँ: "
        "कीमत, आकार, भुगतान योजना या लोकेशन पूछिए।",
    },
    "which_brochure": {
        ENGLISH: "Which project's brochure would you like? {projects}",
        HINGLISH: "Kis project ka brochure chahiye? {projects}",
        HINDI: "किस प्रोजेक्ट का ब्रोशर चाहिए? {projects}",
    },
    "answer_disputed": {
        ENGLISH: "Sorry about that. Could you ask it again in other words? The team will check the brochure "
        "for it.",
        HINGLISH: "Maaf kijiye. Kya aap ise doosre shabdon mein phir se pooch sakte hain? Team brochure mein "
        "check karegi.",
        HINDI: "माफ़ कीजिए। क्या आप इसे दूसरे शब्दों में फिर से पूछ सकते हैं? टीम ब्रोशर में इसकी जाँच करेगी।",
    },
    "visit_unavailable": {
        ENGLISH: "That time is no longer available. Your advisor will send new times.",
        HINGLISH: "Yeh time ab available nahi hai. Aapke advisor naye time bhejenge.",
        HINDI: "यह समय अब उपलब्ध नहीं है। आपके सलाहकार नए समय भेजेंगे।",
    },
    # The investor picked one of the site-visit times a broker offered.
    "visit_booked": {
        # {project} is the project's name and a space, or nothing.
        ENGLISH: "Booked: your {project}site visit on {when}. Your advisor will confirm and meet you there.",
        HINGLISH: "Book ho gaya: aapki {project}site visit {when} ko. Aapke advisor confirm karke wahan milenge.",
        HINDI: "बुक हो गया: आपकी {project}साइट विज़िट {when} को। आपके सलाहकार पुष्टि करके वहाँ मिलेंगे।",
    },
    # The website chat's button that asks for an advisor (what "CONNECT" does on WhatsApp).
    "advisor_button": {
        ENGLISH: "Talk to an advisor",
        HINGLISH: "Advisor se baat karein",
        HINDI: "सलाहकार से बात करें",
    },
}

# What the website chat says instead of WhatsApp's keyword instructions, in every language (an
# English brochure answer may end a Hindi conversation's reply). A chat on a developer's site has
# buttons to tap and no STOP to send: closing it is enough.
WEB_WORDING: tuple[tuple[str, str], ...] = (
    ("Reply CONNECT.", "Tap “Talk to an advisor”."),
    ("reply CONNECT and", "tap “Talk to an advisor” and"),
    (" Reply STOP at any time to opt out.", ""),
    ("Reply START to resume.", "Type START to resume."),
    ("Reply SKIP to pass.", "Type “skip” to pass."),
    ("Reply YES or tap below.", "Tap below."),
    ("CONNECT bhejiye.", "“Advisor se baat karein” dabaiye."),
    (" Band karne ke liye kabhi bhi STOP bhejiye.", ""),
    ("START bhejiye.", "START likhiye."),
    ("SKIP bhejiye.", "“skip” likhiye."),
    ("YES bhejiye ya neeche tap kijiye.", "Neeche tap kijiye."),
    ("CONNECT भेजिए।", "“सलाहकार से बात करें” दबाइए।"),
    (" बंद करने के लिए कभी भी STOP भेजिए।", ""),
    ("START भेजिए।", "START लिखिए।"),
    ("SKIP भेजिए।", "“skip” लिखिए।"),
    ("YES भेजिए या नीचे टैप कीजिए।", "नीचे टैप कीजिए।"),
)

# English words that names and short answers ("Golf Course Road", "3 BHK", "5 cr") do not use:
# a message needs one of them, among three English words, to switch the conversation to English.
_ENGLISH_WORDS = frozenset(
    """what which when where who why how is are was will would can could do does did the a an
    of for to in on with about please tell me my i we you your there this that it and or want
    need any price""".split()
)
_MIN_ENGLISH_WORDS = 3


def text(key: str, language: str | None, **values: object) -> str:
    """The bot's text ``key`` in ``language`` (English when unknown), with ``values`` filled in."""
    variants = TEXTS[key]
    template = variants.get(language or ENGLISH, variants[ENGLISH])
    return template.format(**values) if values else template


def web_wording(body: str) -> str:
    """``body`` as the website chat says it: its buttons where WhatsApp asks for a keyword."""
    for whatsapp, web in WEB_WORDING:
        body = body.replace(whatsapp, web)
    return body


CONNECT_WORD_RE = re.compile(r"\bCONNECT\b")


def for_the_web(reply: Reply, language: str | None) -> Reply:
    """``reply`` for the website chat: reworded (``web_wording``), and an offer to connect, which
    WhatsApp answers with a typed CONNECT, carries the "Talk to an advisor" button (it sends what
    CONNECT does). A reply with buttons or a list of its own keeps them."""
    # The keyword itself, not a brochure's capitals ("SEAMLESS CONNECTIVITY").
    offers_advisor = bool(CONNECT_WORD_RE.search(reply.body)) and not (reply.buttons or reply.rows)
    buttons = (("connect", text("advisor_button", language)),) if offers_advisor else reply.buttons
    return replace(reply, body=web_wording(reply.body), buttons=buttons)


def language_of(message: str, current: str | None) -> str:
    """The conversation's language after ``message``: Hindi or Hinglish as soon as the investor
    writes it, English again once they write a sentence of English, otherwise unchanged."""
    detected = detect_language(message)
    if detected != ENGLISH:
        return detected
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", message)]
    if len(words) >= _MIN_ENGLISH_WORDS and _ENGLISH_WORDS.intersection(words):
        return ENGLISH
    return current if current in LANGUAGES else ENGLISH
