"""The learned ranker passes the same contract as the rule ranker, learns a planted signal,
round-trips through disk and calibrates its probability."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.errors import NotFittedError
from matcher.features.registry import FEATURES
from matcher.ranking.learned import CONSULTATION_GRADE, LTRRanker, TrainingSet, load_current
from tests.matcher.ranking.ranker_contract import RankerContract

NAMES = tuple(FEATURES)


def _synthetic(queries: int, seed: int) -> TrainingSet:
    """Groups of 12 candidates whose grade rises with hs agreement, responsiveness and price
    fit (plus noise); every other feature is noise, and some values are missing."""
    rng = np.random.default_rng(seed)
    n = queries * 12
    x = pd.DataFrame(rng.uniform(0, 1, (n, len(NAMES))), columns=list(NAMES))
    x.loc[rng.random(n) < 0.2, "certification_coverage"] = np.nan
    fit = 2.0 * x["hs_agreement"] + 1.5 * x["responsiveness"] + x["price_fit"]
    fit = fit + rng.normal(0, 0.4, n)
    labels = np.clip(np.floor((fit - 1.5) * 2), 0, 5).astype(np.int64)
    return TrainingSet(x, labels, np.full(queries, 12, np.int64))


@lru_cache(maxsize=1)
def fitted() -> LTRRanker:
    return LTRRanker(n_estimators=120, seed=1).fit(
        _synthetic(300, 0), calibration=_synthetic(150, 1)
    )


class TestLTRRanker(RankerContract):
    def make_ranker(self) -> LTRRanker:
        return fitted()


def _ndcg_at_10(scores: np.ndarray, data: TrainingSet) -> float:
    import ir_measures

    qrels, run = [], []
    start = 0
    for q, size in enumerate(data.groups):
        for i in range(start, start + size):
            qrels.append(ir_measures.Qrel(str(q), str(i), int(data.labels[i])))
            run.append(ir_measures.ScoredDoc(str(q), str(i), float(scores[i])))
        start += size
    measure = ir_measures.parse_measure("nDCG@10")
    return float(ir_measures.calc_aggregate([measure], qrels, run)[measure])


def test_learns_the_planted_signal_on_unseen_queries() -> None:
    test = _synthetic(200, 7)
    learned = _ndcg_at_10(fitted().score(test.features), test)
    noise = _ndcg_at_10(np.random.default_rng(0).random(len(test.labels)), test)
    assert learned > noise + 0.15
    importance = fitted().importance_
    top3 = sorted(importance, key=lambda n: -importance[n])[:3]
    assert set(top3) == {"hs_agreement", "responsiveness", "price_fit"}


def test_probability_is_calibrated_on_held_out_data() -> None:
    test = _synthetic(300, 11)
    p = fitted().probability(test.features)
    assert p is not None
    outcome = (test.labels >= CONSULTATION_GRADE).astype(float)
    brier = float(np.mean((p - outcome) ** 2))
    base = float(np.mean((outcome.mean() - outcome) ** 2))
    assert brier < 0.8 * base
    order = np.argsort(p)
    low, high = order[: len(order) // 3], order[-len(order) // 3 :]
    assert outcome[high].mean() > outcome[low].mean() + 0.2


def test_save_and_load_give_the_same_scores_and_probabilities(tmp_path: Path) -> None:
    ranker = fitted()
    root = tmp_path / "rankers"
    directory = ranker.save(root / "ltr-importer-fit" / "v1")
    (root / "ltr-importer-fit" / "CURRENT").write_text("v1", encoding="utf-8")
    loaded = load_current(root, "importer_fit")
    assert loaded is not None and directory.is_dir()
    test = _synthetic(20, 3)
    np.testing.assert_allclose(loaded.score(test.features), ranker.score(test.features))
    p_loaded, p_orig = loaded.probability(test.features), ranker.probability(test.features)
    assert p_loaded is not None and p_orig is not None
    np.testing.assert_allclose(p_loaded, p_orig, atol=1e-9)
    assert load_current(root, "supplier_fit") is None


def test_an_unfitted_ranker_says_so() -> None:
    with pytest.raises(NotFittedError, match="tradematch train"):
        LTRRanker().score(_synthetic(1, 0).features)
