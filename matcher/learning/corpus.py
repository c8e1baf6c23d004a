"""Everything learning and evaluation read, loaded once from the store and embedded.

- the product catalog and the importers (through the same catalog loaders the indexes use);
- the funnel events, as pair timelines and point-in-time history;
- product documents encoded as passages, importer interests and inquiries encoded as queries
  (the e5 prefixes differ, so each has its own embedding cache), and from them the similarity
  of every firm to every importer and to every inquiry that started a pair: the best of the
  firm's products, as the supplier search sees it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import inquiry_query
from matcher.features.history import PairTimeline
from matcher.features.pairs import PairContext, make_context
from matcher.features.profiles import price_positions
from matcher.index.catalogs import BUYERS, PRODUCTS, confirmed_or_suggested_hs
from matcher.matching.service import MatchRequest
from matcher.storage import repository
from matcher.storage.database import session_scope
from matcher.storage.tables import NeedRow

log = logging.getLogger(__name__)
FloatMatrix = npt.NDArray[np.float32]


@dataclass
class Corpus:
    products: pd.DataFrame
    buyers: pd.DataFrame
    events: pd.DataFrame
    context: PairContext
    timeline: PairTimeline
    exporter_ids: npt.NDArray[np.int64]  # rows of ``similarity``
    buyer_ids: npt.NDArray[np.int64]  # columns of ``similarity``
    similarity: FloatMatrix  # (firms x importers): best product cosine
    product_positions: pd.Series  # product id -> price position
    # Inquiries that started a pair (index: need id, sorted), and (firms x inquiries) cosine.
    needs: pd.DataFrame
    need_similarity: FloatMatrix

    @property
    def need_ids(self) -> npt.NDArray[np.int64]:
        out: npt.NDArray[np.int64] = self.needs.index.to_numpy(dtype=np.int64)
        return out

    def need_row(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        out: npt.NDArray[np.intp] = np.searchsorted(self.need_ids, ids)
        return out

    def hs_levels_for_need(self, need: int) -> npt.NDArray[np.float64]:
        """Shared HS level of one inquiry's codes with every firm: 2 heading, 1 chapter."""
        e_ch, e_hd, _, _ = self._hs_sets()
        codes = [str(c) for c in self.needs["hs"].loc[need]]
        ch = {c[:2] for c in codes}
        hd = {c[:4] for c in codes if len(c) >= 4}
        return np.asarray(
            [2.0 if hd & h else 1.0 if ch & c else 0.0 for c, h in zip(e_ch, e_hd, strict=True)]
        )

    def need_query(self, need: int) -> dict[str, object]:
        """The buyer side of a pair frame as the inquiry states it (as a live match does)."""
        row = self.needs.loc[need]
        country = row["country"] if isinstance(row["country"], str) and row["country"] else None
        request = MatchRequest(
            text=str(row["text"]),
            hs_codes=tuple(row["hs"]),
            required_certifications=tuple(row["required_certifications"]),
            quantity=_number(row["quantity"]),
            target_price_usd=_number(row["target_price_usd"]),
            country=country,
        )
        return request.query_columns()

    def exporter_row(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        out: npt.NDArray[np.intp] = np.searchsorted(self.exporter_ids, ids)
        return out

    def buyer_row(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        out: npt.NDArray[np.intp] = np.searchsorted(self.buyer_ids, ids)
        return out

    def _hs_sets(self) -> tuple[list[set[str]], list[set[str]], list[set[str]], list[set[str]]]:
        if not hasattr(self, "_hs_cache"):
            firms = self.context.exporters.reindex(self.exporter_ids)["e_hs"]
            buyers = self.context.buyers.reindex(self.buyer_ids)["b_hs"]

            def chapters(codes: object) -> set[str]:
                return {str(c)[:2] for c in (codes or [])}  # type: ignore[attr-defined]

            def headings(codes: object) -> set[str]:
                return {str(c)[:4] for c in (codes or []) if len(str(c)) >= 4}  # type: ignore[attr-defined]

            self._hs_cache = (
                [chapters(c) for c in firms],
                [headings(c) for c in firms],
                [chapters(c) for c in buyers],
                [headings(c) for c in buyers],
            )
        return self._hs_cache

    def hs_levels_for_exporter(self, row: int) -> npt.NDArray[np.float64]:
        """Shared HS level of one firm with every importer: 2 heading, 1 chapter, 0 none."""
        e_ch, e_hd, b_ch, b_hd = self._hs_sets()
        return np.asarray(
            [
                2.0 if e_hd[row] & h else 1.0 if e_ch[row] & c else 0.0
                for c, h in zip(b_ch, b_hd, strict=True)
            ]
        )

    @property
    def buyer_centers(self) -> npt.NDArray[np.object_]:
        """Each importer's center code (None where no center covers it), in column order."""
        if not hasattr(self, "_centers"):
            raw = self.context.buyers.reindex(self.buyer_ids)["b_center"].to_numpy(dtype=object)
            self._centers = np.asarray(
                [v if isinstance(v, str) and v else None for v in raw], dtype=object
            )
        return self._centers

    @property
    def buyer_responsiveness_z(self) -> npt.NDArray[np.float64]:
        from matcher.matching.first_stage import responsiveness_z

        values = pd.to_numeric(
            self.context.buyers.reindex(self.buyer_ids)["b_responsiveness"], errors="coerce"
        ).to_numpy(dtype=float)
        out: npt.NDArray[np.float64] = responsiveness_z(values)
        return out

    def pair_similarity(
        self, exporters: npt.NDArray[np.int64], buyers: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = self.similarity[
            self.exporter_row(exporters), self.buyer_row(buyers)
        ].astype(np.float64)
        return out


def _number(value: object) -> float | None:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return None if pd.isna(number) else float(number)


_NEED_COLUMNS = (
    "id",
    "buyer_id",
    "country",
    "text",
    "hs_codes",
    "suggested_hs_codes",
    "required_certifications",
    "quantity",
    "target_price_usd",
)


def _inquiries(session: Session, ids: set[int]) -> pd.DataFrame:
    """The inquiries that started a pair, whatever their status now; ``hs`` holds the
    confirmed codes, else the machine suggestions (as the open-needs index does)."""
    rows = [r for r in repository.iter_table(session, NeedRow, _NEED_COLUMNS) if r["id"] in ids]
    frame = pd.DataFrame.from_records(rows, columns=list(_NEED_COLUMNS))
    frame["hs"] = confirmed_or_suggested_hs(frame)
    frame["required_certifications"] = [list(r or []) for r in frame["required_certifications"]]
    return frame.set_index("id").sort_index()


def best_per_owner(
    product_vectors: FloatMatrix, product_exporters: npt.NDArray[np.int64], queries: FloatMatrix
) -> tuple[npt.NDArray[np.int64], FloatMatrix]:
    """(owners sorted, owners x queries): each owner's best cosine over its vectors."""
    order = np.argsort(product_exporters, kind="stable")
    sorted_exporters = product_exporters[order]
    exporters, starts = np.unique(sorted_exporters, return_index=True)
    out = np.empty((len(exporters), len(queries)), np.float32)
    for lo in range(0, len(queries), 2048):
        block = product_vectors[order] @ queries[lo : lo + 2048].T
        out[:, lo : lo + 2048] = np.maximum.reduceat(block, starts, axis=0)
    return exporters.astype(np.int64), out


def load_corpus(
    settings: Settings,
    sessions: sessionmaker[Session],
    encoder: Encoder,
    *,
    cache_root: Path | None = None,
) -> Corpus:
    """Load and embed; ``cache_root`` lets a throwaway evaluation store share embeddings."""
    with session_scope(sessions) as session:
        products = PRODUCTS.load(session)
        buyers = BUYERS.load(session)
        events = repository.events_frame(session)
        linked = pd.to_numeric(events["need_id"], errors="coerce")
        needs = _inquiries(session, {int(n) for n in linked.dropna().unique()})
    log.info(
        "corpus: %d products, %d importers, %d events", len(products), len(buyers), len(events)
    )
    root = cache_root or settings.cache_dir
    documents = EmbeddingCache(root, encoder.name, encoder.dim)
    queries = EmbeddingCache(root / "queries", encoder.name, encoder.dim)
    product_vectors = documents.get_or_encode(PRODUCTS.text(products), encoder.encode_documents)
    buyer_vectors = queries.get_or_encode(BUYERS.text(buyers), encoder.encode_queries)
    need_vectors = queries.get_or_encode(
        [inquiry_query(str(t)) for t in needs["text"]], encoder.encode_queries
    )
    exporter_ids, similarity = best_per_owner(
        product_vectors, products["exporter_id"].to_numpy(dtype=np.int64), buyer_vectors
    )
    _, need_similarity = best_per_owner(
        product_vectors, products["exporter_id"].to_numpy(dtype=np.int64), need_vectors
    )
    context = make_context(products, buyers, events, settings.market_scores_path)
    timeline = context.timeline
    positions = price_positions(products)
    positions.index = products["product_id"].to_numpy()
    return Corpus(
        products=products,
        buyers=buyers,
        events=events,
        context=context,
        timeline=timeline,
        exporter_ids=exporter_ids,
        buyer_ids=buyers["id"].to_numpy(dtype=np.int64),
        similarity=similarity,
        product_positions=positions,
        needs=needs,
        need_similarity=need_similarity,
    )
