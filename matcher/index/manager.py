"""One place that builds, loads, verifies and reloads every collection's index.

- ``build`` reads a collection from the store, embeds it through the cache, chooses and
  calibrates the index type, and publishes a new version atomically;
- ``refresh`` publishes a new version with only what changed in the store upserted into the
  current one (the nightly batch's path: the base index is not retrained);
- ``get`` returns the loaded collection; ``reload`` switches to a newer published version
  only once it verifies, so readers keep the previous one meanwhile and a corrupt file is
  reported, not served;
- ``ensure`` loads what exists and rebuilds from the store what is missing, stale or corrupt;
- ``verify`` checks every collection's current files and names the bad ones.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import Encoder
from matcher.errors import IndexCorruptError, IndexNotReadyError, NotFoundError
from matcher.index import persistence
from matcher.index.catalogs import CATALOGS
from matcher.index.collection import VectorCollection
from matcher.storage.database import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    collection: str
    detail: str


class IndexManager:
    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], encoder: Encoder
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.encoder = encoder
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[VectorCollection, persistence.Manifest]] = {}
        self.problems: list[Problem] = []

    @property
    def root(self) -> str:
        return str(self.settings.index_dir)

    def _catalog(self, name: str):  # type: ignore[no-untyped-def]
        try:
            return CATALOGS[name]
        except KeyError:
            raise NotFoundError("index collection", name) from None

    def fingerprint(self, name: str) -> str:
        with session_scope(self.sessions) as session:
            return str(self._catalog(name).fingerprint(session))

    def build(
        self, name: str, *, progress: Callable[[int], None] | None = None
    ) -> persistence.Manifest:
        catalog = self._catalog(name)
        with session_scope(self.sessions) as session:
            fingerprint = catalog.fingerprint(session)
            frame = catalog.load(session)
            query_texts = catalog.queries(session)
        cache = EmbeddingCache(self.settings.cache_dir, self.encoder.name, self.encoder.dim)
        vectors = cache.get_or_encode(
            catalog.text(frame), self.encoder.encode_documents, progress=progress
        )
        ids = frame["id"].to_numpy(dtype=np.int64)
        collection = VectorCollection(catalog.schema, self.encoder.dim, self.settings)
        calibration = None
        kind = self.settings.index_kind
        approximate = kind not in ("auto", "flat") or len(ids) >= self.settings.index_exact_below
        if approximate and query_texts:
            # Only approximate indexes are calibrated. 500 queries (about 10 s to encode)
            # bound the sample's mean recall to within ~0.006 at 95%; 200 were too few.
            rng = np.random.default_rng(0)
            picks = rng.choice(len(query_texts), min(500, len(query_texts)), replace=False)
            calibration = self.encoder.encode_queries([query_texts[i] for i in picks])
        collection.build(ids, vectors, frame, calibration_queries=calibration)
        manifest = collection.save(
            self.settings.index_dir, model=self.encoder.name, fingerprint=fingerprint
        )
        manifest = persistence.Manifest(
            **{
                **manifest.__dict__,
                "extra": {**manifest.extra, "cache_hits": cache.hits, "cache_misses": cache.misses},
            }
        )
        log.info(
            "index %s %s: %d items (%s), %d encoded, %d from cache",
            name,
            manifest.version,
            manifest.count,
            manifest.extra["spec"]["kind"],
            cache.misses,
            cache.hits,
        )
        return manifest

    def refresh(self, name: str, *, adopt: bool = False) -> persistence.Manifest:
        """Bring a collection up to date with the store by upserting what changed into its
        current version, instead of rebuilding it: rows whose indexed fields differ (or that
        are new) get their vectors from the embedding cache (encoding only changed texts)
        and go to the delta, deleted ones become tombstones, and the base stays as it was,
        so a search that meets no changed item returns exactly what it did. A version of
        another model, a corrupt one or none at all is rebuilt (``build``), and so is the
        base once the delta passes ``index_compaction_ratio`` (in ``save``). ``adopt``:
        serve the upserted collection from memory as the version it published, instead of
        loading that version again (the nightly batch's driver, which only reads it; it is
        not memory-mapped and does not compact itself)."""
        catalog = self._catalog(name)
        # Compaction, if due, happens once in ``save`` rather than also in the background.
        quiet = self.settings.model_copy(update={"index_auto_compact": False})
        try:
            collection, loaded = VectorCollection.load(
                catalog.schema, self.settings.index_dir, quiet, mmap=False
            )
        except IndexNotReadyError:
            return self.build(name)
        if loaded.problems or loaded.manifest.model != self.encoder.name:
            return self.build(name)
        with session_scope(self.sessions) as session:
            fingerprint = catalog.fingerprint(session)
            frame = catalog.load(session)
        ids = frame["id"].to_numpy(dtype=np.int64)
        live_ids, live_meta = collection.live()
        stored = dict(zip(live_ids.tolist(), row_digests(live_meta), strict=True))
        now = row_digests(frame.reindex(columns=live_meta.columns))
        changed = [
            i for i, (x, d) in enumerate(zip(ids.tolist(), now, strict=True)) if stored.get(x) != d
        ]
        gone = np.setdiff1d(live_ids, ids)
        cache = EmbeddingCache(self.settings.cache_dir, self.encoder.name, self.encoder.dim)
        if changed:
            rows = frame.iloc[changed]
            vectors = cache.get_or_encode(catalog.text(rows), self.encoder.encode_documents)
            meta = rows.reindex(columns=live_meta.columns).to_dict("records")
            collection.upsert(ids[changed], vectors, meta)
        if len(gone):
            collection.delete(gone)
        compacted = collection.needs_compaction()
        manifest = collection.save(
            self.settings.index_dir,
            model=self.encoder.name,
            fingerprint=fingerprint,
            extra={
                "cache_hits": cache.hits,
                "cache_misses": cache.misses,
                "upserted": len(changed),
                "deleted": len(gone),
                "compacted": compacted,
            },
        )
        if adopt:
            with self._lock:
                self._loaded[name] = (collection, manifest)
        log.info(
            "index %s %s: %d upserted (%d encoded), %d deleted%s",
            name,
            manifest.version,
            len(changed),
            cache.misses,
            len(gone),
            ", base rebuilt (delta past the compaction ratio)" if compacted else "",
        )
        return manifest

    def _load(self, name: str) -> None:
        collection, loaded = VectorCollection.load(
            self._catalog(name).schema,
            self.settings.index_dir,
            self.settings,
            mmap=self.settings.index_mmap,
        )
        for problem in loaded.problems:
            self._report(name, problem)
        with self._lock:
            self._loaded[name] = (collection, loaded.manifest)

    def _report(self, name: str, detail: str) -> None:
        log.error("index %s: %s", name, detail)
        self.problems = [p for p in self.problems if p.detail != detail] + [Problem(name, detail)]

    def get(self, name: str) -> VectorCollection:
        with self._lock:
            entry = self._loaded.get(name)
        if entry is None:
            raise IndexNotReadyError(f"the '{name}' index is not loaded")
        return entry[0]

    def manifest(self, name: str) -> persistence.Manifest:
        with self._lock:
            entry = self._loaded.get(name)
        if entry is None:
            raise IndexNotReadyError(f"the '{name}' index is not loaded")
        return entry[1]

    def loaded(self) -> dict[str, persistence.Manifest]:
        with self._lock:
            return {name: manifest for name, (_, manifest) in self._loaded.items()}

    def is_stale(self, name: str) -> bool:
        try:
            loaded = persistence.current(self.settings.index_dir, name)
        except IndexNotReadyError:
            return True
        return (
            loaded.manifest.fingerprint != self.fingerprint(name)
            or loaded.manifest.model != self.encoder.name
        )

    def load_available(self, name: str) -> None:
        """Serve what exists now: the newest version that verifies (a corrupt newer one is
        reported and skipped), or build one from the store when none does. Fast on a
        normal start; ``ensure`` then brings it up to date in the background."""
        try:
            self._load(name)
        except IndexNotReadyError as exc:
            if (self.settings.index_dir / name).exists():
                self._report(name, f"{exc}; rebuilt from the store")
            self.build(name)
            self._load(name)

    def ensure(self, names: Iterable[str] = tuple(CATALOGS)) -> None:
        """Load every collection; build from the store those missing, stale or corrupt."""
        for name in names:
            try:
                current = persistence.current(self.settings.index_dir, name)
                for problem in current.problems:
                    self._report(name, problem)
                stale = (
                    current.problems
                    or current.manifest.model != self.encoder.name
                    or current.manifest.fingerprint != self.fingerprint(name)
                )
            except IndexNotReadyError as exc:
                if (self.settings.index_dir / name).exists():
                    self._report(name, f"{exc}; rebuilt from the store")
                else:
                    log.info("%s; building it from the store", exc)
                stale = True
            if stale:
                self.build(name)
            self._load(name)

    def reload(self) -> list[str]:
        """Switch to newer published versions that verify; keep serving the loaded one when
        the newer one is corrupt (and report it). Returns the collections that changed."""
        changed = []
        for name in list(self.loaded()):
            base = self.settings.index_dir / name
            head = persistence.pointed_version(self.settings.index_dir, name)
            if head is None or head == self.manifest(name).version:
                continue
            try:
                persistence.verify(base / head)
            except IndexCorruptError as exc:
                self._report(name, str(exc))
                continue
            self._load(name)
            changed.append(name)
        return changed

    def verify(self, names: Iterable[str] = tuple(CATALOGS)) -> list[Problem]:
        return verify_collections(self.settings.index_dir, names)


def _plain(value: Any) -> Any:
    """A metadata value in one form whether it came from the store or back from parquet
    (numpy scalars and arrays, lists, NaN and None)."""
    kind = type(value)
    if kind is str:  # most values: checked first, the digests of a catalogue read millions
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if value is None:
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float):
        return float(value)
    return value


def row_digests(frame: pd.DataFrame) -> list[str]:
    """One digest per row of indexed metadata, comparable between the store's rows and a
    published collection's."""
    columns = [[_plain(v) for v in frame[c].tolist()] for c in frame.columns]
    return [
        hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()
        for values in zip(*columns, strict=True)
    ]


def verify_collections(index_dir: Path, names: Iterable[str] = tuple(CATALOGS)) -> list[Problem]:
    """Check each collection's current version; every problem names its file."""
    problems = []
    for name in names:
        base = index_dir / name
        pointer = base / "CURRENT"
        if not pointer.exists():
            problems.append(Problem(name, f"{base}: no index built"))
            continue
        try:
            persistence.verify(base / pointer.read_text().strip())
        except IndexCorruptError as exc:
            problems.append(Problem(name, str(exc)))
    return problems
