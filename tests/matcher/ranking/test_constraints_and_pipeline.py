"""Hard exclusions and the exposure cap, each with its reason; diversity; and reasons whose
sign agrees with the contributions."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.features import pairs as pair_frames
from matcher.features import registry
from matcher.features.history import History, seconds, timelines
from matcher.features.pairs import PairContext
from matcher.ranking.diversity import mmr, profile_similarity
from matcher.ranking.pipeline import RankingPipeline
from matcher.ranking.rule import DEFAULT_WEIGHTS, RuleRanker

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
MONTH_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _exporters() -> pd.DataFrame:
    rows = {
        e: {
            "e_hs": ["848180"],
            "e_certs": ["ISO9001"] + (["API6D"] if e == 1 else []),
            "e_languages": ["ko", "en"],
            "e_stage": "growth",
            "e_industry": "industrial_machinery",
            "e_price_position": 0.5,
            "e_price_min": 100.0,
            "e_price_max": 150.0,
            "e_moq": 10.0,
        }
        for e in range(1, 12)
    }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "exporter_id"
    return frame


def _buyers() -> pd.DataFrame:
    base = {
        "b_hs": ["8481"],
        "b_required": [],
        "b_strict": False,
        "b_country": "VN",
        "b_positioning": "mid",
        "b_type": "distributor",
        "b_annual_usd": 1e6,
        "b_responsiveness": 0.7,
        "b_credit": "B",
        "b_languages": ["vi", "en"],
        "b_center": "HAN",
        "b_opted_out": False,
    }
    rows = {b: dict(base) for b in range(100, 110)}
    rows[101]["b_opted_out"] = True
    rows[102]["b_required"] = ["API6D"]
    rows[102]["b_strict"] = True
    rows[103]["b_required"] = ["API6D"]  # required, not strict: ranked lower, not excluded
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "buyer_id"
    return frame


def _context(extra_events: list[tuple[int, int, dt.datetime]] | None = None) -> PairContext:
    events = pd.DataFrame(
        [
            {"exporter_id": e, "buyer_id": b, "stage": "recommended", "occurred_at": t}
            for e, b, t in (extra_events or [])
        ],
        columns=["exporter_id", "buyer_id", "stage", "occurred_at"],
    )
    exporters = _exporters()
    history = History(timelines(events), {int(e): ["8481"] for e in exporters.index})
    return PairContext(exporters, _buyers(), history, None)


def _pairs(context: PairContext, exporter: int) -> pd.DataFrame:
    buyers = np.arange(100, 110)
    return pair_frames.build(
        context,
        np.full(len(buyers), exporter),
        buyers,
        int(seconds([NOW])[0]),
        similarity=np.linspace(0.9, 0.8, len(buyers)),
    )


def test_hard_exclusions_come_back_with_their_reasons() -> None:
    context = _context()
    pairs = _pairs(context, exporter=2)  # firm 2 lacks API6D
    outcome = RankingPipeline(RuleRanker(), diversity=1.0).rank(
        pairs, 10, candidate="buyer", blocked={(2, 104)}
    )
    excluded = {x.buyer_id: x for x in outcome.excluded}
    assert set(excluded) == {101, 102, 104}
    assert excluded[101].code == "opted_out"
    assert excluded[102].code == "certification_missing"
    assert "API6D" in excluded[102].reason_en and "API6D" in excluded[102].reason_ko
    assert excluded[104].code == "blocked"
    assert all(x.reason_en and x.reason_ko for x in outcome.excluded)
    ranked = [r.buyer_id for r in outcome.ranked]
    assert not set(ranked) & set(excluded)
    assert 103 in ranked  # a non-strict requirement lowers the score but does not exclude
    # the firm that holds API6D is not excluded by buyer 102
    holder = RankingPipeline(RuleRanker(), diversity=1.0).rank(
        _pairs(context, exporter=1), 10, candidate="buyer"
    )
    assert 102 in [r.buyer_id for r in holder.ranked]


def test_the_exposure_cap_stops_an_importer_being_pushed_to_more_firms() -> None:
    cap = 3
    # buyer 105 was recommended to firms 3, 4 and 5 this month, and to firm 6 last month
    events = [(e, 105, MONTH_START + dt.timedelta(days=e)) for e in (3, 4, 5)]
    events.append((6, 105, MONTH_START - dt.timedelta(days=3)))
    context = _context(events)
    assert context.history is not None
    since = int(seconds([MONTH_START])[0])
    exposure = context.history.recent_exposure(
        list(range(100, 110)), since, int(seconds([NOW])[0]) + 1
    )
    assert exposure[105] == {3, 4, 5}
    pipeline = RankingPipeline(RuleRanker(), diversity=1.0, exposure_cap=cap)
    new_firm = pipeline.rank(_pairs(context, 7), 10, candidate="buyer", exposure=exposure)
    capped = [x for x in new_firm.excluded if x.buyer_id == 105]
    assert len(capped) == 1 and capped[0].code == "exposure_cap"
    assert "3" in capped[0].reason_en and "3" in capped[0].reason_ko
    # a firm it was already recommended to keeps seeing it
    existing = pipeline.rank(_pairs(context, 4), 10, candidate="buyer", exposure=exposure)
    assert 105 in [r.buyer_id for r in existing.ranked]
    # one fewer firm this month and the cap no longer applies
    below = RankingPipeline(RuleRanker(), diversity=1.0, exposure_cap=cap + 1)
    assert 105 in [
        r.buyer_id
        for r in below.rank(_pairs(context, 7), 10, candidate="buyer", exposure=exposure).ranked
    ]


def test_mmr_spreads_a_shortlist_across_kinds() -> None:
    kinds = ["distributor|VN"] * 4 + ["retailer|VN", "hospital|VN"]
    headings = [frozenset({"8481"})] * 4 + [frozenset({"8481"}), frozenset({"9018"})]
    sim = profile_similarity(kinds, headings)
    scores = np.asarray([1.0, 0.99, 0.98, 0.97, 0.9, 0.85])
    assert mmr(scores, sim, 3, lam=1.0) == [0, 1, 2]
    diverse = mmr(scores, sim, 3, lam=0.5)
    assert diverse[0] == 0 and {4, 5} & set(diverse[1:])


def test_reasons_agree_in_sign_with_their_contributions() -> None:
    context = _context()
    pairs = _pairs(context, exporter=2)
    outcome = RankingPipeline(RuleRanker()).rank(pairs, 5, candidate="buyer")
    assert outcome.ranked
    for r in outcome.ranked:
        assert len(r.reasons) >= 2
        for reason in r.reasons:
            assert reason.positive == (r.contributions[reason.feature] >= 0)
            row = pairs.iloc[r.row]
            value = float(registry.compute(pairs, (reason.feature,)).iloc[r.row, 0])
            same = registry.explain(reason.feature, row, value, reason.contribution)
            assert same is not None and (same.en, same.ko) == (reason.en, reason.ko)
        parts = sum(r.contributions.values())
        assert parts == pytest.approx(r.exporter_side + r.buyer_side, abs=1e-3)
        assert parts == pytest.approx(r.score, abs=1e-3)


@pytest.mark.parametrize("diversity", [1.0, 0.5])
def test_score_rows_scores_a_few_rows_as_the_whole_frame_does_and_entry_score_bounds_picks(
    diversity: float,
) -> None:
    """The nightly batch scores a query's changed rows alone (``score_rows``, the pool's
    similarities as ``reference``) and re-ranks only where one reaches ``entry_score``: a
    row below it cannot change the picks, one above it can."""
    context = _context()
    whole = _pairs(context, exporter=2)
    # A ranker that reads the one feature taken over the query's other candidates too.
    ranker = RuleRanker({**DEFAULT_WEIGHTS, "relative_similarity": 0.1})
    pipeline = RankingPipeline(ranker, diversity=diversity, pool=2)
    outcome = pipeline.rank(whole, 3, candidate="buyer", blocked={(2, 104)})
    scores = pipeline.score_rows(whole, blocked={(2, 104)})
    by_buyer = dict(zip(whole["buyer_id"].tolist(), scores.tolist(), strict=True))
    assert [by_buyer[r.buyer_id] for r in outcome.ranked] == pytest.approx(
        [r.score for r in outcome.ranked]
    )
    assert by_buyer[104] == -math.inf and by_buyer[101] == -math.inf  # blocked, opted out
    # Three rows alone, with the whole pool's similarities: the same scores.
    some = [5, 7, 9]
    sims = whole["similarity"].to_numpy()
    part = pair_frames.build_columns(
        context,
        np.full(3, 2),
        whole["buyer_id"].to_numpy()[some],
        int(seconds([NOW])[0]),
        similarity=sims[some],
        reference=sims,
    )
    assert pipeline.score_rows(part).tolist() == pytest.approx(scores[some].tolist())
    # The entry score is the last score the selection looked at: the 3rd best, or the 6th
    # (the MMR pool of 2 x 3).
    kept = np.sort(scores[np.isfinite(scores)])[::-1]
    looked = 3 if diversity == 1.0 else 6
    assert outcome.entry_score == pytest.approx(kept[looked - 1])
    # Fewer candidates than it looks at: any newcomer could enter.
    assert pipeline.rank(whole.iloc[:4], 3, candidate="buyer").entry_score == -math.inf


def test_repick_from_the_head_picks_what_rank_picked_and_sees_a_newcomer_change_them() -> None:
    """The nightly batch keeps a shortlist's head (``RankOutcome.head``: the MMR pool and as
    many candidates below it, every other scoring at most ``floor``) and re-picks from it
    when a changed importer enters: from the head alone ``repick`` gives ``rank``'s picks
    and entry score; a newcomer scoring high changes the picks, one scoring below the pool
    moves nothing."""
    context = _context()
    pairs = _pairs(context, exporter=2)
    pipeline = RankingPipeline(RuleRanker(), diversity=0.5, pool=2)
    outcome = pipeline.rank(pairs, 3, candidate="buyer")
    keys = np.asarray([k for k, _ in outcome.head], dtype=np.int64)
    scores = np.asarray([v for _, v in outcome.head])
    assert pipeline.looked(3) == 6
    assert len(keys) > 6 and list(scores) == sorted(scores, reverse=True)
    # A head as deep as its cap leaves out the rest, and says what they score at most.
    shallow = pipeline.rank(pairs, 1, candidate="buyer")  # a pool of 2, a head of 4
    assert len(shallow.head) == 4 and len(keys) > 4
    assert [k for k, _ in shallow.head] == keys[:4].tolist()
    assert shallow.floor == scores[4] and shallow.floor <= shallow.head[-1][1]
    assert outcome.floor == -math.inf and len(keys) < 12  # this head holds every candidate

    def profiles(ids: np.ndarray) -> registry.Columns:
        return registry.Columns.from_arrays(context.buyer_columns(ids))

    picks, entry, head = pipeline.repick(keys, scores, profiles(keys), 3, "buyer")
    assert picks == [r.buyer_id for r in outcome.ranked]
    assert entry == outcome.entry_score and head[: len(outcome.head)] == outcome.head
    # A newcomer (an importer outside the head, here given a high and a low score).
    outsider = next(b for b in range(100, 120) if b not in keys and b not in (101, 102))
    more = np.append(keys, outsider)
    high, _, _ = pipeline.repick(more, np.append(scores, scores[0] + 1), profiles(more), 3, "buyer")
    assert high[0] == outsider
    low, low_entry, low_head = pipeline.repick(
        more, np.append(scores, scores[5] - 1e-9), profiles(more), 3, "buyer"
    )
    assert low == picks and low_entry == entry
    assert outsider not in [k for k, _ in low_head[:6]] and outsider in [k for k, _ in low_head]


def test_a_frame_of_many_queries_takes_query_columns_row_by_row() -> None:
    """The nightly batch scores many queries' rows in one frame: a ``PerRow`` query column
    overrides the importer's own value only in the rows that state it, and the given
    percentiles stand for each row's place in its own query's pool."""
    context = _context()
    one = pair_frames.build_columns(
        context,
        np.asarray([2, 2]),
        np.asarray([100, 103]),
        int(seconds([NOW])[0]),
        similarity=[0.9, 0.8],
        query={
            "b_hs": pair_frames.PerRow([["0902"], None], [True, False]),
            "q_center": pair_frames.PerRow(["HAN", None], [True, False]),
        },
        percentiles=np.asarray([0.25, 1.0]),
    )
    assert list(one.objects("b_hs")) == [["0902"], ["8481"]]
    assert list(one.objects("q_center")) == ["HAN", None]
    assert one.numbers("similarity_pct").tolist() == [0.25, 1.0]
    # Row by row, as each query's own frame gives it.
    alone = pair_frames.build_columns(
        context,
        np.asarray([2]),
        np.asarray([103]),
        int(seconds([NOW])[0]),
        similarity=[0.8],
        reference=np.asarray([0.8, 0.7]),
    )
    pipeline = RankingPipeline(RuleRanker({**DEFAULT_WEIGHTS, "relative_similarity": 0.1}))
    assert pipeline.score_rows(one)[1] == pytest.approx(pipeline.score_rows(alone)[0])


@given(
    st.lists(st.floats(0.0, 1.0, allow_nan=False).map(lambda v: round(v, 2)), min_size=1),
    st.data(),
)
def test_percentile_within_is_pandas_rank_of_the_pool(pool: list[float], data: Any) -> None:
    picks = data.draw(st.lists(st.integers(0, len(pool) - 1), min_size=1))
    expected = pd.Series(pool).rank(pct=True, method="average").to_numpy()[picks]
    got = pair_frames.percentile_within(np.asarray(pool)[picks], np.asarray(pool))
    assert got.tolist() == pytest.approx(expected.tolist())
