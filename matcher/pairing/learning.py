"""Learning partner recommendation from recorded pairing outcomes.

Why: the complementarity table is the policy's and the team's belief about which services a
manufacturer needs. Recorded pairings (``pairing_events``: the funnel on (manufacturer, service
offering) pairs) say which pairings actually went somewhere. A LightGBM ``lambdarank`` model
learns from them, as the importer ranker learns from funnel events, and keeps the table's view
among its inputs: what each offering closes by the table, plus the manufacturer's industry and
the service type as categories, so it can find pairings the table misses or overrates.

- ``load_pairing_corpus``: profiles, offerings, pairing timelines and the relevance of every
  offering to every manufacturer's products (through the embedding cache), once.
- ``pairing_frame``: the features of (manufacturer, market, offerings) as of a time.
- ``PairingRanker``: scikit-learn conventions (``__init__`` stores parameters, fitted
  attributes end in ``_``).
- ``evaluate_pairing``: a time split (trees on the past, test on the future), nDCG@10 and
  friends for the embedding-only baseline, the rule scorer (``partners``) and the learned
  ranker, through ir-measures.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher._lazy import require
from matcher.domain.enums import ExportStage, FirmKind, Industry, ServiceType
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import product_document
from matcher.errors import ConfigurationError, NotFittedError
from matcher.features.history import PairTimeline, timelines
from matcher.index.catalogs import SERVICES
from matcher.learning.corpus import best_per_owner
from matcher.learning.datasets import TimeSplit
from matcher.learning.evaluate import ir_metrics
from matcher.pairing.complementarity import GapKind
from matcher.pairing.gaps import Gap, ManufacturerProfile, derive_gaps
from matcher.pairing.partners import (
    PARTNER_WEIGHTS,
    TRACK_PRIOR_PAIRS,
    ServiceOffer,
    closed_gaps,
    offers_from_frame,
)
from matcher.storage import repository
from matcher.storage.database import session_scope
from matcher.storage.tables import ExporterRow, ProductRow

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SERVICE_TYPES: tuple[ServiceType, ...] = tuple(ServiceType)
INDUSTRIES: tuple[Industry, ...] = tuple(Industry)
STAGES: tuple[ExportStage, ...] = tuple(ExportStage)
GAP_FEATURES = tuple(f"closes_{k.value}" for k in GapKind)
FEATURES: tuple[str, ...] = (
    "gap_coverage",
    *GAP_FEATURES,
    "relevance",
    "relevance_pct",
    "serves_market",
    "track_record",
    "capacity",
    "export_stage",
    "industry",
    "service_type",
)
CATEGORICAL = ("industry", "service_type")


@dataclass
class PairingCorpus:
    profiles: dict[int, ManufacturerProfile]  # manufacturer id -> profile
    offers: list[ServiceOffer]  # every offering (similarity NaN: see ``relevance``)
    offer_ids: IntArray  # offering ids, in ``offers`` order
    manufacturer_ids: IntArray  # rows of ``relevance``
    relevance: npt.NDArray[np.float32]  # (manufacturers x offerings) best product cosine
    timeline: PairTimeline  # exporter = manufacturer, buyer = offering
    markets: IntArray  # per timeline pair: index into ``market_codes``
    market_codes: tuple[str, ...]
    _gaps: dict[tuple[int, str], list[Gap]] = field(default_factory=dict)

    def gaps(self, manufacturer: int, market: str) -> list[Gap]:
        key = (manufacturer, market)
        if key not in self._gaps:
            self._gaps[key] = derive_gaps(self.profiles[manufacturer], market)
        return self._gaps[key]

    def relevance_of(self, manufacturer: int) -> FloatArray:
        row = int(np.searchsorted(self.manufacturer_ids, manufacturer))
        if row >= len(self.manufacturer_ids) or self.manufacturer_ids[row] != manufacturer:
            return np.full(len(self.offers), np.nan)
        out: FloatArray = self.relevance[row].astype(np.float64)
        return out


def _profiles(session: Session) -> tuple[dict[int, ManufacturerProfile], dict[int, list[str]]]:
    firms = list(
        session.execute(
            select(ExporterRow).where(ExporterRow.kind == FirmKind.MANUFACTURER.value)
        ).scalars()
    )
    products: dict[int, list[tuple[str | None, list[str]]]] = {}
    documents: dict[int, list[str]] = {}
    for exporter, hs, product_certs, name, description in session.execute(
        select(
            ProductRow.exporter_id,
            ProductRow.hs_code,
            ProductRow.certifications,
            ProductRow.name,
            ProductRow.description,
        )
    ):
        products.setdefault(int(exporter), []).append((hs, list(product_certs or [])))
        documents.setdefault(int(exporter), []).append(product_document(name, description, hs))
    profiles = {}
    for firm in firms:
        mine = products.get(int(firm.id), [])
        certs: set[str] = set(firm.certifications or [])
        for _, held in mine:
            certs |= set(held)
        profiles[int(firm.id)] = ManufacturerProfile(
            industry=firm.industry,
            export_stage=firm.export_stage,
            certifications=sorted(certs),
            languages=list(firm.languages or []),
            hs_codes=[h for h, _ in mine if h],
            homepage=firm.homepage,
        )
    return profiles, documents


def load_pairing_corpus(
    sessions: sessionmaker[Session], encoder: Encoder, cache_root: Path
) -> PairingCorpus:
    """Everything pairing learning reads, loaded and embedded once."""
    with session_scope(sessions) as session:
        profiles, documents = _profiles(session)
        offerings = SERVICES.load(session)
        events = repository.pairing_events_frame(session)
    if events.empty:
        raise ValueError("no pairing outcomes are recorded yet (pairing_events is empty)")
    offerings = offerings[offerings["service_type"].isin([s.value for s in SERVICE_TYPES])]
    offerings = offerings.sort_values("id").reset_index(drop=True)
    offers = offers_from_frame(offerings)
    docs = EmbeddingCache(cache_root, encoder.name, encoder.dim)
    queries = EmbeddingCache(cache_root / "queries", encoder.name, encoder.dim)
    offer_vectors = docs.get_or_encode(SERVICES.text(offerings), encoder.encode_documents)
    owners = np.asarray([m for m, texts in documents.items() for _ in texts], dtype=np.int64)
    texts = [t for ts in documents.values() for t in ts]
    product_vectors = queries.get_or_encode(texts, encoder.encode_queries)
    if len(owners):
        manufacturer_ids, relevance = best_per_owner(product_vectors, owners, offer_vectors)
    else:
        manufacturer_ids = np.zeros(0, np.int64)
        relevance = np.zeros((0, len(offers)), np.float32)
    known = events["manufacturer_id"].isin(list(profiles)) & events["service_id"].isin(
        offerings["id"]
    )
    events = events[known]
    frame = events.rename(columns={"manufacturer_id": "exporter_id", "service_id": "buyer_id"})
    timeline = timelines(frame)
    codes = tuple(sorted({str(m) for m in events["market"]}))
    first_market = (
        events.sort_values("occurred_at")
        .groupby(["manufacturer_id", "service_id"])["market"]
        .first()
    )
    markets = np.asarray(
        [
            codes.index(str(first_market.loc[(e, b)]))
            for e, b in zip(timeline.exporter, timeline.buyer, strict=True)
        ],
        dtype=np.int64,
    )
    return PairingCorpus(
        profiles=profiles,
        offers=offers,
        offer_ids=offerings["id"].to_numpy(dtype=np.int64),
        manufacturer_ids=manufacturer_ids,
        relevance=relevance,
        timeline=timeline,
        markets=markets,
        market_codes=codes,
    )


def track_counts(
    timeline: PairTimeline, offer_firm: Mapping[int, int], at: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Per service firm: pairings started before ``at`` and how many of them advanced past
    the first contact by ``at`` (point in time: nothing later is read). ``timeline`` is a
    pairing timeline (exporter = manufacturer, buyer = offering)."""
    before = timeline.start < at
    advanced = before & (timeline.reached[:, 0] < at)
    firms = np.asarray([offer_firm.get(int(b), -1) for b in timeline.buyer], dtype=np.int64)
    pairs = pd.Series(before.astype(np.int64)).groupby(firms).sum()
    wins = pd.Series(advanced.astype(np.int64)).groupby(firms).sum()
    return (
        {int(k): int(v) for k, v in zip(pairs.index, pairs, strict=True) if k >= 0},
        {int(k): int(v) for k, v in zip(wins.index, wins, strict=True) if k >= 0},
    )


