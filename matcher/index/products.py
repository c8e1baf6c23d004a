"""The product index: vectors of every product plus the catalog snapshot served beside them.

The snapshot (one row per product with its exporter's public profile) is what filters and
features read at query time, so a match needs no database round trip. Both are written as one
index version, so vectors and metadata can never disagree.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import ExportStage, Industry
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import product_document
from matcher.index import persistence
from matcher.index.vector_index import Ids, VectorIndex
from matcher.storage.database import session_scope
from matcher.storage.repository import (
    PRODUCT_CATALOG_COLUMNS,
    catalog_fingerprint,
    iter_product_catalog,
)

log = logging.getLogger(__name__)

INDEX_NAME = "products"
_LIST_COLUMNS = ("product_certifications", "exporter_certifications", "markets", "languages")


def load_catalog(session: Session) -> pd.DataFrame:
    rows = list(iter_product_catalog(session))
    frame = pd.DataFrame.from_records(rows, columns=list(PRODUCT_CATALOG_COLUMNS))
    for column in _LIST_COLUMNS:
        frame[column] = frame[column].map(lambda v: list(v or []))
    # What a supplier can show for this product: its own certificates and the firm's.
    frame["certifications"] = [
        sorted(set(p) | set(e))
        for p, e in zip(
            frame["product_certifications"], frame["exporter_certifications"], strict=True
        )
    ]
    frame["document"] = [
        product_document(n, d, h)
        for n, d, h in zip(
            frame["product_name"], frame["description"], frame["hs_code"], strict=True
        )
    ]
    return frame


def build_product_index(
    sessions: sessionmaker[Session],
    encoder: Encoder,
    cache_root: Path,
    index_root: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> persistence.Manifest:
    """Embed every product (through the cache) and publish a new index version."""
    with session_scope(sessions) as session:
        fingerprint = catalog_fingerprint(session)
        catalog = load_catalog(session)
    cache = EmbeddingCache(cache_root, encoder.name, encoder.dim)
    vectors = cache.get_or_encode(
        catalog["document"].tolist(), encoder.encode_documents, progress=progress
    )
    ids = catalog["product_id"].to_numpy(dtype=np.int64)
    index = VectorIndex(encoder.dim).build(ids, vectors)
    parquet = io.BytesIO()
    catalog.drop(columns=["document"]).to_parquet(parquet, index=False)
    manifest = persistence.publish(
        index_root,
        INDEX_NAME,
        {"index.faiss": index.to_bytes(), "catalog.parquet": parquet.getvalue()},
        model=encoder.name,
        dim=encoder.dim,
        count=len(catalog),
        fingerprint=fingerprint,
        extra={"cache_hits": cache.hits, "cache_misses": cache.misses},
    )
    log.info(
        "product index %s: %d products, %d encoded, %d from cache",
        manifest.version,
        len(catalog),
        cache.misses,
        cache.hits,
    )
    return manifest


def is_stale(sessions: sessionmaker[Session], index_root: Path, model: str) -> bool:
    """True when no valid index exists, or it was built from other data or another model."""
    try:
        loaded = persistence.current(index_root, INDEX_NAME)
    except Exception:
        return True
    with session_scope(sessions) as session:
        fingerprint = catalog_fingerprint(session)
    return loaded.manifest.fingerprint != fingerprint or loaded.manifest.model != model


@dataclass(frozen=True)
class CatalogFilter:
    """Restrict candidates to products whose supplier satisfies every given condition."""

    hs_prefixes: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    export_stages: tuple[ExportStage, ...] = ()
    industries: tuple[Industry, ...] = ()
    certifications: tuple[str, ...] = ()  # the supplier must hold all of these
    max_moq: int | None = None

    def is_empty(self) -> bool:
        return not (
            self.hs_prefixes
            or self.cities
            or self.export_stages
            or self.industries
            or self.certifications
            or self.max_moq is not None
        )


class ProductIndex:
    """A loaded index version: vectors, catalog snapshot and manifest."""

    def __init__(
        self, vectors: VectorIndex, catalog: pd.DataFrame, manifest: persistence.Manifest
    ) -> None:
        self.vectors = vectors
        self.catalog = catalog.set_index("product_id", drop=False)
        self.catalog.index.name = None  # keep "product_id" unambiguous as a column
        self.manifest = manifest

    @classmethod
    def load(cls, index_root: Path) -> ProductIndex:
        loaded = persistence.current(index_root, INDEX_NAME)
        for problem in loaded.problems:
            log.error("skipped corrupt index version: %s", problem)
        vectors = VectorIndex.from_bytes((loaded.directory / "index.faiss").read_bytes())
        catalog = pd.read_parquet(loaded.directory / "catalog.parquet")
        for column in (*_LIST_COLUMNS, "certifications"):
            catalog[column] = catalog[column].map(lambda v: [str(x) for x in v])
        return cls(vectors, catalog, loaded.manifest)

    def __len__(self) -> int:
        return len(self.catalog)

    def allowed_ids(self, where: CatalogFilter) -> Ids | None:
        """Ids passing the filter, or None when nothing is filtered."""
        if where.is_empty():
            return None
        c = self.catalog
        mask = np.ones(len(c), dtype=bool)
        if where.hs_prefixes:
            mask &= c["hs_code"].fillna("").str.startswith(where.hs_prefixes).to_numpy()
        if where.cities:
            wanted = {x.strip().lower() for x in where.cities}
            mask &= c["city"].fillna("").str.lower().isin(wanted).to_numpy()
        if where.export_stages:
            mask &= c["export_stage"].isin([s.value for s in where.export_stages]).to_numpy()
        if where.industries:
            mask &= c["industry"].isin([i.value for i in where.industries]).to_numpy()
        if where.max_moq is not None:
            moq = c["moq"].to_numpy(dtype=float, na_value=np.nan)
            mask &= ~(moq > where.max_moq)  # unknown MOQ passes
        if where.certifications:
            needed = set(where.certifications)
            mask &= np.fromiter(
                (needed.issubset(held) for held in c["certifications"]), dtype=bool, count=len(c)
            )
        return c["product_id"].to_numpy(dtype=np.int64)[mask]
