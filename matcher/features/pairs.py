"""Assembling pair frames: one row per (firm, importer) pair with both sides' columns.

The same frame serves both directions (an inquiry ranking firms, a firm ranking importers),
training and evaluation (pairs from recorded events, each as of its start time) and live
queries (as of now). See ``matcher.features.registry`` for the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.features.history import History, PairTimeline, timelines
from matcher.features.market import MarketPrior
from matcher.features.profiles import (
    BUYER_COLUMNS,
    EXPORTER_COLUMNS,
    buyer_profiles,
    exporter_profiles,
)
from matcher.features.registry import Columns

# Columns holding lists of codes: kept as ``list[str]`` (never None) in every pair frame, so
# features read them without converting (``registry._items``).
LIST_COLUMNS = ("e_hs", "e_certs", "e_languages", "b_hs", "b_required", "b_languages")


def as_str_list(value: object) -> list[str]:
    """A list-column cell as ``list[str]``: None/NaN -> [], any iterable -> strings."""
    if type(value) is list and all(type(v) is str for v in value):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[attr-defined]


@dataclass
class PairContext:
    """Everything a pair frame reads besides the pairs: both sides' profiles, the funnel
    history and the market prior."""

    exporters: pd.DataFrame  # index exporter_id, EXPORTER_COLUMNS
    buyers: pd.DataFrame  # index buyer_id, BUYER_COLUMNS
    history: History | None = None
    market: MarketPrior | None = None

    def _side(self, which: str) -> tuple[pd.Index, dict[str, np.ndarray]]:
        """Row lookup and object arrays of one side's profile columns (built once: reading
        pandas columns per query costs more than ranking them)."""
        cache = self.__dict__.setdefault("_columns", {})
        if which not in cache:
            frame = self.exporters if which == "e" else self.buyers
            names = EXPORTER_COLUMNS if which == "e" else BUYER_COLUMNS
            # A trailing None row answers ids the profiles do not know.
            arrays = {}
            for c in names:
                if frame[c].dtype.kind in "fi":  # numbers stay numbers (no per-query parse)
                    numbers = np.full(len(frame) + 1, np.nan)
                    numbers[:-1] = frame[c].to_numpy(dtype=float, na_value=np.nan)
                    arrays[c] = numbers
                    continue
                column = np.empty(len(frame) + 1, dtype=object)
                if c in LIST_COLUMNS:
                    column[:-1] = [as_str_list(v) for v in frame[c].to_numpy(dtype=object)]
                    column[-1] = []
                else:
                    column[:-1] = frame[c].to_numpy(dtype=object)
                    column[-1] = None
                arrays[c] = column
            cache[which] = (pd.Index(frame.index), arrays)
        out: tuple[pd.Index, dict[str, np.ndarray]] = cache[which]
        return out

    def _take(self, which: str, ids: npt.NDArray[np.int64]) -> dict[str, object]:
        index, arrays = self._side(which)
        pos = index.get_indexer(pd.Index(ids))
        pos = np.where(pos < 0, len(index), pos)
        return {c: a[pos] for c, a in arrays.items()}

    def exporter_columns(self, ids: npt.NDArray[np.int64]) -> dict[str, object]:
        return self._take("e", ids)

    def buyer_columns(self, ids: npt.NDArray[np.int64]) -> dict[str, object]:
        return self._take("b", ids)

    @property
    def timeline(self) -> PairTimeline:
        if self.history is None:
            return timelines(pd.DataFrame())
        return self.history.timeline


def make_context(
    products: pd.DataFrame,
    buyers: pd.DataFrame,
    events: pd.DataFrame,
    market_scores: Path | None = None,
) -> PairContext:
    """Profiles, history and market prior from the frames the catalogs and the event table
    load (``market_scores``: KOTRA's file, where present)."""
    exporters = exporter_profiles(products)
    buyer_side = buyer_profiles(buyers)
    history = History(
        timelines(events),
        {
            int(e): [c[:4] for c in codes if c and len(c) >= 4]
            for e, codes in zip(exporters.index.to_numpy(), exporters["e_hs"], strict=True)
        },
    )
    market = MarketPrior.from_csv(market_scores).fit_history(
        history,
        {
            int(b): str(c)
            for b, c in zip(buyer_side.index.to_numpy(), buyer_side["b_country"], strict=True)
            if c
        },
        {
            int(e): list(codes)
            for e, codes in zip(exporters.index.to_numpy(), exporters["e_hs"], strict=True)
        },
    )
    return PairContext(exporters, buyer_side, history, market)


def build(
    context: PairContext,
    exporter_ids: Sequence[int] | npt.NDArray[np.int64],
    buyer_ids: Sequence[int | None] | npt.NDArray[np.int64],
    at: int | npt.NDArray[np.int64],
    *,
    similarity: Sequence[float] | npt.NDArray[np.float64] | None = None,
    groups: npt.NDArray[np.int64] | None = None,
    query: dict[str, object] | None = None,
) -> pd.DataFrame:
    """``build_columns`` as a DataFrame (training, evaluation, inspection)."""
    return build_columns(
        context, exporter_ids, buyer_ids, at, similarity=similarity, groups=groups, query=query
    ).to_frame()


@dataclass(frozen=True)
class PerRow:
    """A query column given row by row, where one pair frame holds many queries' rows (the
    nightly batch's probes): ``values[i]`` where ``given[i]``, else the row keeps its own
    value (its importer's profile, or nothing for an anonymous inquiry)."""

    values: Sequence[object]
    given: Sequence[bool]


def percentile_within(
    values: npt.NDArray[np.float64], pool: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Each value's percentile rank in ``pool`` (which holds it), as pandas'
    ``rank(pct=True, method="average")`` of the pool gives it: (below + (equal + 1) / 2) / n."""
    ordered = np.sort(np.asarray(pool, dtype=float))
    v = np.asarray(values, dtype=float)
    below = np.searchsorted(ordered, v, side="left")
    equal = np.searchsorted(ordered, v, side="right") - below
    out: npt.NDArray[np.float64] = (below + (equal + 1) / 2) / max(len(ordered), 1)
    return out


def build_columns(
    context: PairContext,
    exporter_ids: Sequence[int] | npt.NDArray[np.int64],
    buyer_ids: Sequence[int | None] | npt.NDArray[np.int64],
    at: int | npt.NDArray[np.int64],
    *,
    similarity: Sequence[float] | npt.NDArray[np.float64] | None = None,
    groups: npt.NDArray[np.int64] | None = None,
    query: dict[str, object] | None = None,
    reference: npt.NDArray[np.float64] | None = None,
    percentiles: npt.NDArray[np.float64] | None = None,
) -> Columns:
    """The pair frame for ``exporter_ids[i]`` x ``buyer_ids[i]`` as of ``at`` (seconds).

    ``buyer_ids`` may hold None (an anonymous inquiry): the buyer columns then come from
    ``query`` (``b_hs``, ``b_required``, ``b_country``, ...), as do ``q_*`` columns. A
    ``query`` value is one value for every row, or ``PerRow`` values where the frame holds
    many queries' rows.
    ``reference``: the similarities of the query's whole candidate pool, where the frame
    holds only some of its rows (the nightly batch scoring a query's changed candidates):
    ``similarity_pct`` is then each row's place in that pool, as the whole frame gives it.
    ``percentiles``: that place given row by row (many queries' rows, each in its own pool).
    """
    e = np.asarray(exporter_ids, dtype=np.int64)
    n = len(e)
    data: dict[str, object] = context.exporter_columns(e)
    known = [x for x in buyer_ids if x is not None]
    unnormalised: set[str] = set()  # list columns not from the (normalised) profiles
    if len(known) == n and n:
        b = np.asarray(buyer_ids, dtype=np.int64)
        data.update(context.buyer_columns(b))
    else:
        b = np.full(n, -1, np.int64)
        data.update({c: np.full(n, None, dtype=object) for c in BUYER_COLUMNS})
        unnormalised.update(c for c in BUYER_COLUMNS if c in LIST_COLUMNS)
    for name, value in (query or {}).items():
        column = np.empty(n, dtype=object)
        if isinstance(value, PerRow):
            own = data.get(name)
            cells = [
                v if given else (None if own is None else own[i])  # type: ignore[index]
                for i, (v, given) in enumerate(zip(value.values, value.given, strict=True))
            ]
            column[:] = [as_str_list(v) for v in cells] if name in LIST_COLUMNS else cells
        else:
            column[:] = [as_str_list(value) if name in LIST_COLUMNS else value] * n
        data[name] = column
        unnormalised.discard(name)
    for name in unnormalised:
        column = np.empty(n, dtype=object)
        column[:] = [as_str_list(v) for v in data[name]]  # type: ignore[attr-defined]
        data[name] = column
    data["exporter_id"] = e
    data["buyer_id"] = b
    sims = np.full(n, np.nan) if similarity is None else np.asarray(similarity, float)
    data["similarity"] = sims
    # Where the similarity sits among the query's own candidates (0 lowest .. 1 highest):
    # e5's cosines shift from one query to the next, so a fixed threshold means little.
    # ``groups`` labels each row's query when one frame holds many (training); a live
    # frame is one query.
    if percentiles is not None:
        ranks = pd.Series(np.asarray(percentiles, dtype=float))
    elif reference is not None:
        ranks = pd.Series(percentile_within(sims, reference))
    elif groups is None:
        ranks = pd.Series(sims).rank(pct=True, method="average")
    else:
        ranks = (
            pd.Series(sims).groupby(np.asarray(groups, np.int64)).rank(pct=True, method="average")
        )
    data["similarity_pct"] = ranks.to_numpy(dtype=float)
    at_arr = np.broadcast_to(np.asarray(at, np.int64), (n,))
    nan = np.full(n, np.nan)
    if context.history is not None and (b >= 0).all():
        h = context.history.features(e, b, at_arr)
        data.update(h_pair=h.pair, h_buyer=h.buyer, h_exporter=h.exporter, h_item=h.item)
    elif context.history is not None:
        h = context.history.features(e, np.zeros(n, np.int64) - 1, at_arr)
        data.update(h_pair=nan, h_buyer=nan, h_exporter=h.exporter, h_item=nan)
    else:
        data.update(h_pair=nan, h_buyer=nan, h_exporter=nan, h_item=nan)
    if context.market is not None:
        data["market_prior"] = context.market.values(
            list(data["e_hs"]),  # type: ignore[call-overload]
            list(data["b_country"]),  # type: ignore[call-overload]
            list(data["e_stage"]),  # type: ignore[call-overload]
            at_arr,
        )
    else:
        data["market_prior"] = nan
    return Columns.from_arrays(data)
