"""The learned ranker: LightGBM ``lambdarank`` trained on the funnel events the centers record.

- Labels are graded relevance from ``FunnelStage`` (how many funnel steps a pair reached,
  0-5); groups are queries (a firm's importers, or an importer's firms).
- Every feature is oriented so that higher means a better fit, and the model is constrained
  to be monotone in each. That keeps it from learning artefacts of who staff happened to
  contact, and makes every contribution read the same way as the rule ranker's.
- Contributions come from ``pred_contrib`` (TreeSHAP); the bias column is dropped from the
  score because it is the same for every candidate.
- ``P(consultation)`` is an isotonic calibration of the score, fitted on a later slice of the
  training period than the trees (``fit(..., calibration=...)``), so the probability is
  honest for pairs the trees did not see.

Follows scikit-learn conventions: ``__init__`` stores parameters, fitted state ends in ``_``,
and every method checks the model is fitted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher._lazy import require
from matcher.errors import NotFittedError
from matcher.features.registry import FEATURES
from matcher.ranking.base import check_columns

FloatArray = npt.NDArray[np.float64]
CONSULTATION_GRADE = 4  # FunnelStage.CONSULTATION.relevance


@dataclass
class TrainingSet:
    """Features, graded labels and query groups (rows of a group are contiguous)."""

    features: pd.DataFrame
    labels: npt.NDArray[np.int64]
    groups: npt.NDArray[np.int64]  # sizes, in row order


class LTRRanker:
    """LightGBM lambdarank over registered features, with a calibrated P(consultation)."""

    def __init__(
        self,
        feature_names: tuple[str, ...] | None = None,
        *,
        name: str = "ltr",
        num_leaves: int = 7,
        learning_rate: float = 0.05,
        n_estimators: int = 250,
        min_child_samples: int = 40,
        monotone: bool = True,
        seed: int = 0,
    ) -> None:
        self.feature_names_init = feature_names
        self.name_init = name
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.n_estimators = n_estimators
        self.min_child_samples = min_child_samples
        self.monotone = monotone
        self.seed = seed

    # -- the Ranker protocol ----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.name_init

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.feature_names_init or tuple(FEATURES)

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError(f"{self.name} is not fitted; run `tradematch train` first")

    def _matrix(self, features: pd.DataFrame) -> FloatArray:
        names = list(self.feature_names)
        if list(features.columns) != names:  # the ranking path already passes exactly these
            check_columns(features, self.feature_names)
            features = features[names]
        out: FloatArray = features.to_numpy(dtype=np.float64)
        return out

    def raw(self, features: pd.DataFrame) -> FloatArray:
        self._check_fitted()
        out: FloatArray = np.asarray(self.booster_.predict(self._matrix(features)), float)
        return out

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted()
        parts = np.asarray(self.booster_.predict(self._matrix(features), pred_contrib=True))
        return pd.DataFrame(parts[:, :-1], index=features.index, columns=list(self.feature_names))

    def score(self, features: pd.DataFrame) -> FloatArray:
        return self.raw(features) - self.bias_

    def probability(self, features: pd.DataFrame) -> FloatArray | None:
        self._check_fitted()
        if self.calibrator_ is None:
            return None
        return self.probability_of(self.score(features))

    def probability_of(self, scores: FloatArray) -> FloatArray | None:
        self._check_fitted()
        if self.calibrator_ is None:
            return None
        raw = np.asarray(scores, float) + self.bias_
        out: FloatArray = np.asarray(self.calibrator_.predict(raw), float)
        return out

    # -- training ---------------------------------------------------------------------------

    def fit(self, train: TrainingSet, *, calibration: TrainingSet | None = None) -> LTRRanker:
        lgb = require("lightgbm", "lightgbm")
        x = self._matrix(train.features)
        params: dict[str, Any] = {
            "objective": "lambdarank",
            "metric": "ndcg",
            "eval_at": [10],
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_child_samples": self.min_child_samples,
            "label_gain": [float(2**g - 1) for g in range(6)],
            "lambdarank_truncation_level": 20,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.9,
            "bagging_freq": 1,
            "seed": self.seed,
            "deterministic": True,
            "num_threads": 1,
            "verbose": -1,
        }
        if self.monotone:
            params["monotone_constraints"] = [1] * len(self.feature_names)
            params["monotone_constraints_method"] = "advanced"
        data = lgb.Dataset(x, label=train.labels, group=train.groups, free_raw_data=False)
        self.booster_ = lgb.train(params, data, num_boost_round=self.n_estimators)
        contrib = np.asarray(self.booster_.predict(x[:1], pred_contrib=True))
        self.bias_ = float(contrib[0, -1])
        self.calibrator_: Any = None
        if calibration is not None and len(calibration.labels):
            from sklearn.isotonic import IsotonicRegression

            scores = self.raw(calibration.features)
            positive = (calibration.labels >= CONSULTATION_GRADE).astype(float)
            self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            self.calibrator_.fit(scores, positive)
        self.importance_ = dict(
            zip(
                self.feature_names,
                (float(v) for v in self.booster_.feature_importance("gain")),
                strict=True,
            )
        )
        return self

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        """Write ``model.txt`` (LightGBM), ``calibration.json`` and ``ranker.json``."""
        self._check_fitted()
        directory.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(directory / "model.txt"))
        calibration = None
        if self.calibrator_ is not None:
            calibration = {
                "x": [float(v) for v in self.calibrator_.X_thresholds_],
                "y": [float(v) for v in self.calibrator_.y_thresholds_],
            }
        (directory / "calibration.json").write_text(json.dumps(calibration), encoding="utf-8")
        meta = {
            "name": self.name,
            "feature_names": list(self.feature_names),
            "bias": self.bias_,
            "params": {
                "num_leaves": self.num_leaves,
                "learning_rate": self.learning_rate,
                "n_estimators": self.n_estimators,
                "min_child_samples": self.min_child_samples,
                "monotone": self.monotone,
                "seed": self.seed,
            },
            "importance_gain": self.importance_,
        }
        (directory / "ranker.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path) -> LTRRanker:
        lgb = require("lightgbm", "lightgbm")
        meta = json.loads((directory / "ranker.json").read_text(encoding="utf-8"))
        unknown = [n for n in meta["feature_names"] if n not in FEATURES]
        if unknown:
            raise ValueError(f"{directory}: model uses unknown feature(s) {', '.join(unknown)}")
        ranker = cls(tuple(meta["feature_names"]), name=meta["name"], **meta["params"])
        ranker.booster_ = lgb.Booster(model_file=str(directory / "model.txt"))
        ranker.bias_ = float(meta["bias"])
        ranker.importance_ = meta.get("importance_gain", {})
        calibration = json.loads((directory / "calibration.json").read_text(encoding="utf-8"))
        ranker.calibrator_ = _Interpolated(calibration) if calibration else None
        return ranker


class _Interpolated:
    """A saved isotonic calibration: piecewise-linear through its thresholds."""

    def __init__(self, points: dict[str, list[float]]) -> None:
        self.x = np.asarray(points["x"], float)
        self.y = np.asarray(points["y"], float)

    def predict(self, scores: FloatArray) -> FloatArray:
        out: FloatArray = np.interp(scores, self.x, self.y)
        return out


def ranker_name(direction: str) -> str:
    return f"ltr-{direction.replace('_', '-')}"


def load_current(models_root: Path, direction: str) -> LTRRanker | None:
    """The current trained ranker for a direction (``models_root/<name>/CURRENT``), or None
    where none was trained."""
    name = ranker_name(direction)
    pointer = models_root / name / "CURRENT"
    if not pointer.is_file():
        return None
    return LTRRanker.load(models_root / name / pointer.read_text(encoding="utf-8").strip())
