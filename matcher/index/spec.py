"""Which FAISS index to build, how to build it, and how wide to search it.

``choose_spec`` picks by collection size and settings. The choices were measured with
``make bench BENCH=index`` on this 2-core machine, on vectors drawn to match e5 embeddings
(see ``benchmarks/vectors.py``), whose query-document neighbourhoods are diffuse:

- **flat** (exact ``IndexFlatIP``) below ``index_exact_below`` items: exact search of 50k
  vectors costs a few milliseconds single-threaded, and there is nothing to tune;
- **ivf_pq_refine** above it (the default for large collections): an IVF whose lists hold
  4-bit PQ codes scanned with SIMD ("fast scan"), gathering ``k_factor`` x k candidates that
  are re-scored exactly against stored float vectors (``IVF,PQ{d/2}x4fs,RFlat``). At 1M
  vectors it reached recall@50 0.94 at 3,700 queries/s where HNSW (M=32) gave 0.90 at 2,000
  and IVF-Flat 0.95 at 1,500: cheap candidates, exact order. ~1.65 KB per vector;
- **ivf_sq8** when ``index_compressed`` is set: 8-bit scalar quantisation in an IVF, ~400
  bytes per vector, for memory-bound deployments;
- **hnsw** and **ivf_flat** on request.

After a build, ``calibrate`` raises ``efSearch`` / ``nprobe`` until recall@k against exact
search on a sample of the collection's own vectors reaches ``index_recall_target``; the
chosen value is stored in the manifest. Every index uses sequential labels 0..n-1; the
collection maps them to external ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher._lazy import require
from matcher.config import Settings


class IndexKind(StrEnum):
    FLAT = "flat"
    HNSW = "hnsw"
    IVF_FLAT = "ivf_flat"
    IVF_SQ8 = "ivf_sq8"
    IVF_PQ_REFINE = "ivf_pq_refine"

    @property
    def is_ivf(self) -> bool:
        return self in (IndexKind.IVF_FLAT, IndexKind.IVF_SQ8, IndexKind.IVF_PQ_REFINE)


@dataclass(frozen=True)
class IndexSpec:
    kind: IndexKind
    nlist: int = 0
    nprobe: int = 1
    hnsw_m: int = 32
    ef_construction: int = 40
    ef_search: int = 64
    k_factor: int = 32  # ivf_pq_refine: candidates re-scored exactly, as a multiple of k

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "hnsw_m": self.hnsw_m,
            "ef_construction": self.ef_construction,
            "ef_search": self.ef_search,
            "k_factor": self.k_factor,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexSpec:
        return cls(
            kind=IndexKind(data["kind"]),
            nlist=int(data["nlist"]),
            nprobe=int(data["nprobe"]),
            hnsw_m=int(data["hnsw_m"]),
            ef_construction=int(data["ef_construction"]),
            ef_search=int(data["ef_search"]),
            k_factor=int(data.get("k_factor", 32)),
        )


def _nlist_for(n: int) -> int:
    """About 4 sqrt(n) lists, a power of two, at least 16 and at most n / 40 (so that
    k-means has enough points per centroid)."""
    target = max(16, 4 * math.isqrt(max(n, 1)))
    nlist = int(2 ** round(math.log2(target)))
    return max(1, min(nlist, n // 40))


def choose_spec(n: int, settings: Settings) -> IndexSpec:
    if settings.index_kind != "auto":
        kind = IndexKind(settings.index_kind)
    elif settings.index_compressed and n >= settings.index_exact_below:
        kind = IndexKind.IVF_SQ8
    elif n < settings.index_exact_below:
        kind = IndexKind.FLAT
    else:
        kind = IndexKind.IVF_PQ_REFINE
    if kind.is_ivf:
        nlist = _nlist_for(n)
        return IndexSpec(kind, nlist=nlist, nprobe=max(1, nlist // 64))
    if kind is IndexKind.HNSW:
        return IndexSpec(
            kind, hnsw_m=settings.index_hnsw_m, ef_construction=settings.index_hnsw_ef_construction
        )
    return IndexSpec(kind)


def build_index(spec: IndexSpec, vectors: npt.NDArray[np.float32], seed: int = 0) -> Any:
    """An index over ``vectors`` whose labels are 0..n-1."""
    faiss = require("faiss", "faiss-cpu")
    dim = vectors.shape[1]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ip = faiss.METRIC_INNER_PRODUCT
    if spec.kind is IndexKind.FLAT:
        index = faiss.IndexFlatIP(dim)
    elif spec.kind is IndexKind.HNSW:
        index = faiss.IndexHNSWFlat(dim, spec.hnsw_m, ip)
        index.hnsw.efConstruction = spec.ef_construction
        index.hnsw.efSearch = spec.ef_search
    elif spec.kind is IndexKind.IVF_PQ_REFINE:
        m = dim // 2 if dim % 2 == 0 else dim
        index = faiss.index_factory(dim, f"IVF{spec.nlist},PQ{m}x4fs,RFlat", ip)
        index.train(_training_sample(vectors, spec.nlist, seed))
    else:
        quantizer = faiss.IndexFlatIP(dim)
        if spec.kind is IndexKind.IVF_FLAT:
            index = faiss.IndexIVFFlat(quantizer, dim, spec.nlist, ip)
        else:
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, spec.nlist, faiss.ScalarQuantizer.QT_8bit, ip
            )
        index.train(_training_sample(vectors, spec.nlist, seed))
        index.nprobe = spec.nprobe
    if len(vectors):
        index.add(vectors)
    if spec.kind in (IndexKind.IVF_FLAT, IndexKind.IVF_SQ8):
        index.make_direct_map()  # so filtered searches can reconstruct vectors by label
    return index


def _training_sample(
    vectors: npt.NDArray[np.float32], nlist: int, seed: int
) -> npt.NDArray[np.float32]:
    """64 points per list (FAISS warns below 39), at least 50k, at most all."""
    rng = np.random.default_rng(seed)
    size = min(len(vectors), max(nlist * 64, 50_000))
    return vectors[rng.choice(len(vectors), size, replace=False)]


def search_params(spec: IndexSpec, selector: Any = None, widen: float = 1.0) -> Any:
    """Per-call parameters (never mutate a shared, possibly memory-mapped index)."""
    faiss = require("faiss", "faiss-cpu")
    if spec.kind is IndexKind.HNSW:
        return faiss.SearchParametersHNSW(sel=selector, efSearch=int(spec.ef_search * widen))
    if spec.kind.is_ivf:
        nprobe = min(spec.nlist, max(1, math.ceil(spec.nprobe * widen)))
        ivf = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        if spec.kind is IndexKind.IVF_PQ_REFINE:
            return faiss.IndexRefineSearchParameters(k_factor=spec.k_factor, base_index_params=ivf)
        return ivf
    return faiss.SearchParameters(sel=selector) if selector is not None else None


def calibrate(
    spec: IndexSpec,
    index: Any,
    vectors: npt.NDArray[np.float32],
    target: float,
    *,
    k: int = 50,
    sample: int = 200,
    seed: int = 0,
    queries: npt.NDArray[np.float32] | None = None,
) -> tuple[IndexSpec, float]:
    """The narrowest search that reaches ``target`` recall@k on sample queries, and its
    recall; exact neighbours come from brute force over all vectors.

    Best calibrated on real query vectors (``queries``). Without them, the collection's own
    vectors are perturbed to cosine ≈ 0.85 with their origin: e5 queries sit further from
    the documents they match than documents sit from each other, and calibrating on
    too-easy queries would under-provision the search.
    """
    if spec.kind is IndexKind.FLAT or len(vectors) <= k:
        return spec, 1.0
    rng = np.random.default_rng(seed)
    if queries is None:
        picks = rng.choice(len(vectors), min(sample, len(vectors)), replace=False)
        noisy = vectors[picks] + rng.normal(0, 0.035, (len(picks), vectors.shape[1]))
        queries = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    queries = queries[:sample]
    exact = np.argpartition(-(queries @ vectors.T), k, axis=1)[:, :k]

    def recall(candidate: IndexSpec) -> float:
        _, found = index.search(queries, k, params=search_params(candidate))
        return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(found, exact, strict=True)]))

    if spec.kind is IndexKind.HNSW:
        ladder = [
            replace(spec, ef_search=ef) for ef in (k, 64, 96, 128, 192, 256, 384, 512) if ef >= k
        ]
    else:
        ladder = [
            replace(spec, nprobe=p)
            for p in (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024)
            if p <= spec.nlist
        ]
    best = ladder[-1]
    best_recall = 0.0
    for candidate in ladder:
        best_recall = recall(candidate)
        best = candidate
        if best_recall >= target:
            break
    return best, best_recall
