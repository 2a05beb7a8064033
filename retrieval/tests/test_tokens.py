import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval import tokens

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_encoding():
    tokens.get_encoding.cache_clear()
    yield
    tokens.get_encoding.cache_clear()


def test_it_encodes_with_o200k_base_offline(tmp_path):
    """A fresh process with an empty tiktoken cache and an unroutable proxy: nothing can be fetched."""
    script = (
        "from retrieval import tokens; e = tokens.get_encoding(); "
        "print(e.name, e.n_vocab, tokens.encode('hello world'), tokens.count_tokens('Outlook keeps asking'))"
    )
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path),
        "DATA_GYM_CACHE_DIR": str(tmp_path),
        "HTTPS_PROXY": "http://10.255.255.1:9",
        "HTTP_PROXY": "http://10.255.255.1:9",
        "NO_PROXY": "",
    }

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    # The ids tiktoken's own o200k_base gives (GPT-4o); n_vocab counts the two special tokens' range.
    assert result.stdout.split() == ["o200k_base", "200019", "[24912,", "2375]", "4"]
    assert list(tmp_path.iterdir()) == []


def test_it_round_trips_text_and_truncates_to_a_budget():
    text = "Le café ☕ ne s'allume plus — 3 tentatives, erreur 0x80070005.\n<|endoftext|>"

    assert tokens.decode(tokens.encode(text)) == text
    assert tokens.count_tokens(tokens.truncate(text, 5)) <= 5
    assert tokens.truncate(text, 10_000) == text


def test_it_falls_back_to_byte_counting_when_the_file_is_missing(
    fresh_encoding, monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr(tokens, "ENCODING_FILE", tmp_path / "missing.tiktoken.gz")

    assert tokens.count_tokens("héllo") == 6
    assert tokens.decode(tokens.encode("héllo wörld")) == "héllo wörld"
    assert "counting one token per byte" in caplog.text


def test_it_refuses_a_damaged_encoding_file(fresh_encoding, monkeypatch, tmp_path):
    damaged = tmp_path / "o200k_base.tiktoken.gz"
    damaged.write_bytes(gzip.compress(b"aGVsbG8= 0\n"))
    monkeypatch.setattr(tokens, "ENCODING_FILE", damaged)

    with pytest.raises(tokens.EncodingFileError):
        tokens.load_ranks()
    assert isinstance(tokens.get_encoding(), tokens.ByteFallbackEncoding)
