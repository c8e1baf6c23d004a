"""Load a generated demo set through the same ingestion path as real files.

Why: dogfooding. The demo rows pass the same validation, reference resolution and upserts a
user's spreadsheet does, so a generator bug shows up as a rejected row here, not as a strange
recommendation later. The generator must only produce valid rows, so any rejection is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from matcher.demo.generator import FILE_KINDS
from matcher.errors import TradeMatchError
from matcher.ingest.pipeline import IngestReport, ingest_file


class DemoLoadError(TradeMatchError):
    """A generated demo file had rows the ingestion rejected (a generator bug)."""

    def __init__(self, report: IngestReport) -> None:
        shown = "; ".join(
            f"line {e.line} {e.field}: {e.reason} ({e.value!r})" for e in report.errors[:5]
        )
        super().__init__(f"{report.source}: {report.rejected} row(s) rejected: {shown}")
        self.report = report


def demo_files(out_dir: Path) -> dict[str, Path]:
    """The demo files in dependency order (exporters before products, buyers before needs)."""
    return {kind: out_dir / f"{kind}.csv" for kind in FILE_KINDS}


def load_demo(
    out_dir: Path,
    sessions: sessionmaker[Session],
    progress: Callable[[int], None] | None = None,
) -> list[IngestReport]:
    """Ingest every demo file in dependency order; raise ``DemoLoadError`` on any rejection.

    ``progress(rows)`` is called as rows are read (all files together, as the CLI's single
    progress bar over ``manifest.counts`` expects).
    """
    reports: list[IngestReport] = []
    for kind, path in demo_files(out_dir).items():
        report = ingest_file(kind, path, sessions, progress=progress)
        if report.errors:
            raise DemoLoadError(report)
        reports.append(report)
    return reports
