"""From an inquiry to ranked, explained Korean suppliers.

encode the inquiry -> restrict to products passing the filters -> retrieve the nearest
products, and the nearest of the inquired HS headings -> keep the best by similarity plus HS
agreement (the first stage the offline recall@200 measures) -> compute features -> rank ->
keep each supplier's best product -> explain.

Results are suppliers, not products: a buyer wants five firms to talk to, not five catalogue
lines from one firm. Each result carries the product that earned it its place.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from matcher.domain import hscodes
from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import inquiry_query
from matcher.features import pairs as pair_frames
from matcher.features import registry
from matcher.features.history import seconds
from matcher.features.pairs import PairContext
from matcher.index.collection import VectorCollection
from matcher.index.filters import Where
from matcher.index.manager import IndexManager
from matcher.index.products import CatalogFilter
from matcher.matching.first_stage import Spread, first_stage_score, similarity_spread
from matcher.ranking.base import Ranker
from matcher.ranking.constraints import Exclusion
from matcher.ranking.pipeline import RankingPipeline, Reason
from matcher.storage.tables import BuyerRow, NeedRow


@dataclass(frozen=True)
class MatchRequest:
    text: str
    hs_codes: tuple[str, ...] = ()
    required_certifications: tuple[str, ...] = ()
    quantity: float | None = None
    target_price_usd: float | None = None
    country: str | None = None  # where the buyer imports to (ISO alpha-2)
    buyer_id: int | None = None  # internal id of a known importer: its profile is used
    filters: CatalogFilter = field(default_factory=CatalogFilter)
    top_k: int = 10

    def query_columns(self) -> dict[str, object]:
        """The buyer side of the pair frame as the request states it."""
        columns: dict[str, object] = {
            "q_quantity": self.quantity,
            "q_target_price": self.target_price_usd,
        }
        if self.hs_codes:
            columns["b_hs"] = list(self.hs_codes)
        if self.required_certifications:
            columns["b_required"] = list(self.required_certifications)
        if self.country:
            columns["b_country"] = self.country
        return columns


@dataclass(frozen=True)
class SupplierProbe:
    """One inquiry's candidates to score without a search (``MatchService.score_candidates``):
    the request, its encoded query (one row), the products to score and the inquiry's whole
    candidate pool, which similarity percentiles are taken within."""

    request: MatchRequest
    query: np.ndarray
    product_ids: Sequence[int]
    pool: Sequence[int]
    spread: tuple[float, ...] | None = None  # the first stage's, to cut an outgrown pool back
    explain_from: float = math.inf  # rows scoring at least this are explained too
    # The products the inquiry's results are shown from: where one is among the products
    # to score, every product of its supplier in the pool is scored too, so that the
    # supplier's best row (what ranking shows it by) is known.
    shown: tuple[str, ...] = ()


Explained = tuple[tuple[Reason, ...], float | None]  # a row's reasons and probability


@dataclass(frozen=True)
class ScoredProbe:
    """A probe's scored rows (internal ids, external ids, the candidate each speaks for:
    a product's supplier or the importer itself, and the scores), plain arrays since the
    batch reads thousands of them; where its pool was cut back, the rows kept (internal
    ids) and the external ids of those pushed out."""

    ids: tuple[int, ...] = ()
    external: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    pool: tuple[int, ...] | None = None
    evicted: tuple[str, ...] = ()
    floor: float = -math.inf  # the lowest similarity in the pool kept
    evicted_ids: tuple[int, ...] = ()  # ``evicted``, internal ids
    # Per row, as ``rank`` would explain it, where the probe asked (``explain_from``).
    explained: tuple[Explained | None, ...] = ()


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
    explanations: tuple[Explanation, ...]  # every feature the ranker read
    reasons: tuple[Reason, ...]  # the strongest, signed as their contributions
    exporter_side: float
    buyer_side: float
    probability: float | None  # calibrated P(consultation), learned ranker only
    matching_products: int  # this supplier's products among the candidates


@dataclass(frozen=True)
class MatchResult:
    results: tuple[SupplierMatch, ...]
    excluded: tuple[Exclusion, ...]
    ranker: str
    model: str
    index_version: str
    candidates: int
    timings_ms: dict[str, float]
    external_ids: dict[int, str] = field(default_factory=dict)  # firm internal -> external
    entry_score: float = -math.inf  # ``RankOutcome.entry_score``: what a newcomer must reach


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


def plain_value(value: Any) -> Any:
    """A value from a frame as JSON-ready Python (NaN -> None, numpy -> builtins)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def stored_vectors(
    collection: VectorCollection, groups: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """The stored vectors of every item in ``groups`` (many probes' pools) in one read: the
    live ids, their vectors, and the ids as an index to find a row's vector by."""
    wanted: set[int] = set()
    for ids in groups:
        wanted.update(ids)
    known, vectors = collection.vectors(sorted(wanted))
    return known, vectors, pd.Index(known)


def product_pairs(
    context: PairContext,
    products: pd.DataFrame,
    request: MatchRequest,
    at: int,
    positions: pd.Series | None = None,
    reference: np.ndarray | None = None,
) -> registry.Columns:
    """The pair frame of candidate products for a request: each product speaks for itself
    (its own HS code, prices, MOQ and certificates), the firm's profile for the rest."""
    return _product_columns(
        context,
        products,
        [request.buyer_id] * len(products),
        request.query_columns(),
        at,
        positions,
        reference=reference,
    )


def probe_pairs(
    context: PairContext,
    products: pd.DataFrame,
    requests: Sequence[MatchRequest],
    at: int,
    positions: pd.Series | None,
    percentiles: np.ndarray,
) -> registry.Columns:
    """``product_pairs`` for many inquiries' rows in one frame (``requests[i]``: row i's, all
    of them from a known importer or all anonymous; ``percentiles``: each row's similarity
    percentile within its own inquiry's pool): what the nightly batch scores its probes
    with, one frame for many inquiries."""
    asked = {id(r): r.query_columns() for r in requests}
    names = sorted({name for columns in asked.values() for name in columns})
    query: dict[str, object] = {
        name: pair_frames.PerRow(
            [asked[id(r)].get(name) for r in requests], [name in asked[id(r)] for r in requests]
        )
        for name in names
    }
    return _product_columns(
        context,
        products,
        [r.buyer_id for r in requests],
        query,
        at,
        positions,
        percentiles=percentiles,
    )


def _product_columns(
    context: PairContext,
    products: pd.DataFrame,
    buyers: Sequence[int | None],
    query: dict[str, object],
    at: int,
    positions: pd.Series | None,
    *,
    reference: np.ndarray | None = None,
    percentiles: np.ndarray | None = None,
) -> registry.Columns:
    pairs = pair_frames.build_columns(
        context,
        products["exporter_id"].to_numpy(dtype=np.int64),
        buyers,
        at,
        similarity=products["similarity"].to_numpy(dtype=float),
        query=query,
        reference=reference,
        percentiles=percentiles,
    )
    # .tolist() first: iterating an Arrow-backed column boxes each value (~5 us apiece).
    pairs.set(
        "e_hs",
        _objects([[c] if isinstance(c, str) and c else [] for c in products["hs_code"].tolist()]),
    )
    pairs.set("e_certs", _objects([list(c) for c in products["certifications"].tolist()]))
    pairs.set("e_price_min", products["price_min_usd"].to_numpy(dtype=float))
    pairs.set("e_price_max", products["price_max_usd"].to_numpy(dtype=float))
    pairs.set("e_moq", pd.to_numeric(products["moq"], errors="coerce").to_numpy(dtype=float))
    source = {"e_languages": "languages", "e_stage": "export_stage", "e_industry": "industry"}
    for column, name in source.items():
        pairs.set(column, _objects(products[name].tolist()))
    if positions is not None:
        pairs.set("e_price_position", positions.reindex(products["product_id"]).to_numpy())
    return pairs


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class MatchService:
    """Stateless per request; holds the encoder, the loaded index, the ranking pipeline and
    a provider of the current pair context (profiles, history, market prior)."""

    def __init__(
        self,
        encoder: Encoder,
        indexes: IndexManager,
        pipeline: RankingPipeline,
        context: Callable[[], PairContext],
        *,
        candidates: int = 200,
        positions: Callable[[], pd.Series | None] | None = None,
    ) -> None:
        self.encoder = encoder
        self.indexes = indexes
        self.pipeline = pipeline
        self.context = context
        self.positions = positions
        self.candidates = candidates

    @property
    def ranker(self) -> Ranker:
        return self.pipeline.ranker

    def match(self, request: MatchRequest, now: dt.datetime | None = None) -> MatchResult:
        """``now``: the moment the funnel history is read as of (default: now); the nightly
        batch passes its run's moment so a resumed run ranks as the original would."""
        t0 = time.perf_counter()
        query = self.encode(request)
        t1 = time.perf_counter()
        manifest = self.indexes.manifest("products")
        frame = self.retrieve(request, query)
        t2 = time.perf_counter()
        results, excluded, entry = self._rank(request, frame, now)
        t3 = time.perf_counter()
        return MatchResult(
            results=results,
            excluded=excluded,
            ranker=self.ranker.name,
            model=manifest.model,
            index_version=manifest.version,
            candidates=len(frame),
            external_ids={
                int(i): str(x)
                for i, x in zip(frame["exporter_id"], frame["exporter_external_id"], strict=True)
            },
            timings_ms={
                "encode": (t1 - t0) * 1000,
                "retrieve": (t2 - t1) * 1000,
                "rank": (t3 - t2) * 1000,
            },
            entry_score=entry,
        )

    def score_candidates(
        self, probes: Sequence[SupplierProbe], now: dt.datetime | None = None
    ) -> list[ScoredProbe]:
        """The scores ``match`` gives each probe's candidate products (live ones; -inf where
        excluded), without the search: their stored vectors against the encoded inquiry, the
        rest as ``match`` builds it, the similarity percentiles taken within each probe's
        pool. Per probe, its rows (columns ``product_id``, ``product_external_id``,
        ``exporter_external_id``, ``score``): the nightly batch compares them with the last
        run's ``entry_score`` and results to know whether the inquiry needs ranking again.

        A probe that carries its first stage's ``spread`` and whose pool outgrew
        ``candidates`` (products entered, none left) is first cut back as the first stage
        cuts its searches' pool: by standardised similarity plus HS level. What that pushes
        out is reported (``ScoredProbe.evicted``) and no longer scored.

        Many probes at once because each is a few rows: the stored vectors and rows are read
        once for all, and the features and the ranker run once over every probe's rows."""
        out = [ScoredProbe() for _ in probes]
        if not probes:
            return out
        products = self.indexes.get("products")
        known, vectors, position = stored_vectors(
            products, [(*p.pool, *p.product_ids) for p in probes]
        )
        rows = products.rows(np.sort(known)).reset_index(names="_id")
        live = rows["_id"].to_numpy(dtype=np.int64)
        row_of = pd.Index(live)
        hs_codes = rows["hs_code"].to_numpy(dtype=object)
        external = rows["product_external_id"].astype(str).to_numpy()
        owners = rows["exporter_external_id"].astype(str).to_numpy()
        # Per probe: the rows to score (positions in ``rows``), their similarity and their
        # percentile within the probe's pool; then one frame per kind of inquiry (from a
        # known importer, anonymous), scored in one pass.
        picked: dict[bool, list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]] = {
            True: [],
            False: [],
        }
        for n, p in enumerate(probes):
            pool = np.asarray(sorted(set(p.pool) | set(p.product_ids)), dtype=np.int64)
            pool = pool[np.isin(pool, live)]
            pooled = (vectors[position.get_indexer(pd.Index(pool))] @ p.query[0]).astype(float)
            at_rows = row_of.get_indexer(pd.Index(pool))
            if p.spread is not None and len(pool) > self.candidates:
                kept = self._selection(
                    p.request, hs_codes[at_rows].tolist(), pooled, (p.spread[0], p.spread[1])
                )
                out[n] = ScoredProbe(
                    pool=tuple(int(i) for i in pool[kept]),
                    evicted=tuple(external[at_rows[~kept]].tolist()),
                    floor=float(pooled[kept].min()),
                    evicted_ids=tuple(int(i) for i in pool[~kept]),
                )
                pool, pooled, at_rows = pool[kept], pooled[kept], at_rows[kept]
            mine = np.isin(pool, np.asarray(list(p.product_ids), dtype=np.int64))
            if p.shown and mine.any():
                hit = np.isin(external[at_rows[mine]], list(p.shown))
                if hit.any():
                    theirs = owners[at_rows[mine][hit]]
                    mine |= np.isin(owners[at_rows], theirs)
            if mine.any():
                pct = pair_frames.percentile_within(pooled[mine], pooled)
                picked[p.request.buyer_id is not None].append((n, at_rows[mine], pooled[mine], pct))
        at = int(seconds([now or dt.datetime.now(dt.UTC)])[0])
        positions = self.positions() if self.positions is not None else None
        context = self.context()
        for group in picked.values():
            if not group:
                continue
            frame = rows.iloc[np.concatenate([g[1] for g in group])].reset_index(drop=True)
            frame["similarity"] = np.concatenate([g[2] for g in group])
            requests = [probes[n].request for n, at_rows, _, _ in group for _ in at_rows]
            pairs = probe_pairs(
                context, frame, requests, at, positions, np.concatenate([g[3] for g in group])
            )
            scores = self.pipeline.score_rows(pairs)
            suppliers = frame["exporter_external_id"].astype(str).tolist()
            floors = np.concatenate(
                [np.full(len(at_rows), probes[n].explain_from) for n, at_rows, _, _ in group]
            )
            explained = self.pipeline.explain_above(pairs, scores, floors)
            start = 0
            for n, at_rows, _, _ in group:
                stop = start + len(at_rows)
                out[n] = replace(
                    out[n],
                    ids=tuple(live[at_rows].tolist()),
                    external=tuple(external[at_rows].tolist()),
                    targets=tuple(suppliers[start:stop]),
                    scores=tuple(scores[start:stop].tolist()),
                    explained=tuple(explained[start:stop]),
                )
                start = stop
        return out

    def _selection(
        self,
        request: MatchRequest,
        hs_codes: list[Any],
        similarity: np.ndarray,
        spread: Spread,
    ) -> np.ndarray:
        """Which rows of a pool (in id order, as the search's pool is; ``hs_codes`` and
        ``similarity`` row by row) ``_first_stage`` keeps, standardising with the searches'
        ``spread``."""
        levels = np.minimum(
            np.asarray(hscodes.agreement_levels(tuple(request.hs_codes), hs_codes), dtype=float),
            2.0,
        )
        score = first_stage_score(similarity, levels, np.zeros(len(hs_codes)), spread)
        keep = np.zeros(len(hs_codes), dtype=bool)
        keep[np.argsort(-score, kind="stable")[: self.candidates]] = True
        return keep

    def encode_many(self, requests: Sequence[MatchRequest]) -> np.ndarray:
        """Many inquiries as query vectors, one row each (one call to the encoder)."""
        if not requests:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return self.encoder.encode_queries([inquiry_query(r.text) for r in requests])

    def encode(self, request: MatchRequest) -> np.ndarray:
        """The inquiry as a query vector (one row)."""
        return self.encoder.encode_queries([inquiry_query(request.text)])

    def retrieve(self, request: MatchRequest, query: np.ndarray) -> pd.DataFrame:
        """The first stage for an encoded inquiry: the candidate products, with their
        similarity, that the ranker sees."""
        return self.first_stage(request, query)[0]

    def first_stage(self, request: MatchRequest, query: np.ndarray) -> tuple[pd.DataFrame, Spread]:
        """``retrieve``, and the spread of the searches' whole pool that the selection
        standardised the similarities with (the nightly batch keeps both, to re-select the
        pool after the catalogue changes without searching again)."""
        products = self.indexes.get("products")  # the current version, per request
        where = request.filters.to_where()
        found = products.search(query, self.candidates, None if where.is_empty() else where)
        similarity = pd.Series(found.scores[0], index=found.ids[0])
        headings = sorted({c[:4] for c in request.hs_codes if len(c) >= 4})
        if headings and not request.filters.hs_prefixes:
            # The makers of the inquired product even where their texts read differently.
            coded = Where({**where.values, "hs": headings}, where.all_values, where.max_values)
            more = products.search(query, self.candidates, coded)
            similarity = pd.concat([similarity, pd.Series(more.scores[0], index=more.ids[0])])
        similarity = similarity[similarity.index >= 0]
        similarity = similarity.groupby(level=0).max()
        frame = products.rows(similarity.index.to_numpy()).copy()  # drops deleted ones
        frame["similarity"] = similarity.reindex(frame.index).to_numpy()
        frame = frame.reset_index(drop=True)
        spread = similarity_spread(frame["similarity"].to_numpy(dtype=float))
        return self._first_stage(request, frame, spread), spread

    def _first_stage(
        self, request: MatchRequest, frame: pd.DataFrame, spread: Spread
    ) -> pd.DataFrame:
        """The ``candidates`` best products by standardised similarity plus the HS level they
        share with the inquiry (heading 2, chapter 1): one first stage with the offline
        recall@200 (``learning.datasets.candidate_pool``)."""
        if len(frame) <= self.candidates:
            return frame
        sims = frame["similarity"].to_numpy(dtype=float)
        kept = self._selection(request, frame["hs_code"].tolist(), sims, spread)
        return frame[kept].reset_index(drop=True)

    def _rank(
        self, request: MatchRequest, frame: pd.DataFrame, now: dt.datetime | None = None
    ) -> tuple[tuple[SupplierMatch, ...], tuple[Exclusion, ...], float]:
        if frame.empty:
            return (), (), -math.inf
        at = int(seconds([now or dt.datetime.now(dt.UTC)])[0])
        positions = self.positions() if self.positions is not None else None
        pairs = product_pairs(self.context(), frame, request, at, positions)
        outcome = self.pipeline.rank(pairs, request.top_k, candidate="exporter")
        per_supplier = frame.groupby("exporter_id").size()
        # The picked rows' fields, a column at a time (a Series per row, or to_dict, boxes
        # every Arrow value on its own: ~3 ms a match).
        sub = frame.iloc[[r.row for r in outcome.ranked]]
        fields = [*_SUPPLIER_FIELDS, *_PRODUCT_FIELDS, "exporter_id"]
        columns = [sub[f].tolist() for f in fields]
        picked = [dict(zip(fields, values, strict=True)) for values in zip(*columns, strict=True)]
        out: list[SupplierMatch] = []
        for position, (ranked, row) in enumerate(zip(outcome.ranked, picked, strict=True)):
            explanations = []
            for name in self.ranker.feature_names:
                if name in self.pipeline.hidden:
                    continue  # private to the centers; identical for every supplier anyway
                value = ranked.features.get(name)
                contribution = ranked.contributions.get(name, 0.0)
                reason = registry.explain(
                    name,
                    registry.RowView(pairs, ranked.row),
                    float("nan") if value is None else value,
                    contribution,
                )
                explanations.append(
                    Explanation(
                        feature=name,
                        value=value,
                        contribution=contribution,
                        reason_en=reason.en if reason else None,
                        reason_ko=reason.ko if reason else None,
                    )
                )
            supplier = {out_k: plain_value(row[k]) for k, out_k in _SUPPLIER_FIELDS.items()}
            product = {out_k: plain_value(row[k]) for k, out_k in _PRODUCT_FIELDS.items()}
            product["hs_description"] = hscodes.describe(product["hs_code"] or "")
            out.append(
                SupplierMatch(
                    rank=position + 1,
                    score=round(ranked.score, 4),
                    supplier=supplier,
                    product=product,
                    explanations=tuple(explanations),
                    reasons=ranked.reasons,
                    exporter_side=round(ranked.exporter_side, 4),
                    buyer_side=round(ranked.buyer_side, 4),
                    probability=None
                    if ranked.probability is None
                    else round(ranked.probability, 4),
                    matching_products=int(per_supplier[row["exporter_id"]]),
                )
            )
        return tuple(out), outcome.excluded, outcome.entry_score


def request_for_buyer(buyer: BuyerRow, top_k: int) -> MatchRequest:
    """What an importer's profile asks for: its stated interests, HS codes and the
    certifications it requires, ranked with its own profile (type, positioning, history)."""
    text = buyer.interests or " ".join(hscodes.describe(c) for c in buyer.hs_codes) or buyer.name
    return MatchRequest(
        text=text,
        hs_codes=tuple(buyer.hs_codes or ()),
        required_certifications=tuple(buyer.required_certifications or ()),
        country=buyer.country,
        buyer_id=buyer.id,
        top_k=top_k,
    )


def request_for_need(need: NeedRow, top_k: int) -> MatchRequest:
    """What a stored inquiry asks for: its text, its confirmed HS codes (else the machine
    suggestions), certifications, quantity and price, from its importer where known."""
    return MatchRequest(
        text=need.text,
        hs_codes=tuple(need.hs_codes or need.suggested_hs_codes or ()),
        required_certifications=tuple(need.required_certifications or ()),
        quantity=need.quantity,
        target_price_usd=need.target_price_usd,
        country=need.country,
        buyer_id=need.buyer_id,
        top_k=top_k,
    )
