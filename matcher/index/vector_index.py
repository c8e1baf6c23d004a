"""A FAISS inner-product index with stable external ids.

Vectors are L2-normalised, so inner product is cosine similarity. Ids are the store's integer
primary keys (``IndexIDMap2``), so a result maps straight back to a row, and a filter is an
``IDSelectorBatch`` of allowed ids: exact, and it still returns k results when k exist.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from matcher._lazy import require
from matcher.embedding.encoders import Vectors

Ids = npt.NDArray[np.int64]


def _faiss() -> Any:
    return require("faiss", "faiss-cpu")


class VectorIndex:
    """Exact inner-product search over id-mapped vectors."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.index_: Any = None

    def _check_built(self) -> Any:
        if self.index_ is None:
            raise RuntimeError("VectorIndex is empty: call build() or from_bytes() first")
        return self.index_

    def build(self, ids: Ids, vectors: Vectors) -> VectorIndex:
        faiss = _faiss()
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors must have shape (n, {self.dim}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if len(ids):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.ascontiguousarray(ids, dtype=np.int64),
            )
        self.index_ = index
        return self

    def __len__(self) -> int:
        return 0 if self.index_ is None else int(self.index_.ntotal)

    def search(
        self, queries: Vectors, k: int, *, allowed: Ids | None = None
    ) -> tuple[npt.NDArray[np.float32], Ids]:
        """Top-k (scores, ids) per query row; missing slots have id -1.

        ``allowed`` restricts the search to those ids (a filter), exactly.
        """
        index = self._check_built()
        faiss = _faiss()
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, max(len(self), 1)))
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                n = len(queries)
                return (
                    np.full((n, k), -np.inf, dtype=np.float32),
                    np.full((n, k), -1, dtype=np.int64),
                )
            params = faiss.SearchParameters(
                sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            )
        scores, ids = index.search(queries, k, params=params)
        return scores.astype(np.float32), ids.astype(np.int64)

    def to_bytes(self) -> bytes:
        faiss = _faiss()
        return bytes(faiss.serialize_index(self._check_built()))

    @classmethod
    def from_bytes(cls, data: bytes) -> VectorIndex:
        faiss = _faiss()
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        out = cls(int(index.d))
        out.index_ = index
        return out
