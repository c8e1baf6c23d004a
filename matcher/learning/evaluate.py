"""The ranking evaluation: every ranker and baseline on the same held-out-in-time lists.

Metrics come from ir-measures (nDCG@10, MRR, R@50, AP, graded relevance from ``FunnelStage``);
coverage and the exposure Gini are computed over each ranker's top-10 lists. Baselines, in the
same run: random, TF-IDF (character n-grams, because queries and documents mix Korean,
Vietnamese and English), cosine only, a peer-style rule FitScore (base + HS + price + MOQ +
certification points, as open matching projects score), the rule ranker and the learned one.

Circularity guard: rankers see only the pair frame, built from stored fields and recorded
events. The demo generator's hidden fit and its seed are never read here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.learning.corpus import Corpus
from matcher.learning.datasets import (
    DIRECTIONS,
    Direction,
    GroupedSet,
    TimeSplit,
    build_set,
    candidate_recall,
    direction_pairs,
)
from matcher.ranking.learned import CONSULTATION_GRADE, LTRRanker, TrainingSet, ranker_name
from matcher.ranking.rule import RuleRanker

FloatArray = npt.NDArray[np.float64]
MEASURES = ("nDCG@10", "RR", "R@50", "AP")


def peer_fit_score(features: pd.DataFrame) -> FloatArray:
    """Points as open matching projects award them: 50 base, up to 30 for the HS code, 15 for
    price, 10 for MOQ, 15 for certificates; a criterion that cannot be judged earns nothing."""
    f = features.fillna(0.0)
    out: FloatArray = (
        50.0
        + 30.0 * f["hs_agreement"]
        + 15.0 * f["price_fit"]
        + 10.0 * f["moq_fit"]
        + 15.0 * f["certification_coverage"]
    ).to_numpy(dtype=float)
    return out


def _texts(corpus: Corpus) -> tuple[dict[int, str], dict[int, str]]:
    from matcher.index.catalogs import BUYERS, PRODUCTS

    products = corpus.products.assign(_text=PRODUCTS.text(corpus.products))
    joined = products.groupby("exporter_id")["_text"].agg(" ".join)
    firm = dict(zip(joined.index.to_numpy().tolist(), joined.tolist(), strict=True))
    buyer = dict(zip(corpus.buyers["id"].astype(int), BUYERS.text(corpus.buyers), strict=True))
    return {int(k): v for k, v in firm.items()}, buyer


def tfidf_scores(corpus: Corpus, rows: pd.DataFrame) -> FloatArray:
    """Character n-gram TF-IDF cosine of the firm's products against the query side: the
    inquiry's text for inquiry rows (``need_id`` set), else the importer's profile."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    firm, buyer = _texts(corpus)
    by_need = "need_id" in rows.columns and bool((rows["need_id"] >= 0).all()) and len(rows)
    if by_need:
        texts = corpus.needs["text"]
        buyer = {int(i): str(t) for i, t in zip(texts.index, texts, strict=True)}
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    vectorizer.fit(list(firm.values()) + list(buyer.values()))
    e_ids = sorted(firm)
    b_ids = sorted(buyer)
    e_mat = vectorizer.transform([firm[i] for i in e_ids])
    b_mat = vectorizer.transform([buyer[i] for i in b_ids])
    e_pos = {e: i for i, e in enumerate(e_ids)}
    b_pos = {b: i for i, b in enumerate(b_ids)}
    ei = np.asarray([e_pos.get(int(e), -1) for e in rows["exporter_id"]])
    query_side = rows["need_id"] if by_need else rows["buyer_id"]
    bi = np.asarray([b_pos.get(int(b), -1) for b in query_side])
    ok = (ei >= 0) & (bi >= 0)
    out = np.zeros(len(rows))
    left = e_mat[ei[ok]]
    right = b_mat[bi[ok]]
    out[ok] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
    return out


def _qrels_and_run(rows: pd.DataFrame, scores: FloatArray) -> tuple[list[Any], list[Any]]:
    """ir-measures judgements (graded labels) and run (scores) for candidate rows."""
    import ir_measures

    qrels = [
        ir_measures.Qrel(str(q), str(d), int(rel))
        for q, d, rel in zip(rows["query"], rows["candidate"], rows["label"], strict=True)
    ]
    run = [
        ir_measures.ScoredDoc(str(q), str(d), float(s))
        for q, d, s in zip(rows["query"], rows["candidate"], scores, strict=True)
    ]
    return qrels, run


def ir_metrics(rows: pd.DataFrame, scores: FloatArray) -> dict[str, float]:
    import ir_measures

    qrels, run = _qrels_and_run(rows, scores)
    measures = [ir_measures.parse_measure(m) for m in MEASURES]
    result = ir_measures.calc_aggregate(measures, qrels, run)
    return {str(m): float(result[m]) for m in measures}


