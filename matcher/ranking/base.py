"""The ranker interface every ranker implements (rule-based now, learned later).

A ranker's score is additive over features: ``score = bias + sum(contributions)``. That is
what makes every result explainable the same way, whether the weights were written by hand or
learned (LightGBM's ``pred_contrib`` gives the same decomposition).
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
