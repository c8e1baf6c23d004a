"""Learning-to-rank datasets from funnel events, split by time and grouped by query.

Two directions share one construction:

- ``importer_fit``: the query is a Korean firm, the candidates importers (the staff's shortlist):
  pairs staff started from a firm's side;
- ``supplier_fit``: the query is an importer's inquiry, the candidates Korean firms (BuyKorea's
  direction): pairs whose events name the inquiry they answer. The inquiry's own text, HS codes,
  requirements, quantity and target price make the query, as they do in a live match.

A query's group holds the pairs the centers actually worked in the window (graded by how far
each got, ``FunnelStage`` relevance 0-5) plus candidates retrieval would have offered but
nobody contacted (relevance 0). Training samples a few of the latter; tests keep the whole
retrieved pool, so a ranker is judged on the list a user would see.

Time: pairs are split by their start. Trees learn from the oldest pairs, the probability is
calibrated on the next slice, and the test is the newest slice, all labels as known at the
cutoff for learning and at the end of the data for the test. Pairs younger than
``maturity_days`` at the moment their labels are read are left out, because a funnel takes
months to run and an unfinished pair is not a failure. Features are point in time: as of the
query's first pair in the window, nothing later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.features import pairs as pair_frames
from matcher.features import registry
from matcher.learning.corpus import Corpus
from matcher.matching.first_stage import first_stage_score

Direction = Literal["importer_fit", "supplier_fit"]
DIRECTIONS: tuple[Direction, ...] = ("importer_fit", "supplier_fit")
IntArray = npt.NDArray[np.int64]
DAY = 86_400
MIN_CALIBRATION_SHARE = 0.05  # of mature pairs; below it the calibration slice is re-cut


@dataclass(frozen=True)
class TimeSplit:
    """Start-time boundaries (seconds): [.., train_end) trees, [train_end, calibration_end)
    calibration, [cutoff, test_end) test. Labels for learning are read at ``cutoff``."""

    train_end: int
    calibration_end: int
    cutoff: int
    test_end: int
    data_end: int

    @classmethod
    def by_share(
        cls,
        starts: IntArray,
        data_end: int,
        *,
        maturity_days: int,
        test_share: float = 0.2,
        calibration_share: float = 0.2,
    ) -> TimeSplit:
        maturity = maturity_days * DAY
        mature = np.sort(starts[starts < data_end - maturity])
        if len(mature) < 50:
            raise ValueError(
                f"only {len(mature)} pairs are older than {maturity_days} days: too few events "
                "to learn from"
            )
        cutoff = int(np.quantile(mature, 1.0 - test_share))
        train_end = int(np.quantile(mature, 1.0 - test_share - calibration_share))
        calibration_end = max(train_end, cutoff - maturity)
        # Calibration pairs must be mature at the cutoff. Where the history is short (a few
        # years of inquiries), that leaves the slice above nearly empty: calibrate instead on
        # the newest share of the pairs that are mature at the cutoff.
        learnable = mature[mature < cutoff - maturity]
        in_slice = ((learnable >= train_end) & (learnable < calibration_end)).sum()
        if len(learnable) and in_slice < MIN_CALIBRATION_SHARE * len(mature):
            share = calibration_share / (1.0 - test_share)
            train_end = min(train_end, int(np.quantile(learnable, 1.0 - share)))
            calibration_end = cutoff - maturity
        return cls(train_end, calibration_end, cutoff, data_end - maturity, data_end)


@dataclass
class GroupedSet:
    """Rows grouped by query (contiguous), with features, labels and bookkeeping."""

    rows: pd.DataFrame  # query, exporter_id, buyer_id, at, label, contacted, similarity
    features: pd.DataFrame
    direction: Direction

    @property
    def labels(self) -> IntArray:
        return self.rows["label"].to_numpy(dtype=np.int64)

    @property
    def groups(self) -> IntArray:
        sizes = self.rows.groupby("query", sort=False).size().to_numpy()
        return np.asarray(sizes, dtype=np.int64)

    def subset(self, mask: npt.NDArray[np.bool_]) -> GroupedSet:
        return GroupedSet(
            self.rows[mask].reset_index(drop=True),
            self.features[mask].reset_index(drop=True),
            self.direction,
        )


def _sides(direction: Direction) -> tuple[str, str]:
    """(query column, candidate column)."""
    return (
        ("exporter_id", "buyer_id") if direction == "importer_fit" else ("need_id", "exporter_id")
    )


def candidate_pool(
    corpus: Corpus,
    direction: Direction,
    query: int,
    k: int,
    *,
    center: str | None = None,
) -> IntArray:
    """The ``k`` candidates the first stage offers a query; for importer fit with a
    ``center``, among that center's importers only (as the staff shortlist searches).

    First-stage score: the standardised similarity (the best of the firm's products against
    the importer's interests or the inquiry's text), plus the HS level the two share (heading
    2, chapter 1, as the HS postings of the index find them), plus, for importers, standardised
    recorded responsiveness (an importer that never answers is a poor candidate whatever it
    buys).
    """
    if direction == "importer_fit":
        row = corpus.exporter_row(np.asarray([query]))[0]
        sims = corpus.similarity[row].astype(np.float64)
        ids = corpus.buyer_ids
        levels = corpus.hs_levels_for_exporter(row)
        extra = corpus.buyer_responsiveness_z
        if center is not None:
            mine = corpus.buyer_centers == center
            sims, ids, levels, extra = sims[mine], ids[mine], levels[mine], extra[mine]
    else:
        col = corpus.need_row(np.asarray([query]))[0]
        sims = corpus.need_similarity[:, col].astype(np.float64)
        ids = corpus.exporter_ids
        levels = corpus.hs_levels_for_need(query)
        extra = np.zeros(len(ids))
    score = first_stage_score(sims, levels, extra)
    k = min(k, len(ids))
    top = np.argpartition(-score, k - 1)[:k]
    top = top[np.argsort(-score[top], kind="stable")]
    out: IntArray = np.asarray(ids[top], dtype=np.int64)
    return out


def direction_pairs(corpus: Corpus, direction: Direction) -> npt.NDArray[np.bool_]:
    """The timeline's pairs a direction learns from: pairs staff started from a firm's side
    (importer fit), or pairs an inquiry started (supplier fit); both sides known."""
    t = corpus.timeline
    known = np.isin(t.exporter, corpus.exporter_ids) & np.isin(t.buyer, corpus.buyer_ids)
    if direction == "importer_fit":
        return known & (t.need < 0)
    return known & np.isin(t.need, corpus.need_ids)


def build_set(
    corpus: Corpus,
    direction: Direction,
    window: tuple[int, int],
    label_at: int,
    *,
    candidates: int = 200,
    negatives: int | None = None,
    seed: int = 0,
) -> GroupedSet:
    """Queries with a pair started in ``window``; ``negatives`` None keeps the whole pool."""
    t = corpus.timeline
    q_col, c_col = _sides(direction)
    in_window = (t.start >= window[0]) & (t.start < window[1])
    mask = in_window & direction_pairs(corpus, direction)
    worked = pd.DataFrame(
        {
            "exporter_id": t.exporter[mask],
            "buyer_id": t.buyer[mask],
            "need_id": t.need[mask],
            "start": t.start[mask],
            "label": t.grade_as_of(label_at)[mask],
        }
    )
    rng = np.random.default_rng(seed)
    parts: list[pd.DataFrame] = []
    for _, group in worked.groupby(q_col, sort=True):
        query = int(group[q_col].to_numpy(dtype=np.int64)[0])
        at = int(group["start"].min())
        pool = candidate_pool(corpus, direction, query, candidates)
        pool = pool[~np.isin(pool, group[c_col].to_numpy())]
        if negatives is not None and len(pool) > negatives:
            pool = rng.choice(pool, negatives, replace=False)
        others = pd.DataFrame({c_col: pool, q_col: query, "label": 0, "contacted": False})
        if direction == "supplier_fit":
            others["buyer_id"] = int(group["buyer_id"].to_numpy()[0])  # the inquiry's importer
        else:
            others["need_id"] = -1
        mine = group[["exporter_id", "buyer_id", "need_id", "label"]].assign(contacted=True)
        both = pd.concat([mine, others], ignore_index=True)
        both["query"] = query
        both["at"] = at
        parts.append(both)
    columns = ["exporter_id", "buyer_id", "need_id", "label", "contacted", "query", "at"]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    rows = rows.astype(
        {"exporter_id": np.int64, "buyer_id": np.int64, "need_id": np.int64, "label": np.int64}
    )
    if direction == "importer_fit":
        rows["similarity"] = corpus.pair_similarity(
            rows["exporter_id"].to_numpy(), rows["buyer_id"].to_numpy()
        )
        frame = pair_frames.build(
            corpus.context,
            rows["exporter_id"].to_numpy(),
            rows["buyer_id"].to_numpy(),
            rows["at"].to_numpy(dtype=np.int64),
            similarity=rows["similarity"].to_numpy(),
            groups=rows["query"].to_numpy(dtype=np.int64),
        )
    else:
        rows["similarity"] = corpus.need_similarity[
            corpus.exporter_row(rows["exporter_id"].to_numpy()),
            corpus.need_row(rows["need_id"].to_numpy()),
        ].astype(np.float64)
        frame = _inquiry_frames(corpus, rows)
    features = registry.compute(frame, tuple(registry.FEATURES))
    return GroupedSet(rows, features.reset_index(drop=True), direction)


def query_frame(
    corpus: Corpus, direction: Direction, query: int, candidates: IntArray, at: int
) -> pd.DataFrame:
    """The pair frame of one query's candidates as of ``at``: a firm's importers, or an
    inquiry's firms (the inquiry's importer and stated terms on the buyer side)."""
    if direction == "importer_fit":
        e = np.full(len(candidates), query, np.int64)
        return pair_frames.build(
            corpus.context, e, candidates, at, similarity=corpus.pair_similarity(e, candidates)
        )
    buyer = int(corpus.needs["buyer_id"].loc[query])
    sims = corpus.need_similarity[
        corpus.exporter_row(candidates), corpus.need_row(np.asarray([query]))[0]
    ].astype(np.float64)
    return pair_frames.build(
        corpus.context,
        candidates,
        np.full(len(candidates), buyer, np.int64),
        at,
        similarity=sims,
        query=corpus.need_query(query),
    )


def _inquiry_frames(corpus: Corpus, rows: pd.DataFrame) -> pd.DataFrame:
    """Pair frames of inquiry rows, one inquiry at a time: its stated codes, requirements,
    quantity and price stand in for the importer's profile, as in a live match."""
    frames: list[pd.DataFrame] = []
    for need, group in rows.groupby("query", sort=False):
        frames.append(
            pair_frames.build(
                corpus.context,
                group["exporter_id"].to_numpy(),
                group["buyer_id"].to_numpy(),
                group["at"].to_numpy(dtype=np.int64),
                similarity=group["similarity"].to_numpy(),
                query=corpus.need_query(int(need)),  # type: ignore[arg-type]
            ).set_axis(group.index)
        )
    if not frames:
        return pair_frames.build(corpus.context, [], [], 0, similarity=[])
    return pd.concat(frames).loc[rows.index]


