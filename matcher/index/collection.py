"""A searchable collection of vectors that takes updates while it serves.

Layout of one collection:

- **base**: a FAISS index over labels 0..n-1, built in one go and never modified in place, so
  it can be memory-mapped (``IO_FLAG_MMAP``) and shared by several API worker processes.
  FAISS aborts the process on a write to a mapped index, so immutability is not optional;
- **ids / meta**: label -> external id, and one metadata row per label (served fields and
  filter columns), with inverted ``Postings`` for filters;
- **delta**: items upserted since the base was built, searched exactly (it is small);
- **tombstones**: base labels deleted or superseded by the delta, excluded at query time
  through an ``IDSelectorNot``.

All of it lives in one immutable ``_State``. A write builds a new state and swaps the
reference under a lock (copy-on-write), so a search works on one consistent snapshot without
locking, and no search that starts after ``delete()`` returns can see the deleted id. When
delta plus tombstones exceed ``compaction_ratio`` of the base, ``compact()`` builds a new base
from the live items while searches continue on the old state; writes made meanwhile are
replayed onto the new state before it is swapped in.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher._lazy import require
from matcher.config import Settings
from matcher.errors import IndexCorruptError
from matcher.index import persistence
from matcher.index.filters import FilterField, Postings, Where, matches
from matcher.index.spec import (
    IndexKind,
    IndexSpec,
    build_index,
    calibrate,
    choose_spec,
    search_params,
)

log = logging.getLogger(__name__)

Ids = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
_EMPTY = np.empty(0, dtype=np.int64)
_thread_lock = threading.Lock()  # FAISS's OpenMP thread count is process-wide


@dataclass(frozen=True)
class SearchResult:
    """Per query row: ``ids`` (external, -1 where fewer than k exist) and ``scores``."""

    scores: npt.NDArray[np.float32]
    ids: Ids


@dataclass(frozen=True)
class _State:
    spec: IndexSpec
    base: Any
    ids: Ids
    order: Ids  # argsort(ids): external id -> label by binary search
    meta: pd.DataFrame
    postings: Postings
    tombstones: Ids  # sorted labels
    delta_ids: Ids
    delta_vectors: Matrix
    delta_meta: tuple[dict[str, Any], ...]
    version: str
    recall: float
    # The published files the base came from (set by ``load``; None once built or compacted
    # here): ``save`` links them into the next version instead of rewriting them.
    base_files: Mapping[str, persistence.LinkedFile] | None = None

    def live_labels(self, ids: Sequence[int] | Ids) -> tuple[Ids, npt.NDArray[np.bool_], Ids]:
        """The asked ids, which of them are in the delta, and the base labels of the others
        that are live (in the given order; tombstoned ones dropped)."""
        wanted = np.asarray(ids, dtype=np.int64)
        in_delta = np.isin(wanted, self.delta_ids)
        labels = self.labels_of(wanted[~in_delta])
        if len(self.tombstones):
            labels = labels[~np.isin(labels, self.tombstones)]
        return wanted, in_delta, labels

    def labels_of(self, external: Ids) -> Ids:
        """Base labels of the given external ids that are in the base (others dropped)."""
        if len(self.ids) == 0 or len(external) == 0:
            return _EMPTY
        pos = np.searchsorted(self.ids, external, sorter=self.order)
        pos = np.clip(pos, 0, len(self.ids) - 1)
        labels = self.order[pos]
        found: Ids = labels[self.ids[labels] == external].astype(np.int64)
        return found


@dataclass(frozen=True)
class CollectionSchema:
    """What a collection filters on and how its metadata is kept."""

    name: str
    fields: tuple[FilterField, ...]
    numeric: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemChanges:
    """The items whose state differs between an older version of a collection and the live
    one, on the same base (what a nightly run's screening tests its queries against).

    ``moved``: gone, new, or a vector that moved (a rewritten text): such an item may leave
    any query's candidates. ``fields``: the filter fields whose values changed (a new price
    band, another center): it may leave the candidates of queries that filter on them. An
    item with neither only moved from the base to the delta (a description-free edit): it
    keeps its vector and filters, but is now searched exactly where the base found it
    approximately, so one the base had missed may now enter a query's candidates.
    """

    ids: Ids
    vectors: Matrix  # the live vector (zeros where the item is gone)
    present: npt.NDArray[np.bool_]  # live now
    moved: npt.NDArray[np.bool_]
    fields: tuple[frozenset[str], ...]
    meta: tuple[dict[str, Any] | None, ...]  # the live metadata (None where gone)

    def __len__(self) -> int:
        return len(self.ids)


# A rewritten text moves an e5 vector by far more than this; one text's vector, read back
# from the delta or from the exact refinement store, not at all.
_MOVED_BELOW_COSINE = 0.999


class VectorCollection:
    def __init__(self, schema: CollectionSchema, dim: int, settings: Settings) -> None:
        self.schema = schema
        self.dim = dim
        self.settings = settings
        self._write = threading.Lock()
        self._compacting = threading.Lock()  # one compaction at a time
        self._replay: list[Callable[[_State], _State]] | None = None
        self._state: _State | None = None

    # --- building and loading ------------------------------------------------------------

    def _fit_state(
        self,
        ids: Ids,
        vectors: Matrix,
        meta: pd.DataFrame,
        version: str,
        spec: IndexSpec | None = None,
        calibration_queries: Matrix | None = None,
    ) -> _State:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f"{self.schema.name}: duplicate ids")
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"{self.schema.name}: vectors {vectors.shape} for {len(ids)} ids")
        spec = spec or choose_spec(len(ids), self.settings)
        base = build_index(spec, vectors)
        spec, recall = calibrate(
            spec, base, vectors, self.settings.index_recall_target, queries=calibration_queries
        )
        meta = meta.reset_index(drop=True)
        postings = Postings(self.schema.fields).fit(meta, self.schema.numeric)
        return _State(
            spec,
            base,
            ids,
            np.argsort(ids, kind="stable"),
            meta,
            postings,
            _EMPTY,
            _EMPTY,
            np.zeros((0, self.dim), np.float32),
            (),
            version,
            recall,
        )

    def build(
        self,
        ids: Ids,
        vectors: Matrix,
        meta: pd.DataFrame,
        *,
        calibration_queries: Matrix | None = None,
    ) -> VectorCollection:
        """Replace the whole collection (label i = row i of ``vectors`` and ``meta``).
        ``calibration_queries``: real query vectors to tune the search width on."""
        state = self._fit_state(
            ids, vectors, meta, persistence.new_version(), calibration_queries=calibration_queries
        )
        with self._write:
            self._state = state
        return self

    @property
    def state(self) -> _State:
        if self._state is None:
            raise RuntimeError(f"collection '{self.schema.name}' is empty: build() or load()")
        return self._state

    def save(
        self, root: Path, *, model: str, fingerprint: str, extra: dict[str, Any] | None = None
    ) -> persistence.Manifest:
        """Publish the collection as a new version: the base, and the delta and tombstones
        while they stay under ``index_compaction_ratio`` (so a nightly upsert of a few
        changed items leaves the base, and every search that does not meet them, exactly as
        it was); past the ratio the base is rebuilt from the live items first."""
        faiss = require("faiss", "faiss-cpu")
        if self.needs_compaction():
            self.compact()
        st = self.state
        files: dict[str, persistence.FileContent]
        if st.base_files is not None:
            files = dict(st.base_files)  # the base as loaded: linked, not rewritten
        else:
            ids_buffer, meta_buffer = io.BytesIO(), io.BytesIO()
            np.save(ids_buffer, st.ids)
            st.meta.to_parquet(meta_buffer, index=False)
            files = {
                "index.faiss": lambda path: faiss.write_index(st.base, str(path)),
                "ids.npy": ids_buffer.getvalue(),
                "meta.parquet": meta_buffer.getvalue(),
            }
        if len(st.tombstones) or len(st.delta_ids):
            files.update(_delta_files(st))
        manifest = persistence.publish(
            root,
            self.schema.name,
            files,
            model=model,
            dim=self.dim,
            count=len(self),
            fingerprint=fingerprint,
            extra={
                "spec": st.spec.as_dict(),
                "recall_at_50": round(st.recall, 4),
                "delta": len(st.delta_ids),
                "tombstones": len(st.tombstones),
                **(extra or {}),
            },
        )
        return manifest

    def live(self) -> tuple[Ids, pd.DataFrame]:
        """The live items' external ids and metadata rows (base less tombstones, then the
        delta): what an upsert from the store is compared against."""
        st = self.state
        keep = np.ones(len(st.ids), dtype=bool)
        keep[st.tombstones] = False
        ids = np.concatenate([st.ids[keep], st.delta_ids])
        delta = pd.DataFrame(list(st.delta_meta), columns=st.meta.columns)
        meta = pd.concat([st.meta[keep], delta], ignore_index=True) if len(delta) else st.meta[keep]
        return ids, meta.reset_index(drop=True)

    @classmethod
    def load(
        cls, schema: CollectionSchema, root: Path, settings: Settings, *, mmap: bool = True
    ) -> tuple[VectorCollection, persistence.LoadedVersion]:
        """The newest version that verifies; memory-mapped where the type allows."""
        faiss = require("faiss", "faiss-cpu")
        loaded = persistence.current(root, schema.name)
        for problem in loaded.problems:
            log.error("skipped corrupt index version: %s", problem)
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        base = faiss.read_index(str(loaded.directory / "index.faiss"), flags)
        ids = np.load(loaded.directory / "ids.npy")
        meta = _lists_from_parquet(pd.read_parquet(loaded.directory / "meta.parquet"))
        spec = IndexSpec.from_dict(loaded.manifest.extra["spec"])
        collection = cls(schema, loaded.manifest.dim, settings)
        postings = Postings(schema.fields).fit(meta, schema.numeric)
        tombstones, delta_ids, delta_vectors, delta_meta = _read_delta(
            loaded.directory, loaded.manifest.dim, meta.columns
        )
        collection._state = _State(
            spec,
            base,
            ids,
            np.argsort(ids, kind="stable"),
            meta,
            postings,
            tombstones,
            delta_ids,
            delta_vectors,
            delta_meta,
            loaded.manifest.version,
            float(loaded.manifest.extra.get("recall_at_50", 1.0)),
            {
                name: persistence.LinkedFile(loaded.directory / name, loaded.manifest.files[name])
                for name in _BASE_FILES
            },
        )
        return collection, loaded

    # --- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        st = self.state
        return len(st.ids) - len(st.tombstones) + len(st.delta_ids)

    @property
    def tombstone_ratio(self) -> float:
        st = self.state
        return (len(st.tombstones) + len(st.delta_ids)) / max(len(st.ids), 1)

    def search(
        self, queries: Matrix, k: int, where: Where | None = None, *, batch: bool = False
    ) -> SearchResult:
        """Top-k by inner product, restricted to items passing ``where``.

        A selective filter (at most ``index_exact_filter_limit`` items) is searched exactly
        over just those items, so k results come back whenever k exist. A broad one goes
        through the index with an ``IDSelector`` and a search widened by 1/selectivity.
        ``batch=True`` lets FAISS use every core (``index_batch_threads``); otherwise one
        thread, which is faster for a single query on a shared machine.

        Ties come in id order, and a tie at the k-th place is settled among every tied item
        the search meets: it fetches past k (``_tie_fetch``), and again, wider, for a query
        whose tie runs to the end of what was fetched. Identical texts give identical
        vectors, so a catalogue holds many ties; which of them an approximate search returns
        depends on the index's history (base, delta, tombstones), and two runs over the same
        catalogue would otherwise serve different suppliers.
        """
        st = self.state
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        threads = self.settings.index_batch_threads if batch else self.settings.index_query_threads
        if k <= 0:
            return self._search(st, q, k, where, threads)
        fetch = _tie_fetch(k)
        found = self._search(st, q, fetch, where, threads)
        found = SearchResult(*_by_score_then_id(found.scores, found.ids))
        open_ties = _ties_past(found.scores, k)
        wider = fetch
        while open_ties.any() and wider < _TIE_FETCH_LIMIT * k:
            wider = min(wider * 4, _TIE_FETCH_LIMIT * k)
            more = self._search(st, q[open_ties], wider, where, threads)
            more_scores, more_ids = _by_score_then_id(more.scores, more.ids)
            scores = np.full((len(q), wider), -np.inf, dtype=np.float32)
            ids = np.full((len(q), wider), -1, dtype=np.int64)
            scores[:, :fetch], ids[:, :fetch] = found.scores, found.ids
            scores[open_ties], ids[open_ties] = more_scores, more_ids
            found, fetch = SearchResult(scores, ids), wider
            open_ties = _ties_past(found.scores, k)
        return SearchResult(
            np.ascontiguousarray(found.scores[:, :k]), np.ascontiguousarray(found.ids[:, :k])
        )

    def _search(
        self, st: _State, q: Matrix, k: int, where: Where | None, threads: int
    ) -> SearchResult:
        """The top k as the index finds them (ties in no particular order)."""
        base_scores, base_labels = self._search_base(st, q, k, where, threads)
        if len(st.ids) == 0:  # an empty base (e.g. no open inquiries): nothing to map
            base_ids = np.full(base_labels.shape, -1, dtype=np.int64)
        else:
            base_ids = np.where(base_labels >= 0, st.ids[np.clip(base_labels, 0, None)], -1)
        if len(st.delta_ids) == 0:
            return SearchResult(base_scores, base_ids)
        return self._merge_delta(st, q, k, where, base_scores, base_ids)

    def _search_base(
        self, st: _State, q: Matrix, k: int, where: Where | None, threads: int
    ) -> tuple[npt.NDArray[np.float32], Ids]:
        faiss = require("faiss", "faiss-cpu")
        len(q)
        allowed = st.postings.resolve(where) if where is not None else None
        if allowed is not None:
            live = (
                np.setdiff1d(allowed, st.tombstones, assume_unique=True)
                if len(st.tombstones)
                else allowed
            )
            if len(live) <= self.settings.index_exact_filter_limit:
                return _exact(st.base, live, q, k)
            selector = faiss.IDSelectorBatch(live)
            widen = min(len(st.ids) / max(len(live), 1), 64.0)
        else:
            selector = (
                faiss.IDSelectorNot(faiss.IDSelectorBatch(st.tombstones))
                if len(st.tombstones)
                else None
            )
            widen = 1.0
            live = None
        kk = max(1, min(k, st.base.ntotal))
        with _thread_lock:
            faiss.omp_set_num_threads(max(1, threads))
            scores, labels = st.base.search(
                q, kk, params=search_params(st.spec, selector, widen, kk)
            )
        if live is not None and (labels < 0).any() and len(live) >= kk:
            # The widened index search still came up short: finish exactly, in chunks.
            short = np.flatnonzero((labels < 0).any(axis=1))
            s2, l2 = _exact(st.base, live, q[short], kk)
            scores[short], labels[short] = s2, l2
        if kk < k:
            pad = k - kk
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            labels = np.pad(labels, ((0, 0), (0, pad)), constant_values=-1)
        return scores.astype(np.float32), labels.astype(np.int64)

    def _merge_delta(
        self,
        st: _State,
        q: Matrix,
        k: int,
        where: Where | None,
        base_scores: npt.NDArray[np.float32],
        base_ids: Ids,
    ) -> SearchResult:
        keep = np.ones(len(st.delta_ids), dtype=bool)
        if where is not None and not where.is_empty():
            fields = {f.name: f for f in self.schema.fields}
            keep = np.array([matches(m, fields, where) for m in st.delta_meta], dtype=bool)
        d_ids = st.delta_ids[keep]
        d_scores = q @ st.delta_vectors[keep].T  # (n, delta)
        scores = np.concatenate([base_scores, d_scores.astype(np.float32)], axis=1)
        ids = np.concatenate([base_ids, np.broadcast_to(d_ids, (len(q), len(d_ids)))], axis=1)
        scores = np.where(ids >= 0, scores, -np.inf)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        out_scores = np.take_along_axis(scores, top, axis=1)
        out_ids = np.take_along_axis(ids, top, axis=1)
        out_ids = np.where(np.isfinite(out_scores), out_ids, -1)
        return SearchResult(out_scores.astype(np.float32), out_ids.astype(np.int64))

    def rows(self, ids: Sequence[int] | Ids) -> pd.DataFrame:
        """Metadata rows for external ids (live ones), indexed by id, in the given order."""
        st = self.state
        wanted, in_delta, labels = st.live_labels(ids)
        base = st.meta.iloc[labels].set_axis(st.ids[labels], axis=0)
        if not in_delta.any():
            return base  # labels_of keeps the given order: nothing to merge or reorder
        delta_pos = {int(i): p for p, i in enumerate(st.delta_ids)}
        frames: list[pd.DataFrame] = [base] if len(labels) else []
        extra = [int(i) for i in wanted[in_delta]]
        if extra:
            frames.append(pd.DataFrame([st.delta_meta[delta_pos[i]] for i in extra], index=extra))
        if not frames:
            return st.meta.iloc[:0]
        combined = pd.concat(frames) if len(frames) > 1 else frames[0]
        return combined.loc[[i for i in wanted if i in combined.index]]

    def vectors(self, ids: Sequence[int] | Ids) -> tuple[Ids, Matrix]:
        """The live items among ``ids`` (the base's first, then the delta's) and their stored
        vectors: what the nightly batch scores a query's changed candidates with, exactly as
        the search's refinement did, without searching again."""
        st = self.state
        wanted, in_delta, labels = st.live_labels(ids)
        stored = stored_vectors(st.base) if len(labels) else None
        base = stored[labels] if stored is not None else _reconstruct(st.base, labels)
        extra = wanted[in_delta]
        position = {int(i): p for p, i in enumerate(st.delta_ids.tolist())}
        delta = st.delta_vectors[[position[int(i)] for i in extra]]
        return np.concatenate([st.ids[labels], extra]), np.concatenate([base, delta])

    def changes_since(self, directory: Path) -> ItemChanges | None:
        """What changed since the published version in ``directory``; None where that version
        is gone or unreadable or has another base (a rebuild or a compaction moves every
        approximate search, so nothing can be said per item)."""
        st = self.state
        if st.base_files is None:
            return None
        try:
            manifest = persistence.read_manifest(directory)
            if manifest.files.get("index.faiss") != st.base_files["index.faiss"].sha256:
                return None
            old = _read_delta(directory, self.dim, st.meta.columns)
        except (IndexCorruptError, OSError, ValueError):
            return None
        tombstones, delta_ids, delta_vectors, delta_meta = old
        candidates = np.union1d(
            np.union1d(delta_ids, st.delta_ids),
            st.ids[np.union1d(tombstones, st.tombstones)] if len(st.ids) else _EMPTY,
        ).astype(np.int64)
        if len(candidates) == 0:
            return ItemChanges(_EMPTY, np.zeros((0, self.dim), np.float32), *_no_flags(), (), ())
        labels = np.full(len(candidates), -1, dtype=np.int64)
        if len(st.ids):
            pos = np.clip(np.searchsorted(st.ids, candidates, sorter=st.order), 0, len(st.ids) - 1)
            found = st.order[pos]
            labels = np.where(st.ids[found] == candidates, found, -1)
        in_base = labels >= 0
        base_vectors = np.zeros((len(candidates), self.dim), np.float32)
        if in_base.any():
            base_vectors[in_base] = _reconstruct(st.base, labels[in_base])
        before = _Side(tombstones, delta_ids, delta_vectors, delta_meta)
        after = _Side(st.tombstones, st.delta_ids, st.delta_vectors, st.delta_meta)
        columns = {f.name: f.column for f in self.schema.fields} | {
            c: c for c in self.schema.numeric
        }
        keep: list[int] = []
        states: list[_ItemState | None] = []
        moved: list[bool] = []
        fields: list[frozenset[str]] = []
        for i, item in enumerate(candidates.tolist()):
            was = before.state(item, int(labels[i]), base_vectors[i], st.meta)
            now = after.state(item, int(labels[i]), base_vectors[i], st.meta)
            if was == now:
                continue  # e.g. in the delta of both versions, unchanged
            keep.append(i)
            states.append(now)
            moved.append(_moved(was, now))
            fields.append(_changed_fields(was, now, columns))
        rows = np.asarray(keep, dtype=np.int64)
        ids = candidates[rows]
        present = np.zeros(len(rows), dtype=bool)
        vectors = np.zeros((len(rows), self.dim), np.float32)
        meta: list[dict[str, Any] | None] = []
        for n, now in enumerate(states):
            if now is not None:
                present[n] = True
                vectors[n] = now.vector
            meta.append(None if now is None else now.meta)
        return ItemChanges(
            ids, vectors, present, np.asarray(moved, dtype=bool), tuple(fields), tuple(meta)
        )

    # --- writing -------------------------------------------------------------------------

    def _apply(self, change: Callable[[_State], _State]) -> None:
        with self._write:
            self._state = change(self.state)
            if self._replay is not None:
                self._replay.append(change)
        if (
            self.settings.index_auto_compact
            and self.needs_compaction()
            and not self._compacting.locked()
        ):
            threading.Thread(
                target=self._compact_if_needed, daemon=True, name=f"compact-{self.schema.name}"
            ).start()

    def _compact_if_needed(self) -> None:
        if self._compacting.acquire(blocking=False):
            try:
                if self.needs_compaction():
                    self._compact_locked()
            except Exception:  # the old state keeps serving; the next write retries
                log.exception("compaction of '%s' failed", self.schema.name)
            finally:
                self._compacting.release()

    def upsert(
        self, ids: Sequence[int] | Ids, vectors: Matrix, meta_rows: Sequence[dict[str, Any]]
    ) -> None:
        """Insert or replace items; visible to every search that starts after this returns."""
        new_ids = np.asarray(ids, dtype=np.int64)
        vecs = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if vecs.shape != (len(new_ids), self.dim) or len(meta_rows) != len(new_ids):
            raise ValueError(
                "upsert needs one vector of the collection's dim and one meta row per id"
            )
        rows = tuple(dict(r) for r in meta_rows)

        def change(st: _State) -> _State:
            keep = ~np.isin(st.delta_ids, new_ids)
            return replace(
                st,
                tombstones=np.union1d(st.tombstones, st.labels_of(new_ids)),
                delta_ids=np.concatenate([st.delta_ids[keep], new_ids]),
                delta_vectors=np.concatenate([st.delta_vectors[keep], vecs]),
                delta_meta=tuple(m for m, k in zip(st.delta_meta, keep, strict=True) if k) + rows,
            )

        self._apply(change)

    def delete(self, ids: Sequence[int] | Ids) -> None:
        """Remove items; no search that starts after this returns will see them."""
        gone = np.asarray(ids, dtype=np.int64)

        def change(st: _State) -> _State:
            keep = ~np.isin(st.delta_ids, gone)
            return replace(
                st,
                tombstones=np.union1d(st.tombstones, st.labels_of(gone)),
                delta_ids=st.delta_ids[keep],
                delta_vectors=st.delta_vectors[keep],
                delta_meta=tuple(m for m, k in zip(st.delta_meta, keep, strict=True) if k),
            )

        self._apply(change)

    def needs_compaction(self) -> bool:
        return self.tombstone_ratio > self.settings.index_compaction_ratio

    def compact(self) -> None:
        """Rebuild the base from the live items; searches continue meanwhile. Waits for a
        compaction already running."""
        with self._compacting:
            self._compact_locked()

    def _compact_locked(self) -> None:
        with self._write:
            st = self.state
            self._replay = []
        try:
            live = np.setdiff1d(
                np.arange(len(st.ids), dtype=np.int64), st.tombstones, assume_unique=True
            )
            vectors = np.concatenate([_reconstruct(st.base, live), st.delta_vectors])
            ids = np.concatenate([st.ids[live], st.delta_ids])
            meta = pd.concat(
                [st.meta.iloc[live], pd.DataFrame(list(st.delta_meta), columns=st.meta.columns)],
                ignore_index=True,
            )
            fresh = self._fit_state(ids, vectors, meta, persistence.new_version())
        except BaseException:
            with self._write:
                self._replay = None
            raise
        with self._write:
            for change in self._replay or []:
                fresh = change(fresh)
            self._replay = None
            self._state = fresh
        log.info(
            "compacted '%s': %d live items, %s", self.schema.name, len(fresh.ids), fresh.spec.kind
        )


