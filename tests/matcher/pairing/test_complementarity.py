"""The complementarity table: the shipped rows load and cover the policy's pairings, and a bad
row is an error that names the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.domain.enums import Industry, ServiceType
from matcher.errors import DataTableError
from matcher.pairing.complementarity import (
    ComplementarityTable,
    GapKind,
    default_table,
    market_languages,
)

HEADER = "gap,industry,service_type,strength,source\n"


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "complementarity.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_shipped_table_covers_the_named_pairings() -> None:
    table = default_table()

    def closes(gap: GapKind, industry: Industry) -> set[ServiceType]:
        return {c.service_type for c in table.closing(gap, industry)}

    complement = GapKind.INDUSTRY_COMPLEMENT
    assert ServiceType.DIGITAL_HEALTH in closes(complement, Industry.MEDICAL_DEVICES)
    assert ServiceType.SMART_FACTORY in closes(complement, Industry.INDUSTRIAL_MACHINERY)
    assert ServiceType.AUTONOMOUS_DRIVING in closes(complement, Industry.VEHICLES)
    assert ServiceType.AI_MANUFACTURING in closes(complement, Industry.AUTO_PARTS)
    assert ServiceType.RENTAL_MAINTENANCE in closes(complement, Industry.CONSTRUCTION_MACHINERY)
    assert ServiceType.CONTENT_MARKETING in closes(complement, Industry.COSMETICS)
    assert ServiceType.DESIGN_BRANDING in closes(GapKind.BRAND_DESIGN, Industry.FOOD)
    for industry in Industry:  # the general ones apply to every industry
        assert ServiceType.LOGISTICS in closes(GapKind.LOGISTICS, industry)
        assert ServiceType.CERTIFICATION_CONSULTING in closes(GapKind.CERTIFICATION, industry)
        assert ServiceType.INTERPRETATION_LOCALISATION in closes(GapKind.LANGUAGE, industry)
        assert ServiceType.MARKET_RESEARCH in closes(GapKind.EXPORT_STAGE, industry)
    assert all(row.source for row in table.rows)


def test_an_industry_row_overrides_the_any_industry_row() -> None:
    table = default_table()
    cosmetics = {
        c.service_type: c.strength for c in table.closing(GapKind.BRAND_DESIGN, "cosmetics")
    }
    other = {c.service_type: c.strength for c in table.closing(GapKind.BRAND_DESIGN, "metals")}
    assert cosmetics[ServiceType.DESIGN_BRANDING] == 1.0
    assert other[ServiceType.DESIGN_BRANDING] == 0.4


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("logistics,*,teleportation,1.0,src", "unknown service type 'teleportation'"),
        ("logistics,spaceships,logistics,1.0,src", "unknown industry 'spaceships'"),
        ("boredom,*,logistics,1.0,src", "unknown gap 'boredom'"),
        ("logistics,*,logistics,1.5,src", "strength 1.5 is outside (0, 1]"),
        ("logistics,*,logistics,high,src", "strength 'high' is not a number"),
        ("logistics,*,logistics,1.0,", "column 'source' is empty"),
    ],
)
def test_a_bad_row_is_an_error_naming_the_line(tmp_path: Path, row: str, message: str) -> None:
    path = _write(tmp_path, "certification,*,certification_consulting,1.0,src", row)
    with pytest.raises(DataTableError) as caught:
        ComplementarityTable.from_csv(path)
    assert caught.value.line == 3
    assert f"{path}:3:" in str(caught.value) and message in str(caught.value)


def test_a_repeated_row_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "logistics,*,logistics,1.0,a", "logistics,*,logistics,0.5,b")
    with pytest.raises(DataTableError, match="repeats line 2"):
        ComplementarityTable.from_csv(path)


def test_a_missing_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("gap,industry,service_type\nlogistics,*,logistics\n", encoding="utf-8")
    with pytest.raises(DataTableError, match="missing column"):
        ComplementarityTable.from_csv(path)


def test_market_languages() -> None:
    assert market_languages()["VN"] == ("vi",)
    assert set(market_languages()["IN"]) == {"hi", "en"}
