"""The ranker interface every ranker implements (the rule ranker and the learned one).

A ranker's score is additive over features: ``score = sum(contributions)``. That is what
makes every result explainable the same way, whether the weights were written by hand or
learned (LightGBM's ``pred_contrib`` gives the same decomposition, its constant bias left
out because it cannot change an order). A contribution's sign says whether the feature
pushed the candidate up or down, and the reasons shown to users follow that sign.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd


@runtime_checkable
class Ranker(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Features this ranker reads, in the column order it expects."""

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per-candidate, per-feature additive contributions (same index as ``features``)."""

    def score(self, features: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Per-candidate score; higher is better."""

    def probability(self, features: pd.DataFrame) -> npt.NDArray[np.float64] | None:
        """Calibrated P(the pair reaches a consultation), where the ranker can give one."""

    def probability_of(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
        """``probability`` from scores already computed by ``score`` (the ranking path
        scores every candidate once and should not run the model again for its picks)."""


def check_columns(features: pd.DataFrame, names: tuple[str, ...]) -> None:
    missing = [n for n in names if n not in features.columns]
    if missing:
        raise KeyError(f"features missing from input: {', '.join(missing)}")
