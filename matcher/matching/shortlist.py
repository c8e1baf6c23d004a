"""Importer fit: a center's shortlist of importers for one Korean firm.

encode the firm's products as queries -> search the buyers collection (restricted to the
center's importers) -> keep each importer's best similarity -> pair frame (firm profile x
importer profiles, history as of now) -> exclusions (blocked, opted out, strict certificates,
the monthly exposure cap) -> rank -> diversify -> explain.

Staff screen about 500 importers to get about 50 meetings; the shortlist has to be fast,
ranked and explained, and every importer left out has to say why.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import product_document
from matcher.errors import InputValidationError
from matcher.features import pairs as pair_frames
from matcher.features.history import seconds
from matcher.features.pairs import PairContext
from matcher.index.filters import Where
from matcher.index.manager import IndexManager
from matcher.matching.first_stage import (
    first_stage_score,
    responsiveness_spread,
    responsiveness_z,
    similarity_spread,
)
from matcher.matching.service import ScoredProbe, plain_value, stored_vectors
from matcher.ranking.constraints import Exclusion
from matcher.ranking.pipeline import RankingPipeline, Reason
from matcher.storage import repository
from matcher.storage.database import session_scope


@dataclass(frozen=True)
class ShortlistRequest:
    exporter_id: int  # internal id
    center: str | None = None  # the center whose importers to shortlist (None: all)
    top_k: int = 20


@dataclass(frozen=True)
class ImporterMatch:
    rank: int
    score: float
    buyer: dict[str, Any]
    reasons: tuple[Reason, ...]
    features: dict[str, float | None]
    contributions: dict[str, float]
    exporter_side: float
    buyer_side: float
    probability: float | None


@dataclass(frozen=True)
class ShortlistResult:
    results: tuple[ImporterMatch, ...]
    excluded: tuple[Exclusion, ...]
    ranker: str
    candidates: int
    timings_ms: dict[str, float]
    external_ids: dict[int, str]  # importer internal -> external, results and exclusions
    entry_score: float = -math.inf  # ``RankOutcome.entry_score``: what a newcomer must reach
    head: tuple[tuple[int, float], ...] = ()  # ``RankOutcome.head``: the MMR pool and below
    floor: float = -math.inf  # ``RankOutcome.floor``: what every candidate not in it scores


@dataclass(frozen=True)
class ImporterProbe:
    """One shortlist's candidates to score without a search
    (``ShortlistService.score_candidates``): the request, the firm's encoded products (one
    row each), the importers to score and the shortlist's whole candidate pool."""

    request: ShortlistRequest
    queries: np.ndarray
    importer_ids: Sequence[int]
    pool: Sequence[int]
    headings: tuple[str, ...] = ()  # the firm's products' (``headings_of``)
    spread: tuple[float, ...] | None = None  # the first stage's, to cut an outgrown pool back
    explain_from: float = math.inf  # rows scoring at least this are explained too


_BUYER_FIELDS = (
    "external_id",
    "name",
    "country",
    "city",
    "buyer_type",
    "price_positioning",
    "center",
    "hs_codes",
    "languages",
)


def headings_of(documents: Sequence[tuple[str | None, str, str | None]]) -> list[str]:
    """The HS headings of a firm's products: what its first stage's HS search filters on
    and its HS level is counted against."""
    return sorted({str(h)[:4] for _, _, h in documents if h})


def _responsiveness(profiles: pd.DataFrame) -> np.ndarray:
    """The importers' responsiveness (NaN where unknown), a first-stage term."""
    values: np.ndarray = pd.to_numeric(profiles["b_responsiveness"], errors="coerce").to_numpy(
        dtype=float
    )
    return values


