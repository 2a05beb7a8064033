"""Token counting with tiktoken's o200k_base (GPT-4o's encoding), fully offline.

tiktoken normally downloads its encodings on first use; this machine (and production behind a firewall)
may have no network, so the encoding ships in `retrieval/data/o200k_base.tiktoken.gz` and is built here
from those bytes, checked against the hash tiktoken itself expects. If the file is missing or damaged,
a byte-level fallback keeps everything working: it counts one token per UTF-8 byte, which over-counts
(about 4x on English), so token budgets stay safe, only smaller than they could be.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import logging
from pathlib import Path

import tiktoken

logger = logging.getLogger(__name__)

ENCODING_NAME = "o200k_base"
ENCODING_FILE = Path(__file__).resolve().parent / "data" / "o200k_base.tiktoken.gz"
# sha256 of the decompressed file, the `expected_hash` in tiktoken_ext.openai_public.o200k_base.
ENCODING_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
ENCODING_RANKS = 199998
# The regex and special tokens of tiktoken_ext.openai_public.o200k_base, copied so nothing imports the
# plugin (which would fetch the ranks over the network).
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
O200K_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}


class EncodingFileError(ValueError):
    """The bundled encoding file does not hold the ranks tiktoken expects."""


class ByteFallbackEncoding:
    """Used only when the bundled encoding cannot be read: one token per UTF-8 byte, lossless."""

    name = "bytes-fallback"

    def encode(self, text: str, **_kwargs) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")


def load_ranks(path: Path | None = None) -> dict[bytes, int]:
    """The mergeable ranks from the gzipped .tiktoken file, verified by hash and size."""
    path = path or ENCODING_FILE
    contents = gzip.decompress(path.read_bytes())
    digest = hashlib.sha256(contents).hexdigest()
    if digest != ENCODING_SHA256:
        raise EncodingFileError(f"{path} has sha256 {digest}, expected {ENCODING_SHA256}")
    ranks = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    if len(ranks) != ENCODING_RANKS:
        raise EncodingFileError(f"{path} holds {len(ranks)} ranks, expected {ENCODING_RANKS}")
    return ranks


@functools.cache
def get_encoding() -> tiktoken.Encoding | ByteFallbackEncoding:
    """The o200k_base encoding built from the bundled file (once per process), or the byte fallback."""
    try:
        ranks = load_ranks()
    except (OSError, EOFError, EncodingFileError, ValueError) as error:
        logger.warning(
            "tiktoken encoding %s unavailable (%s); counting one token per byte instead", ENCODING_NAME, error
        )
        return ByteFallbackEncoding()
    return tiktoken.Encoding(
        name=ENCODING_NAME,
        pat_str=O200K_PAT_STR,
        mergeable_ranks=ranks,
        special_tokens=O200K_SPECIAL_TOKENS,
    )


def encode(text: str) -> list[int]:
    # Special-token strings inside tickets are user data, so they are encoded as plain text.
    return get_encoding().encode(text, disallowed_special=())


def decode(ids: list[int]) -> str:
    return get_encoding().decode(ids)


def count_tokens(text: str) -> int:
    return len(encode(text))


def truncate(text: str, max_tokens: int) -> str:
    """The longest prefix of `text` that fits in `max_tokens` tokens."""
    ids = encode(text)
    return text if len(ids) <= max_tokens else decode(ids[:max_tokens])
