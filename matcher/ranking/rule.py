"""The transparent rule ranker used at cold start, before any outcome has been recorded.

score = 0.60 x semantic similarity + 0.25 x HS agreement + 0.15 x certification coverage

Why these weights: text similarity is the only signal every inquiry has, so it carries most
of the score. HS agreement is the documents' own definition of product fit and, where the
buyer gave a code, it should move a supplier across the typical similarity spread (~0.2), so
it gets a quarter. Certification coverage decides whether a deal is possible at all, but
many inquiries name none, so it gets the rest. A feature that does not apply to a query
(NaN) contributes nothing, to every candidate alike, so it cannot change the order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.features.registry import FEATURES

DEFAULT_WEIGHTS: dict[str, float] = {
    "semantic_similarity": 0.60,
    "hs_agreement": 0.25,
    "certification_coverage": 0.15,
}


class RuleRanker:
    """Weighted sum of registered features with fixed, documented weights."""

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = [n for n in self.weights if n not in FEATURES]
        if unknown:
            raise ValueError(f"weights for unknown feature(s): {', '.join(unknown)}")

    @property
    def name(self) -> str:
        return "rule-v1"

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        missing = [n for n in self.feature_names if n not in features.columns]
        if missing:
            raise KeyError(f"features missing from input: {', '.join(missing)}")
        weights = pd.Series(self.weights)
        return features[list(self.feature_names)].fillna(0.0).mul(weights, axis=1)

    def score(self, features: pd.DataFrame) -> npt.NDArray[np.float64]:
        return self.contributions(features).sum(axis=1).to_numpy(dtype=float)
