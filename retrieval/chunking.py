"""How a document's text becomes the token windows that are embedded and searched."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from retrieval import tokens

# Windows of the document in o200k tokens. all-MiniLM-L6-v2 reads at most 256 word pieces, and English
# text has a few more word pieces than o200k tokens, so 200-token windows are read whole.
CHUNK_TOKENS = 200
CHUNK_OVERLAP = 40
# Public replies shorter than this ("Thanks!", "ok") add noise, not knowledge: a document leaves them out.
MIN_REPLY_CHARS = 25


@dataclass(frozen=True)
class ChunkText:
    ordinal: int
    text: str
    token_count: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def chunk_text(title: str, text: str) -> list[ChunkText]:
    """Windows of CHUNK_TOKENS tokens overlapping by CHUNK_OVERLAP; windows after the first restate the
    title so each chunk still says what it is about when read (or embedded) alone."""
    ids = tokens.encode(text)
    if len(ids) <= CHUNK_TOKENS:
        return [ChunkText(0, text, len(ids))]
    chunks = []
    step = CHUNK_TOKENS - CHUNK_OVERLAP
    for ordinal, start in enumerate(range(0, len(ids) - CHUNK_OVERLAP, step)):
        window = tokens.decode(ids[start : start + CHUNK_TOKENS]).strip()
        body = window if ordinal == 0 else f"{title}\n{window}"
        chunks.append(ChunkText(ordinal, body, tokens.count_tokens(body)))
    return chunks