def track_record(pairs: int, advanced: int) -> float:
    """The smoothed share of a firm's pairings that advanced (the rule scorer's own)."""
    return (advanced + 0.5 * TRACK_PRIOR_PAIRS) / (pairs + TRACK_PRIOR_PAIRS)


def _track_records(corpus: PairingCorpus, at: int) -> FloatArray:
    """``track_record`` of each offering's firm as of ``at``, in ``corpus.offers`` order."""
    pairs, wins = track_counts(
        corpus.timeline, {o.offering_id: o.firm_id for o in corpus.offers}, at
    )
    return np.asarray(
        [track_record(pairs.get(o.firm_id, 0), wins.get(o.firm_id, 0)) for o in corpus.offers],
        dtype=np.float64,
    )


def _percentile(values: FloatArray) -> FloatArray:
    ranks = pd.Series(values).rank(pct=True, method="average").fillna(0.5)
    return np.asarray(ranks.to_numpy(), dtype=np.float64)


def pairing_frame(
    corpus: PairingCorpus,
    manufacturer: int,
    market: str,
    candidates: IntArray,
    track: FloatArray,
) -> pd.DataFrame:
    """Features of (manufacturer, market, offering at position ``candidates[i]``)."""
    return pairing_features(
        corpus.profiles[manufacturer],
        corpus.gaps(manufacturer, market),
        market,
        [corpus.offers[p] for p in candidates.tolist()],
        corpus.relevance_of(manufacturer)[candidates],
        track[candidates],
    )


