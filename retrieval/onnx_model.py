"""all-MiniLM-L6-v2 as an ONNX graph, built from the same safetensors weights as the numpy forward pass.

No torch and no download: `onnx.helper` writes the graph with ONNX Runtime's fused CPU operators
(com.microsoft EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu — what ORT's own
transformer optimizer would produce), so ORT runs one kernel per block instead of numpy's many passes.
The built model is cached under VAR_DIR, keyed by the weights' hash, so a process builds it once per
weights file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

OPSET = 17
CONTRIB = "com.microsoft"


def weights_digest(model_dir: Path) -> str:
    """A short hash of the weights and config, so a cached graph is never reused for other weights."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        with (model_dir / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def build_model(model_dir: Path):
    """The encoder and its masked mean pooling: (input_ids, attention_mask) int32 [B, L] → [B, 384]."""
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    eps = float(config["layer_norm_eps"])
    w = {
        name: value.astype(np.float32)
        for name, value in load_file(str(model_dir / "model.safetensors")).items()
    }
    initializers = []
    nodes = []

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def linear(name: str) -> str:
        # Stored (out, in); the graph multiplies x @ W.
        return constant(name, w[name].T)

    # token_type_ids are always 0 here, so type embedding 0 is folded into the position table.
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            [
                "input_ids",
                "",
                constant("word", w["embeddings.word_embeddings.weight"]),
                constant(
                    "position",
                    w["embeddings.position_embeddings.weight"]
                    + w["embeddings.token_type_embeddings.weight"][0],
                ),
                "",
                constant("embed_gamma", w["embeddings.LayerNorm.weight"]),
                constant("embed_beta", w["embeddings.LayerNorm.bias"]),
            ],
            ["hidden_0", "unused_mask_index"],
            domain=CONTRIB,
            epsilon=eps,
        )
    )
    hidden = "hidden_0"
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        qkv_weight = np.concatenate(
            [w[f"{p}attention.self.{n}.weight"].T for n in ("query", "key", "value")], 1
        )
        qkv_bias = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
        nodes += [
            helper.make_node(
                "Attention",
                [
                    hidden,
                    constant(f"{p}qkv_w", qkv_weight),
                    constant(f"{p}qkv_b", qkv_bias),
                    "attention_mask",
                ],
                [f"{p}context"],
                domain=CONTRIB,
                num_heads=config["num_attention_heads"],
            ),
            helper.make_node(
                "MatMul", [f"{p}context", linear(f"{p}attention.output.dense.weight")], [f"{p}attended"]
            ),
            helper.make_node(
                "SkipLayerNormalization",
                [
                    f"{p}attended",
                    hidden,
                    constant(f"{p}ln1_gamma", w[f"{p}attention.output.LayerNorm.weight"]),
                    constant(f"{p}ln1_beta", w[f"{p}attention.output.LayerNorm.bias"]),
                    constant(f"{p}ln1_bias", w[f"{p}attention.output.dense.bias"]),
                ],
                [f"{p}normed"],
                domain=CONTRIB,
                epsilon=eps,
            ),
            helper.make_node(
                "MatMul", [f"{p}normed", linear(f"{p}intermediate.dense.weight")], [f"{p}inner"]
            ),
            helper.make_node(
                "BiasGelu",
                [f"{p}inner", constant(f"{p}inner_bias", w[f"{p}intermediate.dense.bias"])],
                [f"{p}gelu"],
                domain=CONTRIB,
            ),
            helper.make_node("MatMul", [f"{p}gelu", linear(f"{p}output.dense.weight")], [f"{p}ffn"]),
            helper.make_node(
                "SkipLayerNormalization",
                [
                    f"{p}ffn",
                    f"{p}normed",
                    constant(f"{p}ln2_gamma", w[f"{p}output.LayerNorm.weight"]),
                    constant(f"{p}ln2_beta", w[f"{p}output.LayerNorm.bias"]),
                    constant(f"{p}ln2_bias", w[f"{p}output.dense.bias"]),
                ],
                [f"hidden_{layer + 1}"],
                domain=CONTRIB,
                epsilon=eps,
            ),
        ]
        hidden = f"hidden_{layer + 1}"
    nodes += [
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", constant("axis_2", np.array([2], np.int64))], ["mask_3d"]),
        helper.make_node("Mul", [hidden, "mask_3d"], ["masked"]),
        helper.make_node(
            "ReduceSum", ["masked", constant("axis_1", np.array([1], np.int64))], ["summed"], keepdims=0
        ),
        helper.make_node("ReduceSum", ["mask_f", "axis_1"], ["count"], keepdims=1),
        helper.make_node("Max", ["count", constant("tiny", np.array(1e-9, np.float32))], ["count_safe"]),
        helper.make_node("Div", ["summed", "count_safe"], ["pooled"]),
    ]
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT32, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT32, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", config["hidden_size"]])],
        initializers,
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(CONTRIB, 1)], ir_version=8
    )


def cached_model_path(model_dir: Path, cache_dir: Path, *, int8: bool) -> Path:
    """The built (and, for int8, dynamically quantized) model file, built on first use."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = f"all-MiniLM-L6-v2-{weights_digest(model_dir)}"
    fp32 = cache_dir / f"{stem}-fp32.onnx"
    if not fp32.exists():
        _atomic_write(fp32, build_model(model_dir).SerializeToString())
    if not int8:
        return fp32
    quantized = cache_dir / f"{stem}-int8.onnx"
    if not quantized.exists():
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = quantized.with_suffix(f".{os.getpid()}.tmp")
        # Per-channel weight scales: per-tensor ones gave cosine 0.91 against fp32 (docs/retrieval.md).
        # Shape inference cannot type the outputs of contrib operators; they are all float32.
        quantize_dynamic(
            fp32,
            partial,
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
        partial.replace(quantized)
    return quantized


def _atomic_write(path: Path, data: bytes) -> None:
    # Two processes (web and a worker) may build at once; each writes its own file and renames it.
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)