@dataclass(frozen=True)
class _ItemState:
    in_delta: bool
    vector: Matrix
    meta: dict[str, Any]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _ItemState)
            and self.in_delta == other.in_delta
            and np.array_equal(self.vector, other.vector)
            and _same(self.meta, other.meta, list(self.meta) + list(other.meta))
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class _Side:
    """One version's delta and tombstones over the shared base."""

    tombstones: Ids
    delta_ids: Ids
    delta_vectors: Matrix
    delta_meta: tuple[dict[str, Any], ...]

    @functools.cached_property
    def delta_position(self) -> dict[int, int]:
        """Item id -> its last row in the delta (one pass, not one scan per item asked)."""
        return {int(item): p for p, item in enumerate(self.delta_ids.tolist())}

    def state(
        self, item: int, label: int, base_vector: Matrix, base_meta: pd.DataFrame
    ) -> _ItemState | None:
        p = self.delta_position.get(item)
        if p is not None:
            return _ItemState(True, self.delta_vectors[p], dict(self.delta_meta[p]))
        if label < 0:
            return None
        pos = int(np.searchsorted(self.tombstones, label))
        if pos < len(self.tombstones) and int(self.tombstones[pos]) == label:
            return None
        return _ItemState(False, base_vector, {str(k): v for k, v in base_meta.iloc[label].items()})


