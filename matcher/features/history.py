"""What the funnel has recorded so far, as point-in-time features.

Every history feature is computed *as of* a moment: for a training pair, the moment the pair
was shortlisted; for a live query, now. Nothing that happened at or after that moment is
visible, so a pair's own outcome never leaks into its features and a model trained on the
past is evaluated honestly on the future.

A pair's progress at time t is how many steps of ``FunnelStage.progression()`` it had reached
before t (0-5, which is also its graded relevance). From the events we keep, per pair, the
time it started and the time it reached each step; sums of progress over any group of pairs
(a buyer's, an exporter's, a buyer's with firms in one HS heading, an HS chapter x country
cell) are then two ``searchsorted`` calls over sorted (group, time) keys, vectorised over any
number of queries.

Rates are smoothed towards the overall rate with ``prior_pairs`` pseudo-pairs, so a buyer
with one lucky pair does not outrank one with a long good record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.domain.enums import FunnelStage

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

STEPS: tuple[FunnelStage, ...] = FunnelStage.progression()
MAX_GRADE = len(STEPS)
_SHIFT = np.int64(1) << np.int64(33)  # group ids above, seconds since 2000 below
_EPOCH = np.datetime64("2000-01-01T00:00:00", "s")


def seconds(times: pd.Series | Sequence[object] | npt.NDArray[np.generic]) -> IntArray:
    """Seconds since 2000-01-01 UTC (the time half of every sort key)."""
    values = pd.to_datetime(pd.Series(times), utc=True).dt.tz_localize(None)
    out: IntArray = (
        (values.to_numpy(dtype="datetime64[s]") - _EPOCH).astype(np.int64).clip(0, _SHIFT - 1)
    )
    return out


@dataclass(frozen=True)
class PairTimeline:
    """One row per (exporter, buyer) engagement: when it started and reached each step."""

    exporter: IntArray
    buyer: IntArray
    start: IntArray  # seconds
    reached: IntArray  # (pairs, MAX_GRADE) seconds; a large sentinel where not reached
    need: IntArray  # the inquiry the pair answers (internal need id), -1 where none

    @property
    def size(self) -> int:
        return len(self.exporter)

    def grade_as_of(self, at: IntArray | int) -> IntArray:
        """Steps each pair had reached strictly before ``at`` (0-5): its relevance label."""
        bound = np.asarray(at, dtype=np.int64)
        if bound.ndim == 1:
            bound = bound[:, None]
        out: IntArray = (self.reached < bound).sum(axis=1).astype(np.int64)
        return out


NOT_REACHED = np.iinfo(np.int64).max // 4


def timelines(events: pd.DataFrame) -> PairTimeline:
    """Pair timelines from an events frame (exporter_id, buyer_id, stage, occurred_at and,
    where present, need_id: a pair answers the first inquiry its events name).

    A pair starts at its first event of any stage (normally "recommended" or "shortlisted");
    a step is reached at its first event. Later repeats are ignored.
    """
    if events.empty:
        empty = np.zeros(0, np.int64)
        return PairTimeline(empty, empty, empty, np.zeros((0, MAX_GRADE), np.int64), empty)
    frame = pd.DataFrame(
        {
            "e": events["exporter_id"].to_numpy(dtype=np.int64),
            "b": events["buyer_id"].to_numpy(dtype=np.int64),
            "stage": events["stage"].astype(str).to_numpy(),
            "t": seconds(events["occurred_at"]),
        }
    )
    start = frame.groupby(["e", "b"], sort=True)["t"].min()
    pairs = start.index
    reached = np.full((len(pairs), MAX_GRADE), NOT_REACHED, np.int64)
    position = pd.Series(np.arange(len(pairs)), index=pairs)
    for k in range(len(STEPS)):
        # A contract implies every earlier step (and a consultation the steps before it), so
        # a pair that skipped recording a step still gets it, at the later step's time.
        later = {s.value for s in STEPS[k:]}
        hit = frame[frame["stage"].isin(later)].groupby(["e", "b"])["t"].min()
        if len(hit):
            reached[position.loc[hit.index].to_numpy(), k] = hit.to_numpy()
    reached = np.minimum.accumulate(reached[:, ::-1], axis=1)[:, ::-1]
    need = np.full(len(pairs), -1, np.int64)
    if "need_id" in events.columns:
        linked = pd.to_numeric(events["need_id"], errors="coerce").to_numpy(dtype=float)
        named = frame.assign(n=linked)[np.isfinite(linked)]
        if len(named):
            first = named.sort_values("t").groupby(["e", "b"])["n"].first()
            need[position.loc[first.index].to_numpy()] = first.to_numpy(dtype=np.int64)
    return PairTimeline(
        exporter=pairs.get_level_values(0).to_numpy(dtype=np.int64),
        buyer=pairs.get_level_values(1).to_numpy(dtype=np.int64),
        start=start.to_numpy(dtype=np.int64),
        reached=reached,
        need=need,
    )


class _Counter:
    """Counts of pair starts and of steps reached per group, before any time."""

    def __init__(self, groups: IntArray, start: IntArray, reached: IntArray) -> None:
        groups = np.asarray(groups, dtype=np.int64)
        self.start_keys = np.sort(groups * _SHIFT + start)
        steps = reached.reshape(-1)
        step_groups = np.repeat(groups, reached.shape[1])
        ok = steps < NOT_REACHED
        self.step_keys = np.sort(step_groups[ok] * _SHIFT + steps[ok])

    def before(self, groups: IntArray, at: IntArray) -> tuple[FloatArray, FloatArray]:
        """(pairs started, steps reached) in each group strictly before ``at``."""
        lo = np.asarray(groups, dtype=np.int64) * _SHIFT
        hi = lo + np.asarray(at, dtype=np.int64)
        started = np.searchsorted(self.start_keys, hi) - np.searchsorted(self.start_keys, lo)
        steps = np.searchsorted(self.step_keys, hi) - np.searchsorted(self.step_keys, lo)
        return started.astype(np.float64), steps.astype(np.float64)


@dataclass(frozen=True)
class HistoryFeatures:
    pair: FloatArray  # this pair's own earlier progress (0-1), NaN if never engaged before
    buyer: FloatArray  # the buyer's smoothed progress with any firm (0-1)
    exporter: FloatArray  # the firm's smoothed progress with any buyer (0-1)
    item: FloatArray  # the buyer's smoothed progress with firms in the same HS headings
    peers: FloatArray  # how many such peer engagements the item rate rests on


class History:
    """Point-in-time history of a funnel, queried for any (exporter, buyer, time) triples."""

    def __init__(
        self,
        timeline: PairTimeline,
        exporter_headings: dict[int, Sequence[str]],
        *,
        prior_pairs: float = 3.0,
    ) -> None:
        self.timeline = timeline
        self.prior_pairs = prior_pairs
        self.exporter_headings = {
            e: tuple(sorted({h for h in hs if h})) for e, hs in exporter_headings.items()
        }
        t = timeline
        self._heading_ids: dict[str, int] = {}
        for headings in self.exporter_headings.values():
            for h in headings:
                self._heading_ids.setdefault(h, len(self._heading_ids))
        n_h = max(1, len(self._heading_ids))
        self._n_h = n_h
        self._all = _Counter(np.zeros(t.size, np.int64), t.start, t.reached)
        self._buyers = _Counter(t.buyer, t.start, t.reached)
        self._exporters = _Counter(t.exporter, t.start, t.reached)
        pair_codes, self._pair_index = self._pair_codes(t.exporter, t.buyer)
        self._pairs = _Counter(pair_codes, t.start, t.reached)
        rows, heads = self._expand(t.exporter)
        self._items = _Counter(
            t.buyer[rows] * n_h + heads,
            t.start[rows],
            t.reached[rows] if len(rows) else np.zeros((0, MAX_GRADE), np.int64),
        )

    @staticmethod
    def _pair_codes(e: IntArray, b: IntArray) -> tuple[IntArray, dict[tuple[int, int], int]]:
        index: dict[tuple[int, int], int] = {}
        codes = np.fromiter(
            (index.setdefault((int(x), int(y)), len(index)) for x, y in zip(e, b, strict=True)),
            dtype=np.int64,
            count=len(e),
        )
        return codes, index

    def _expand(self, exporters: IntArray) -> tuple[IntArray, IntArray]:
        rows: list[int] = []
        heads: list[int] = []
        for i, e in enumerate(exporters.tolist()):
            for h in self.exporter_headings.get(e, ()):
                rows.append(i)
                heads.append(self._heading_ids[h])
        return np.asarray(rows, np.int64), np.asarray(heads, np.int64)

    def _rate(self, started: FloatArray, steps: FloatArray, prior: FloatArray) -> FloatArray:
        a = self.prior_pairs
        out: FloatArray = (steps / MAX_GRADE + a * prior) / (started + a)
        return out

    def features(
        self,
        exporters: Sequence[int] | IntArray,
        buyers: Sequence[int] | IntArray,
        at: Sequence[int] | IntArray,
    ) -> HistoryFeatures:
        """History of each (exporter, buyer) as of each time (seconds, see ``seconds``)."""
        e = np.asarray(exporters, dtype=np.int64)
        b = np.asarray(buyers, dtype=np.int64)
        t = np.broadcast_to(np.asarray(at, dtype=np.int64), e.shape)
        n_all, s_all = self._all.before(np.zeros_like(e), t)
        prior = np.where(n_all > 0, s_all / MAX_GRADE / np.maximum(n_all, 1.0), 0.2)

        codes = np.fromiter(
            (self._pair_index.get((int(x), int(y)), -1) for x, y in zip(e, b, strict=True)),
            dtype=np.int64,
            count=len(e),
        )
        n_p, s_p = self._pairs.before(np.where(codes >= 0, codes, 0), t)
        n_p = np.where(codes >= 0, n_p, 0.0)
        s_p = np.where(codes >= 0, s_p, 0.0)
        pair = np.where(n_p > 0, s_p / MAX_GRADE / np.maximum(n_p, 1.0), np.nan)

        n_b, s_b = self._buyers.before(b, t)
        n_e, s_e = self._exporters.before(e, t)
        buyer = self._rate(n_b - n_p, s_b - s_p, prior)
        exporter = self._rate(n_e - n_p, s_e - s_p, prior)

        rows, heads = self._expand(e)
        n_i = np.zeros(len(e))
        s_i = np.zeros(len(e))
        if len(rows):
            n_r, s_r = self._items.before(b[rows] * self._n_h + heads, t[rows])
            np.add.at(n_i, rows, n_r)
            np.add.at(s_i, rows, s_r)
        shared = np.asarray([len(self.exporter_headings.get(int(x), ())) for x in e], float)
        n_i = np.maximum(n_i - n_p * shared, 0.0)  # the pair itself is not its own peer
        s_i = np.maximum(s_i - s_p * shared, 0.0)
        item = np.where(n_i > 0, self._rate(n_i, s_i, prior), np.nan)
        return HistoryFeatures(pair=pair, buyer=buyer, exporter=exporter, item=item, peers=n_i)

    def recent_exposure(
        self, buyers: Sequence[int] | IntArray, since: int, until: int
    ) -> dict[int, set[int]]:
        """Firms each buyer was put forward to (a pair started) in [since, until)."""
        t = self.timeline
        wanted = {int(x) for x in buyers}
        mask = (t.start >= since) & (t.start < until) & np.isin(t.buyer, list(wanted))
        out: dict[int, set[int]] = {b: set() for b in wanted}
        for e, b in zip(t.exporter[mask].tolist(), t.buyer[mask].tolist(), strict=True):
            out[b].add(e)
        return out
