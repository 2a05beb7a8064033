"""Tokenising and sentence splitting shared by BM25 and the reply judges (plain, language-agnostic rules)."""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
CLAUSE_BREAK = re.compile(r"[;:,]\s*|\s+(?:and|then|so|after)\s+", re.IGNORECASE)
CITATION = re.compile(r"\[[^\[\]]{1,40}\]")

# A small English stop list: enough that "the" and "my" do not dominate BM25 or the fact judge.
STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have he her his how i if in
    into is it its just me my no not of on or our out so than that the their them then there these they this
    to too up us was we were what when where which while who why will with would you your yours i'm it's
    don't doesn't can't won't isn't we're they're please thanks thank hi hello also any some get got
    """.split()  # noqa: SIM905 - a word list reads better as prose
)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def key_tokens(text: str) -> list[str]:
    """Content words: lower-cased, stop words and one-letter tokens removed."""
    return [word for word in words(text) if word not in STOPWORDS and len(word) > 1]


def sentences(text: str) -> list[str]:
    """Sentences and list items of a reply, with citation markers like [ticket:12] removed."""
    found = []
    for line in text.splitlines():
        for part in SENTENCE_END.split(LIST_MARKER.sub("", line)):
            part = CITATION.sub("", part).strip()
            if part:
                found.append(part)
    return found


def clauses(text: str) -> list[str]:
    """Sentences cut further at commas, semicolons and "and"/"then": one action each, mostly."""
    return [
        part.strip() for sentence in sentences(text) for part in CLAUSE_BREAK.split(sentence) if part.strip()
    ]
