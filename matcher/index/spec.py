"""Which FAISS index to build, how to build it, and how wide to search it.

``choose_spec`` picks by collection size and settings. The choices were measured with
``make bench BENCH=index`` on this 2-core machine, on vectors drawn to match e5 embeddings
(see ``benchmarks/vectors.py``), whose query-document neighbourhoods are diffuse:

- **flat** (exact ``IndexFlatIP``) below ``index_exact_below`` items: exact search of 50k
  vectors costs a few milliseconds single-threaded, and there is nothing to tune;
- **ivf_pq_refine** above it (the default for large collections): an IVF whose lists hold
  4-bit PQ codes, one per dimension, scanned with SIMD ("fast scan"), gathering
  ``k_factor`` x k candidates that are re-scored exactly against stored float vectors
  (``IVF,PQ{d}x4fs,RFlat``): cheap candidates, exact order, ~1.74 KB per vector. Measured
  at 1M vectors (2 cores, 1,000 queries): with d/2 sub-quantizers the PQ order was loose
  enough that reaching recall@50 0.95 needed 24-32 x k refined candidates, and the refine
  reads (1.5 KB each, random) halved throughput (0.953 at ~2,050 q/s); with d
  sub-quantizers 8 x k suffice (0.953 at ~2,350 q/s), recall being then limited only by how
  many lists are probed. HNSW (M=32) gave 0.90 at 2,000 q/s and IVF-Flat 0.95 at 1,500;
- **ivf_sq8** when ``index_compressed`` is set: 8-bit scalar quantisation in an IVF, ~400
  bytes per vector, for memory-bound deployments;
- **hnsw** and **ivf_flat** on request.

After a build, ``calibrate`` raises ``efSearch`` / ``nprobe`` until recall@k against exact
search on sample queries reaches ``index_recall_target``; for ``ivf_pq_refine`` it does so
for each of a few ``k_factor`` values and keeps the pair that searched the sample fastest
(fewer lists and more refining, or the reverse, win on different data). The chosen values
are stored in the manifest. Every index uses sequential labels 0..n-1; the
collection maps them to external ids.
"""

from __future__ import annotations

import math
import time
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
    k_factor: int = 8  # ivf_pq_refine: candidates re-scored exactly, as a multiple of k

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
        index = faiss.index_factory(dim, f"IVF{spec.nlist},PQ{dim}x4fs,RFlat", ip)
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


CALIBRATION_K = 50  # the k that searches are calibrated at


def search_params(spec: IndexSpec, selector: Any = None, widen: float = 1.0, k: int = 0) -> Any:
    """Per-call parameters (never mutate a shared, possibly memory-mapped index).

    ``ivf_pq_refine`` re-scores at least ``k_factor`` x ``CALIBRATION_K`` candidates whatever
    ``k`` is: the calibrated candidate count, not the ratio, is what holds recall for a
    small k (PQ order is loose at the very top)."""
    faiss = require("faiss", "faiss-cpu")
    if spec.kind is IndexKind.HNSW:
        return faiss.SearchParametersHNSW(sel=selector, efSearch=int(spec.ef_search * widen))
    if spec.kind.is_ivf:
        nprobe = min(spec.nlist, max(1, math.ceil(spec.nprobe * widen)))
        ivf = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        if spec.kind is IndexKind.IVF_PQ_REFINE:
            k_factor = spec.k_factor * max(1.0, CALIBRATION_K / max(k, 1))
            return faiss.IndexRefineSearchParameters(k_factor=k_factor, base_index_params=ivf)
        return ivf
    return faiss.SearchParameters(sel=selector) if selector is not None else None


def calibrate(
    spec: IndexSpec,
    index: Any,
    vectors: npt.NDArray[np.float32],
    target: float,
    *,
    k: int = CALIBRATION_K,
    sample: int = 500,
    seed: int = 0,
    queries: npt.NDArray[np.float32] | None = None,
) -> tuple[IndexSpec, float]:
    """The narrowest search that reaches ``target`` recall@k on sample queries, and its
    mean recall there; exact neighbours come from brute force over all vectors.

    "Reaches" means the one-sided 95% lower confidence bound of the sample's mean recall is
    at or above the target: at 1M vectors a search whose 200-query mean just touched 0.95
    gave 0.940 on 1,000 other queries.

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

    def recall(candidate: IndexSpec) -> tuple[float, float]:
        """Mean recall on the sample, and its one-sided 95% lower confidence bound."""
        _, found = index.search(queries, k, params=search_params(candidate, k=k))
        per_query = np.asarray(
            [len(set(a) & set(b)) / k for a, b in zip(found, exact, strict=True)]
        )
        spread = float(per_query.std(ddof=1)) if len(per_query) > 1 else 0.0
        mean = float(per_query.mean())
        return mean, mean - 1.645 * spread / math.sqrt(len(per_query))

    def narrowest(ladder: list[IndexSpec]) -> tuple[IndexSpec, float, bool]:
        """The first rung reaching the target (or the last rung), its recall, and whether
        it reached the target."""
        best, best_recall = ladder[-1], 0.0
        for candidate in ladder:
            best = candidate
            best_recall, lower = recall(candidate)
            if lower >= target:
                return best, best_recall, True
        return best, best_recall, False

    if spec.kind is IndexKind.HNSW:
        ladder = [
            replace(spec, ef_search=ef) for ef in (k, 64, 96, 128, 192, 256, 384, 512) if ef >= k
        ]
        return narrowest(ladder)[:2]
    probes = [
        p
        for p in (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 320, 384, 512, 1024)
        if p <= spec.nlist
    ]
    if spec.kind is not IndexKind.IVF_PQ_REFINE:
        return narrowest([replace(spec, nprobe=p) for p in probes])[:2]
    # More refining lets fewer lists be probed: keep the pair that searches fastest.
    options: list[tuple[float, IndexSpec, float]] = []
    fallback: tuple[IndexSpec, float] | None = None
    for k_factor in (4, 8, 16):
        found, found_recall, reached = narrowest(
            [replace(spec, nprobe=p, k_factor=k_factor) for p in probes]
        )
        if not reached:
            if fallback is None or found_recall > fallback[1]:
                fallback = (found, found_recall)
            continue
        options.append((_search_seconds(index, queries, k, found), found, found_recall))
        probes = [p for p in probes if p <= found.nprobe]  # more refining never needs more
    if not options:
        assert fallback is not None
        return fallback
    _, best, best_recall = min(options, key=lambda o: o[0])
    return best, best_recall


def _search_seconds(index: Any, queries: npt.NDArray[np.float32], k: int, spec: IndexSpec) -> float:
    """Best of three timings of searching ``queries`` with ``spec``."""
    params = search_params(spec, k=k)
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        index.search(queries, k, params=params)
        best = min(best, time.perf_counter() - start)
    return best
