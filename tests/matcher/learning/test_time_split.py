"""The time split: trees learn from the past, calibration from the next slice (mature at the
cutoff), the test from the future; a short history still leaves a calibration slice."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.learning.datasets import DAY, TimeSplit


def _starts(days: int, n: int = 4000) -> np.ndarray:
    return np.sort(np.random.default_rng(0).integers(0, days * DAY, n)).astype(np.int64)


@pytest.mark.parametrize("history_days", [2800, 1400, 900])
def test_slices_are_in_time_order_and_calibration_is_mature_and_not_empty(
    history_days: int,
) -> None:
    starts = _starts(history_days)
    data_end = history_days * DAY
    s = TimeSplit.by_share(starts, data_end, maturity_days=240)
    assert s.train_end <= s.calibration_end <= s.cutoff - 240 * DAY
    assert s.cutoff < s.test_end == data_end - 240 * DAY
    calibration = ((starts >= s.train_end) & (starts < s.calibration_end)).sum()
    assert calibration >= 0.05 * (starts < s.test_end).sum()
    assert ((starts < s.train_end).sum()) > calibration


def test_a_long_history_keeps_the_share_boundaries() -> None:
    starts = _starts(2800)
    s = TimeSplit.by_share(starts, 2800 * DAY, maturity_days=240)
    mature = starts[starts < 2800 * DAY - 240 * DAY]
    assert s.train_end == int(np.quantile(mature, 0.6))


def test_too_few_mature_pairs_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="older than 240 days"):
        TimeSplit.by_share(_starts(100, 30), 100 * DAY, maturity_days=240)
