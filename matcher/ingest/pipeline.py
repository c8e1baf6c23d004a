"""Ingest one file: read, adapt, validate, resolve references, upsert in chunks, report.

Good rows are stored even when others fail; every rejected row is reported with its line,
field and reason. Each chunk is its own transaction, so a large file streams in constant
memory and a failure part-way keeps what was already committed. Blank cells mean "unknown"
and never overwrite a stored value.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.schemas import Record
from matcher.errors import InputValidationError
from matcher.ingest.kinds import IngestKind, SkipRow, get_kind
from matcher.ingest.readers import RawRow, open_rows
from matcher.storage.database import session_scope
from matcher.storage.repository import (
    ENTITY_TABLES,
    UpsertCounts,
    record_values,
    resolve_references,
    upsert_rows,
)

DEFAULT_CHUNK = 1000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str
    value: str = ""


@dataclass
class IngestReport:
    kind: str
    source: str
    rows_read: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: list[RowError] = field(default_factory=list)
    merged: int = 0  # rows folded into an earlier row with the same external id
    merged_reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def rejected(self) -> int:
        return len(self.rejected_lines)

    @property
    def stored(self) -> int:
        """Rows now represented in the store (new, updated or already identical)."""
        return self.counts.inserted + self.counts.updated + self.counts.unchanged

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "rows_read": self.rows_read,
            "inserted": self.counts.inserted,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "merged": self.merged,
            "merged_reason": self.merged_reason,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }

    def write_errors_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "field", "reason", "value"])
            for err in sorted(self.errors, key=lambda e: (e.line, e.field)):
                writer.writerow([err.line, err.field, err.reason, err.value])


def ingest_file(
    kind_name: str,
    path: Path,
    sessions: sessionmaker[Session],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Load ``path`` as ``kind_name``. Raises ``InputValidationError`` only when the file as a
    whole is unusable (missing, wrong type, missing required columns)."""
    kind = get_kind(kind_name)
    source = open_rows(path)
    report = IngestReport(kind=kind.name, source=str(path))
    columns = _check_columns(kind, source.header, report)
    ingest_rows(
        kind, source.rows, columns, sessions, report, chunk_size=chunk_size, progress=progress
    )
    return report


def ingest_rows(
    kind: IngestKind,
    rows: Iterable[RawRow],
    columns: list[str],
    sessions: sessionmaker[Session],
    report: IngestReport,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    first_line_of: dict[str, int] = {}
    pending: list[tuple[int, Record]] = []
    # Kinds whose files repeat an entity (one company per meeting row) are held until the
    # end, so later rows can fill in what the first row lacked before anything is written.
    merging: dict[str, tuple[int, Record]] = {}
    for raw in rows:
        report.rows_read += 1
        record = _validate(kind, raw, columns, report)
        if record is not None:
            first = first_line_of.get(record.external_id)
            if first is None:
                first_line_of[record.external_id] = raw.line
                if kind.duplicates_expected:
                    merging[record.external_id] = (raw.line, record)
                else:
                    pending.append((raw.line, record))
            elif kind.duplicates_expected:
                report.merged += 1
                report.merged_reason = kind.duplicates_expected
                line, kept = merging[record.external_id]
                merging[record.external_id] = (line, fill_in(kept, record))
            else:
                report.errors.append(
                    RowError(
                        raw.line,
                        "external_id",
                        f"duplicate external_id, first seen on line {first}",
                        record.external_id,
                    )
                )
        if len(pending) >= chunk_size:
            _flush(kind, pending, sessions, report)
            pending = []
        if progress is not None:
            progress(1)
    if pending:
        _flush(kind, pending, sessions, report)
    held = list(merging.values())
    for start in range(0, len(held), chunk_size):
        _flush(kind, held[start : start + chunk_size], sessions, report)
    return report


def fill_in(kept: Record, later: Record) -> Record:
    """``kept`` plus the fields only ``later`` provides; what ``kept`` has always wins."""
    update = {
        name: getattr(later, name)
        for name in later.model_fields_set
        if name not in kept.model_fields_set
    }
    return kept.model_copy(update=update) if update else kept


def _check_columns(kind: IngestKind, header: list[str], report: IngestReport) -> list[str]:
    missing = [c for c in kind.required_columns if c not in header]
    if missing:
        raise InputValidationError(
            "columns",
            f"{kind.name} files need column(s) {', '.join(missing)}; the header has "
            f"{', '.join(header)}",
        )
    known = kind.known_columns()
    unknown = [c for c in header if c not in known]
    if unknown:
        report.warnings.append(f"ignored unknown column(s): {', '.join(unknown)}")
    return [c for c in header if c in known]


def _validate(
    kind: IngestKind, raw: RawRow, columns: list[str], report: IngestReport
) -> Record | None:
    if raw.shape_error:
        report.errors.append(
            RowError(raw.line, "(row)", raw.shape_error, "|".join(raw.extra_cells))
        )
        return None
    # A blank cell is "unknown": leave it out so defaults apply and stored values survive.
    values: dict[str, Any] = {
        c: raw.values[c].strip() for c in columns if raw.values.get(c, "").strip()
    }
    if kind.adapter is not None:
        try:
            values = kind.adapter(values)
        except SkipRow as skip:
            report.errors.append(RowError(raw.line, skip.field, skip.reason))
            return None
        except InputValidationError as exc:
            report.errors.append(RowError(raw.line, exc.field, exc.reason))
            return None
    try:
        return kind.record_type.model_validate(values)
    except ValidationError as exc:
        for problem in exc.errors():
            loc = ".".join(str(p) for p in problem["loc"]) or "(row)"
            reason = str(problem["msg"]).removeprefix("Value error, ")
            value = problem.get("input")
            shown = "" if isinstance(value, dict) else str(value)[:120]
            report.errors.append(RowError(raw.line, loc, reason, shown))
        return None


def _flush(
    kind: IngestKind,
    pending: list[tuple[int, Record]],
    sessions: sessionmaker[Session],
    report: IngestReport,
) -> None:
    rows = [record_values(record) for _, record in pending]
    with session_scope(sessions) as session:
        resolved, unresolved = resolve_references(session, kind.entity, rows)
        for miss in unresolved:
            line = pending[miss.position][0]
            report.errors.append(
                RowError(
                    line,
                    miss.field,
                    f"no {miss.entity} with external_id '{miss.value}'",
                    miss.value,
                )
            )
        counts = upsert_rows(session, ENTITY_TABLES[kind.entity], resolved)
    report.counts.add(counts)
