"""The text rules of the chat → ticket handoff: a title in the customer's own words, the steps an answer
suggested.

Plain functions of text, so the rules are tested on real-looking messages without a database;
`chat.selectors.conversation_handoff_summary` assembles them from a conversation.
"""

from __future__ import annotations

import re

TITLE_MAX_LENGTH = 80

# Openers that carry no problem: greetings, then hedges and requests for help, removed from the front.
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening)|dear \w+)"
    r"(?: (?:there|all|everyone|team|support|helpdesk|help desk|folks|guys))?[\s,.!:;-]*)+",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:(?:ok(?:ay)?|so|um+|uh+|well|sorry to bother you|sorry|quick question|basically|"
    r"i think(?: that)?|i believe(?: that)?|i guess|it seems(?: that| like)?|i was wondering if|"
    r"i have a (?:problem|question|issue)(?: with)?|i need (?:some )?help(?: with)?|"
    r"(?:can|could) (?:you|someone|somebody) (?:please )?help(?: me)?(?: with)?|please help(?: me)?|"
    r"(?:is |are )?(?:any(?:one|body)|some(?:one|body)|you) (?:there|around|here)|help(?: me)?|please|just)\b"
    r"[\s,.!:;?-]*)+",
    re.IGNORECASE,
)
# Words a title should not end on once it is cut short.
_DANGLING = {
    "a", "an", "the", "and", "or", "but", "because", "so", "which", "that", "to", "of", "from", "with",
    "for", "in", "on", "at", "when", "if", "my", "our", "is", "are", "it",
}  # fmt: skip
# Spelled as people expect to read them in a ticket queue.
_SPELLINGS = {
    "i": "I", "i'm": "I'm", "i've": "I've", "i'd": "I'd", "i'll": "I'll",
    "vpn": "VPN", "pc": "PC", "usb": "USB", "hdmi": "HDMI", "sso": "SSO", "mfa": "MFA", "2fa": "2FA",
    "pin": "PIN", "dns": "DNS", "wifi": "Wi-Fi", "wi-fi": "Wi-Fi", "outlook": "Outlook",
    "excel": "Excel", "onedrive": "OneDrive", "sharepoint": "SharePoint", "windows": "Windows",
}  # fmt: skip
_QUESTION_START = re.compile(
    r"^(?:how|why|what|where|when|who|which|can|could|is|are|does|do|did|should|will|would)\b", re.IGNORECASE
)
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(?P<step>.+)$")
_MARKERS = re.compile(r"\s*\[\d+\]")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _spelled(text: str) -> str:
    return re.sub(
        r"[A-Za-z0-9'-]+",
        lambda m: _SPELLINGS.get(m.group(0).lower(), m.group(0)),
        text.replace("\u2019", "'"),
    )


def _stripped(sentence: str) -> str:
    """The sentence without the greeting and filler it opens with."""
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _FILLER.sub("", _GREETING.sub("", sentence)).strip()
    return sentence


def _shortened(text: str) -> str:
    if len(text) <= TITLE_MAX_LENGTH:
        return text
    head = text[: TITLE_MAX_LENGTH - 1]
    words = head.split()
    if len(words) > 1 and not text[len(head)].isspace():
        words.pop()  # the last word was cut in the middle
    while len(words) > 1 and words[-1].lower().strip(",;:-") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(",;:- ") + "\u2026"


def problem_statement(text: str, *, min_words: int = 2) -> str:
    """A title from one customer message: its first sentence of `min_words` or more once greetings and
    filler are removed, capitalised, cut at a word boundary; "" when the message is only a greeting."""
    for sentence in _sentences(text):
        statement = _stripped(sentence)
        if len(re.findall(r"[^\W_]+", statement)) < min_words:
            continue
        question = statement.endswith("?") and bool(_QUESTION_START.match(statement))
        statement = _spelled(statement.rstrip(" .!?,;:-"))
        statement = statement[0].upper() + statement[1:]
        return _shortened(statement + ("?" if question else ""))
    return ""


def handoff_title(customer_messages: list[str]) -> str:
    """The problem as the customer first stated it: from the first message that says something (a
    one-word message only when no message says more)."""
    for min_words in (2, 1):
        for body in customer_messages:
            title = problem_statement(body, min_words=min_words)
            if title:
                return title
    return ""


def suggested_steps(answer: str) -> list[str]:
    """The steps an assistant answer suggested: the lines under a heading that ends with a colon ("What
    fixed it:", "In a similar resolved case, this fixed it:") and any numbered line, citation markers and
    numbers removed. The greeting, the framing sentences and the closing offer are left out."""
    steps = []
    for paragraph in re.split(r"\n\s*\n", _MARKERS.sub("", answer)):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        under_heading = bool(lines) and lines[0].endswith(":")
        for line in lines[1:] if under_heading else lines:
            numbered = _NUMBERED.match(line)
            if numbered or under_heading:
                steps.append(numbered.group("step").strip() if numbered else line)
    return steps
