"""From a pair frame to a ranked, explained, constrained list: the one ranking path that the
supplier search, the staff shortlist and the nightly batch share.

features -> exclusions (with reasons) -> score -> one row per candidate -> MMR diversity ->
contributions, side scores, probability and reasons for the picks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from matcher.features import registry
from matcher.ranking.base import Ranker
from matcher.ranking.constraints import Exclusion, hard_exclusions
from matcher.ranking.diversity import mmr, profile_similarity
from matcher.ranking.reciprocity import side_scores

Candidate = Literal["exporter", "buyer"]

HEAD_DEPTH = 2  # ``RankOutcome.head`` holds this many times the candidates the picks look at


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float
    contribution: float
    positive: bool
    en: str
    ko: str


@dataclass(frozen=True)
class Ranked:
    row: int  # position in the pair frame
    exporter_id: int
    buyer_id: int | None
    score: float
    exporter_side: float
    buyer_side: float
    probability: float | None
    features: dict[str, float | None]
    contributions: dict[str, float]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RankOutcome:
    ranked: tuple[Ranked, ...]
    excluded: tuple[Exclusion, ...]
    ranker: str
    considered: int
    # The score a candidate not among these rows must reach to change the picks: the last
    # row the selection looked at (the k-th best, or the MMR pool's last), -inf where it
    # looked at every candidate (any newcomer would count). The nightly batch scores only
    # a query's changed candidates (``score_rows``) and re-ranks it only where one reaches
    # this.
    entry_score: float = -math.inf
    # The best candidates: each one's key (exporter or buyer id) and its best score, best
    # first, ties by key: the pool the picks came from (the k best, or the MMR pool) and as
    # many again below it (``HEAD_DEPTH``). The nightly batch keeps a shortlist's to re-pick
    # it when a changed importer enters or leaves the pool (``repick``): with the candidates
    # below the pool known, one that falls out of the pool has a known successor.
    head: tuple[tuple[int, float], ...] = ()
    # What every candidate outside ``head`` scores at most (-inf: the head holds them all).
    floor: float = -math.inf


@dataclass
class RankingPipeline:
    ranker: Ranker
    diversity: float = 0.8  # MMR lambda: 1 = no diversification
    pool: int = 3  # MMR looks at the best pool x top_k candidates
    reasons: int = 3  # reasons per result (at least two where two features apply)
    exposure_cap: int | None = None
    hidden: frozenset[str] = frozenset()  # features never shown as reasons (private data)
    extra: dict[str, str] = field(default_factory=dict)

    def rank(
        self,
        pairs: pd.DataFrame | registry.Columns,
        top_k: int,
        *,
        candidate: Candidate,
        blocked: Set[tuple[int, int]] = frozenset(),
        exposure: Mapping[int, Set[int]] | None = None,
    ) -> RankOutcome:
        """Rank ``pairs``; ``candidate`` says which side is being chosen (one result each)."""
        if len(pairs) == 0:
            return RankOutcome((), (), self.ranker.name, 0)
        cols = pairs if isinstance(pairs, registry.Columns) else registry.Columns(pairs)
        kept_rows, excluded, features, scores = self._scored(cols, blocked, exposure)
        if len(kept_rows) == 0:
            return RankOutcome((), tuple(excluded), self.ranker.name, len(pairs))
        key = "exporter_id" if candidate == "exporter" else "buyer_id"
        keys = cols.numbers(key)[kept_rows]
        picks, entry, best = self._choose(
            keys, scores, top_k, lambda rows: self._similarity(cols, kept_rows[rows], candidate)
        )
        depth = HEAD_DEPTH * self.looked(top_k)
        head = tuple((int(keys[i]), float(scores[i])) for i in best[:depth])
        floor = float(scores[best[depth]]) if len(best) > depth else -math.inf
        chosen = features.iloc[picks]
        contributions = self.ranker.contributions(chosen)
        sides = side_scores(contributions)
        probability = self.ranker.probability_of(scores[picks])
        names = [str(n) for n in chosen.columns]
        value_matrix = chosen.to_numpy(dtype=float)
        part_matrix = contributions[names].to_numpy(dtype=float)
        side_matrix = sides[["exporter_side", "buyer_side"]].to_numpy(dtype=float)
        e_ids = cols.numbers("exporter_id")
        b_ids = cols.numbers("buyer_id")
        out = []
        for j in range(len(picks)):
            at = int(kept_rows[picks[j]])
            values = dict(zip(names, value_matrix[j].tolist(), strict=True))
            parts = dict(zip(names, part_matrix[j].tolist(), strict=True))
            b = int(b_ids[at])
            out.append(
                Ranked(
                    row=at,
                    exporter_id=int(e_ids[at]),
                    buyer_id=b if b >= 0 else None,
                    score=float(scores[picks[j]]),
                    exporter_side=float(side_matrix[j, 0]),
                    buyer_side=float(side_matrix[j, 1]),
                    probability=None if probability is None else float(probability[j]),
                    features={n: None if math.isnan(v) else round(v, 4) for n, v in values.items()},
                    contributions={n: round(v, 4) for n, v in parts.items()},
                    reasons=self._reasons(registry.RowView(cols, at), values, parts),
                )
            )
        return RankOutcome(
            tuple(out), tuple(excluded), self.ranker.name, len(pairs), entry, head, floor
        )

    def looked(self, top_k: int) -> int:
        """How many of the best candidates the picks are made from (the MMR pool, or k)."""
        return max(top_k * self.pool, top_k) if self.diversity < 1.0 else top_k

    def _choose(
        self,
        keys: np.ndarray,
        scores: np.ndarray,
        top_k: int,
        similarity: Callable[[np.ndarray], np.ndarray],
    ) -> tuple[np.ndarray, float, np.ndarray]:
        """From scored rows (``keys``: each row's candidate): the picked rows in pick order,
        the entry score, and each candidate's best row, best first, ties by key (the first
        ``looked`` are the pool the picks came from). ``similarity(rows)``: the MMR
        similarity of those rows."""
        order = np.lexsort((keys, -scores))
        _, first = np.unique(keys[order], return_index=True)
        best = order[np.sort(first)]  # each candidate's best row, in score order
        looked = self.looked(top_k)
        pool = best[: max(top_k * self.pool, top_k)]
        if self.diversity < 1.0 and len(pool) > 1:
            picks = pool[mmr(scores[pool], similarity(pool), top_k, self.diversity)]
        else:
            picks = pool[:top_k]
        entry = float(scores[best[looked - 1]]) if len(best) >= looked else -math.inf
        return picks, entry, best

    def repick(
        self,
        keys: np.ndarray,
        scores: np.ndarray,
        profiles: registry.Columns,
        top_k: int,
        candidate: Candidate,
    ) -> tuple[list[int], float, tuple[tuple[int, float], ...]]:
        """What ``rank`` picks from candidates already scored (one row each, ``profiles``
        holding the columns its diversity reads): the picked keys in order, the entry score
        and every candidate, best first, ties by key (the first ones the pool the picks came
        from, as in ``RankOutcome.head``). The nightly batch tests with it whether a
        changed importer entering a shortlist's MMR pool changes its picks, without ranking
        the whole shortlist again; it is exact only where every candidate that could be in
        the pool is among ``keys``."""
        keys = np.asarray(keys, dtype=float)
        scores = np.asarray(scores, dtype=float)
        rows = np.arange(len(keys))
        picks, entry, best = self._choose(
            keys, scores, top_k, lambda chosen: self._similarity(profiles, rows[chosen], candidate)
        )
        head = tuple((int(keys[i]), float(scores[i])) for i in best)
        return [int(keys[i]) for i in picks], entry, head

    def explain_rows(
        self, pairs: registry.Columns, rows: np.ndarray, scores: np.ndarray
    ) -> list[tuple[tuple[Reason, ...], float | None]]:
        """The reasons and calibrated probability ``rank`` gives rows of a frame that
        ``score_rows`` scored (``scores``: theirs): the nightly batch patches an inquiry's
        results with a few changed suppliers instead of ranking it again, and shows them
        with the same explanations a ranking would."""
        if len(rows) == 0:
            return []
        every = registry.compute(pairs, self.ranker.feature_names)  # type: ignore[arg-type]
        chosen = every.iloc[np.asarray(rows, dtype=np.int64)]
        contributions = self.ranker.contributions(chosen)
        probability = self.ranker.probability_of(np.asarray(scores, dtype=float))
        names = [str(n) for n in chosen.columns]
        values = chosen.to_numpy(dtype=float)
        parts = contributions[names].to_numpy(dtype=float)
        return [
            (
                self._reasons(
                    registry.RowView(pairs, int(row)),
                    dict(zip(names, values[j].tolist(), strict=True)),
                    dict(zip(names, parts[j].tolist(), strict=True)),
                ),
                None if probability is None else float(probability[j]),
            )
            for j, row in enumerate(np.asarray(rows).tolist())
        ]

    def explain_above(
        self, pairs: registry.Columns, scores: np.ndarray, floors: np.ndarray
    ) -> list[tuple[tuple[Reason, ...], float | None] | None]:
        """Per row of a frame ``score_rows`` scored, ``explain_rows``'s reasons and
        probability where its score is finite and at least its floor (None elsewhere): the
        nightly batch explains only the probed rows that may be shown."""
        wanted = np.flatnonzero(np.isfinite(scores) & (scores >= floors))
        out: list[tuple[tuple[Reason, ...], float | None] | None] = [None] * len(scores)
        for row, said in zip(
            wanted.tolist(), self.explain_rows(pairs, wanted, scores[wanted]), strict=True
        ):
            out[row] = said
        return out

    def score_rows(
        self,
        pairs: pd.DataFrame | registry.Columns,
        *,
        blocked: Set[tuple[int, int]] = frozenset(),
        exposure: Mapping[int, Set[int]] | None = None,
    ) -> np.ndarray:
        """Each row's score as ``rank`` computes it, -inf where a hard exclusion removes it:
        what the nightly batch compares with a query's ``entry_score``. Both rankers score a
        row from its own features; the one feature that reads the query's other candidates
        (``relative_similarity``) is given the whole pool through ``build_columns``'s
        ``reference``, so a frame of a few rows scores them as the whole frame would."""
        out = np.full(len(pairs), -math.inf)
        if len(pairs) == 0:
            return out
        cols = pairs if isinstance(pairs, registry.Columns) else registry.Columns(pairs)
        kept_rows, _, _, scores = self._scored(cols, blocked, exposure)
        out[kept_rows] = scores
        return out

    def _scored(
        self,
        cols: registry.Columns,
        blocked: Set[tuple[int, int]],
        exposure: Mapping[int, Set[int]] | None,
    ) -> tuple[np.ndarray, list[Exclusion], pd.DataFrame, np.ndarray]:
        """The rows no hard exclusion removes, the exclusions, and the kept rows' features
        and scores: the one scoring path of ``rank`` and ``score_rows``."""
        keep, excluded = hard_exclusions(
            cols, blocked=blocked, exposure=exposure, exposure_cap=self.exposure_cap
        )
        kept_rows = np.flatnonzero(keep)
        if len(kept_rows) == 0:
            return kept_rows, excluded, pd.DataFrame(), np.zeros(0)
        every = registry.compute(cols, self.ranker.feature_names)  # type: ignore[arg-type]
        features = every.iloc[kept_rows]
        return kept_rows, excluded, features, self.ranker.score(features)

    def _similarity(
        self, cols: registry.Columns, rows: np.ndarray, candidate: Candidate
    ) -> np.ndarray:
        if candidate == "buyer":
            a, b, codes = "b_type", "b_country", "b_hs"
        else:
            a, b, codes = "e_industry", "e_stage", "e_hs"
        first, second = cols.objects(a)[rows], cols.objects(b)[rows]
        kinds = [f"{x}|{y}" for x, y in zip(first, second, strict=True)]
        headings = [frozenset(str(c)[:4] for c in (cs or [])) for cs in cols.objects(codes)[rows]]
        return profile_similarity(kinds, headings)

    def _reasons(
        self, row: registry.RowView, values: dict[str, float], parts: dict[str, float]
    ) -> tuple[Reason, ...]:
        applicable = [n for n, v in values.items() if not math.isnan(v) and n not in self.hidden]
        applicable.sort(key=lambda n: -abs(parts[n]))
        out = []
        for name in applicable[: max(self.reasons, 2)]:
            value, contribution = values[name], parts[name]
            text = registry.explain(name, row, value, contribution)
            if text is not None:
                out.append(
                    Reason(
                        name,
                        round(value, 4),
                        round(contribution, 4),
                        contribution >= 0,
                        text.en,
                        text.ko,
                    )
                )
        return tuple(out)
