from __future__ import annotations

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
    doc = RuleRanker.__module__
    import importlib

    text = (importlib.import_module(doc).__doc__ or "").lower()
    for name, weight in DEFAULT_WEIGHTS.items():
        assert f"{weight:.2f} x {name.replace('_', ' ')}" in text


def test_hand_computed_score() -> None:
    features = pd.DataFrame(
        {"semantic_similarity": [0.5], "hs_agreement": [2 / 3], "certification_coverage": [np.nan]}
    )
    assert RuleRanker().score(features)[0] == pytest.approx(0.6 * 0.5 + 0.25 * 2 / 3)


def test_unknown_feature_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="shoe_size"):
        RuleRanker({"shoe_size": 1.0})
