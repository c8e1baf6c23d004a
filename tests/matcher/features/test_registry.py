"""Every registered feature is documented, stays in [0, 1] or NaN, and explains itself in
English and Korean in both directions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.features import registry
from matcher.features.regulations import default_table

ROWS = pd.DataFrame(
    [
        {
            "similarity": 0.86,
            "e_hs": ["330499"],
            "b_hs": ["3304"],
            "e_certs": ["ISO22716", "CDSCO", "ISO9001"],
            "b_required": ["CDSCO", "HALAL"],
            "b_strict": False,
            "b_country": "IN",
            "e_price_position": 0.9,
            "b_positioning": "premium",
            "q_target_price": np.nan,
            "e_price_min": 4.0,
            "e_price_max": 9.0,
            "q_quantity": np.nan,
            "e_moq": 500,
            "b_annual_usd": 900_000.0,
            "e_industry": "cosmetics",
            "b_type": "retailer",
            "e_stage": "beginner",
            "b_responsiveness": 0.8,
            "b_credit": "B",
            "market_prior": 0.7,
            "h_pair": np.nan,
            "h_buyer": 0.3,
            "h_exporter": 0.2,
            "h_item": np.nan,
            "e_languages": ["ko", "en"],
            "b_languages": ["hi", "en"],
            "b_center": "DEL",
            "q_center": None,
        },
        {
            "similarity": 0.71,
            "e_hs": ["848180"],
            "b_hs": ["1902"],
            "e_certs": [],
            "b_required": [],
            "b_strict": False,
            "b_country": "VN",
            "e_price_position": 0.1,
            "b_positioning": "premium",
            "q_target_price": 10.0,
            "e_price_min": 20.0,
            "e_price_max": 30.0,
            "q_quantity": 100.0,
            "e_moq": 1000,
            "b_annual_usd": np.nan,
            "e_industry": "industrial_machinery",
            "b_type": "retailer",
            "e_stage": "mature",
            "b_responsiveness": np.nan,
            "b_credit": None,
            "market_prior": np.nan,
            "h_pair": 0.6,
            "h_buyer": 0.1,
            "h_exporter": 0.5,
            "h_item": 0.4,
            "e_languages": ["ko"],
            "b_languages": ["vi"],
            "b_center": None,
            "q_center": "HAN",
        },
    ]
)


def test_every_feature_is_documented_with_a_side() -> None:
    assert len(registry.FEATURES) >= 14
    for f in registry.FEATURES.values():
        assert len(f.description) > 40, f.name
        assert f.side in ("exporter", "buyer", "both")
        assert f.requires


def test_values_are_in_unit_range_or_nan() -> None:
    values = registry.compute(ROWS, tuple(registry.FEATURES))
    finite = values.to_numpy()[np.isfinite(values.to_numpy())]
    assert ((finite >= 0) & (finite <= 1)).all()


def test_hand_checked_values() -> None:
    v = registry.compute(ROWS, tuple(registry.FEATURES))
    assert v.loc[0, "hs_agreement"] == pytest.approx(2 / 3)
    assert v.loc[0, "certification_coverage"] == 0.5
    assert v.loc[0, "regulatory_readiness"] == 1.0  # India cosmetics: CDSCO, held
    assert v.loc[1, "regulatory_readiness"] != v.loc[1, "regulatory_readiness"]  # none: NaN
    assert v.loc[0, "price_fit"] == pytest.approx(1 - abs(0.9 - 0.85))
    assert v.loc[1, "price_fit"] == 0.0  # target 10 vs a 20-30 range: 100% gap
    assert v.loc[1, "moq_fit"] == pytest.approx(0.1)  # 100 asked, MOQ 1000
    assert v.loc[0, "moq_fit"] == pytest.approx(min(1.0, 900_000 / 12 / (500 * 4.0)))
    assert v.loc[0, "credit_grade"] == 0.75
    assert v.loc[0, "language_fit"] == 0.5  # shares English, not Hindi first
    assert v.loc[1, "center_coverage"] == 0.0  # not the Hanoi center's importer
    assert v.loc[0, "quality_certified"] == 1.0
    assert np.isnan(v.loc[1, "responsiveness"])


@pytest.mark.parametrize("positive", [True, False])
def test_every_feature_explains_itself_both_ways(positive: bool) -> None:
    values = registry.compute(ROWS, tuple(registry.FEATURES))
    for name in registry.FEATURES:
        for i in range(len(ROWS)):
            value = float(values.loc[i, name])
            reason = registry.explain(name, ROWS.iloc[i], value, 1.0 if positive else -1.0)
            if np.isnan(value):
                assert reason is None
                continue
            assert reason is not None and reason.en and reason.ko, name
            assert any("\uac00" <= ch <= "\ud7a3" for ch in reason.ko), (name, reason.ko)


def test_reasons_differ_by_sign_where_the_value_is_not_absolute() -> None:
    row = ROWS.iloc[0]
    for name in ("semantic_similarity", "responsiveness", "channel_fit", "stage_fit"):
        value = float(registry.compute(ROWS, (name,)).loc[0, name])
        up = registry.explain(name, row, value, 0.1)
        down = registry.explain(name, row, value, -0.1)
        assert up is not None and down is not None and up.en != down.en and up.ko != down.ko


def test_regulations_are_data_with_the_most_specific_prefix_winning() -> None:
    table = default_table()
    assert table.required("IN", "330499").certification == "CDSCO"  # type: ignore[union-attr]
    assert table.required("IN", "901890").certification == "CDSCO"  # type: ignore[union-attr]
    assert table.required("IN", "190230").certification == "FSSAI"  # type: ignore[union-attr]
    assert table.required("VN", "330410").certification == "VNCOSMETICNOTIFICATION"  # type: ignore[union-attr]
    assert table.required("VN", "848180") is None
    assert table.required(None, "330499") is None


def test_unknown_feature_names_are_an_error_naming_them() -> None:
    with pytest.raises(KeyError, match="shoe_size"):
        registry.compute(ROWS, ("shoe_size",))
