"""Match latency on demo data: the full path against a brute-force cosine baseline.

Both sides encode the same inquiry with the same model; the baseline then ranks every product
by ``X @ q`` with ``argpartition`` and stops. The ratio shows what retrieval, features,
ranking and explanation cost on top of plain cosine search.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import console, percentiles, print_table
from matcher.config import Settings
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.texts import product_document
from matcher.matching.service import MatchRequest
from matcher.runtime import Runtime

QUERIES = [
    "stainless steel ball valves for a chemical plant",
    "Korean instant noodles, one container a month",
    "Tìm nhà cung cấp mỹ phẩm Hàn Quốc",
    "sheet masks for premium retail in Ho Chi Minh City",
    "rice transplanter for Punjab farmers",
    "HDPE water pipes",
    "red ginseng extract halal",
    "patient monitors for hospitals in New Delhi",
    "hydraulic excavator spare parts",
    "copper wire rod",
    "김치 수입업체",
    "plastic film for food packaging",
]


def run(exporters: int, repeats: int, seed: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-match-") as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)
        runtime = Runtime(settings)
        runtime.upgrade_schema()
        from matcher.demo.generator import generate_demo
        from matcher.demo.load import load_demo

        t0 = time.perf_counter()
        generate_demo(settings.demo_dir, exporters=exporters, seed=seed)
        load_demo(settings.demo_dir, runtime.sessions)
        t1 = time.perf_counter()
        manifest = runtime.build_index()
        t2 = time.perf_counter()
        service = runtime.match_service()
        console.print(
            f"demo {exporters} exporters: {manifest.count} products; generate+load "
            f"{t1 - t0:.1f}s, embed+index {t2 - t1:.1f}s ({runtime.encoder.name})"
        )

        # Baseline: the same vectors (from the cache the index was built with), brute force.
        products = runtime.indexes.get("products")
        catalog = products.rows(products.state.ids)
        ids = catalog["product_id"].to_numpy(dtype=np.int64)
        cache = EmbeddingCache(settings.cache_dir, runtime.encoder.name, runtime.encoder.dim)
        texts = [
            product_document(n, d, h)
            for n, d, h in zip(
                catalog["product_name"], catalog["description"], catalog["hs_code"], strict=True
            )
        ]
        matrix = cache.get_or_encode(texts, runtime.encoder.encode_documents)
        assert cache.misses == 0, "the baseline must reuse the index's cached vectors"

        service.match(MatchRequest(text="warm-up"))
        full_ms: list[float] = []
        parts: dict[str, list[float]] = {"encode": [], "retrieve": [], "rank": []}
        base_ms: list[float] = []
        for _ in range(repeats):
            for text in QUERIES:
                start = time.perf_counter()
                result = service.match(MatchRequest(text=text, top_k=10))
                full_ms.append((time.perf_counter() - start) * 1000)
                for key in parts:
                    parts[key].append(result.timings_ms[key])

                start = time.perf_counter()
                q = runtime.encoder.encode_queries([text])[0]
                scores = matrix @ q
                top = np.argpartition(-scores, 10)[:10]
                ids[top[np.argsort(-scores[top])]]
                base_ms.append((time.perf_counter() - start) * 1000)

        full = percentiles(full_ms)
        base = percentiles(base_ms)
        rows = [
            ["full match (encode→filter→retrieve→rank→explain)", *full.values()],
            *[[f"  of which {k}", *percentiles(v).values()] for k, v in parts.items()],
            ["baseline: encode + numpy X@q argpartition", *base.values()],
            ["ratio full / baseline", *(full[k] / base[k] for k in full)],
        ]
        print_table(
            f"match latency, {len(full_ms)} queries over {manifest.count} products (ms)",
            ["", "p50", "p95", "p99", "mean"],
            rows,
        )
