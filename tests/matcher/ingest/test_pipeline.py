"""File ingestion: good rows are kept, bad rows are reported by line, re-ingest is a no-op."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from matcher.errors import InputValidationError
from matcher.ingest.pipeline import ingest_file
from matcher.storage.database import session_scope
from matcher.storage.repository import count
from matcher.storage.tables import ExporterRow, ProductRow

HEADER = [
    "external_id",
    "name_ko",
    "name_en",
    "industry",
    "city",
    "employees",
    "export_stage",
    "certifications",
]


def _good_row(i: int) -> list[str]:
    return [
        f"E{i:03d}",
        f"전북기업{i}",
        f"Jeonbuk Firm {i}",
        "food",
        "Jeonju",
        str(3 + i % 20),
        "beginner",
        "HACCP;ISO 22000",
    ]


def _write_100_with_3_bad(path: Path) -> dict[int, str]:
    """100 data rows; rows at file lines 11, 52 and 90 are malformed. Returns line -> field."""
    bad = {11: "industry", 52: "(row)", 90: "employees"}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(100):
            line = i + 2
            row = _good_row(i)
            if line == 11:
                row[3] = "spaceships"  # not an industry
            elif line == 52:
                row = [*row, "an extra cell"]  # wrong number of cells
            elif line == 90:
                row[5] = "-4"  # negative head count
            writer.writerow(row)
    return bad


def test_three_malformed_rows_of_100_are_reported_and_97_stored(sessions, tmp_path: Path) -> None:
    path = tmp_path / "exporters.csv"
    bad = _write_100_with_3_bad(path)
    report = ingest_file("exporters", path, sessions)
    assert report.rows_read == 100
    assert report.counts.inserted == 97
    assert report.rejected_lines == sorted(bad)
    assert {e.line: e.field for e in report.errors} == bad
    assert all(e.reason for e in report.errors)
    with session_scope(sessions) as session:
        assert count(session, ExporterRow) == 97

    again = ingest_file("exporters", path, sessions)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 97)
    assert again.rejected_lines == sorted(bad)
    with session_scope(sessions) as session:
        assert count(session, ExporterRow) == 97


def test_errors_csv_lists_every_problem(sqlite_sessions, tmp_path: Path) -> None:
    path = tmp_path / "exporters.csv"
    _write_100_with_3_bad(path)
    report = ingest_file("exporters", path, sqlite_sessions)
    out = tmp_path / "errors.csv"
    report.write_errors_csv(out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [int(r["line"]) for r in rows] == [11, 52, 90]
    assert "spaceships" in rows[0]["value"]


def test_quoted_newlines_keep_line_numbers_of_the_record_start(
    sqlite_sessions, tmp_path: Path
) -> None:
    path = tmp_path / "exporters.csv"
    path.write_text(
        "external_id,name_en,industry,description\n"
        'E1,Alpha,food,"two\nline description"\n'
        "E2,Beta,nonsense,x\n",
        encoding="utf-8",
    )
    report = ingest_file("exporters", path, sqlite_sessions)
    assert report.counts.inserted == 1
    assert [(e.line, e.field) for e in report.errors] == [(4, "industry")]


def test_blank_cells_never_erase_stored_values(sqlite_sessions, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("external_id,name_en,industry,employees\nE1,Alpha,food,25\n")
    ingest_file("exporters", first, sqlite_sessions)
    second = tmp_path / "b.csv"
    second.write_text("external_id,name_en,industry,employees\nE1,Alpha Foods,food,\n")
    report = ingest_file("exporters", second, sqlite_sessions)
    assert report.counts.updated == 1
    with session_scope(sqlite_sessions) as session:
        row = session.scalar(select(ExporterRow))
        assert row is not None
        assert (row.name_en, row.employees) == ("Alpha Foods", 25)


def test_excel_and_cp949_files_load(sqlite_sessions, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["external_id", "name_ko", "industry", "founded_year"])
    sheet.append(["X1", "익산정밀", "industrial_machinery", 1998])
    sheet.append(["X2", "", "food", 2001])  # no name at all: rejected on its row (3)
    xlsx = tmp_path / "firms.xlsx"
    book.save(xlsx)
    report = ingest_file("exporters", xlsx, sqlite_sessions)
    assert report.counts.inserted == 1
    assert report.rejected_lines == [3]

    korean = tmp_path / "firms_cp949.csv"
    korean.write_bytes("external_id,name_ko,industry\nK1,군산식품,food\n".encode("cp949"))
    assert ingest_file("exporters", korean, sqlite_sessions).counts.inserted == 1
    with session_scope(sqlite_sessions) as session:
        names = set(session.scalars(select(ExporterRow.name_ko)))
    assert names == {"익산정밀", "군산식품"}


def test_products_referencing_unknown_exporters_are_rejected_by_line(
    sqlite_sessions, tmp_path: Path
) -> None:
    (tmp_path / "e.csv").write_text("external_id,name_en,industry\nE1,Alpha,food\n")
    ingest_file("exporters", tmp_path / "e.csv", sqlite_sessions)
    (tmp_path / "p.csv").write_text(
        "external_id,exporter_id,description,hs_code,price_min_usd,price_max_usd\n"
        "P1,E1,Kimchi,200599,2,3\n"
        "P2,E9,Ramyeon,190230,,\n"
        "P3,E1,Bad code,123456,,\n"
        "P4,E1,Upside-down band,190230,9,1\n"
    )
    report = ingest_file("products", tmp_path / "p.csv", sqlite_sessions)
    assert report.counts.inserted == 1
    by_line = {e.line: (e.field, e.reason) for e in report.errors}
    assert by_line[3][0] == "exporter_id" and "E9" in by_line[3][1]
    assert by_line[4] == ("hs_code", "'123456' is not in the HS nomenclature")
    assert "price_min_usd" in by_line[5][1]
    with session_scope(sqlite_sessions) as session:
        assert count(session, ProductRow) == 1


def test_duplicate_external_ids_in_one_file_are_reported(sqlite_sessions, tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("external_id,name_en,industry\nE1,A,food\nE1,B,food\n")
    report = ingest_file("exporters", tmp_path / "e.csv", sqlite_sessions)
    assert report.counts.inserted == 1
    assert [(e.line, e.field) for e in report.errors] == [(3, "external_id")]
    assert "line 2" in report.errors[0].reason


@pytest.mark.parametrize(
    ("content", "name", "field"),
    [
        ("external_id,industry\nE1,food\n", "x.csv", "columns"),  # fine: names are optional
        ("", "empty.csv", "file"),
        ("a,b\n1,2\n", "x.json", "file"),
        ("external_id,name_en,name_en\n", "dup.csv", "file"),
    ],
)
def test_unusable_files_fail_with_the_field_named(
    sqlite_sessions, tmp_path: Path, content: str, name: str, field: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    if field == "columns":
        report = ingest_file("exporters", path, sqlite_sessions)  # rows fail, file is usable
        assert report.errors and report.errors[0].reason == "name_ko or name_en is required"
        return
    with pytest.raises(InputValidationError) as info:
        ingest_file("exporters", path, sqlite_sessions)
    assert info.value.field == field


def test_missing_required_column_names_it(sqlite_sessions, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("external_id,description\nP1,valve\n")
    with pytest.raises(InputValidationError) as info:
        ingest_file("products", path, sqlite_sessions)
    assert info.value.field == "columns" and "exporter_id" in info.value.reason


def test_unknown_kind_lists_the_known_ones(sqlite_sessions, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    with pytest.raises(InputValidationError) as info:
        ingest_file("spaceships", path, sqlite_sessions)
    assert info.value.field == "kind" and "exporters" in info.value.reason


def test_expected_duplicates_merge_and_later_rows_fill_gaps(
    sqlite_sessions, tmp_path: Path
) -> None:
    from matcher.ingest.kinds import IngestKind
    from matcher.ingest.pipeline import IngestReport, ingest_rows
    from matcher.ingest.readers import open_rows

    kind = IngestKind(
        name="firms-per-meeting",
        entity="exporters",
        description="test",
        duplicates_expected="same firm at another meeting",
    )
    path = tmp_path / "meetings.csv"
    path.write_text(
        "external_id,name_en,city,homepage,founded_year\n"
        "F1,Alpha,,alpha.example,\n"
        "F2,Beta,Iksan,,\n"
        "F1,Alpha Foods,Jeonju,,1999\n"  # fills city and year; the first name wins
    )
    source = open_rows(path)
    report = IngestReport(kind=kind.name, source=str(path))
    ingest_rows(kind, source.rows, source.header, sqlite_sessions, report, chunk_size=1)
    assert (report.rows_read, report.counts.inserted, report.merged) == (3, 2, 1)
    with session_scope(sqlite_sessions) as session:
        alpha = session.scalar(select(ExporterRow).where(ExporterRow.external_id == "F1"))
        assert alpha is not None
        assert (alpha.name_en, alpha.city, alpha.homepage, alpha.founded_year) == (
            "Alpha",
            "Jeonju",
            "alpha.example",
            1999,
        )