def pairing_features(
    profile: ManufacturerProfile,
    gaps: Sequence[Gap],
    market: str,
    offers: Sequence[ServiceOffer],
    relevance: FloatArray,
    track: FloatArray,
) -> pd.DataFrame:
    """Features of (a manufacturer with ``gaps``, ``market``, each offer): one function for
    learning, evaluation and the live service. ``relevance`` is each offer's cosine to the
    firm's products, ``track`` its firm's smoothed record of pairings that advanced."""
    rows: dict[str, list[float]] = {name: [] for name in FEATURES}
    industry = INDUSTRIES.index(Industry(profile.industry)) if profile.industry else -1
    stage = STAGES.index(ExportStage(profile.export_stage)) if profile.export_stage else np.nan
    for offer in offers:
        closes = closed_gaps(offer, gaps, market)
        by_kind = dict.fromkeys(GapKind, 0.0)
        for c in closes:
            by_kind[c.kind] = max(by_kind[c.kind], c.strength)
        markets = {m.upper() for m in offer.markets}
        rows["gap_coverage"].append(1.0 - float(np.prod([1.0 - c.strength for c in closes])))
        for kind, name in zip(GapKind, GAP_FEATURES, strict=True):
            rows[name].append(by_kind[kind])
        rows["serves_market"].append(1.0 if market in markets else 0.5 if not markets else 0.0)
        rows["capacity"].append(np.nan if offer.capacity_left is None else offer.capacity_left)
        rows["service_type"].append(SERVICE_TYPES.index(ServiceType(offer.service_type)))
    rows["relevance"] = list(relevance)
    rows["relevance_pct"] = list(_percentile(relevance))
    rows["track_record"] = list(track)
    rows["export_stage"] = [stage] * len(offers)
    rows["industry"] = [industry] * len(offers)
    return pd.DataFrame(rows, columns=list(FEATURES))


def rule_scores(features: pd.DataFrame) -> FloatArray:
    """The rule scorer (``partners.PARTNER_WEIGHTS``) on a pairing frame; an offering that
    closes no gap, which the rule scorer excludes, ranks below every other."""
    score = (
        PARTNER_WEIGHTS["gaps"] * features["gap_coverage"]
        + PARTNER_WEIGHTS["relevance"] * features["relevance_pct"]
        + PARTNER_WEIGHTS["market"] * features["serves_market"]
        + PARTNER_WEIGHTS["track_record"] * features["track_record"]
    ).to_numpy(dtype=float)
    out: FloatArray = np.where(features["gap_coverage"].to_numpy() > 0, score, score - 10.0)
    return out