def _field_key(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(sorted(str(v) for v in value))
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return None
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return float(value)  # parquet reads one column as int64 in one file, float64 in another
    return str(value)


def _same(a: dict[str, Any], b: dict[str, Any], columns: Sequence[str]) -> bool:
    return all(_field_key(a.get(c)) == _field_key(b.get(c)) for c in columns)


def _moved(was: _ItemState | None, now: _ItemState | None) -> bool:
    if was is None or now is None:
        return True
    norms = float(np.linalg.norm(was.vector) * np.linalg.norm(now.vector)) or 1.0
    return float(was.vector @ now.vector) / norms < _MOVED_BELOW_COSINE


def _changed_fields(
    was: _ItemState | None, now: _ItemState | None, columns: Mapping[str, str]
) -> frozenset[str]:
    if was is None or now is None:
        return frozenset()
    return frozenset(
        name
        for name, column in columns.items()
        if _field_key(was.meta.get(column)) != _field_key(now.meta.get(column))
    )


def _no_flags() -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)


_BASE_FILES = ("index.faiss", "ids.npy", "meta.parquet")
_DELTA_FILES = ("tombstones.npy", "delta_ids.npy", "delta_vectors.npy", "delta_meta.parquet")


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _delta_files(st: _State) -> dict[str, bytes]:
    meta = io.BytesIO()
    pd.DataFrame(list(st.delta_meta), columns=st.meta.columns).to_parquet(meta, index=False)
    return {
        "tombstones.npy": _npy(st.tombstones),
        "delta_ids.npy": _npy(st.delta_ids),
        "delta_vectors.npy": _npy(st.delta_vectors),
        "delta_meta.parquet": meta.getvalue(),
    }