def month_start(now: dt.datetime) -> dt.datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class ShortlistService:
    def __init__(
        self,
        encoder: Encoder,
        indexes: IndexManager,
        pipeline: RankingPipeline,
        context: Callable[[], PairContext],
        sessions: sessionmaker[Session],
        *,
        candidates: int = 200,
    ) -> None:
        self.encoder = encoder
        self.indexes = indexes
        self.pipeline = pipeline
        self.context = context
        self.sessions = sessions
        self.candidates = candidates

    def _first_stage(
        self,
        best: dict[int, float],
        codes: list[str],
        context: PairContext,
        spread: tuple[float, ...] | None = None,
    ) -> list[int]:
        """The ``candidates`` best of the searches' pool, best first, by standardised
        similarity plus shared HS level plus standardised responsiveness. ``spread``
        (similarity mean and deviation, then responsiveness's): standardise with these
        instead of the pool's own, where the pool is a patched part of the one a search saw
        (the nightly batch's cut, ``first_stage``)."""
        if len(best) <= self.candidates:
            return sorted(best, key=lambda i: (-best[i], i))
        ids = sorted(best)  # ties by id, as the nightly batch's cut breaks them
        sims = np.asarray([best[i] for i in ids], dtype=float)
        profiles = context.buyers.reindex(ids)
        chapters = {c[:2] for c in codes}
        levels = np.asarray(
            [
                2.0
                if any(str(p)[:4] in codes for p in (hs or []) if len(str(p)) >= 4)
                else 1.0
                if any(str(p)[:2] in chapters for p in (hs or []))
                else 0.0
                for hs in profiles["b_hs"]
            ]
        )
        score = first_stage_score(
            sims,
            levels,
            responsiveness_z(
                _responsiveness(profiles), None if spread is None else (spread[2], spread[3])
            ),
            None if spread is None else (spread[0], spread[1]),
        )
        order = np.argsort(-score, kind="stable")[: self.candidates]
        return [ids[i] for i in order]

    def encode(self, documents: list[tuple[str | None, str, str | None]]) -> np.ndarray:
        """The firm's products, (name, description, HS code) each, as query vectors."""
        return self.encoder.encode_queries([product_document(n, d, h) for n, d, h in documents])

    def retrieve(
        self,
        request: ShortlistRequest,
        documents: list[tuple[str | None, str, str | None]],
        queries: np.ndarray,
    ) -> tuple[dict[int, float], list[int]]:
        """The first stage for a firm's encoded products: each candidate importer's best
        similarity, and the candidates the ranker sees, best first."""
        best = self._searched(request, documents, queries)
        return best, self._first_stage(best, headings_of(documents), self.context())

    def first_stage(
        self,
        request: ShortlistRequest,
        documents: list[tuple[str | None, str, str | None]],
        queries: np.ndarray,
    ) -> tuple[dict[int, float], list[int], tuple[float, ...]]:
        """``retrieve``, and the spreads the selection standardised the searches' pool with
        (the nightly batch keeps them, to cut the pool back after importers change without
        searching again; the live shortlist does not need them)."""
        best = self._searched(request, documents, queries)
        codes = headings_of(documents)
        context = self.context()
        ids = list(best)
        spread = (
            *similarity_spread(np.asarray([best[i] for i in ids], dtype=float)),
            *responsiveness_spread(_responsiveness(context.buyers.reindex(ids))),
        )
        return best, self._first_stage(best, codes, context), spread

    def _searched(
        self,
        request: ShortlistRequest,
        documents: list[tuple[str | None, str, str | None]],
        queries: np.ndarray,
    ) -> dict[int, float]:
        """Each importer the first stage's searches find, with its best similarity to the
        firm's products."""
        buyers = self.indexes.get("buyers")
        center = {"center": [request.center]} if request.center else {}
        codes = headings_of(documents)
        best: dict[int, float] = {}
        # Two first-stage searches: by meaning, and among importers whose HS interests share
        # a heading with the firm's products (so a terse or foreign-language profile with the
        # right codes is not lost).
        searches = [Where(values=center) if center else None]
        if codes:
            searches.append(Where(values={**center, "hs": codes}))
        for where in searches:
            found = buyers.search(queries, self.candidates, where)
            for ids, scores in zip(found.ids, found.scores, strict=True):
                for i, s in zip(ids.tolist(), scores.tolist(), strict=True):
                    if i >= 0 and s > best.get(i, -math.inf):
                        best[i] = s
        return best

    def shortlist(
        self, request: ShortlistRequest, now: dt.datetime | None = None
    ) -> ShortlistResult:
        now = now or dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        with session_scope(self.sessions) as session:
            documents = repository.product_documents_of(session, request.exporter_id)
            blocked = repository.blocked_pairs(session, request.exporter_id)
        if not documents:
            raise InputValidationError(
                "exporter_id", "this firm has no products to find importers for"
            )
        queries = self.encode(documents)
        t1 = time.perf_counter()
        buyers = self.indexes.get("buyers")
        context = self.context()
        best, ranked_ids = self.retrieve(request, documents, queries)
        t2 = time.perf_counter()
        at = int(seconds([now])[0])
        pairs = pair_frames.build_columns(
            context,
            np.full(len(ranked_ids), request.exporter_id, np.int64),
            np.asarray(ranked_ids, np.int64),
            at,
            similarity=np.asarray([best[i] for i in ranked_ids]),
            query={"q_center": request.center} if request.center else None,
        )
        exposure = None
        if context.history is not None:
            since = int(seconds([month_start(now)])[0])
            exposure = context.history.recent_exposure(ranked_ids, since, at + 1)
        outcome = self.pipeline.rank(
            pairs, request.top_k, candidate="buyer", blocked=blocked, exposure=exposure
        )
        rows = buyers.rows(np.asarray([r.buyer_id for r in outcome.ranked], np.int64))
        named = buyers.rows(np.asarray(ranked_ids, np.int64))
        external = {int(i): str(x) for i, x in zip(named.index, named["external_id"], strict=True)}
        out = []
        for position, r in enumerate(outcome.ranked):
            row = rows.loc[r.buyer_id] if r.buyer_id in rows.index else pd.Series(dtype=object)
            out.append(
                ImporterMatch(
                    rank=position + 1,
                    score=round(r.score, 4),
                    buyer={k: plain_value(row.get(k)) for k in _BUYER_FIELDS},
                    reasons=r.reasons,
                    features=r.features,
                    contributions=r.contributions,
                    exporter_side=round(r.exporter_side, 4),
                    buyer_side=round(r.buyer_side, 4),
                    probability=None if r.probability is None else round(r.probability, 4),
                )
            )
        t3 = time.perf_counter()
        return ShortlistResult(
            results=tuple(out),
            excluded=outcome.excluded,
            ranker=self.pipeline.ranker.name,
            candidates=len(ranked_ids),
            external_ids=external,
            timings_ms={
                "encode": (t1 - t0) * 1000,
                "retrieve": (t2 - t1) * 1000,
                "rank": (t3 - t2) * 1000,
            },
            entry_score=outcome.entry_score,
            head=outcome.head,
            floor=outcome.floor,
        )

    def score_candidates(
        self, probes: Sequence[ImporterProbe], now: dt.datetime | None = None
    ) -> list[ScoredProbe]:
        """The scores ``shortlist`` gives each probe's candidate importers (live ones),
        without the search: each one's best similarity to the firm's encoded products from
        its stored vector, exclusions and features as ``shortlist`` applies them (excluded:
        -inf), similarity percentiles within each probe's pool. Per probe, its rows
        (importers and scores): the nightly batch compares them with the last run's
        ``entry_score`` and results.

        A probe that carries its first stage's ``spread`` and whose pool outgrew
        ``candidates`` is first cut back as the first stage cuts its searches' pool; what
        that pushes out is reported (``ScoredProbe.evicted``, external ids) and not scored.

        Many probes at once because each is a few rows: the stored vectors are read once for
        all, and the features and the ranker run once over every probe's rows."""
        now = now or dt.datetime.now(dt.UTC)
        out = [ScoredProbe() for _ in probes]
        if not probes:
            return out
        buyers = self.indexes.get("buyers")
        known, vectors, position = stored_vectors(
            buyers, [(*p.pool, *p.importer_ids) for p in probes]
        )
        external = buyers.rows(np.sort(known))["external_id"].astype(str)
        with session_scope(self.sessions) as session:
            blocked = repository.blocked_pairs(
                session, sorted({p.request.exporter_id for p in probes})
            )
        context = self.context()
        at = int(seconds([now])[0])
        made: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []  # rows, sims, pcts
        for n, p in enumerate(probes):
            pool = np.asarray(sorted(set(p.pool) | set(p.importer_ids)), dtype=np.int64)
            pool = pool[np.isin(pool, external.index.to_numpy())]
            if len(p.queries) == 0 or len(pool) == 0:
                continue
            pooled = (vectors[position.get_indexer(pd.Index(pool))] @ p.queries.T).max(axis=1)
            pooled = pooled.astype(float)
            if p.spread is not None and len(pool) > self.candidates:
                chosen = self._first_stage(
                    dict(zip(pool.tolist(), pooled.tolist(), strict=True)),
                    list(p.headings),
                    context,
                    p.spread,
                )
                kept = np.isin(pool, np.asarray(chosen, dtype=np.int64))
                out[n] = ScoredProbe(
                    pool=tuple(int(i) for i in pool[kept]),
                    evicted=tuple(external.loc[pool[~kept].tolist()].tolist()),
                    floor=float(pooled[kept].min()),
                    evicted_ids=tuple(int(i) for i in pool[~kept]),
                )
                pool, pooled = pool[kept], pooled[kept]
            mine = np.isin(pool, np.asarray(list(p.importer_ids), dtype=np.int64))
            if mine.any():
                pct = pair_frames.percentile_within(pooled[mine], pooled)
                made.append((n, pool[mine], pooled[mine], pct))
        if not made:
            return out
        # Every probe's rows in one frame, scored in one pass.
        ids = np.concatenate([m[1] for m in made])
        firms = np.concatenate([np.full(len(m[1]), probes[m[0]].request.exporter_id) for m in made])
        centers = [probes[n].request.center for n, rows, _, _ in made for _ in rows]
        pairs = pair_frames.build_columns(
            context,
            firms.astype(np.int64),
            ids,
            at,
            similarity=np.concatenate([m[2] for m in made]),
            query={"q_center": pair_frames.PerRow(centers, [bool(c) for c in centers])},
            percentiles=np.concatenate([m[3] for m in made]),
        )
        exposure = None
        if context.history is not None:
            since = int(seconds([month_start(now)])[0])
            exposure = context.history.recent_exposure(sorted(set(ids.tolist())), since, at + 1)
        scores = self.pipeline.score_rows(pairs, blocked=blocked, exposure=exposure)
        floors = np.concatenate([np.full(len(m[1]), probes[m[0]].explain_from) for m in made])
        explained = self.pipeline.explain_above(pairs, scores, floors)
        start = 0
        for n, rows, _, _ in made:
            stop = start + len(rows)
            named = tuple(external.loc[rows.tolist()].tolist())
            out[n] = replace(
                out[n],
                ids=tuple(rows.tolist()),
                external=named,
                targets=named,
                scores=tuple(scores[start:stop].tolist()),
                explained=tuple(explained[start:stop]),
            )
            start = stop
        return out
