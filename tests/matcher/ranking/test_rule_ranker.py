from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from matcher.ranking.rule import DEFAULT_WEIGHTS, RuleRanker
from tests.matcher.ranking.ranker_contract import RankerContract


class TestRuleRanker(RankerContract):
    def make_ranker(self) -> RuleRanker:
        return RuleRanker()


def test_weights_are_documented_and_sum_to_one() -> None:
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)
    text = (importlib.import_module(RuleRanker.__module__).__doc__ or "").lower()
    for name, weight in DEFAULT_WEIGHTS.items():
        assert f"{weight:.2f} x {name.replace('_', ' ')}" in text, name


def test_hand_computed_score() -> None:
    names = list(DEFAULT_WEIGHTS)
    row = dict.fromkeys(names, np.nan)
    row.update({"semantic_similarity": 0.9, "hs_agreement": 2 / 3, "price_fit": 0.25})
    features = pd.DataFrame([row])
    expected = 0.20 * (0.9 - 0.8) / 0.1 + 0.20 * (2 / 3 - 0.5) / 0.5 + 0.10 * (0.25 - 0.5) / 0.5
    assert RuleRanker().score(features)[0] == pytest.approx(expected)
    parts = RuleRanker().contributions(features).iloc[0]
    assert parts["price_fit"] < 0 < parts["hs_agreement"]  # below neutral pushes down
    assert parts["certification_coverage"] == 0.0  # not applicable: no effect


def test_unknown_feature_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="shoe_size"):
        RuleRanker({"shoe_size": 1.0})