def per_query_ndcg(rows: pd.DataFrame, scores: FloatArray) -> FloatArray:
    """nDCG@10 of each query (ir-measures), in query order."""
    import ir_measures

    measure = ir_measures.parse_measure("nDCG@10")
    qrels, run = _qrels_and_run(rows, scores)
    values = {m.query_id: float(m.value) for m in ir_measures.iter_calc([measure], qrels, run)}
    return np.asarray([values[k] for k in sorted(values)], dtype=float)


# Tree settings tried, simplest first (fewer leaves, then more samples per leaf).
CANDIDATE_SETTINGS: tuple[dict[str, int], ...] = (
    {"num_leaves": 7, "min_child_samples": 100},
    {"num_leaves": 7, "min_child_samples": 40},
    {"num_leaves": 15, "min_child_samples": 100},
    {"num_leaves": 15, "min_child_samples": 40},
)


@dataclass(frozen=True)
class Selection:
    chosen: dict[str, int]
    validation: list[dict[str, Any]]  # per setting: mean nDCG@10, its standard error


def select_settings(
    train: GroupedSet, validation: GroupedSet, direction: Direction, seed: int
) -> Selection:
    """The simplest tree setting whose validation nDCG@10 is within one standard error of
    the best (the "one-standard-error rule"): validation windows hold a few hundred
    queries, and picking the raw best over-fits their noise."""
    rows = _with_candidates(validation)
    results: list[dict[str, Any]] = []
    for setting in CANDIDATE_SETTINGS:
        ranker = LTRRanker(
            name=ranker_name(direction),
            seed=seed,
            num_leaves=setting["num_leaves"],
            min_child_samples=setting["min_child_samples"],
        ).fit(TrainingSet(train.features, train.labels, train.groups))
        per_query = per_query_ndcg(rows, ranker.score(validation.features))
        spread = float(per_query.std(ddof=1)) if len(per_query) > 1 else 0.0
        results.append(
            {
                **setting,
                "ndcg10": float(per_query.mean()) if len(per_query) else 0.0,
                "se": spread / np.sqrt(max(len(per_query), 1)),
            }
        )
    best = max(results, key=lambda r: r["ndcg10"])
    chosen = next(r for r in results if r["ndcg10"] >= best["ndcg10"] - best["se"])
    return Selection({k: int(chosen[k]) for k in CANDIDATE_SETTINGS[0]}, results)


