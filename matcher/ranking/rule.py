"""The transparent rule ranker used at cold start, before any outcome has been recorded.

Each feature contributes ``weight x (value - neutral) / spread``; a feature that does not
apply (NaN) contributes 0, to every candidate alike, so it cannot change the order. Values
above the neutral point push a candidate up, below it down, and the reasons shown follow.
Neutral is 0.5 with spread 0.5 (so a contribution runs from -weight to +weight), except
semantic similarity, whose e5 cosines for related texts sit around 0.80 with a spread of
about 0.10.

Weights (they sum to 1):

- 0.20 x semantic similarity: the only signal every query has.
- 0.20 x hs agreement: the documents' own definition of product fit.
- 0.12 x certification coverage: decides whether a deal is possible at all.
- 0.10 x price fit: negotiations are mostly about unit price.
- 0.08 x responsiveness: some importers never answer.
- 0.05 x regulatory readiness: a missing BIS/CDSCO/FSSAI registration delays shipping.
- 0.05 x channel fit: the importer must reach the product's buyers.
- 0.05 x stage fit: beginners need distributors, mature firms can serve end users.
- 0.03 x moq fit: a minimum order the importer cannot take is a dead end.
- 0.03 x credit grade: unpaid invoices are the worst outcome for a small firm.
- 0.03 x buyer engagement: recorded history, neutral until there is some.
- 0.02 x exporter track record: likewise.
- 0.02 x market prior: KOTRA's promising-market scores.
- 0.02 x language fit: interpreters arrive 30 minutes before a meeting.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.features.registry import FEATURES
from matcher.ranking.base import check_columns

DEFAULT_WEIGHTS: dict[str, float] = {
    "semantic_similarity": 0.20,
    "hs_agreement": 0.20,
    "certification_coverage": 0.12,
    "price_fit": 0.10,
    "responsiveness": 0.08,
    "regulatory_readiness": 0.05,
    "channel_fit": 0.05,
    "stage_fit": 0.05,
    "moq_fit": 0.03,
    "credit_grade": 0.03,
    "buyer_engagement": 0.03,
    "exporter_track_record": 0.02,
    "market_prior": 0.02,
    "language_fit": 0.02,
}
NEUTRAL: dict[str, tuple[float, float]] = {"semantic_similarity": (0.80, 0.10)}
_DEFAULT_NEUTRAL = (0.5, 0.5)


class RuleRanker:
    """Weighted sum of registered features with fixed, documented weights."""

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = [n for n in self.weights if n not in FEATURES]
        if unknown:
            raise ValueError(f"weights for unknown feature(s): {', '.join(unknown)}")

    @property
    def name(self) -> str:
        return "rule-v2"

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        names = self.feature_names
        check_columns(features, names)
        values = features[list(names)].to_numpy(dtype=float)
        neutral = np.asarray([NEUTRAL.get(n, _DEFAULT_NEUTRAL)[0] for n in names])
        spread = np.asarray([NEUTRAL.get(n, _DEFAULT_NEUTRAL)[1] for n in names])
        weights = np.asarray([self.weights[n] for n in names])
        parts = np.nan_to_num(weights * (values - neutral) / spread, nan=0.0)
        return pd.DataFrame(parts, index=features.index, columns=list(names))

    def score(self, features: pd.DataFrame) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = self.contributions(features).to_numpy().sum(axis=1)
        return out

    def probability(self, features: pd.DataFrame) -> npt.NDArray[np.float64] | None:
        return None  # hand-set weights carry no probability; the learned ranker does

    def probability_of(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
        return None
