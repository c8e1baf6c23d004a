"""The market prior: how promising an importer's country is for a firm's products.

KOTRA publishes "promising export market" scores per HS code x country x exporter scale
(``kotra_hs_country_recommend.csv`` in the public data). Where a firm's code is covered, the
prior is the score's percentile among countries for the firm's scale. Elsewhere it falls back
to what the funnel recorded: the progress rate of pairs in the same HS chapter and country
relative to the overall rate, as of the query time (0.5 = average, 1 = twice the average).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.features.history import MAX_GRADE, History, _Counter

# KOTRA's exporter scales, as the export stages the documents use.
SCALE_FOR_STAGE = {"beginner": "초보", "growth": "성장", "mature": "유망"}


class MarketPrior:
    """KOTRA's scores (optional) plus the recorded HS chapter x country progress rates."""

    def __init__(self, kotra: pd.DataFrame | None = None) -> None:
        self.kotra = kotra
        self._scores: dict[tuple[str, str, str], float] = {}
        if kotra is not None and not kotra.empty:
            frame = kotra.copy()
            frame["pct"] = frame.groupby(["hs_code", "export_scale"])["recommendation_score"].rank(
                pct=True
            )
            for code, country, scale, pct in zip(
                frame["hs_code"].astype(str).str.zfill(6),
                frame["country_iso"].astype(str),
                frame["export_scale"].astype(str),
                frame["pct"],
                strict=True,
            ):
                self._scores[(code, country, scale)] = float(pct)
                self._scores.setdefault((code[:4], country, scale), float(pct))
        self._counter: _Counter | None = None
        self._cells: dict[tuple[str, str], int] = {}

    @classmethod
    def from_csv(cls, path: Path | None) -> MarketPrior:
        """KOTRA's file where it exists; history only otherwise."""
        if path is None or not path.is_file():
            return cls(None)
        frame = pd.read_csv(path, dtype={"hs_code": str, "country_iso": str})
        frame = frame.dropna(subset=["hs_code", "country_iso", "recommendation_score"])
        return cls(frame)

    def fit_history(
        self, history: History, buyer_country: dict[int, str], exporter_hs: dict[int, list[str]]
    ) -> MarketPrior:
        """Index the recorded pairs by (HS chapter, country) cell."""
        t = history.timeline
        groups: list[int] = []
        rows: list[int] = []
        for i, (e, b) in enumerate(zip(t.exporter.tolist(), t.buyer.tolist(), strict=True)):
            country = buyer_country.get(b)
            if not country:
                continue
            for chapter in sorted({c[:2] for c in exporter_hs.get(e, []) if c}):
                groups.append(self._cells.setdefault((chapter, country), len(self._cells)))
                rows.append(i)
        index = np.asarray(rows, np.int64)
        self._counter = _Counter(
            np.asarray(groups, np.int64),
            t.start[index],
            t.reached[index] if len(index) else np.zeros((0, MAX_GRADE), np.int64),
        )
        self._all = _Counter(np.zeros(t.size, np.int64), t.start, t.reached)
        return self

    def kotra_score(self, hs: Sequence[str], country: str | None, stage: str | None) -> float:
        if not self._scores or not country:
            return float("nan")
        scale = SCALE_FOR_STAGE.get(str(stage), "유망")
        best = float("nan")
        for code in hs:
            for key in ((code, country, scale), (code[:4], country, scale)):
                score = self._scores.get(key)
                if score is not None and not (best >= score):
                    best = score
        return best

    def values(
        self,
        hs: Sequence[Sequence[str]],
        countries: Sequence[str | None],
        stages: Sequence[str | None],
        at: np.ndarray,
    ) -> np.ndarray:
        """The prior for each (firm codes, importer country, firm stage, time)."""
        # A live frame repeats one firm's code list (the same object) on every row: score
        # each distinct (codes, country, stage) once.
        seen: dict[tuple[int, str | None, str | None], float] = {}
        scores: list[float] = []
        for codes, country, stage in zip(hs, countries, stages, strict=True):
            key = (id(codes), country, stage)
            if key not in seen:
                seen[key] = self.kotra_score(codes, country, stage)
            scores.append(seen[key])
        out = np.asarray(scores, dtype=float)
        if self._counter is None:
            return out
        at = np.broadcast_to(np.asarray(at, np.int64), out.shape)
        # One (row, HS chapter x country cell) entry per chapter a row's firm makes.
        rows: list[int] = []
        cells: list[int] = []
        for i in np.flatnonzero(np.isnan(out)).tolist():
            country = countries[i]
            if not country:
                continue
            for chapter in {c[:2] for c in hs[i] if c}:
                cell = self._cells.get((chapter, country))
                if cell is not None:
                    rows.append(i)
                    cells.append(cell)
        if not rows:
            return out
        row_index = np.asarray(rows, np.int64)
        n, s = self._counter.before(np.asarray(cells, np.int64), at[row_index])
        started = np.zeros(len(out))
        steps = np.zeros(len(out))
        np.add.at(started, row_index, n)
        np.add.at(steps, row_index, s)
        n_all, s_all = self._all.before(np.zeros(len(out), np.int64), at)
        overall = np.where(n_all > 0, s_all / np.maximum(n_all, 1.0), np.nan)
        rate = (steps + 5.0 * overall) / (started + 5.0)  # smoothed with 5 pairs
        fallback = np.minimum(1.0, 0.5 * rate / np.maximum(overall, 1e-9))
        use = np.isnan(out) & (started > 0) & ~np.isnan(overall)
        out[use] = fallback[use]
        return out