@dataclass(frozen=True)
class CandidateRecall:
    recall: float  # share of positive pairs the first stage's top k kept
    positives: int
    median_pool: float  # median number of importers / firms a query's first stage chose from


def candidate_recall(
    corpus: Corpus,
    test: GroupedSet,
    k: int = 200,
    min_label: int = 1,
    *,
    by_center: bool = False,
) -> CandidateRecall:
    """Share of the test window's positive pairs that retrieval's top ``k`` kept.

    ``by_center`` (importer fit): each positive is looked for among its importer's center's
    candidates, the query staff at that center run (firm x center); importers no center
    covers are looked for among all importers. Otherwise one pool per firm, over every
    importer of every center and country.
    """
    q_col, c_col = _sides(test.direction)
    positives = test.rows[(test.rows["contacted"]) & (test.rows["label"] >= min_label)]
    centers = pd.Series(corpus.buyer_centers, index=corpus.buyer_ids)
    keys: list[Any] = [q_col]
    if by_center and test.direction == "importer_fit":
        positives = positives.assign(
            center=centers.reindex(positives["buyer_id"].to_numpy()).to_numpy()
        )
        keys.append("center")
    kept = 0
    pools: list[int] = []
    for key, group in positives.groupby(keys, dropna=False):
        query = int(group[q_col].to_numpy(dtype=np.int64)[0])
        center = key[1] if len(keys) == 2 and isinstance(key[1], str) else None
        pool_ids = candidate_pool(corpus, test.direction, query, k, center=center)
        if test.direction == "importer_fit":
            pools.append(
                int((corpus.buyer_centers == center).sum()) if center else len(corpus.buyer_ids)
            )
        else:
            pools.append(len(corpus.exporter_ids))
        kept += int(group[c_col].isin(set(pool_ids.tolist())).sum())
    recall = kept / len(positives) if len(positives) else float("nan")
    return CandidateRecall(recall, len(positives), float(np.median(pools)) if pools else 0.0)
