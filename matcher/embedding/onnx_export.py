"""Export a sentence-transformers BERT directory to one fused ONNX graph for onnxruntime.

Why: a live match spends about half its CPU in encoding one short query, and PyTorch's eager
mode pays per-operator dispatch on every one of the encoder's ~200 operators. The same weights
run in onnxruntime with attention, GELU and layer norms fused cost about half (measured in
``benchmarks/bench_encoders.py``), and give the same vectors (cosine 1.0 to float rounding,
checked by ``tests/matcher/embedding/test_onnx_encoder.py``), so the indexes built with either
runtime stay valid: the encoder keeps its name and its embedding cache.

What the graph holds: the transformer, mean pooling over the attention mask (the model's
``1_Pooling`` setting; other pooling modes are refused) and L2 normalisation, so onnxruntime
returns the finished embedding. Prompts and tokenisation stay outside (``tokenizer.json``).

The export needs torch and onnx, both installed with the project; it runs once, when ``make``
builds the model (``tradematch model build``), or on first use.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from matcher._lazy import require
from matcher.embedding.staged_dir import staged_dir
from matcher.errors import ConfigurationError

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
_MARKER = "export.json"  # written last: its presence means the export is complete
OPSET = 17


def onnx_path(model_dir: Path) -> Path:
    return model_dir / ONNX_DIR / ONNX_FILE


def is_exported(model_dir: Path) -> bool:
    return (model_dir / ONNX_DIR / _MARKER).exists()


_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)


def _check_pooling(model_dir: Path) -> None:
    """The graph is transformer, mean pooling, normalisation; refuse a model configured
    otherwise (a dense head, CLS pooling) rather than return other vectors under its name."""
    modules = model_dir / "modules.json"
    kinds = (
        tuple(m.get("type") for m in json.loads(modules.read_text(encoding="utf-8")))
        if modules.is_file()
        else ()
    )
    if kinds != _MODULES:
        raise ConfigurationError(
            f"{model_dir}: only Transformer, Pooling, Normalize models are exported to ONNX, "
            f"modules.json lists {list(kinds)}"
        )
    config = model_dir / "1_Pooling" / "config.json"
    if not config.is_file():
        raise ConfigurationError(f"{model_dir}: no 1_Pooling/config.json to export")
    pooling = json.loads(config.read_text(encoding="utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ConfigurationError(
            f"{model_dir}: only mean pooling is exported to ONNX, "
            f"the model asks for {sorted(modes)}"
        )


def _pooled_module(model_dir: Path) -> Any:
    """The transformer plus mean pooling and normalisation, as one torch module."""
    torch = require("torch", "torch==2.13.0")
    transformers = require("transformers")

    # Eager attention exports as plain MatMul/Softmax, which onnxruntime's optimizer fuses
    # into its Attention kernel; the SDPA path exports a pattern it does not recognise.
    bert = transformers.AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    bert.eval()

    class Pooled(torch.nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    return Pooled().eval(), bert.config


def export(model_dir: Path) -> Path:
    """Write ``<model_dir>/onnx/model.onnx`` (atomically: built beside it, then renamed)."""
    torch = require("torch", "torch==2.13.0")
    optimizer = require("onnxruntime.transformers.optimizer", "onnxruntime")
    _check_pooling(model_dir)
    module, config = _pooled_module(model_dir)
    with staged_dir(model_dir / ONNX_DIR) as staging:
        raw = staging / "raw.onnx"
        ids = torch.ones((2, 8), dtype=torch.int64)
        with torch.no_grad():
            torch.onnx.export(
                module,
                (ids, torch.ones_like(ids)),
                str(raw),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "embedding": {0: "batch"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        fused = optimizer.optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
        )
        stats = {k: int(v) for k, v in fused.get_fused_operator_statistics().items() if v}
        fused.save_model_to_file(str(staging / ONNX_FILE))
        raw.unlink()
        (staging / _MARKER).write_text(
            json.dumps(
                {
                    "source": str(model_dir.name),
                    "opset": OPSET,
                    "fused_operators": stats,
                    "torch": torch.__version__,
                    "onnxruntime": require("onnxruntime").__version__,
                    "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    log.info("exported %s (fused: %s)", onnx_path(model_dir), stats)
    return onnx_path(model_dir)
