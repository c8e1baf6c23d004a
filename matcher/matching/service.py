"""From an inquiry to ranked, explained Korean suppliers.

encode the inquiry -> restrict to products passing the filters -> retrieve the nearest
products -> compute features -> rank -> keep each supplier's best product -> explain.

Results are suppliers, not products: a buyer wants five firms to talk to, not five catalogue
lines from one firm. Each result carries the product that earned it its place.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matcher.domain import hscodes
from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import inquiry_query
from matcher.features import registry
from matcher.features.registry import QueryContext
from matcher.index.manager import IndexManager
from matcher.index.products import CatalogFilter
from matcher.ranking.base import Ranker
from matcher.storage.tables import BuyerRow


@dataclass(frozen=True)
class MatchRequest:
    text: str
    hs_codes: tuple[str, ...] = ()
    required_certifications: tuple[str, ...] = ()
    quantity: float | None = None
    target_price_usd: float | None = None
    filters: CatalogFilter = field(default_factory=CatalogFilter)
    top_k: int = 10

    def context(self) -> QueryContext:
        return QueryContext(
            text=self.text,
            hs_codes=self.hs_codes,
            required_certifications=self.required_certifications,
            quantity=self.quantity,
            target_price_usd=self.target_price_usd,
        )


@dataclass(frozen=True)
class Explanation:
    feature: str
    value: float | None
    contribution: float
    reason_en: str | None
    reason_ko: str | None


@dataclass(frozen=True)
class SupplierMatch:
    rank: int
    score: float
    supplier: dict[str, Any]
    product: dict[str, Any]
    explanations: tuple[Explanation, ...]
    matching_products: int  # this supplier's products among the candidates


@dataclass(frozen=True)
class MatchResult:
    results: tuple[SupplierMatch, ...]
    ranker: str
    model: str
    index_version: str
    candidates: int
    timings_ms: dict[str, float]


_SUPPLIER_FIELDS = {
    "exporter_external_id": "id",
    "exporter_name_ko": "name_ko",
    "exporter_name_en": "name_en",
    "exporter_kind": "kind",
    "industry": "industry",
    "city": "city",
    "export_stage": "export_stage",
    "employees": "employees",
    "exporter_certifications": "certifications",
    "markets": "markets",
    "languages": "languages",
}
_PRODUCT_FIELDS = {
    "product_external_id": "id",
    "product_name": "name",
    "description": "description",
    "hs_code": "hs_code",
    "price_min_usd": "price_min_usd",
    "price_max_usd": "price_max_usd",
    "price_unit": "price_unit",
    "moq": "moq",
    "moq_unit": "moq_unit",
    "product_certifications": "certifications",
    "language": "language",
}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


class MatchService:
    """Stateless per request; holds the encoder, the loaded index and the ranker."""

    def __init__(
        self, encoder: Encoder, indexes: IndexManager, ranker: Ranker, *, candidates: int = 200
    ) -> None:
        self.encoder = encoder
        self.indexes = indexes
        self.ranker = ranker
        self.candidates = candidates

    def match(self, request: MatchRequest) -> MatchResult:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = self.encoder.encode_queries([inquiry_query(request.text)])
        t1 = time.perf_counter()
        products = self.indexes.get("products")  # the current version, per request
        manifest = self.indexes.manifest("products")
        where = request.filters.to_where()
        found = products.search(query, self.candidates, None if where.is_empty() else where)
        t2 = time.perf_counter()
        keep = found.ids[0] >= 0
        similarity = pd.Series(found.scores[0][keep], index=found.ids[0][keep])
        frame = products.rows(found.ids[0][keep]).copy()  # drops anything deleted meanwhile
        frame["similarity"] = similarity.reindex(frame.index).to_numpy()
        results = self._rank(request, frame)
        t3 = time.perf_counter()
        timings = {
            "encode": (t1 - t0) * 1000,
            "retrieve": (t2 - t1) * 1000,
            "rank": (t3 - t2) * 1000,
        }
        return MatchResult(
            results=results,
            ranker=self.ranker.name,
            model=manifest.model,
            index_version=manifest.version,
            candidates=len(frame),
            timings_ms=timings,
        )

    def _rank(self, request: MatchRequest, frame: pd.DataFrame) -> tuple[SupplierMatch, ...]:
        if frame.empty:
            return ()
        context = request.context()
        features = registry.compute(context, frame, self.ranker.feature_names)
        contributions = self.ranker.contributions(features)
        frame = frame.assign(_score=contributions.sum(axis=1).to_numpy())
        # Deterministic order: score, then similarity, then id (ties are common at cold start).
        frame = frame.sort_values(
            ["_score", "similarity", "product_id"], ascending=[False, False, True]
        )
        per_supplier = frame.groupby("exporter_id", sort=False).size()
        best = frame.drop_duplicates("exporter_id", keep="first").head(request.top_k)
        names = self.ranker.feature_names
        values = features.loc[best.index, list(names)].to_numpy(dtype=float)
        parts = contributions.loc[best.index, list(names)].to_numpy(dtype=float)
        out: list[SupplierMatch] = []
        for position, (_, row) in enumerate(best.iterrows()):
            explanations = []
            for j, name in enumerate(names):
                value = float(values[position, j])
                reason = registry.explain(name, context, row, value)
                explanations.append(
                    Explanation(
                        feature=name,
                        value=None if math.isnan(value) else round(value, 4),
                        contribution=round(float(parts[position, j]), 4),
                        reason_en=reason.en if reason else None,
                        reason_ko=reason.ko if reason else None,
                    )
                )
            supplier = {out_k: _clean(row[k]) for k, out_k in _SUPPLIER_FIELDS.items()}
            product = {out_k: _clean(row[k]) for k, out_k in _PRODUCT_FIELDS.items()}
            product["hs_description"] = hscodes.describe(product["hs_code"] or "")
            out.append(
                SupplierMatch(
                    rank=position + 1,
                    score=round(float(row["_score"]), 4),
                    supplier=supplier,
                    product=product,
                    explanations=tuple(explanations),
                    matching_products=int(per_supplier[row["exporter_id"]]),
                )
            )
        return tuple(out)


def request_for_buyer(buyer: BuyerRow, top_k: int) -> MatchRequest:
    """What an importer's profile asks for: its stated interests, HS codes and the
    certifications it requires."""
    text = buyer.interests or " ".join(hscodes.describe(c) for c in buyer.hs_codes) or buyer.name
    return MatchRequest(
        text=text,
        hs_codes=tuple(buyer.hs_codes or ()),
        required_certifications=tuple(buyer.required_certifications or ()),
        top_k=top_k,
    )
