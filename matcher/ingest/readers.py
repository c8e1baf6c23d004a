"""Read CSV and Excel files as (line number, row) pairs, without loading a whole file.

Line numbers are what a person sees when they open the file: the header is line 1, and a CSV
record that spans several physical lines (a quoted newline) is numbered by its first line.
Rows with the wrong number of cells are returned with a ``shape_error`` rather than dropped,
so the caller can report them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from matcher.errors import InputValidationError

# Korean spreadsheets are often saved as CP949 (EUC-KR superset) rather than UTF-8.
_ENCODINGS = ("utf-8-sig", "cp949")
_SUPPORTED = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel"}

csv.field_size_limit(10_000_000)


@dataclass
class RawRow:
    line: int
    values: dict[str, str]
    shape_error: str | None = None
    extra_cells: list[str] = field(default_factory=list)


@dataclass
class RowSource:
    """A readable file: its header and an iterator over its rows."""

    path: Path
    header: list[str]
    rows: Iterator[RawRow]
    encoding: str | None = None


def open_rows(path: Path) -> RowSource:
    """Open a CSV or Excel file. Raises ``InputValidationError`` for unsupported files."""
    if not path.exists():
        raise InputValidationError("file", f"{path} does not exist")
    kind = _SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise InputValidationError(
            "file", f"{path.name}: unsupported type '{path.suffix}' (use .csv or .xlsx)"
        )
    if kind == "excel":
        return _excel_rows(path)
    return _csv_rows(path)


def _detect_encoding(path: Path) -> str:
    for encoding in _ENCODINGS:
        try:
            with path.open(encoding=encoding) as handle:
                while handle.read(1 << 20):
                    pass
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputValidationError("file", f"{path.name} is neither UTF-8 nor CP949 text")


_BARE_CR = re.compile(r"\r(?!\n)")


def _lines(handle: TextIO) -> Iterator[str]:
    """Physical lines split on LF only. A bare CR is not a line break in these files: the
    published KOTRA file has carriage returns inside unquoted descriptions, and letting them
    end a record would cut one record into broken pieces. They become spaces."""
    for line in handle:
        yield _BARE_CR.sub(" ", line) if "\r" in line else line


def _csv_rows(path: Path) -> RowSource:
    encoding = _detect_encoding(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    handle = path.open(encoding=encoding, newline="\n")
    reader = csv.reader(_lines(handle), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        handle.close()
        raise InputValidationError("file", f"{path.name} is empty (no header row)") from None
    _check_header(path, header)

    def rows() -> Iterator[RawRow]:
        try:
            previous_end = reader.line_num
            for cells in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                yield _shape(start, header, cells)
        except csv.Error as exc:
            yield RawRow(previous_end + 1, {}, shape_error=f"unreadable CSV: {exc}")
        finally:
            handle.close()

    return RowSource(path, header, rows(), encoding)


def _excel_rows(path: Path) -> RowSource:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(h).strip() for h in next(iterator)]
    except StopIteration:
        workbook.close()
        raise InputValidationError("file", f"{path.name} has an empty first sheet") from None
    while header and not header[-1]:
        header.pop()
    _check_header(path, header)

    def rows() -> Iterator[RawRow]:
        try:
            for offset, cells in enumerate(iterator, start=2):
                texts = [_cell_text(c) for c in cells]
                while len(texts) > len(header) and not texts[-1].strip():
                    texts.pop()
                if not any(t.strip() for t in texts):
                    continue
                yield _shape(offset, header, texts)
        finally:
            workbook.close()

    return RowSource(path, header, rows())


def _check_header(path: Path, header: list[str]) -> None:
    if not header or not any(header):
        raise InputValidationError("file", f"{path.name}: the header row is empty")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputValidationError("file", f"{path.name}: column '{name}' appears twice")
        seen.add(name)


def _shape(line: int, header: list[str], cells: list[str]) -> RawRow:
    if len(cells) < len(header):
        cells = cells + [""] * (len(header) - len(cells))
        return RawRow(
            line,
            dict(zip(header, cells, strict=True)),
            shape_error=f"row has fewer cells than the header's {len(header)} columns",
        )
    if len(cells) > len(header):
        return RawRow(
            line,
            dict(zip(header, cells[: len(header)], strict=True)),
            shape_error=f"row has {len(cells)} cells but the header has {len(header)} columns",
            extra_cells=cells[len(header) :],
        )
    return RawRow(line, dict(zip(header, cells, strict=True)))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
