"""History features are point in time: nothing at or after the query moment is visible, a
pair is never its own evidence, and rates are smoothed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matcher.features.history import MAX_GRADE, History, seconds, timelines

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _day(n: int) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def _events(rows: list[tuple[int, int, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"exporter_id": e, "buyer_id": b, "stage": s, "occurred_at": _day(d)}
            for e, b, s, d in rows
        ]
    )


EVENTS = _events(
    [
        # firm 1 x buyer 10: reaches a consultation by day 40
        (1, 10, "shortlisted", 0),
        (1, 10, "market_info_sent", 10),
        (1, 10, "mou", 20),
        (1, 10, "importer_info_sent", 30),
        (1, 10, "consultation", 40),
        # firm 2 x buyer 10: shortlisted, declined
        (2, 10, "shortlisted", 5),
        (2, 10, "declined", 25),
        # firm 3 x buyer 11: a contract recorded without the steps before it
        (3, 11, "shortlisted", 0),
        (3, 11, "contract", 50),
    ]
)
HEADINGS = {1: ["8481"], 2: ["8481"], 3: ["3304"], 4: ["8481"]}


def test_timelines_grade_pairs_and_fill_skipped_steps() -> None:
    t = timelines(EVENTS)
    grades = dict(
        zip(
            zip(t.exporter.tolist(), t.buyer.tolist(), strict=True),
            t.grade_as_of(int(seconds([_day(100)])[0])).tolist(),
            strict=True,
        )
    )
    assert grades == {(1, 10): 4, (2, 10): 0, (3, 11): MAX_GRADE}
    # as of day 25 firm 1 had reached two steps (day 10 and day 20)
    at = int(seconds([_day(25)])[0])
    assert t.grade_as_of(at)[list(zip(t.exporter, t.buyer, strict=True)).index((1, 10))] == 2


def test_nothing_at_or_after_the_moment_is_visible() -> None:
    history = History(timelines(EVENTS), HEADINGS, prior_pairs=0.0001)
    before = history.features([4], [10], seconds([_day(5)]))  # firm 2's start is at day 5
    after = history.features([4], [10], seconds([_day(200)]))
    # at day 5 only firm 1's pair had started, with one step reached (day 10 is later: 0)
    assert before.buyer[0] == pytest.approx(0.0, abs=1e-3)
    # by day 200: firm 1 reached 4 steps, firm 2 none -> (4 + 0) / 5 / 2 pairs
    assert after.buyer[0] == pytest.approx(0.4, abs=1e-3)


def test_a_pair_is_not_its_own_evidence() -> None:
    history = History(timelines(EVENTS), HEADINGS, prior_pairs=0.0001)
    later = seconds([_day(200)])
    own = history.features([1], [10], later)
    # buyer 10's engagement for firm 1 counts only firm 2's (failed) pair
    assert own.buyer[0] == pytest.approx(0.0, abs=1e-3)
    assert own.pair[0] == pytest.approx(4 / MAX_GRADE)
    # item-to-item: firm 2 shares heading 8481, and its pair with buyer 10 went nowhere
    assert own.item[0] == pytest.approx(0.0, abs=1e-3)
    peer = history.features([2], [10], later)
    assert peer.item[0] == pytest.approx(4 / MAX_GRADE, abs=1e-3)  # firm 1 did well
    assert np.isnan(history.features([3], [10], later).item[0])  # no peer in 3304


def test_rates_are_smoothed_towards_the_overall_rate() -> None:
    history = History(timelines(EVENTS), HEADINGS, prior_pairs=3.0)
    later = seconds([_day(200)])
    f = history.features([4], [11], later)
    overall = (4 + 0 + MAX_GRADE) / MAX_GRADE / 3
    # buyer 11 has one perfect pair: pulled towards the overall rate, not 1.0
    assert f.buyer[0] == pytest.approx((1.0 + 3 * overall) / (1 + 3))
    assert overall < f.buyer[0] < 1.0


def test_recent_exposure_counts_firms_per_buyer_in_the_window() -> None:
    history = History(timelines(EVENTS), HEADINGS)
    window = history.recent_exposure(
        [10, 11, 12], int(seconds([_day(0)])[0]), int(seconds([_day(3)])[0])
    )
    assert window == {10: {1}, 11: {3}, 12: set()}