def _read_delta(
    directory: Path, dim: int, columns: pd.Index
) -> tuple[Ids, Ids, Matrix, tuple[dict[str, Any], ...]]:
    """A version's persisted delta and tombstones (none in a version published right after
    a build or a compaction)."""
    if not (directory / "delta_ids.npy").exists():
        return _EMPTY, _EMPTY, np.zeros((0, dim), np.float32), ()
    tombstones = np.load(directory / "tombstones.npy").astype(np.int64)
    delta_ids = np.load(directory / "delta_ids.npy").astype(np.int64)
    vectors = np.ascontiguousarray(np.load(directory / "delta_vectors.npy"), dtype=np.float32)
    meta = _lists_from_parquet(pd.read_parquet(directory / "delta_meta.parquet"))
    rows = tuple(
        {str(k): v for k, v in row.items()}
        for row in meta.reindex(columns=columns).to_dict("records")
    )
    return tombstones, delta_ids, vectors, rows


def _lists_from_parquet(meta: pd.DataFrame) -> pd.DataFrame:
    """Parquet gives list columns back as numpy arrays; callers expect the lists they built."""
    for column in meta.columns:
        if meta[column].dtype == object and any(
            isinstance(v, np.ndarray) for v in meta[column].head(50)
        ):
            meta[column] = meta[column].map(
                lambda v: (
                    [x.item() if isinstance(x, np.generic) else x for x in v]
                    if isinstance(v, np.ndarray)
                    else v
                )
            )
    return meta