class PairingRanker:
    """LightGBM ``lambdarank`` over ``FEATURES`` (industry and service type categorical)."""

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        seed: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.seed = seed

    def fit(self, features: pd.DataFrame, labels: IntArray, groups: IntArray) -> PairingRanker:
        lgb = require("lightgbm")
        params = {
            "objective": "lambdarank",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "label_gain": [2**g - 1 for g in range(6)],
            "seed": self.seed,
            "deterministic": True,
            "num_threads": 1,
            "verbose": -1,
        }
        data = lgb.Dataset(
            features[list(FEATURES)],
            label=labels,
            group=groups,
            categorical_feature=list(CATEGORICAL),
            free_raw_data=False,
        )
        self.booster_ = lgb.train(params, data, num_boost_round=self.n_estimators)
        return self

    def score(self, features: pd.DataFrame) -> FloatArray:
        if not hasattr(self, "booster_"):
            raise NotFittedError("PairingRanker is not fitted: call fit() first")
        out: FloatArray = np.asarray(
            self.booster_.predict(features[list(FEATURES)]), dtype=np.float64
        )
        return out

    def save(self, directory: Path) -> Path:
        if not hasattr(self, "booster_"):
            raise NotFittedError("PairingRanker is not fitted: call fit() first")
        directory.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(directory / "model.txt"))
        (directory / "ranker.json").write_text(
            json.dumps({"features": list(FEATURES), "categorical": list(CATEGORICAL)}),
            encoding="utf-8",
        )
        return directory

    @classmethod
    def load(cls, directory: Path) -> PairingRanker:
        """A saved ranker; a model of other features than this release's is refused."""
        lgb = require("lightgbm")
        meta = json.loads((directory / "ranker.json").read_text(encoding="utf-8"))
        if meta.get("features") != list(FEATURES):
            raise ConfigurationError(
                f"{directory}: the pairing model was trained on other features; retrain it "
                "with `tradematch train`"
            )
        ranker = cls()
        ranker.booster_ = lgb.Booster(model_file=str(directory / "model.txt"))
        return ranker


PAIRING_RANKER = "ltr-pairing"


def save_pairing_ranker(
    ranker: PairingRanker, report: PairingReport, models_root: Path, source: str
) -> Path:
    """Version the ranker under ``models_root/ltr-pairing/<version>/`` with its held-out
    figures, and point ``CURRENT`` at it."""
    version = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = ranker.save(models_root / PAIRING_RANKER / version)
    write_pairing_report(report, directory / "evaluation.json", source=source)
    (models_root / PAIRING_RANKER / "CURRENT").write_text(version, encoding="utf-8")
    return directory


def load_current_pairing(models_root: Path) -> PairingRanker | None:
    """The served pairing ranker, or None where none was trained (the rule scorer serves)."""
    pointer = models_root / PAIRING_RANKER / "CURRENT"
    if not pointer.is_file():
        return None
    return PairingRanker.load(models_root / PAIRING_RANKER / pointer.read_text().strip())


@dataclass
class PairingSet:
    rows: pd.DataFrame  # query, candidate (offering id), label
    features: pd.DataFrame

    @property
    def groups(self) -> IntArray:
        return np.asarray(self.rows.groupby("query", sort=False).size().to_numpy(), np.int64)


def build_pairing_set(
    corpus: PairingCorpus,
    window: tuple[int, int],
    label_at: int,
    *,
    negatives: int | None = None,
    seed: int = 0,
) -> PairingSet:
    """Queries (manufacturer, market) with a pairing started in ``window``: the offerings
    paired (graded by how far each got by ``label_at``) plus the others (relevance 0), all of
    them or ``negatives`` sampled; features as of the query's first pairing."""
    t = corpus.timeline
    mask = (t.start >= window[0]) & (t.start < window[1])
    grade = t.grade_as_of(label_at)
    worked = pd.DataFrame(
        {
            "manufacturer": t.exporter[mask],
            "offering": t.buyer[mask],
            "market": np.asarray(corpus.market_codes, dtype=object)[corpus.markets[mask]],
            "start": t.start[mask],
            "label": grade[mask],
        }
    )
    rng = np.random.default_rng(seed)
    position = {int(o): i for i, o in enumerate(corpus.offer_ids)}
    rows: list[pd.DataFrame] = []
    frames: list[pd.DataFrame] = []
    for number, (_, group) in enumerate(worked.groupby(["manufacturer", "market"], sort=True)):
        manufacturer = int(group["manufacturer"].iloc[0])
        market = str(group["market"].iloc[0])
        at = int(group["start"].min())
        paired = {
            position[int(o)]: int(g) for o, g in zip(group["offering"], group["label"], strict=True)
        }
        others = np.asarray([p for p in range(len(corpus.offers)) if p not in paired], np.int64)
        if negatives is not None and len(others) > negatives:
            others = rng.choice(others, negatives, replace=False)
        candidates = np.concatenate([np.asarray(list(paired), np.int64), others])
        labels = [paired.get(int(p), 0) for p in candidates]
        rows.append(
            pd.DataFrame(
                {
                    "query": number,
                    "manufacturer": int(manufacturer),
                    "market": str(market),
                    "candidate": corpus.offer_ids[candidates],
                    "label": labels,
                    "paired": [int(p) in paired for p in candidates],
                }
            )
        )
        track = _track_records(corpus, at)
        frames.append(pairing_frame(corpus, int(manufacturer), str(market), candidates, track))
    if not rows:
        return PairingSet(
            pd.DataFrame(
                columns=["query", "manufacturer", "market", "candidate", "label", "paired"]
            ),
            pd.DataFrame(columns=list(FEATURES)),
        )
    return PairingSet(pd.concat(rows, ignore_index=True), pd.concat(frames, ignore_index=True))


