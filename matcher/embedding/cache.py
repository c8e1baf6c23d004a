"""Embedding cache keyed by (model name, content hash).

Unchanged text is never encoded twice: the nightly batch and index rebuilds re-use vectors of
every product whose text did not change. Vectors live beside the database as append-only
numpy shards (``keys-NNNNN.npy`` with 16-byte SHA-256 prefixes, ``vecs-NNNNN.npy`` float32),
memory-mapped on open, one directory per model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matcher.embedding.encoders import Vectors

_KEY_BYTES = 16


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:_KEY_BYTES]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def cache_directory(root: Path, model_name: str) -> Path:
    """Where the vectors of ``model_name`` live under the cache root ``root``."""
    return root / _slug(model_name)


class EmbeddingCache:
    """Append-only store of vectors for one model."""

    def __init__(self, root: Path, model_name: str, dim: int) -> None:
        self.dir = cache_directory(root, model_name)
        self.model_name = model_name
        self.dim = dim
        self.hits = 0
        self.misses = 0
        self._shards: list[np.ndarray] = []
        self._where: dict[bytes, tuple[int, int]] = {}
        self._load()

    def _load(self) -> None:
        if not self.dir.exists():
            return
        for keys_path in sorted(self.dir.glob("keys-*.npy")):
            vecs_path = keys_path.with_name(keys_path.name.replace("keys-", "vecs-"))
            if not vecs_path.exists():
                continue  # an interrupted write: its vectors never landed, so ignore its keys
            keys = np.load(keys_path)
            vecs = np.load(vecs_path, mmap_mode="r")
            if vecs.shape != (len(keys), self.dim):
                continue
            shard = len(self._shards)
            self._shards.append(vecs)
            for row, key in enumerate(keys):
                self._where[bytes(key)] = (shard, row)

    def __len__(self) -> int:
        return len(self._where)

    def lookup(self, texts: Sequence[str]) -> tuple[Vectors, list[int]]:
        """Cached vectors for ``texts`` (rows of the texts not cached are zero) and the
        positions of those misses, neither encoding nor writing: the nightly batch's workers
        only read the cache, and the one process that owns it stores what they encoded (two
        writers would number their shards alike)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            place = self._where.get(text_key(text))
            if place is None:
                missing.append(i)
            else:
                out[i] = self._shards[place[0]][place[1]]
        self.hits += len(texts) - len(missing)
        return out, missing

    def refresh(self) -> None:
        """Pick up shards another process appended since this one opened the cache."""
        on_disk = sum(1 for _ in self.dir.glob("keys-*.npy")) if self.dir.exists() else 0
        if on_disk != len(self._shards):
            self._shards, self._where = [], {}
            self._load()

    def get_or_encode(
        self,
        texts: Sequence[str],
        encode: Callable[[Sequence[str]], Vectors],
        *,
        chunk_size: int = 4096,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Vectors for ``texts`` in order, encoding (and storing) only the ones not cached."""
        keys = [text_key(t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            place = self._where.get(key)
            if place is None:
                missing.setdefault(key, []).append(i)
            else:
                out[i] = self._shards[place[0]][place[1]]
        # A hit is a text served without encoding: cached before, or a repeat in this call.
        self.hits += len(texts) - len(missing)
        if progress is not None:
            progress(len(texts) - sum(len(v) for v in missing.values()))
        todo = list(missing)
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start : start + chunk_size]
            vectors = encode([texts[missing[k][0]] for k in chunk])
            self._append(chunk, vectors)
            for key, vector in zip(chunk, vectors, strict=True):
                for i in missing[key]:
                    out[i] = vector
            self.misses += len(chunk)
            if progress is not None:
                progress(sum(len(missing[k]) for k in chunk))
        return out

    def _append(self, keys: list[bytes], vectors: Vectors) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        shard = len(self._shards)
        stem = f"{shard:05d}"
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), _KEY_BYTES)
        # Vectors first, keys last: a shard only counts once its keys file exists.
        np.save(self.dir / f"vecs-{stem}.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        tmp = self.dir / f"keys-{stem}.tmp.npy"
        np.save(tmp, key_array)
        tmp.replace(self.dir / f"keys-{stem}.npy")
        self._shards.append(np.load(self.dir / f"vecs-{stem}.npy", mmap_mode="r"))
        for row, key in enumerate(keys):
            self._where[key] = (shard, row)