def _reconstruct(index: Any, labels: Ids, chunk: int = 100_000) -> Matrix:
    if len(labels) == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    parts = [
        index.reconstruct_batch(np.ascontiguousarray(labels[i : i + chunk]))
        for i in range(0, len(labels), chunk)
    ]
    return np.concatenate(parts).astype(np.float32, copy=False)


def stored_vectors(index: Any) -> Matrix | None:
    """The exact vectors as a zero-copy (n, d) view (valid while ``index`` lives) where the
    index keeps them flat (flat, HNSW storage, the refine stage of IVF-PQ), else None (IVF
    lists: reconstruct instead).

    Why: a selective filter is searched exactly over its items on every live match (the
    inquired HS heading: thousands of products at 100k); reconstructing them item by item
    was a tenth of a match's CPU, where gathering rows of this view is a memory copy.
    """
    faiss = require("faiss", "faiss-cpu")
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexRefine):
        index = faiss.downcast_index(index.refine_index)
    elif isinstance(index, faiss.IndexHNSW):
        index = faiss.downcast_index(index.storage)
    if not isinstance(index, faiss.IndexFlat) or index.ntotal == 0:
        return None
    view: Matrix = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d)
    return view.reshape(index.ntotal, index.d)


# How far past k a search fetches to settle a tie at the k-th place (``_tie_fetch``), and
# how far, as a multiple of k, it widens for a tie that runs past that.
_TIE_MARGIN_SHARE = 0.25
_TIE_FETCH_LIMIT = 8