def gini(counts: FloatArray) -> float:
    """Gini coefficient of exposure (0 = every candidate shown equally, 1 = one shown)."""
    x = np.sort(np.asarray(counts, dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    index = np.arange(1, n + 1)
    return float((2 * index - n - 1).dot(x) / (n * x.sum()))


def exposure(
    rows: pd.DataFrame, scores: FloatArray, catalog_size: int, k: int = 10
) -> dict[str, float]:
    frame = rows[["query", "candidate"]].assign(score=scores)
    top = frame.sort_values(["query", "score"], ascending=[True, False]).groupby("query").head(k)
    counts = top["candidate"].value_counts().to_numpy(dtype=float)
    padded = np.concatenate([counts, np.zeros(max(0, catalog_size - len(counts)))])
    return {"coverage@10": len(counts) / max(catalog_size, 1), "exposure_gini": gini(padded)}


def reliability(probability: FloatArray, outcome: FloatArray, bins: int = 10) -> dict[str, Any]:
    """Brier score and a reliability table (equal-count bins of predicted probability)."""
    order = np.argsort(probability, kind="stable")
    table = []
    for chunk in np.array_split(order, bins):
        if len(chunk) == 0:
            continue
        table.append(
            {
                "predicted": float(probability[chunk].mean()),
                "observed": float(outcome[chunk].mean()),
                "pairs": len(chunk),
            }
        )
    base = float(outcome.mean()) if len(outcome) else float("nan")
    return {
        "brier": float(np.mean((probability - outcome) ** 2)),
        "brier_base_rate": float(np.mean((base - outcome) ** 2)),
        "base_rate": base,
        "table": table,
    }


@dataclass
class DirectionReport:
    direction: Direction
    sizes: dict[str, int]
    metrics: dict[str, dict[str, float]]
    candidate_recall_200: float
    positives: int
    calibration: dict[str, Any]
    candidate_recall_200_consultation: float = float("nan")
    consultations: int = 0
    # Importer fit is served per center (staff shortlist a center's importers); the fields
    # above are per center there, these over one pool of every importer.
    candidate_recall_200_global: float = float("nan")
    median_pool: float = 0.0
    median_pool_global: float = 0.0
    tree_settings: dict[str, int] = field(default_factory=dict)
    validation: list[dict[str, Any]] = field(default_factory=list)
    importance: dict[str, float] = field(default_factory=dict)
    split: dict[str, int] = field(default_factory=dict)  # this direction's TimeSplit


def _with_candidates(data: GroupedSet) -> pd.DataFrame:
    column = "buyer_id" if data.direction == "importer_fit" else "exporter_id"
    return data.rows.assign(candidate=data.rows[column])


def _judged(data: GroupedSet) -> GroupedSet:
    """Queries with at least one positive (a query nobody progressed with cannot rank)."""
    best = data.rows.groupby("query")["label"].transform("max")
    return data.subset((best > 0).to_numpy())


def evaluate_direction(
    corpus: Corpus,
    direction: Direction,
    split: TimeSplit,
    *,
    negatives: int = 60,
    seed: int = 0,
) -> tuple[DirectionReport, LTRRanker]:
    train = build_set(
        corpus, direction, (0, split.train_end), split.cutoff, negatives=negatives, seed=seed
    )
    calibration = build_set(
        corpus,
        direction,
        (split.train_end, split.calibration_end),
        split.cutoff,
        negatives=negatives,
        seed=seed + 1,
    )
    train_judged = _judged(train)
    # The window between training and test chooses the tree settings, then calibrates.
    selection = select_settings(train_judged, _judged(calibration), direction, seed)
    # P(consultation) is for pairs a center actually works: calibrate on those.
    calibration = calibration.subset(calibration.rows["contacted"].to_numpy(dtype=bool))
    test = build_set(corpus, direction, (split.cutoff, split.test_end), split.data_end)
    ranker = LTRRanker(
        name=ranker_name(direction),
        seed=seed,
        num_leaves=selection.chosen["num_leaves"],
        min_child_samples=selection.chosen["min_child_samples"],
    )
    ranker.fit(
        TrainingSet(train_judged.features, train_judged.labels, train_judged.groups),
        calibration=TrainingSet(calibration.features, calibration.labels, calibration.groups),
    )
    judged = _judged(test)
    rows = _with_candidates(judged)
    rng = np.random.default_rng(seed)
    scorers: dict[str, Callable[[], FloatArray]] = {
        "random": lambda: rng.random(len(rows)),
        "tfidf": lambda: tfidf_scores(corpus, rows),
        "cosine": lambda: rows["similarity"].to_numpy(dtype=float),
        "peer_fitscore": lambda: peer_fit_score(judged.features),
        "rule": lambda: RuleRanker().score(judged.features),
        "ltr": lambda: ranker.score(judged.features),
    }
    catalog = len(corpus.buyer_ids) if direction == "importer_fit" else len(corpus.exporter_ids)
    metrics: dict[str, dict[str, float]] = {}
    for name, scorer in scorers.items():
        scores = scorer()
        metrics[name] = ir_metrics(rows, scores) | exposure(rows, scores, catalog)
    served = candidate_recall(corpus, test, by_center=True)
    served_consult = candidate_recall(corpus, test, min_label=CONSULTATION_GRADE, by_center=True)
    pooled = candidate_recall(corpus, test)
    contacted = test.rows["contacted"].to_numpy(dtype=bool)
    probability = ranker.probability(test.features[contacted])
    outcome = (test.labels[contacted] >= CONSULTATION_GRADE).astype(float)
    calib = reliability(probability, outcome) if probability is not None else {}
    report = DirectionReport(
        direction=direction,
        sizes={
            "train_rows": len(train_judged.rows),
            "train_queries": int(train_judged.rows["query"].nunique()),
            "calibration_rows": len(calibration.rows),
            "test_rows": len(rows),
            "test_queries": int(rows["query"].nunique()),
            "test_pairs_contacted": int(contacted.sum()),
        },
        metrics=metrics,
        candidate_recall_200=served.recall,
        positives=served.positives,
        candidate_recall_200_consultation=served_consult.recall,
        consultations=served_consult.positives,
        candidate_recall_200_global=pooled.recall,
        median_pool=served.median_pool,
        median_pool_global=pooled.median_pool,
        calibration=calib,
        importance=ranker.importance_,
        tree_settings=selection.chosen,
        split=dict(split.__dict__),
        validation=selection.validation,
    )
    return report, ranker


def evaluate(
    corpus: Corpus, *, maturity_days: int = 240, negatives: int = 60, seed: int = 0
) -> tuple[list[DirectionReport], dict[str, LTRRanker], dict[str, TimeSplit]]:
    data_end = int(corpus.timeline.reached[corpus.timeline.reached < 2**60].max(initial=0))
    data_end = max(data_end, int(corpus.timeline.start.max(initial=0))) + 1
    splits: dict[str, TimeSplit] = {}
    reports: list[DirectionReport] = []
    rankers: dict[str, LTRRanker] = {}
    for direction in DIRECTIONS:
        # Each direction splits its own pairs: inquiries began later than the centers' work,
        # and one split over both would give one direction a test window of another size.
        starts = corpus.timeline.start[direction_pairs(corpus, direction)]
        split = TimeSplit.by_share(starts, data_end, maturity_days=maturity_days)
        splits[direction] = split
        report, ranker = evaluate_direction(
            corpus, direction, split, negatives=negatives, seed=seed
        )
        reports.append(report)
        rankers[direction] = ranker
    return reports, rankers, splits


def write_json(reports: list[DirectionReport], path: Path, **extra: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "directions": [r.__dict__ for r in reports],
        **extra,
    }
    path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
    return path