@dataclass(frozen=True)
class PairingReport:
    metrics: dict[str, dict[str, float]]  # scorer -> ir measures
    metrics_paired: dict[str, dict[str, float]]  # the same, on paired offerings only
    sizes: dict[str, int]
    split: dict[str, int]
    importance: dict[str, float]

    def ratio(
        self,
        scorer: str,
        baseline: str = "embedding",
        measure: str = "nDCG@10",
        *,
        paired_only: bool = False,
    ) -> float:
        table = self.metrics_paired if paired_only else self.metrics
        base = table[baseline][measure]
        return table[scorer][measure] / base if base else float("nan")


def evaluate_pairing(
    corpus: PairingCorpus, *, maturity_days: int = 180, negatives: int = 60, seed: int = 0
) -> tuple[PairingReport, PairingRanker]:
    """Train on past pairings, test on future ones (every offering in each test list)."""
    t = corpus.timeline
    reached = t.reached[t.reached < 2**60]
    data_end = int(max(reached.max(initial=0), t.start.max(initial=0))) + 1
    split = TimeSplit.by_share(t.start, data_end, maturity_days=maturity_days)
    train = build_pairing_set(
        corpus, (0, split.calibration_end), split.cutoff, negatives=negatives, seed=seed
    )
    judged = train.rows.groupby("query")["label"].transform("max") > 0
    train = PairingSet(
        train.rows[judged.to_numpy()].reset_index(drop=True),
        train.features[judged.to_numpy()].reset_index(drop=True),
    )
    test = build_pairing_set(corpus, (split.cutoff, split.test_end), split.data_end)
    keep = (test.rows.groupby("query")["label"].transform("max") > 0).to_numpy()
    test = PairingSet(
        test.rows[keep].reset_index(drop=True), test.features[keep].reset_index(drop=True)
    )
    ranker = PairingRanker(seed=seed).fit(
        train.features, train.rows["label"].to_numpy(dtype=np.int64), train.groups
    )
    rng = np.random.default_rng(seed)
    scorers = {
        "random": rng.random(len(test.rows)),
        "embedding": test.features["relevance"].fillna(-1.0).to_numpy(dtype=float),
        "rule": rule_scores(test.features),
        "ltr": ranker.score(test.features),
    }
    metrics = {name: ir_metrics(test.rows, scores) for name, scores in scorers.items()}
    # The same scorers on the offerings actually paired only: how far each pairing got,
    # without the staff's choice of whom to pair (queries with two or more pairings).
    paired = test.rows["paired"].to_numpy(dtype=bool)
    several = test.rows[paired].groupby("query")["candidate"].transform("size") >= 2
    mask = np.zeros(len(test.rows), dtype=bool)
    mask[np.flatnonzero(paired)[several.to_numpy()]] = True
    sub = test.rows[mask]
    advanced = (sub.groupby("query")["label"].transform("max") > 0).to_numpy()
    metrics_paired = {
        name: ir_metrics(sub[advanced], scores[mask][advanced]) for name, scores in scorers.items()
    }
    gains = ranker.booster_.feature_importance(importance_type="gain")
    total = float(gains.sum()) or 1.0
    report = PairingReport(
        metrics=metrics,
        metrics_paired=metrics_paired,
        sizes={
            "train_rows": len(train.rows),
            "train_queries": int(train.rows["query"].nunique()),
            "test_rows": len(test.rows),
            "test_queries": int(test.rows["query"].nunique()),
            "test_pairs_paired": int(paired.sum()),
            "test_pairs_advanced": int((test.rows["label"] > 0).sum()),
            "test_queries_paired_only": int(sub[advanced]["query"].nunique()),
            "offerings": len(corpus.offers),
        },
        split={k: int(v) for k, v in split.__dict__.items()},
        importance={n: round(float(g) / total, 4) for n, g in zip(FEATURES, gains, strict=True)},
    )
    return report, ranker


def write_pairing_report(report: PairingReport, path: Path, **extra: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "metrics": report.metrics,
        "metrics_paired_only": report.metrics_paired,
        "sizes": report.sizes,
        "split": report.split,
        "importance": report.importance,
        "ndcg10_ratio_to_embedding": {
            k: report.ratio(k) for k in report.metrics if k != "embedding"
        },
        **extra,
    }
    path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
    return path