def _tie_fetch(k: int) -> int:
    return k + max(8, math.ceil(k * _TIE_MARGIN_SHARE))


def _by_score_then_id(
    scores: npt.NDArray[np.float32], ids: Ids
) -> tuple[npt.NDArray[np.float32], Ids]:
    """Each row best first, equal scores in id order, the missing (-1) last."""
    key = np.where(ids >= 0, -scores.astype(np.float64), np.inf)
    order = np.lexsort((np.where(ids >= 0, ids, np.iinfo(np.int64).max), key), axis=-1)
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)


def _ties_past(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.bool_]:
    """Rows (sorted best first, more than k fetched) whose k-th score ties with the last
    one fetched: items tied with it may lie beyond what was fetched."""
    if scores.shape[1] <= k:
        return np.zeros(len(scores), dtype=bool)
    kth = scores[:, k - 1]
    out: npt.NDArray[np.bool_] = np.isfinite(kth) & (kth == scores[:, -1])
    return out


def _exact(index: Any, labels: Ids, q: Matrix, k: int) -> tuple[npt.NDArray[np.float32], Ids]:
    """Exact top-k over the given labels (their stored vectors, or reconstructed)."""
    n = len(q)
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    out = np.full((n, k), -1, dtype=np.int64)
    if len(labels) == 0:
        return scores, out
    stored = stored_vectors(index)
    rows = stored[labels] if stored is not None else _reconstruct(index, labels)
    sims = q @ rows.T
    take = min(k, len(labels))
    top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
    top_scores = np.take_along_axis(sims, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    scores[:, :take] = np.take_along_axis(top_scores, order, axis=1)
    out[:, :take] = labels[np.take_along_axis(top, order, axis=1)]
    return scores, out


__all__ = ["CollectionSchema", "IndexKind", "ItemChanges", "SearchResult", "VectorCollection"]
