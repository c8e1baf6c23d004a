from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from matcher.domain.centers import center_for
from matcher.domain.enums import CenterCode, FunnelStage
from matcher.domain.schemas import RECORD_TYPES, BuyerRecord, ExporterRecord, ProductRecord


def test_funnel_stage_probabilities_are_the_documented_ones() -> None:
    documented = {
        FunnelStage.MARKET_INFO_SENT: 0.10,
        FunnelStage.MOU: 0.30,
        FunnelStage.IMPORTER_INFO_SENT: 0.40,
        FunnelStage.CONSULTATION: 0.70,
        FunnelStage.CONTRACT: 1.0,
    }
    assert {s: s.contract_probability for s in FunnelStage.progression()} == documented
    orders = [s.order for s in FunnelStage.progression()]
    assert orders == sorted(orders)
    relevances = [s.relevance for s in FunnelStage.progression()]
    assert relevances == sorted(relevances) and relevances[0] > 0
    assert FunnelStage.SHORTLISTED.contract_probability is None
    assert all(s.label_ko and s.label_en for s in FunnelStage)


def test_lists_from_spreadsheet_cells_are_split_normalised_and_deduplicated() -> None:
    e = ExporterRecord.model_validate(
        {
            "external_id": "E1",
            "name_en": "A",
            "certifications": "iso 9001; ISO-9001 | halal",
            "markets": "Viet Nam,IND",
            "languages": "KO;en",
        }
    )
    assert e.certifications == ["ISO9001", "HALAL"]
    assert e.markets == ["VN", "IN"]
    assert e.languages == ["ko", "en"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"external_id": "B1", "name": "X", "country": "Atlantis"}, "country"),
        (
            {"external_id": "B1", "name": "X", "country": "VN", "responsiveness": 2},
            "responsiveness",
        ),
        ({"external_id": "B1", "name": "X", "country": "VN", "buyer_type": "pirate"}, "buyer_type"),
        ({"external_id": "B 1", "name": "X", "country": "VN"}, "external_id"),
        ({"external_id": "B1", "name": "", "country": "VN"}, "name"),
        ({"external_id": "B1", "name": "X", "country": "VN", "hs_codes": "99999"}, "hs_codes.0"),
    ],
)
def test_bad_buyer_fields_are_named(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        BuyerRecord.model_validate(data)
    locs = {".".join(str(p) for p in e["loc"]) for e in info.value.errors()}
    assert field in locs


def test_unknown_fields_are_errors_not_silently_dropped() -> None:
    with pytest.raises(ValidationError, match="colour"):
        ProductRecord.model_validate(
            {"external_id": "P", "exporter_id": "E", "description": "d", "colour": "red"}
        )


def test_centers_own_vietnamese_and_indian_importers_by_city() -> None:
    assert center_for("VN", "Hai Phong") == CenterCode.HANOI
    assert center_for("VN", "Thành phố Hồ Chí Minh") == CenterCode.HO_CHI_MINH_CITY
    assert center_for("IN", "Pune") == CenterCode.MUMBAI
    assert center_for("IN", "Noida") == CenterCode.NEW_DELHI
    assert center_for("IN", None) == CenterCode.NEW_DELHI
    assert center_for("US", "Houston") is None


@settings(max_examples=60)
@given(
    kind=st.sampled_from(sorted(RECORD_TYPES)),
    data=st.dictionaries(
        st.sampled_from(
            [
                "external_id",
                "name",
                "name_en",
                "country",
                "text",
                "description",
                "exporter_id",
                "buyer_id",
                "stage",
                "hs_code",
                "hs_codes",
                "moq",
                "occurred_at",
                "certifications",
                "employees",
                "deadline",
                "need_id",
                "manufacturer_id",
                "service_id",
                "market",
                "center",
            ]
        ),
        st.one_of(st.text(max_size=30), st.integers(), st.none()),
        max_size=8,
    ),
)
def test_validators_raise_only_validation_errors(kind: str, data: dict[str, object]) -> None:
    """Whatever a file holds, validation either passes or reports; it never crashes."""
    with contextlib.suppress(ValidationError):
        RECORD_TYPES[kind].model_validate(data)
