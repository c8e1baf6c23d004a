"""The contract every ranker passes (in the style of implicit's RecommenderBaseTestMixin).

A ranker test class inherits ``RankerContract`` and provides ``make_ranker``. The contract
fixes what the match service and the explanations rely on: scores are the sum of the
per-feature contributions, NaN (not applicable) never breaks a score, input order does not
change a candidate's score, and a strictly better candidate never ranks below a worse one on
the ranker's own features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.features.registry import FEATURES
from matcher.ranking.base import Ranker


class RankerContract:
    def make_ranker(self) -> Ranker:
        raise NotImplementedError

    def _features(self, ranker: Ranker, n: int = 40, seed: int = 0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        data = rng.uniform(0, 1, size=(n, len(ranker.feature_names)))
        return pd.DataFrame(data, columns=list(ranker.feature_names), index=range(1000, 1000 + n))

    def test_satisfies_the_protocol(self) -> None:
        ranker = self.make_ranker()
        assert isinstance(ranker, Ranker)
        assert ranker.name
        assert ranker.feature_names
        assert all(name in FEATURES for name in ranker.feature_names)

    def test_score_is_the_sum_of_contributions(self) -> None:
        ranker = self.make_ranker()
        features = self._features(ranker)
        contributions = ranker.contributions(features)
        assert list(contributions.index) == list(features.index)
        assert set(ranker.feature_names) <= set(contributions.columns)
        np.testing.assert_allclose(
            contributions[list(ranker.feature_names)].sum(axis=1).to_numpy(),
            ranker.score(features),
            atol=1e-9,
        )

    def test_not_applicable_features_do_not_break_scores(self) -> None:
        ranker = self.make_ranker()
        features = self._features(ranker)
        features.iloc[:, -1] = np.nan
        scores = ranker.score(features)
        assert np.isfinite(scores).all()

    def test_scores_do_not_depend_on_row_order(self) -> None:
        ranker = self.make_ranker()
        features = self._features(ranker, seed=3)
        shuffled = features.sample(frac=1.0, random_state=7)
        a = pd.Series(ranker.score(features), index=features.index)
        b = pd.Series(ranker.score(shuffled), index=shuffled.index)
        pd.testing.assert_series_equal(a.sort_index(), b.sort_index())

    def test_a_dominating_candidate_scores_at_least_as_high(self) -> None:
        ranker = self.make_ranker()
        names = list(ranker.feature_names)
        worse = pd.DataFrame([[0.2] * len(names)], columns=names, index=[1])
        better = pd.DataFrame([[0.9] * len(names)], columns=names, index=[2])
        both = pd.concat([worse, better])
        scores = ranker.score(both)
        assert scores[1] >= scores[0]

    def test_probability_is_none_or_a_probability(self) -> None:
        ranker = self.make_ranker()
        features = self._features(ranker, seed=5)
        p = ranker.probability(features)
        if p is not None:
            assert p.shape == (len(features),)
            assert ((p >= 0) & (p <= 1)).all()

    def test_probability_of_scores_matches_probability(self) -> None:
        ranker = self.make_ranker()
        features = self._features(ranker, seed=6)
        direct = ranker.probability(features)
        via_scores = ranker.probability_of(ranker.score(features))
        assert (direct is None) == (via_scores is None)
        if direct is not None and via_scores is not None:
            np.testing.assert_allclose(direct, via_scores)

    def test_contribution_signs_follow_the_features(self) -> None:
        """Raising one feature never lowers its own contribution (features are oriented so
        higher is better), which is what lets reasons be phrased by the contribution's sign."""
        ranker = self.make_ranker()
        names = list(ranker.feature_names)
        low = pd.DataFrame([[0.5] * len(names)], columns=names, index=[1])
        for name in names:
            high = low.copy()
            high.index = [2]
            high[name] = 1.0
            both = pd.concat([low, high])
            parts = ranker.contributions(both)[name].to_numpy()
            assert parts[1] >= parts[0] - 1e-9, name

    def test_missing_feature_columns_are_an_error_naming_them(self) -> None:
        ranker = self.make_ranker()
        features = self._features(ranker).drop(columns=[ranker.feature_names[0]])
        try:
            ranker.score(features)
        except KeyError as exc:
            assert ranker.feature_names[0] in str(exc)
        else:
            raise AssertionError("a missing feature column must raise KeyError")
