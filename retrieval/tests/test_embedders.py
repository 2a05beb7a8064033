import json
from pathlib import Path

import numpy as np
import pytest
import vcr

from retrieval.embedders import EmbedderUnavailable, LocalEmbedder, OpenAIEmbedder, get_embedder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REFERENCE = json.loads((FIXTURES / "embeddings" / "all-MiniLM-L6-v2.json").read_text())
cassettes = vcr.VCR(
    cassette_library_dir=str(FIXTURES / "cassettes"),
    serializer="json",
    record_mode="none",
    match_on=["method", "uri", "body"],
    filter_headers=["authorization"],
)


def test_it_matches_sentence_transformers_on_the_reference_sentences():
    texts = [item["text"] for item in REFERENCE["items"]]
    reference = np.array([item["vector"] for item in REFERENCE["items"]], dtype=np.float32)

    vectors = get_embedder("local").embed(texts)

    cosines = (vectors * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert vectors.shape == (len(texts), 384)
    assert cosines.min() >= 0.99, dict(zip(texts, cosines.round(4), strict=True))


def test_it_gives_the_same_vector_alone_or_in_a_padded_batch():
    embedder = get_embedder("local")
    texts = ["VPN drops", "The VPN client disconnects every ten minutes when I work from home on Wi-Fi"]

    batched = embedder.embed(texts)
    alone = np.vstack([embedder.embed([text]) for text in texts])

    np.testing.assert_allclose(batched, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_it_loads_the_local_model_once_per_process():
    assert get_embedder("local") is get_embedder()
    assert isinstance(get_embedder(), LocalEmbedder)
    assert get_embedder().model_name == "local:all-MiniLM-L6-v2"


def test_it_embeds_with_openai_in_batches_and_retries_a_server_error():
    embedder = OpenAIEmbedder(api_key="sk-test", model="text-embedding-3-small")
    embedder.batch_size = 2
    texts = [
        "Printer shows paper jam but nothing is stuck",
        "Cannot connect to the office Wi-Fi",
        "Outlook keeps asking for my password",
    ]

    with cassettes.use_cassette("openai_embeddings.json") as cassette:
        vectors = embedder.embed(texts)

    recorded = json.loads((FIXTURES / "cassettes" / "openai_embeddings.json").read_text())["interactions"]
    first_batch = sorted(
        json.loads(recorded[1]["response"]["body"]["string"])["data"], key=lambda d: d["index"]
    )
    expected = np.array(first_batch[0]["embedding"], dtype=np.float32)
    assert cassette.play_count == 3  # 500, then the retry, then the second batch
    assert embedder.model_name == "openai:text-embedding-3-small"
    assert vectors.shape == (3, 1536)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], expected / np.linalg.norm(expected), atol=1e-6)


def test_it_reports_an_openai_auth_error_without_retrying():
    embedder = OpenAIEmbedder(api_key="sk-test", model="text-embedding-3-small")

    with (
        cassettes.use_cassette("openai_embeddings_unauthorized.json") as cassette,
        pytest.raises(EmbedderUnavailable, match="AuthenticationError"),
    ):
        embedder.embed(["VPN drops every ten minutes"])

    assert cassette.play_count == 1


def test_it_refuses_an_unknown_embedder_and_openai_without_a_key(settings):
    settings.OPENAI_API_KEY = ""

    with pytest.raises(EmbedderUnavailable, match="unknown embedder"):
        get_embedder("word2vec")
    with pytest.raises(EmbedderUnavailable, match="OPENAI_API_KEY"):
        get_embedder("openai")
