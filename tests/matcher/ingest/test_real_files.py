"""The source adapters on the real public files in ``../shared/data/real`` (read-only, never
copied into the repository). The figures asserted here are what the adapters achieve today;
a change in them is a change in what the product keeps or loses, so it must be deliberate.

Skips cleanly where the folder is absent (a fresh clone has no ``../shared``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from matcher.ingest.pipeline import IngestReport, ingest_file
from matcher.ingest.sources import AT_DUPLICATES
from matcher.storage.tables import NeedRow

pytestmark = pytest.mark.real_data

# tests/matcher/ingest/<this file> -> parents[3] is the repository; shared/ sits beside it.
REAL_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real"


@dataclass(frozen=True)
class Expected:
    kind: str
    file: str
    rows_read: int
    stored: int
    merged: int
    rejected_by_field: dict[str, int]


EXPECTED = [
    # The README counts 46,034 records and so does the reader: three records (record_id
    # 1223, 1229, 1321) hold bare carriage returns inside an unquoted product_desc, which the
    # reader treats as spaces rather than record ends, so they load as valid buyers.
    # Rejected by buyer_name: 251 empty, 284 without letters (".", "123", phone numbers),
    # 99 only "[redacted]". By country: 3 empty, 29 unrecognisable ("Other", "EA", "CIS").
    Expected(
        kind="kotra-sns-buyers",
        file="kotra_sns_buyers.csv",
        rows_read=46_034,
        stored=45_368,
        merged=0,
        rejected_by_field={"buyer_name": 634, "country": 32},
    ),
    Expected(
        kind="smba-inquiries",
        file="smba_inquiries.csv",
        rows_read=21_302,
        stored=21_302,
        merged=0,
        rejected_by_field={},
    ),
    # 5,435 attendances of 668 distinct companies once name variants are merged (760 raw
    # spellings: "SD Korea" / "SD KOREA Co.,Ltd" / "[K13] ..." and so on).
    Expected(
        kind="at-companies",
        file="at_export_meeting_companies.csv",
        rows_read=5_435,
        stored=668,
        merged=4_767,
        rejected_by_field={},
    ),
]


@pytest.fixture(scope="module")
def real_dir() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(
            "../shared/data/real is absent (a fresh clone has no ../shared); "
            "the real-file loaders are not exercised"
        )
    return REAL_DATA


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.kind)
def test_real_file_loads_with_known_figures(
    expected: Expected,
    real_dir: Path,
    make_source_sessions: Callable[[str], sessionmaker[Session]],
) -> None:
    sessions = make_source_sessions(expected.kind)
    path = real_dir / expected.file

    report = ingest_file(expected.kind, path, sessions)

    assert report.rows_read == expected.rows_read
    assert report.warnings == []
    assert report.stored + report.merged + report.rejected == report.rows_read
    for error in report.errors:
        assert error.field.strip(), error
        assert error.reason.strip(), error
    assert report.counts.inserted == expected.stored
    assert report.stored == expected.stored
    assert report.merged == expected.merged
    if expected.merged:
        assert report.merged_reason == AT_DUPLICATES
    assert _rejected_lines_by_field(report) == expected.rejected_by_field

    again = ingest_file(expected.kind, path, sessions)

    assert again.counts.inserted == 0
    assert again.counts.updated == 0
    assert again.counts.unchanged == expected.stored


def test_korean_only_countries_are_resolved(
    real_dir: Path, make_source_sessions: Callable[[str], sessionmaker[Session]]
) -> None:
    """3,322 inquiries name their country only in Korean; all but 59 are placed. The 59 are
    ambiguous (도미니카 18, 세인트마틴 6), unknown (안도 11), "not stated" (미기재, 없음,
    미정) or not countries at all (반려동물 식기 "pet dishes")."""
    sessions = make_source_sessions("smba-countries")
    ingest_file("smba-inquiries", real_dir / "smba_inquiries.csv", sessions)

    with sessions() as session:
        unplaced = session.scalar(
            select(func.count()).select_from(NeedRow).where(NeedRow.country.is_(None))
        )
        vietnam = session.scalar(
            select(func.count()).select_from(NeedRow).where(NeedRow.country == "VN")
        )
    assert unplaced == 59
    # README: Vietnam 1,170 by the country column; 59 + 2 more are Korean-only (베트남, 배트남).
    assert vietnam == 1_170 + 61


def _rejected_lines_by_field(report: IngestReport) -> dict[str, int]:
    first_field: dict[int, str] = {}
    for error in report.errors:
        first_field.setdefault(error.line, error.field)
    return dict(Counter(first_field.values()))
